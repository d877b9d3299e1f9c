#!/usr/bin/env bash
# Builds poke-ffi, generates the Kotlin and Swift bindings from it (uniffi library mode), and
# runs the foreign test suites against the in-process emulator.
#
#   bindings/run-foreign-tests.sh                 # everything this machine has toolchains for
#   POKE_FOREIGN_SKIP=kotlin,swift  ...           # skip languages (like UNIFFI_TESTS_DISABLE_EXTENSIONS)
#   bindings/run-foreign-tests.sh --update-swift  # refresh the committed generated Swift
#
# Needs Rust, plus JDK 17 + Maven for Kotlin (Maven fetches the Kotlin compiler) and a Swift
# toolchain for Swift. The generated Swift is checked in (SwiftPM consumes sources); it is
# regenerated here and must match (`diff -r`): that is the CI check, and it needs no Swift.
# A missing toolchain is reported on one SKIP line, never passed silently. Exit status is
# non-zero on any failure.
set -euo pipefail

started=$SECONDS
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
libdir="$target/debug"
skip=",$(printf %s "${POKE_FOREIGN_SKIP:-}" | tr -d ' ' | tr '[:upper:]' '[:lower:]'),"
update_swift=0
for arg in "$@"; do
  case "$arg" in
    --update-swift) update_swift=1 ;;
    -h | --help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

case "$(uname -s)" in
  Darwin) lib="$libdir/libpoke_ffi.dylib" ;;
  MINGW* | MSYS* | CYGWIN*) lib="$libdir/poke_ffi.dll" ;;
  *) lib="$libdir/libpoke_ffi.so" ;;
esac

