#!/usr/bin/env bash
# The Rust crate builds with its stated minimum Rust version (`rust-version` in Cargo.toml):
# `cargo check` of poke-sdk with every feature, on that toolchain, installed by rustup when
# missing. Exit 77 ("not run") when the toolchain cannot be had.
set -euo pipefail
cd "$(dirname "$0")/.."
msrv="$(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml | head -1)"
[ -n "$msrv" ] || { echo "msrv: no rust-version in Cargo.toml" >&2; exit 1; }
if ! cargo "+$msrv" --version >/dev/null 2>&1; then
  if ! command -v rustup >/dev/null || ! rustup toolchain install "$msrv" --profile minimal >/dev/null 2>&1; then
    echo "msrv: not run (Rust $msrv could not be installed)" | tee -a "${POKE_NOTES:-/dev/null}"
    exit 77
  fi
fi
# A target directory of its own: artifacts of another compiler cannot be shared anyway.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}/msrv"
cargo "+$msrv" check -q -p poke-sdk --all-features --lib
cargo "+$msrv" check -q -p poke-sdk --no-default-features --features native-tls,blocking --lib
echo "msrv: poke-sdk builds with Rust $msrv" | tee -a "${POKE_NOTES:-/dev/null}"
