#!/usr/bin/env bash
# Runs the Kotlin and Swift suites against the in-process emulator, and the Kotlin packages as
# users get them.
#
#   bindings/run-foreign-tests.sh                 # everything this machine has toolchains for
#   POKE_FOREIGN_SKIP=kotlin,swift  ...           # skip languages (reported as not run)
#   bindings/run-foreign-tests.sh --update-swift  # refresh the committed generated Swift
#
# Kotlin: `mvn package` in bindings/kotlin (it runs cargo and uniffi-bindgen itself, builds the
# release jars com.poke:poke and com.poke:poke-testing and runs the JUnit suite against them),
# then tests/consumer-kotlin/run.sh (a separate project using the jars by coordinates).
# Swift: the generated Swift is checked in (SwiftPM consumes sources); it is regenerated from
# the debug libpoke_ffi here and must match (`diff -r`). The XCTest suite runs with `swift` on
# PATH, else in the Debian 13 chroot of scripts/swift-chroot.sh (made once, then reused); where
# neither can be had (no root, no mirror) it says so on one line and Swift is "not run".
# Each language records its scenario results for tests/scenarios/check.py. Exit status is
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
    -h | --help) sed -n '2,19p' "$0"; exit 0 ;;
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
# (The debug library, with its emulator, is the one the Swift package links.)
cd "$root"
step "cargo build -p poke-ffi (debug)"
cargo build --quiet -p poke-ffi
step "cargo build -p uniffi-bindgen --features cli"
cargo build --quiet -p uniffi-bindgen --features cli
bindgen="$target/debug/uniffi-bindgen"

# ---- 2. generate (library mode: the metadata is read from the built library) ---------------
step "generate Swift from $(basename "$lib")"
"$bindgen" generate "$lib" --language swift --out-dir "$tmp/gen" --no-format >"$tmp/bindgen.log" 2>&1 ||
  { cat "$tmp/bindgen.log" >&2; echo "uniffi-bindgen failed" >&2; exit 1; }

# Where the Swift package keeps each generated file (SwiftPM wants `module.modulemap`).
arrange_swift() { # <generated dir> <package root>
  mkdir -p "$2/Sources/Poke/Generated" "$2/Sources/PokeFFI"
  cp "$1/Poke.swift" "$2/Sources/Poke/Generated/Poke.swift"
  cp "$1/PokeFFI.h" "$2/Sources/PokeFFI/PokeFFI.h"
  cp "$1/PokeFFI.modulemap" "$2/Sources/PokeFFI/module.modulemap"
}

# ---- 3. Kotlin ----------------------------------------------------------------------------
# `mvn package` does everything itself (cargo release build, uniffi-bindgen, the jars with the
# library inside, our JUnit suite against those jars); then a separate consumer project uses
# the jars by coordinates only, from a fresh local repository.
run_kotlin() {
  local dir="$here/kotlin" reports="$here/kotlin/tests/target/surefire-reports"
  if ! command -v mvn >/dev/null 2>&1 || ! command -v java >/dev/null 2>&1; then
    echo "SKIP kotlin: no JDK/Maven (mvn or java not on PATH)"
    summary+=("kotlin: not run (no JDK/Maven)")
    record Kotlin --not-run "no JDK/Maven (mvn or java not on PATH)" --unavailable
    return
  fi
  rm -rf "$reports"
  step "mvn -B -q package (bindings/kotlin: cargo build --release, uniffi-bindgen, jars, JUnit suite)"
  local rc kotlin_started=$SECONDS
  # (sed: Maven 3.8's jansi still writes colour resets in batch mode.)
  set +e
  (cd "$dir" && mvn -B -q -Dstyle.color=never package) 2>&1 | sed 's/\x1b\[[0-9;]*m//g'
  rc=${PIPESTATUS[0]}
  set -e
  # -q hides surefire's summary: add up its XML reports instead.
  local counts
  counts="$(cat "$reports"/TEST-*.xml 2>/dev/null | awk '
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
  summary+=("kotlin: JUnit $t tests, $((f + e)) failures, $s skipped (mvn package: release jars; $((SECONDS - kotlin_started)) s)")
  if compgen -G "$reports/TEST-*.xml" >/dev/null; then
    record Kotlin --junit "$reports"/TEST-*.xml --note "JUnit 5 via mvn package, against the release jars"
  else
    record Kotlin --not-run "mvn package wrote no test reports (exit $rc)"
  fi
  if ((rc != 0 || t == 0 || f + e > 0)); then
    failures+=("kotlin (mvn exit $rc)")
    summary+=("kotlin consumer: not run (mvn package failed)")
    return
  fi

  step "tests/consumer-kotlin/run.sh (the jars by coordinates, from a fresh local repository)"
  local consumer_started=$SECONDS
  if bash "$root/tests/consumer-kotlin/run.sh" | tee "$tmp/consumer.log"; then
    summary+=("$(grep '^kotlin consumer:' "$tmp/consumer.log" | tail -n1) ($((SECONDS - consumer_started)) s)")
  else
    summary+=("kotlin consumer: FAILED")
    failures+=("kotlin consumer")
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
  local state log="$results/swift-test.log" rc=0 how why swift_started=$SECONDS
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
  summary+=("swift: XCTest $n tests, $f failures ($how; $((SECONDS - swift_started)) s); $state")
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
printf '%s\n' ${summary[@]+"${summary[@]}"} | tee -a "${POKE_NOTES:-/dev/null}"
if ((${#failures[@]})); then
  echo "FAILED: ${failures[*]}" >&2
  exit 1
fi
