#!/usr/bin/env bash
# The Swift package as an app gets it: this consumer package (an app target and its tests),
# copied to a fresh temporary directory with a copy of the package beside it as `poke/` (the
# root Package.swift and bindings/swift: what a clone by URL holds for SwiftPM), depends on it
# by path under its identity `poke`, imports only the products Poke and PokeTesting (so only
# their public API compiles), and runs the full scenario list (the repository's
# ScenarioTests.swift, copied in) plus its own app tests.
#
#   tests/consumer-swift/run.sh <lib dir>     # the directory of libpoke_ffi.so and libpoke_testing.so
#
# With `swift` on PATH it builds there; else in the Debian 13 chroot of scripts/swift-chroot.sh.
# Same flags as the package's own tests: -swift-version 6 -strict-concurrency=complete
# -warnings-as-errors (the package's sources compile as a dependency here).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
libdir="$(cd "${1:?usage: $0 <lib dir>}" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/poke/bindings" "$work/app"
cp "$root/Package.swift" "$work/poke/"
cp -R "$root/bindings/swift" "$work/poke/bindings/"
rm -rf "$work/poke/bindings/swift/.build"
cp -R "$here/Package.swift" "$here/Sources" "$here/Tests" "$work/app/"
# The scenario list, as the package's tests write it against the public API.
cp "$root/bindings/swift/Tests/PokeTests/ScenarioTests.swift" "$root/bindings/swift/Tests/PokeTests/Support.swift" \
  "$work/app/Tests/PokeAppTests/"

log="$work/consumer.log"
if command -v swift >/dev/null 2>&1 && [[ "${POKE_SWIFT_LOCAL:-1}" == 1 ]]; then
  flags=(-Xlinker -L"$libdir" -Xlinker -rpath -Xlinker "$libdir"
    -Xswiftc -swift-version -Xswiftc 6 -Xswiftc -strict-concurrency=complete -Xswiftc -warnings-as-errors)
  (cd "$work/app" && LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    sh -c 'swift build --build-tests "$@" && swift test --skip-build "$@"' swift "${flags[@]}") >"$log" 2>&1 ||
    { tail -n 60 "$log"; echo "swift consumer: FAILED"; exit 1; }
else
  bash "$root/scripts/swift-chroot.sh" consumer "$libdir" "$work" "$log" >/dev/null ||
    { tail -n 60 "$log"; echo "swift consumer: FAILED"; exit 1; }
fi
grep -E "error:|warning:|failed" "$log" || true
executed="$(grep -oE 'Executed [0-9]+ tests?, with [0-9]+ failures?' "$log" | tail -n1)"
scenarios="$(grep -cE "Test Case '.*test_scenario_[a-z0-9_]+' passed" "$log")" || true
[[ "$executed" =~ Executed\ ([0-9]+)\ tests?,\ with\ ([0-9]+) ]] || { tail -n 40 "$log"; echo "swift consumer: no test ran"; exit 1; }
echo "swift consumer: XCTest ${BASH_REMATCH[1]} tests, ${BASH_REMATCH[2]} failures ($scenarios scenarios passed; package \`poke\` by path from a temporary directory, products Poke + PokeTesting)"
[[ "${BASH_REMATCH[2]}" == 0 ]]
