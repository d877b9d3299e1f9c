#!/usr/bin/env bash
# Builds the two XCFrameworks of the Swift package (root Package.swift) from the Rust crates,
# release, for iOS devices, the iOS simulator and macOS:
#
#   PokeFFI.xcframework          static libpoke_ffi.a (poke-ffi without its emulator feature)
#                                + the C module PokeFFI (both components' headers, module.modulemap);
#                                what the product Poke links, i.e. what apps ship
#   PokeTestingFFI.xcframework   dynamic PokeTestingFFI.framework (crate poke-ffi-testing: the
#                                emulator); linked only by the product PokeTesting (test targets)
#
#   scripts/build-xcframework.sh                     # -> target/xcframework/*.xcframework{,.zip}
#   scripts/build-xcframework.sh --release 0.3.1     # also rewrites ffiVersion and both checksums
#                                                    # in Package.swift for that release
#
# Then, for a release: commit Package.swift, tag the commit `0.3.1`, and attach both zips to
# the GitHub release `0.3.1` (Package.swift downloads them from
# https://github.com/poke-sdk/poke/releases/download/<version>/). For local work on a Mac,
# `POKE_FFI_LOCAL=1 swift build` uses target/xcframework/ instead of the release.
#
# Needs macOS with Xcode (xcodebuild, lipo, install_name_tool, plutil, swift) and the rustup
# targets aarch64-apple-ios, aarch64-apple-ios-sim, x86_64-apple-ios, aarch64-apple-darwin,
# x86_64-apple-darwin. NOT RUN on this project's CI machines (Debian, no Apple SDK); each
# prerequisite is checked first and a missing one stops the script with exit status 3.
#
# Why the testing library is a dynamic framework: two Rust static libraries cannot be linked
# into one binary (each carries its own copy of std, tokio, the core: duplicate symbols), and
# a test bundle links both. A dynamic library keeps its copy to itself. It also exports
# poke_ffi's C functions (it is built on that crate); whichever copy the linker binds a test
# bundle's calls to, all of poke_ffi's calls bind to the same one (they live in one object of
# the crate), and both copies free buffers with the same system allocator.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
out="$target/xcframework"
release=""
case "${1:-}" in
  --release) release="${2:?usage: $0 [--release <version>]}" ;;
  "") ;;
  -h | --help) sed -n '2,34p' "$0"; exit 0 ;;
  *) echo "usage: $0 [--release <version>]" >&2; exit 2 ;;
esac
ios=aarch64-apple-ios
sims=(aarch64-apple-ios-sim x86_64-apple-ios)
macs=(aarch64-apple-darwin x86_64-apple-darwin)
targets=("$ios" "${sims[@]}" "${macs[@]}")

missing() { echo "build-xcframework: $*" >&2; exit 3; }
[[ "$(uname -s)" == Darwin ]] || missing "needs macOS with Xcode (this is $(uname -s))"
for tool in xcodebuild lipo install_name_tool plutil swift; do
  command -v "$tool" >/dev/null 2>&1 || missing "needs $tool (Xcode)"
done
installed="$(rustup target list --installed)"
for t in "${targets[@]}"; do
  grep -qx "$t" <<<"$installed" || missing "missing rustup target $t (rustup target add $t)"
done

cd "$root"
# 1. Both crates for every Apple target, as the Linux build and Maven make them (one cargo run
#    per target, so the two share one build of the core). Deployment targets match Package.swift.
export IPHONEOS_DEPLOYMENT_TARGET=16.0 MACOSX_DEPLOYMENT_TARGET=13.0
for t in "${targets[@]}"; do
  cargo build --release --no-default-features -p poke-ffi -p poke-ffi-testing --target "$t"
done
lib() { echo "$target/$1/release/$2"; } # <target> <file>

# 2. The C module from the macOS libraries, through the same generator and post-processing as
#    the committed Swift; the generated Swift must be what the package holds (it is the same
#    metadata on every platform, so a difference means the checkout is stale).
rm -rf "$out" && mkdir -p "$out"
cargo build -p uniffi-bindgen --features cli
for component in poke_ffi poke_testing; do
  "$target/debug/uniffi-bindgen" generate "$(lib aarch64-apple-darwin "lib$component.a")" \
    --crate "$component" --language swift --no-format --out-dir "$out/gen/$component"
done
python3 scripts/swift-bindings.py --ffi "$out/gen/poke_ffi" --testing "$out/gen/poke_testing" --out "$out/Sources"
for dir in PokeBindings PokeTestingBindings PokeFFI; do
  diff -r "$out/Sources/$dir" "bindings/swift/Sources/$dir" >/dev/null ||
    { echo "build-xcframework: bindings/swift/Sources/$dir is stale (run bindings/run-foreign-tests.sh --update-swift)" >&2; exit 1; }
