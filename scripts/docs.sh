#!/usr/bin/env bash
# The API docs of every language, as CI artifacts: rustdoc (poke-sdk, the emulator crate, the
# CLI), Dokka (the Kotlin package, from the javadoc jar `mvn package` builds) and DocC (the
# Swift module Poke, converted in the Swift chroot). Run by scripts/test.sh after the foreign
# suites, which build the jars and the release libraries it needs.
#
#   scripts/docs.sh [<out dir>]     # default: $POKE_ARTIFACTS/docs, else target/artifacts/docs
#
# Prints one line per language; a language whose inputs or toolchain are missing is reported
# and skipped (exit 77 when none could be made).
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-$PWD/target}"
out="${1:-${POKE_ARTIFACTS:-$target/artifacts}/docs}"
rm -rf "$out"
mkdir -p "$out"
made=0
note() { echo "$1"; [[ -n "${POKE_NOTES:-}" ]] && echo "$1" >>"$POKE_NOTES"; return 0; }

RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --quiet -p poke-sdk -p poke-sdk-emulator -p poke-cli
cp -R "$target/doc" "$out/rust"
note "docs: rustdoc in $out/rust ($(find "$out/rust" -name '*.html' | wc -l) pages)"
made=$((made + 1))

version="$(sed -n 's:^  <version>\(.*\)</version>$:\1:p' bindings/kotlin/pom.xml | head -n1)"
jar="bindings/kotlin/poke/target/poke-$version-javadoc.jar"
if [[ -f "$jar" ]]; then
  mkdir -p "$out/kotlin"
  python3 -m zipfile -e "$jar" "$out/kotlin"
  note "docs: Dokka in $out/kotlin ($(find "$out/kotlin" -name '*.html' | wc -l) pages)"
  made=$((made + 1))
else
  note "docs: no Kotlin docs ($jar missing: mvn package in bindings/kotlin)"
fi

if why="$(bash scripts/swift-chroot.sh probe)"; then
  bash scripts/swift-chroot.sh docs "$target/release" "$out/swift" >/dev/null
  note "docs: DocC in $out/swift/Poke.doccarchive ($(find "$out/swift" -name '*.json' -path '*/data/documentation/*' | wc -l) pages)"
  made=$((made + 1))
else
  note "docs: no Swift docs ($why)"
fi
[[ $made -gt 0 ]] || exit 77
