#!/usr/bin/env bash
# The Python package as a user gets it: a manylinux2014 (glibc 2.17) wheel built with
# `maturin build --release --zig` and checked with `auditwheel show`, installed into a fresh venv
# outside the repository, where examples/quickstart.py and examples/quickstart_async.py run
# with nothing imported from the source tree; then the sdist, built and installed by pip in
# another fresh venv, runs the quickstart too.
#
#   tests/consumer-python/run.sh        # needs .venv from scripts/setup.sh (maturin, ziglang,
#                                       # auditwheel) and python3 with venv
#
# The wheels land in $CARGO_TARGET_DIR/dist-python (default target/dist-python). The sdist is
# built by pip's own isolated build (maturin from PyPI) in cargo's `dev` profile and in the
# repository's target directory, so it reuses the dependencies scripts/setup.sh compiled: it
# checks that the sdist is complete and builds, in seconds rather than a second ~5-minute
# release build (the release build of the same sources is the wheel's).
# POKE_SDIST_PROFILE=release builds it exactly as `pip install poke-*.tar.gz` would.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
dist="$target/dist-python"
venv_tools="$root/.venv/bin"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
step() { printf -- '--> %s\n' "$*"; }
note() { printf '%s\n' "$*" | tee -a "${POKE_NOTES:-/dev/null}"; } # a line for test.sh's summary
started=$SECONDS

rm -rf "$dist"
step "maturin build --release --zig --compatibility manylinux2014"
(cd "$root" && PATH="$venv_tools:$PATH" maturin build --release --zig --compatibility manylinux2014 --out "$dist" 2>&1 |
  grep -vE '^\s+(Compiling|Downloaded|Downloading)' || true)
wheel="$(ls "$dist"/*.whl 2>/dev/null | head -n1)"
[[ -n "$wheel" ]] || { echo "no wheel was built" >&2; exit 1; }
case "$(basename "$wheel")" in
  *manylinux2014_x86_64*|*manylinux_2_17_x86_64*|*manylinux2014_aarch64*|*manylinux_2_17_aarch64*) ;;
  *) echo "wheel not tagged manylinux2014: $(basename "$wheel")" >&2; exit 1 ;;
esac
wheel_secs=$((SECONDS - started))

step "auditwheel show $(basename "$wheel")"
"$venv_tools/auditwheel" show "$wheel" | tee "$work/auditwheel.txt"
grep -qE 'consistent with the following platform tag: "manylinux_2_17_(x86_64|aarch64)"' "$work/auditwheel.txt" ||
  { echo "auditwheel: the wheel needs more than glibc 2.17" >&2; exit 1; }

step "maturin sdist"
(cd "$root" && "$venv_tools/maturin" sdist --out "$dist" 2>&1 | tail -n1)
sdist="$(ls "$dist"/*.tar.gz | head -n1)"

# Runs the examples from a directory outside the repository, with a bare environment, in
# isolated mode (-I: no PYTHONPATH, no user site, not even the script's own directory).
run_examples() { # <venv>
  local venv=$1 app="$work/app" where
  rm -rf "$app" && mkdir -p "$app/home"
  cp "$root/examples/quickstart.py" "$root/examples/quickstart_async.py" "$app/"
  where="$(cd "$app" && env -i PATH=/usr/bin:/bin HOME="$app/home" "$venv/bin/python" -I -c \
    'import poke, poke._poke, sys; print(poke.__file__); print(poke._poke.__file__); print(sys.prefix)')"
  printf '%s\n' "$where" | sed 's/^/    /'
  if printf '%s\n' "$where" | head -n2 | grep -v "^$venv/" | grep -q .; then
    echo "poke was not imported from $venv" >&2; return 1
  fi
  if printf '%s\n' "$where" | grep -q "^$root/"; then
    echo "poke was imported from the source tree" >&2; return 1
  fi
  local script expected out
  for script in quickstart.py:"round trip ok" quickstart_async.py:"async round trip ok"; do
    expected=${script#*:} script=${script%%:*}
    out="$(cd "$app" && env -i PATH=/usr/bin:/bin HOME="$app/home" "$venv/bin/python" -I "$app/$script" 2>&1)" ||
      { printf '%s\n' "$out" >&2; echo "$script failed" >&2; return 1; }
    printf '%s\n' "$out" | sed 's/^/    /'
    printf '%s\n' "$out" | grep -q "^$expected\$" || { echo "$script did not finish" >&2; return 1; }
  done
  # The `poke` console script of the package: the CLI inside the extension module.
  out="$(cd "$app" && env -i PATH=/usr/bin:/bin HOME="$app/home" "$venv/bin/poke" --version 2>&1)" ||
    { printf '%s\n' "$out" >&2; echo "poke --version failed" >&2; return 1; }
  printf '    %s\n' "$out"
  [ "$out" = "poke $(cd "$app" && "$venv/bin/python" -I -c 'import poke; print(poke.__version__)')" ] ||
    { echo "poke --version printed $out" >&2; return 1; }
}

step "fresh venv outside the repository: pip install $(basename "$wheel")"
python3 -m venv "$work/wheel-venv"
"$work/wheel-venv/bin/python" -m pip install -q --no-index "$wheel"
run_examples "$work/wheel-venv"
note "python wheel: $(basename "$wheel") (auditwheel: manylinux_2_17), in a fresh venv outside the repository: quickstart + async quickstart + poke --version ok (build ${wheel_secs} s)"

profile="${POKE_SDIST_PROFILE:-dev}"
step "fresh venv: pip install $(basename "$sdist") (pip builds it with maturin from PyPI, profile $profile)"
sdist_started=$SECONDS
python3 -m venv "$work/sdist-venv"
CARGO_TARGET_DIR="$target" MATURIN_PEP517_ARGS="--profile $profile" \
  "$work/sdist-venv/bin/python" -m pip install -q "$sdist"
run_examples "$work/sdist-venv"
note "python sdist: $(basename "$sdist") built by pip ($profile profile) and installed in a fresh venv; quickstart + async quickstart + poke --version ok ($((SECONDS - sdist_started)) s)"