done
include="$out/include"
mkdir -p "$include"
cp "$out/Sources/PokeFFI/"{PokeFFI.h,PokeTestingFFI.h,module.modulemap} "$include/"

fat() { # <output> <file name> <target...>: one library of several architectures
  local output=$1 name=$2 inputs=() t
  shift 2
  for t in "$@"; do inputs+=("$(lib "$t" "$name")"); done
  mkdir -p "$(dirname "$output")"
  lipo -create "${inputs[@]}" -output "$output"
}

# 3. PokeFFI.xcframework: the static library per platform (simulator and macOS slices fat).
fat "$out/ios/libpoke_ffi.a" libpoke_ffi.a "$ios"
fat "$out/sim/libpoke_ffi.a" libpoke_ffi.a "${sims[@]}"
fat "$out/macos/libpoke_ffi.a" libpoke_ffi.a "${macs[@]}"
xcodebuild -create-xcframework \
  -library "$out/ios/libpoke_ffi.a" -headers "$include" \
  -library "$out/sim/libpoke_ffi.a" -headers "$include" \
  -library "$out/macos/libpoke_ffi.a" -headers "$include" \
  -output "$out/PokeFFI.xcframework"

# 4. PokeTestingFFI.xcframework: libpoke_testing.dylib as a framework per platform.
framework() { # <platform dir> <macos|ios> <min OS> <target...>
  local dir=$1 kind=$2 min=$3 fw binary plist
  shift 3
  fw="$dir/PokeTestingFFI.framework"
  rm -rf "$fw"
  if [[ "$kind" == macos ]]; then
    # macOS frameworks are versioned bundles.
    mkdir -p "$fw/Versions/A/Resources"
    binary="$fw/Versions/A/PokeTestingFFI"
    plist="$fw/Versions/A/Resources/Info.plist"
    ln -s A "$fw/Versions/Current"
    ln -s Versions/Current/PokeTestingFFI "$fw/PokeTestingFFI"
    ln -s Versions/Current/Resources "$fw/Resources"
  else
    mkdir -p "$fw"
    binary="$fw/PokeTestingFFI"
    plist="$fw/Info.plist"
  fi
  fat "$binary" libpoke_testing.dylib "$@"
  install_name_tool -id "@rpath/PokeTestingFFI.framework/${binary#"$fw/"}" "$binary"
  cat >"$plist" <<PLIST
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>CFBundleDevelopmentRegion</key><string>en</string>
  <key>CFBundleExecutable</key><string>PokeTestingFFI</string>
  <key>CFBundleIdentifier</key><string>com.poke.PokeTestingFFI</string>
  <key>CFBundleInfoDictionaryVersion</key><string>6.0</string>
  <key>CFBundleName</key><string>PokeTestingFFI</string>
  <key>CFBundlePackageType</key><string>FMWK</string>
  <key>CFBundleShortVersionString</key><string>${release:-0.0.0}</string>
  <key>CFBundleVersion</key><string>1</string>
  <key>MinimumOSVersion</key><string>$min</string>
</dict>
</plist>
PLIST
  plutil -lint "$plist" >/dev/null
}
framework "$out/ios" ios 16.0 "$ios"
framework "$out/sim" ios 16.0 "${sims[@]}"
framework "$out/macos" macos 13.0 "${macs[@]}"
xcodebuild -create-xcframework \
  -framework "$out/ios/PokeTestingFFI.framework" \
  -framework "$out/sim/PokeTestingFFI.framework" \
  -framework "$out/macos/PokeTestingFFI.framework" \
  -output "$out/PokeTestingFFI.xcframework"

# 5. Zips (symlinks kept: macOS frameworks need them) and their SwiftPM checksums.
for name in PokeFFI PokeTestingFFI; do
  (cd "$out" && rm -f "$name.xcframework.zip" && zip -qry "$name.xcframework.zip" "$name.xcframework")
done
ffi_sum="$(swift package compute-checksum "$out/PokeFFI.xcframework.zip")"
testing_sum="$(swift package compute-checksum "$out/PokeTestingFFI.xcframework.zip")"
echo "PokeFFI.xcframework.zip         $ffi_sum"
echo "PokeTestingFFI.xcframework.zip  $testing_sum"

# 6. For a release: the manifest points at that release's zips.
if [[ -n "$release" ]]; then
  sed -i '' \
    -e "s/^let ffiVersion = \".*\"$/let ffiVersion = \"$release\"/" \
    -e "s/^let ffiChecksum = \".*\"$/let ffiChecksum = \"$ffi_sum\"/" \
    -e "s/^let testingFFIChecksum = \".*\"$/let testingFFIChecksum = \"$testing_sum\"/" \
    Package.swift
  grep -q "let ffiChecksum = \"$ffi_sum\"" Package.swift || { echo "could not update Package.swift" >&2; exit 1; }
  echo "Package.swift now points at release $release: commit it, tag $release, attach both zips to the release."
fi