failures=()
summary=()
results="${POKE_SCENARIO_RESULTS:-$target/scenario-results}"
mkdir -p "$results"
# This run's scenario results, for tests/scenarios/check.py.
record() { python3 "$root/tests/scenarios/record.py" "$@" --out "$results"; }
skipped() { [[ "$skip" == *",$1,"* ]]; }
step() { printf '==> %s\n' "$*"; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# ---- 1. native library + bindgen (both incremental; the bindgen is built once) -------------
cd "$root"
step "cargo build -p poke-ffi (debug)"
cargo build --quiet -p poke-ffi
step "cargo build -p uniffi-bindgen --features cli"
cargo build --quiet -p uniffi-bindgen --features cli
bindgen="$target/debug/uniffi-bindgen"

# ---- 2. generate (library mode: the metadata is read from the built library) ---------------
step "generate Kotlin + Swift from $(basename "$lib")"
"$bindgen" generate "$lib" --language kotlin --language swift --out-dir "$tmp/gen" --no-format >"$tmp/bindgen.log" 2>&1 ||
  { cat "$tmp/bindgen.log" >&2; echo "uniffi-bindgen failed" >&2; exit 1; }

# Where the Swift package keeps each generated file (SwiftPM wants `module.modulemap`).
arrange_swift() { # <generated dir> <package root>
  mkdir -p "$2/Sources/Poke/Generated" "$2/Sources/PokeFFI"
  cp "$1/Poke.swift" "$2/Sources/Poke/Generated/Poke.swift"
  cp "$1/PokeFFI.h" "$2/Sources/PokeFFI/PokeFFI.h"
  cp "$1/PokeFFI.modulemap" "$2/Sources/PokeFFI/module.modulemap"
}

# ---- 3. Kotlin ----------------------------------------------------------------------------
run_kotlin() {
  local dir="$here/kotlin" gen="$here/kotlin/target/generated-sources/uniffi"
  if ! command -v mvn >/dev/null 2>&1 || ! command -v java >/dev/null 2>&1; then
    echo "SKIP kotlin: no JDK/Maven (mvn or java not on PATH)"
    summary+=("kotlin: not run (no JDK/Maven)")
    record Kotlin --not-run "no JDK/Maven (mvn or java not on PATH)" --unavailable
    return
  fi
  # Kotlin recompiles everything anyway; classes of deleted sources must not linger.
  rm -rf "$gen" "$dir/target/surefire-reports" "$dir/target/classes" "$dir/target/test-classes"
  mkdir -p "$gen"
  cp -R "$tmp/gen/com" "$gen/"
  step "mvn -B -q test (bindings/kotlin, jna.library.path=$libdir)"
  local rc
  # (sed: Maven 3.8's jansi still writes colour resets in batch mode.)
  set +e
  (cd "$dir" && mvn -B -q -Dstyle.color=never test -Dpoke.ffi.libdir="$libdir") 2>&1 |
    sed 's/\x1b\[[0-9;]*m//g'
  rc=${PIPESTATUS[0]}
  set -e
  # -q hides surefire's summary: add up its XML reports instead.
  local counts
  counts="$(cat "$dir"/target/surefire-reports/TEST-*.xml 2>/dev/null | awk '
    /<testsuite / {
      for (i = 1; i <= NF; i++) {
        split($i, kv, "=");
        gsub(/[^0-9]/, "", kv[2]);
        if (kv[1] == "tests") t += kv[2]; else if (kv[1] == "failures") f += kv[2];
        else if (kv[1] == "errors") e += kv[2]; else if (kv[1] == "skipped") s += kv[2];
      }
    }
    END { printf "%d %d %d %d", t, f, e, s }')"
  read -r t f e s <<<"$counts"
  echo "Tests run: $t, Failures: $f, Errors: $e, Skipped: $s"
  summary+=("kotlin: $((t - f - e - s)) passed, $((f + e)) failed, $s skipped")
  if compgen -G "$dir/target/surefire-reports/TEST-*.xml" >/dev/null; then
    record Kotlin --junit "$dir"/target/surefire-reports/TEST-*.xml --note "JUnit 5 via Maven"
  else
    record Kotlin --not-run "mvn test wrote no reports (exit $rc)"
  fi
  if ((rc != 0 || t == 0 || f + e > 0)); then
    failures+=("kotlin (mvn exit $rc)")
  fi
}

# ---- 4. Swift -----------------------------------------------------------------------------
run_swift() {
  local pkg="$here/swift"
  arrange_swift "$tmp/gen" "$tmp/swift"
  if ((update_swift)); then
    arrange_swift "$tmp/gen" "$pkg"
    step "updated the committed generated Swift under bindings/swift/Sources"
  fi
  step "check the committed generated Swift is current"
  local drift=0
  diff -r "$tmp/swift/Sources/Poke/Generated" "$pkg/Sources/Poke/Generated" >"$tmp/swift.diff" 2>&1 || drift=1
  diff -r "$tmp/swift/Sources/PokeFFI" "$pkg/Sources/PokeFFI" >>"$tmp/swift.diff" 2>&1 || drift=1
  if ((drift)); then
    head -n 40 "$tmp/swift.diff"
    echo "the committed Swift bindings are stale: run bindings/run-foreign-tests.sh --update-swift" >&2
    failures+=("swift (generated sources out of date)")
  fi
  local state log="$results/swift-test.log" rc=0 how why
  state="generated sources $( ((drift)) && echo STALE || echo current)"
  local link=(-Xlinker -L"$libdir" -Xlinker -rpath -Xlinker "$libdir")
  if command -v swift >/dev/null 2>&1; then
    how="$(swift --version 2>&1 | grep -m1 -oE 'Swift version [0-9.]+' || echo swift) on PATH"
    step "swift build --build-tests + swift test --skip-build (bindings/swift, $how)"
    (cd "$pkg" && LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
      DYLD_LIBRARY_PATH="$libdir${DYLD_LIBRARY_PATH:+:$DYLD_LIBRARY_PATH}" \
      sh -c 'swift build --build-tests "$@" && swift test --skip-build "$@"' swift "${link[@]}") 2>&1 |
      tee "$log" || rc=$?
  elif why="$(bash "$root/scripts/swift-chroot.sh" probe)"; then
    step "swift in a Debian 13 chroot (scripts/swift-chroot.sh; made once, then reused)"
    bash "$root/scripts/swift-chroot.sh" test "$libdir" "$log" || rc=$?
    how="$(bash "$root/scripts/swift-chroot.sh" version | grep -oE 'Swift version [0-9.]+' || echo swift) in a Debian 13 chroot"
  else
    echo "SKIP swift: not run ($why)"
    summary+=("swift: not run ($why); $state")
    record Swift --not-run "$why" --unavailable
    return
  fi
  local executed n=0 f=0
  executed="$(grep -oE 'Executed [0-9]+ tests?, with [0-9]+ failures?' "$log" 2>/dev/null | tail -n1)" || true
  if [[ "$executed" =~ Executed\ ([0-9]+)\ tests?,\ with\ ([0-9]+) ]]; then
    n=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]}
  fi
  record Swift --xctest "$log" --note "XCTest, $how"
  summary+=("swift: XCTest $n tests, $f failures ($how); $state")
  if ((rc != 0 || n == 0 || f > 0)); then
    failures+=("swift (exit $rc, $n tests, $f failures)")
  fi
}

if skipped kotlin; then
  echo "SKIP kotlin: POKE_FOREIGN_SKIP"
  summary+=("kotlin: not run (POKE_FOREIGN_SKIP)")
  record Kotlin --not-run "skipped (POKE_FOREIGN_SKIP)"
else
  run_kotlin
fi
if skipped swift; then
  echo "SKIP swift: POKE_FOREIGN_SKIP"
  summary+=("swift: not run (POKE_FOREIGN_SKIP)")
  record Swift --not-run "skipped (POKE_FOREIGN_SKIP)"
else
  run_swift
fi

echo "---- foreign tests ($((SECONDS - started)) s)"
printf '%s\n' ${summary[@]+"${summary[@]}"} | tee "$results/foreign-summary.txt"
if ((${#failures[@]})); then
  echo "FAILED: ${failures[*]}" >&2
  exit 1
fi
