#!/usr/bin/env bash
# Browser tests of the emulator inspector: Debian's chromium (apt) driven by Playwright (PyPI,
# the Python package only: no browser is ever downloaded). When the browser or Playwright is
# missing this prints one line saying the tests were not run and why, and exits 77, which
# scripts/test.sh reports as NOT RUN (neither a pass nor a silent skip).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${POKE_PY:-.venv/bin/python}
CHROMIUM=${POKE_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
  echo "inspector browser tests: not run: $CHROMIUM is missing (install Debian's chromium: apt-get install chromium; .ci/run does)"
  exit 77
fi
if ! "$PY" -c "import playwright.sync_api" 2>/dev/null; then
  echo "inspector browser tests: not run: the playwright package is missing from $PY (bash scripts/setup.sh installs it)"
  exit 77
fi
export POKE_CHROMIUM=$CHROMIUM
exec "$PY" -m pytest -q -p no:cacheprovider tests/inspector "$@"
