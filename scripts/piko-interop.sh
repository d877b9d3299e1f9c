#!/usr/bin/env bash
# The tunnel transport of `poke tunnel` against a real piko 0.7.0 server: builds piko from the
# Go module proxy (the exact version npm's `poke tunnel` downloads), then runs the ignored
# interop test of cli/tests/transport.rs (requests, 3 MiB bodies, an unbuffered event stream,
# concurrent requests, and a reconnect after the server restarts).
# Exits 77 (not run) when Go is missing or the module cannot be fetched.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-$PWD/target}"
bin="$target/piko-0.7.0/piko"
if [ ! -x "$bin" ]; then
  if ! command -v go >/dev/null; then
    echo "piko interop: go not found, not run"
    [ -n "${POKE_NOTES:-}" ] && echo "go not found: the real-piko check was not run" >>"$POKE_NOTES"
    exit 77
  fi
  if ! info="$(go mod download -json github.com/andydunstall/piko@v0.7.0 2>&1)"; then
    echo "piko interop: cannot fetch github.com/andydunstall/piko@v0.7.0: $info"
    [ -n "${POKE_NOTES:-}" ] && echo "piko 0.7.0 not fetchable: the real-piko check was not run" >>"$POKE_NOTES"
    exit 77
  fi
  dir="$(printf '%s' "$info" | python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')"
  mkdir -p "$(dirname "$bin")"
  (cd "$dir" && GOFLAGS=-mod=mod go build -o "$bin" .)
fi
PIKO_BIN="$bin" cargo test -q -p poke-cli --test transport -- --ignored interop_with_a_real_piko_server
[ -n "${POKE_NOTES:-}" ] && echo "agent checked against piko 0.7.0 built from source" >>"$POKE_NOTES"
exit 0
