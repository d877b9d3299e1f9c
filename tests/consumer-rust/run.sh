#!/usr/bin/env bash
# The Rust crates as a user gets them: `cargo package` and `cargo publish --dry-run` of
# poke-sdk-emulator and poke-sdk (each verified by building the packaged sources), then this
# consumer crate, outside the workspace, builds against the unpacked .crate files by path and
# runs the quickstart, one streamed turn and the shared scenario list (cargo test), recording
# the scenarios for tests/scenarios/check.py.
#
#   tests/consumer-rust/run.sh
#
# Needs network access to the crates.io index only (no upload: --dry-run). The consumer starts
# from the workspace's Cargo.lock and shares its target directory, so the dependencies
# compiled for the workspace are reused.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/tests/consumer-rust"
target="${CARGO_TARGET_DIR:-$root/target}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
step() { printf -- '--> %s\n' "$*"; }
quiet() { grep -vE '^\s+(Compiling|Downloaded|Downloading|Checking)' || true; }
packages=(-p poke-sdk-emulator -p poke-sdk)
cd "$root"
version="$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "poke-sdk"))')"

# --allow-dirty: the check is about the packages, not about a clean working tree.
step "cargo package ${packages[*]}"
cargo package --allow-dirty "${packages[@]}" 2>&1 | quiet
step "cargo publish --dry-run ${packages[*]}"
cargo publish --dry-run --allow-dirty "${packages[@]}" 2>&1 | quiet

mkdir -p "$work/crates"
for name in poke-sdk-emulator poke-sdk; do
  crate="$target/package/$name-$version.crate"
  tar xzf "$crate" -C "$work/crates"
  for file in LICENSE README.md; do
    [[ -f "$work/crates/$name-$version/$file" ]] || { echo "$name-$version.crate has no $file" >&2; exit 1; }
  done
  echo "    $name-$version.crate: $(tar tzf "$crate" | wc -l) files, $(($(stat -c %s "$crate") / 1024)) KiB"
done

step "consumer crate (outside the workspace) against the unpacked crates: cargo test"
mkdir -p "$work/app"
cp -R "$here/Cargo.toml" "$here/src" "$here/tests" "$work/app/"
cp "$root/Cargo.lock" "$work/app/Cargo.lock"
rc=0
(cd "$work/app" && CARGO_TARGET_DIR="$target" cargo test 2>&1 | quiet | tee "$work/test.log") || rc=$?
if [[ -n "${POKE_SCENARIO_RESULTS:-}" ]]; then
  python3 "$root/tests/scenarios/record.py" Rust --libtest "$work/test.log" \
    --note "cargo test in a crate outside the workspace, against the packaged crates"
fi
if ((rc != 0)) || grep -q '^test result: FAILED' "$work/test.log"; then
  echo "the consumer's tests failed" >&2
  exit 1
fi
passed="$(awk '/^test result: ok/ {n += $4} END {print n + 0}' "$work/test.log")"
((passed > 2)) || { echo "the consumer's tests did not run (passed: $passed)" >&2; exit 1; }
# The library it built came from the unpacked .crate, not from the repository's core/.
manifest="$(cd "$work/app" && cargo metadata --format-version 1 |
  python3 -c 'import json, sys; print(next(p["manifest_path"] for p in json.load(sys.stdin)["packages"] if p["name"] == "poke-sdk"))')"
[[ "$manifest" == "$work/crates/poke-sdk-$version/Cargo.toml" ]] || { echo "poke-sdk came from $manifest" >&2; exit 1; }
printf '%s\n' "crate package: poke-sdk-$version.crate + poke-sdk-emulator-$version.crate (cargo package + cargo publish --dry-run ok); a crate outside the workspace built against them by path: quickstart, streamed turn and the scenario list, $passed tests passed" |
  tee -a "${POKE_NOTES:-/dev/null}"
