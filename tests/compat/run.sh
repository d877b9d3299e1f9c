#!/usr/bin/env bash
# Runs tests/compat/test_dropin.py against the official poke==0.2.1 (own venv, from PyPI) and
# against ours, both talking to one emulator started with our package. Prints both counts.
set -euo pipefail
cd "$(dirname "$0")/../.."
OURS=${POKE_PY:-.venv/bin/python}
OFFICIAL_VENV=${POKE_OFFICIAL_VENV:-.venv-official}
if [ ! -x "$OFFICIAL_VENV/bin/python" ]; then
  python3 -m venv "$OFFICIAL_VENV"
fi
"$OFFICIAL_VENV/bin/python" -m pip install -q "poke==0.2.1" pytest
out=$(mktemp)
"$OURS" -m poke.emulator --port 0 >"$out" &
emu=$!
trap 'kill $emu 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 100); do [ -s "$out" ] && break; sleep 0.1; done
url=$(sed -n 's/^poke emulator listening on //p' "$out")
[ -n "$url" ] || { echo "emulator did not start" >&2; exit 1; }
export POKE_COMPAT_EMULATOR=$url
status=0
echo "== compat: official poke==0.2.1"
(cd tests/compat && "../../$OFFICIAL_VENV/bin/python" -m pytest -q -p no:cacheprovider test_dropin.py test_dropin_mcp.py) || status=1
echo "== compat: ours"
(cd tests/compat && "../../$OURS" -m pytest -q -p no:cacheprovider test_dropin.py test_dropin_mcp.py) || status=1
exit $status
