#!/usr/bin/env bash
# README command 1: build, then run examples/quickstart.py against the bundled emulator.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python examples/quickstart.py
