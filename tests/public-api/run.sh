#!/usr/bin/env bash
# The documented public API of poke-sdk (default features + `blocking`), as cargo-public-api
# lists it from nightly rustdoc JSON, compared with the committed poke-sdk.txt: a change to the
# surface shows up as a diff to review, not by accident. doc(hidden) items (poke::binding, the
# bindings' raw variants) are not listed. Auto-trait and blanket impls are left out, so a
# newer nightly's rustdoc does not move the listing.
#
#   tests/public-api/run.sh           # check (exit 1 on a difference, 77 when it cannot run)
#   tests/public-api/run.sh --update  # rewrite poke-sdk.txt after an intended change
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
snapshot="$root/tests/public-api/poke-sdk.txt"
if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "public API check: not run (no nightly toolchain for rustdoc JSON)" | tee -a "${POKE_NOTES:-/dev/null}"
  exit 77
fi
if ! command -v cargo-public-api >/dev/null 2>&1; then
  echo "public API check: not run (cargo-public-api is not installed; .ci/run installs it)" | tee -a "${POKE_NOTES:-/dev/null}"
  exit 77
fi
current="$(mktemp)"
trap 'rm -f "$current"' EXIT
(cd "$root" && cargo public-api -p poke-sdk --features blocking -ss 2>/dev/null) >"$current"
if [[ "${1:-}" == "--update" ]]; then
  cp "$current" "$snapshot"
  echo "updated $snapshot ($(wc -l <"$snapshot") lines)"
  exit 0
fi
if ! diff -u "$snapshot" "$current"; then
  echo "the public API of poke-sdk changed: review the diff, then run tests/public-api/run.sh --update" >&2
  exit 1
fi
echo "public API: $(grep -cE '^(#\[non_exhaustive\] )?pub (fn|struct|enum|trait|mod|const|type|use)' "$current") items unchanged ($(cargo-public-api --version 2>/dev/null | head -n1), $(rustc +nightly --version | cut -d' ' -f2-3))" |
  tee -a "${POKE_NOTES:-/dev/null}"
