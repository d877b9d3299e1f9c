#!/usr/bin/env bash
# Builds PokeFFI.xcframework (device, simulator and macOS slices of the poke_ffi staticlib,
# release, without the emulator), its zip and SwiftPM checksum, and a release copy of the
# Swift package whose PokeFFI target is that binaryTarget. See docs/mobile.md.
#
#   scripts/build-xcframework.sh [<url the zip will be served from>]
#       -> target/xcframework/{PokeFFI.xcframework, PokeFFI.xcframework.zip, swift-package/}
#
# Needs macOS with Xcode (xcodebuild, lipo) and the rustup targets aarch64-apple-ios,
# aarch64-apple-ios-sim, x86_64-apple-ios, aarch64-apple-darwin, x86_64-apple-darwin.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
out="$target/xcframework"
url="${1:-https://github.com/poke-sdk/poke/releases/download/v0.3.0/PokeFFI.xcframework.zip}"
targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin x86_64-apple-darwin)

[[ "$(uname -s)" == Darwin ]] || { echo "build-xcframework: needs macOS with Xcode (this is $(uname -s))" >&2; exit 3; }
command -v xcodebuild >/dev/null 2>&1 || { echo "build-xcframework: needs Xcode (xcodebuild)" >&2; exit 3; }
installed="$(rustup target list --installed)"
for t in "${targets[@]}"; do
  grep -qx "$t" <<<"$installed" || { echo "build-xcframework: missing rustup target $t (rustup target add $t)" >&2; exit 3; }
done

cd "$root"
# 1. The staticlib for every Apple target (IPHONEOS_DEPLOYMENT_TARGET etc. match Package.swift).
export IPHONEOS_DEPLOYMENT_TARGET=13.0 MACOSX_DEPLOYMENT_TARGET=10.15
for t in "${targets[@]}"; do
  cargo build --release -p poke-ffi --no-default-features --target "$t"
done
lib() { echo "$target/$1/release/libpoke_ffi.a"; }

# 2. Headers and module map, generated from the same library (no emulator), plus the Swift.
rm -rf "$out" && mkdir -p "$out/include" "$out/gen" "$out/sim" "$out/macos"
cargo build -p uniffi-bindgen --features cli
"$target/debug/uniffi-bindgen" generate --library "$(lib aarch64-apple-darwin)" --crate poke_ffi \
  --language swift --out-dir "$out/gen"
cp "$out/gen/PokeFFI.h" "$out/include/"
cp "$out/gen/PokeFFI.modulemap" "$out/include/module.modulemap"

# 3. One library per platform: simulator and macOS slices are fat (arm64 + x86_64).
lipo -create "$(lib aarch64-apple-ios-sim)" "$(lib x86_64-apple-ios)" -output "$out/sim/libpoke_ffi.a"
lipo -create "$(lib aarch64-apple-darwin)" "$(lib x86_64-apple-darwin)" -output "$out/macos/libpoke_ffi.a"
xcodebuild -create-xcframework \
  -library "$(lib aarch64-apple-ios)" -headers "$out/include" \
  -library "$out/sim/libpoke_ffi.a" -headers "$out/include" \
  -library "$out/macos/libpoke_ffi.a" -headers "$out/include" \
  -output "$out/PokeFFI.xcframework"
(cd "$out" && zip -qry PokeFFI.xcframework.zip PokeFFI.xcframework)
checksum="$(swift package compute-checksum "$out/PokeFFI.xcframework.zip")"

# 4. The Swift package as released: the generated Swift without the emulator, the hand-written
#    sugar, and PokeFFI as the binaryTarget (the repository's package links a local library).
pkg="$out/swift-package"
mkdir -p "$pkg/Sources/Poke/Generated"
cp "$out/gen/Poke.swift" "$pkg/Sources/Poke/Generated/"
find "$root/bindings/swift/Sources/Poke" -maxdepth 1 -name '*.swift' -exec cp {} "$pkg/Sources/Poke/" \;
cat >"$pkg/Package.swift" <<SWIFT
// swift-tools-version:5.9
import PackageDescription

let package = Package(
    name: "Poke",
    platforms: [.macOS(.v10_15), .iOS(.v13)],
    products: [.library(name: "Poke", targets: ["Poke"])],
    targets: [
        .binaryTarget(name: "PokeFFI", url: "$url", checksum: "$checksum"),
        .target(name: "Poke", dependencies: ["PokeFFI"], path: "Sources/Poke"),
    ]
)
SWIFT
echo "PokeFFI.xcframework.zip checksum $checksum; Swift package in $pkg"
