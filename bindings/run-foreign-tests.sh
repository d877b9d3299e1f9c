#!/usr/bin/env bash
# Runs the Kotlin and Swift suites against the in-process emulator, and both languages'
# packages as users get them.
#
#   bindings/run-foreign-tests.sh                 # everything this machine has toolchains for
#   POKE_FOREIGN_SKIP=kotlin,swift  ...           # skip languages (reported as not run)
#   bindings/run-foreign-tests.sh --update-swift  # refresh the committed generated Swift
#
# Kotlin: `mvn package` in bindings/kotlin (it runs cargo and uniffi-bindgen itself, builds the
# release jars com.poke:poke and com.poke:poke-testing and runs the JUnit suite against them),
# then tests/consumer-kotlin/run.sh (a separate project using the jars by coordinates).
# Swift: the package (root Package.swift, bindings/swift) links the same release libraries
# (libpoke_ffi without the emulator, libpoke_testing with it: the products Poke and PokeTesting).
# Its generated layer is checked in (SwiftPM consumes sources): it is regenerated here from
# those libraries by uniffi-bindgen and scripts/swift-bindings.py and must match (`diff -r`).
# The XCTest suite runs with `swift` on PATH, else in the Debian 13 chroot of
# scripts/swift-chroot.sh (made once, then reused), built with -swift-version 6
# -strict-concurrency=complete -warnings-as-errors; then tests/consumer-swift/run.sh (a
# separate package using this one by path). Where neither toolchain can be had (no root, no
# mirror) it says so on one line and Swift is "not run".
# Each language records its scenario results for tests/scenarios/check.py. Exit status is
# non-zero on any failure.
set -euo pipefail

started=$SECONDS
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
libdir="$target/release"
skip=",$(printf %s "${POKE_FOREIGN_SKIP:-}" | tr -d ' ' | tr '[:upper:]' '[:lower:]'),"
update_swift=0
for arg in "$@"; do
  case "$arg" in
    --update-swift) update_swift=1 ;;
    -h | --help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

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

# ---- 1. native libraries + bindgen (both incremental; the bindgen is built once) -----------
# The release libraries exactly as `mvn package` builds them (one cargo run, shared build): the
# Swift package links them too. Their staticlibs keep the metadata uniffi-bindgen reads (the
# release profile strips the shared libraries').
cd "$root"
step "cargo build --release --no-default-features -p poke-ffi -p poke-ffi-testing"
cargo build --quiet --release --no-default-features -p poke-ffi -p poke-ffi-testing
step "cargo build -p uniffi-bindgen --features cli"
cargo build --quiet -p uniffi-bindgen --features cli
bindgen="$target/debug/uniffi-bindgen"

# ---- 2. generate Swift (library mode: the metadata is read from the built libraries) -------
step "generate Swift from libpoke_ffi.a and libpoke_testing.a"
for component in poke_ffi poke_testing; do
  "$bindgen" generate "$libdir/lib$component.a" --crate "$component" --language swift \
    --out-dir "$tmp/gen/$component" --no-format >"$tmp/bindgen.log" 2>&1 ||
    { cat "$tmp/bindgen.log" >&2; echo "uniffi-bindgen failed" >&2; exit 1; }
