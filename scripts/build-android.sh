#!/usr/bin/env bash
# Builds the Android library of poke (an AAR): libpoke_ffi.so for each Android ABI with
# cargo-ndk (release, without the emulator), the Kotlin bindings generated from the same
# library, and bindings/android's Gradle module around them. See docs/mobile.md.
#
#   scripts/build-android.sh            # -> bindings/android/build/outputs/aar/poke-android-release.aar
#
# Needs: Rust, the Android NDK (ANDROID_NDK_HOME), cargo-ndk (`cargo install cargo-ndk`), the
# rustup targets of the ABIs, and for the AAR step the Android SDK (ANDROID_HOME) and Gradle.
# ABIs: POKE_ANDROID_ABIS (default "arm64-v8a armeabi-v7a x86_64 x86"); min SDK 26 (the API
# uses java.time and java.nio.file).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
module="$root/bindings/android"
read -r -a abis <<<"${POKE_ANDROID_ABIS:-arm64-v8a armeabi-v7a x86_64 x86}"
min_sdk=26

missing=()
[[ -n "${ANDROID_NDK_HOME:-}" && -d "${ANDROID_NDK_HOME:-}" ]] || missing+=("the Android NDK (set ANDROID_NDK_HOME)")
command -v cargo-ndk >/dev/null 2>&1 || missing+=("cargo-ndk (cargo install cargo-ndk)")
declare -A triple=([arm64-v8a]=aarch64-linux-android [armeabi-v7a]=armv7-linux-androideabi
  [x86_64]=x86_64-linux-android [x86]=i686-linux-android)
installed="$(rustup target list --installed 2>/dev/null || true)"
for abi in "${abis[@]}"; do
  [[ -n "${triple[$abi]:-}" ]] || { echo "unknown ABI $abi" >&2; exit 2; }
  grep -qx "${triple[$abi]}" <<<"$installed" || missing+=("rustup target ${triple[$abi]}")
done
if ((${#missing[@]})); then
  printf 'build-android: missing %s\n' "${missing[@]}" >&2
  exit 3
fi

cd "$root"
# 1. The native library per ABI, straight into the module's jniLibs/<abi>/.
ndk_targets=()
for abi in "${abis[@]}"; do ndk_targets+=(-t "$abi"); done
rm -rf "$module/src/main/jniLibs"
cargo ndk "${ndk_targets[@]}" --platform "$min_sdk" -o "$module/src/main/jniLibs" \
  build --release -p poke-ffi --no-default-features --features poke-ffi/kotlin

# 2. The Kotlin bindings: the same for every ABI, generated from a host build of the same
#    crate and features (the staticlib keeps the metadata the release cdylib strips), in the
#    Android flavour (bindings/kotlin/android/uniffi-android.toml), made internal as in the
#    JVM jar, with the hand-written API of package com.poke beside them.
cargo build --release -p poke-ffi --no-default-features --features poke-ffi/kotlin
cargo build -p uniffi-bindgen --features cli
rm -rf "$module/src/main/kotlin"
"$target/debug/uniffi-bindgen" generate --library "$target/release/libpoke_ffi.a" --crate poke_ffi \
  --language kotlin --no-format --out-dir "$module/src/main/kotlin" \
  --config "$root/bindings/kotlin/android/uniffi-android.toml"
java "$root/bindings/kotlin/tools/Internalize.java" "$module/src/main/kotlin"
cp -R "$root/bindings/kotlin/poke/src/main/kotlin/." "$module/src/main/kotlin/"

# 3. The AAR.
if [[ -z "${ANDROID_HOME:-}" ]] || ! command -v gradle >/dev/null 2>&1; then
  echo "build-android: native libraries and Kotlin sources are in $module/src/main; the AAR needs the Android SDK (ANDROID_HOME) and Gradle" >&2
  exit 3
fi
(cd "$module" && gradle --no-daemon assembleRelease)
ls -l "$module"/build/outputs/aar/*.aar