done
# The package's generated targets (PokeFFI, PokeBindings, PokeTestingBindings), made from it.
python3 "$root/scripts/swift-bindings.py" --ffi "$tmp/gen/poke_ffi" --testing "$tmp/gen/poke_testing" \
  --out "$tmp/swift/Sources"

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
generated=(PokeFFI PokeBindings PokeTestingBindings)
run_swift() {
  local sources="$here/swift/Sources" dir
  if ((update_swift)); then
    for dir in "${generated[@]}"; do
      rm -rf "${sources:?}/$dir" && cp -R "$tmp/swift/Sources/$dir" "$sources/$dir"
    done
    step "updated the committed generated Swift under bindings/swift/Sources"
  fi
  step "check the committed generated Swift is current"
  local drift=0
  : >"$tmp/swift.diff"
  for dir in "${generated[@]}"; do
    diff -r "$tmp/swift/Sources/$dir" "$sources/$dir" >>"$tmp/swift.diff" 2>&1 || drift=1
  done
  if ((drift)); then
    head -n 40 "$tmp/swift.diff"
    echo "the committed Swift bindings are stale: run bindings/run-foreign-tests.sh --update-swift" >&2
    failures+=("swift (generated sources out of date)")
  fi
  local state log="$results/swift-test.log" rc=0 how why swift_started=$SECONDS
  state="generated sources $( ((drift)) && echo STALE || echo current)"
  # The same flags as scripts/swift-chroot.sh: Swift 6, complete concurrency checking, and
  # warnings as errors (an incremental build repeats no old warning, so only this keeps a
  # warning from slipping through).
  local flags=(-Xlinker -L"$libdir" -Xlinker -rpath -Xlinker "$libdir"
    -Xswiftc -swift-version -Xswiftc 6 -Xswiftc -strict-concurrency=complete -Xswiftc -warnings-as-errors)
  local local_swift=0
  if command -v swift >/dev/null 2>&1; then
    local_swift=1
    how="$(swift --version 2>&1 | grep -m1 -oE 'Swift version [0-9.]+' || echo swift) on PATH"
    step "swift build --build-tests + swift test --skip-build (root Package.swift, $how)"
    (cd "$root" && LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
      DYLD_LIBRARY_PATH="$libdir${DYLD_LIBRARY_PATH:+:$DYLD_LIBRARY_PATH}" \
      sh -c 'swift build --build-tests "$@" && swift test --skip-build "$@"' swift "${flags[@]}") 2>&1 |
      tee "$log" || rc=$?
  elif why="$(bash "$root/scripts/swift-chroot.sh" probe)"; then
    step "swift in a Debian 13 chroot (scripts/swift-chroot.sh; made once, then reused)"
    bash "$root/scripts/swift-chroot.sh" test "$libdir" "$log" || rc=$?
    how="$(bash "$root/scripts/swift-chroot.sh" version | grep -oE 'Swift version [0-9.]+' || echo swift) in a Debian 13 chroot"
  else
    echo "SKIP swift: not run ($why)"
    summary+=("swift: not run ($why); $state")
    summary+=("swift consumer: not run ($why)")
    record Swift --not-run "$why" --unavailable
    return
  fi
  local executed n=0 f=0 warnings
  executed="$(grep -oE 'Executed [0-9]+ tests?, with [0-9]+ failures?' "$log" 2>/dev/null | tail -n1)" || true
  if [[ "$executed" =~ Executed\ ([0-9]+)\ tests?,\ with\ ([0-9]+) ]]; then
    n=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]}
  fi
  warnings="$(grep -c 'warning:' "$log" 2>/dev/null)" || true
  record Swift --xctest "$log" --note "XCTest, $how"
  summary+=("swift: XCTest $n tests, $f failures, ${warnings:-0} warnings (-swift-version 6 -strict-concurrency=complete -warnings-as-errors; $how; $((SECONDS - swift_started)) s); $state")
  # The delays the cancellation tests measured (CancellationTests prints them).
  local delays
  delays="$(sed -n 's/^poke-cancel-delay kind=\([^ ]*\) client_ms=\([^ ]*\) server_ms=\([^ ]*\)$/\1 \2\/\3/p' "$log" | paste -sd ',' - | sed 's/,/, /g')"
  [[ -z "$delays" ]] || summary+=("swift cancel delays, client/server ms: $delays")
  if ((rc != 0 || n == 0 || f > 0)); then
    failures+=("swift (exit $rc, $n tests, $f failures)")
    summary+=("swift consumer: not run (the Swift suite failed)")
    return
  fi

  step "tests/consumer-swift/run.sh (a separate package using this one by path)"
  local consumer_started=$SECONDS
  if POKE_SWIFT_LOCAL=$local_swift bash "$root/tests/consumer-swift/run.sh" "$libdir" | tee "$tmp/swift-consumer.log"; then
    summary+=("$(grep '^swift consumer:' "$tmp/swift-consumer.log" | tail -n1) ($((SECONDS - consumer_started)) s)")
  else
    summary+=("swift consumer: FAILED")
    failures+=("swift consumer")
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
