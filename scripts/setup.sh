#!/usr/bin/env bash
# Creates .venv, installs the build and test tools, and builds the extension into it.
# Idempotent; used by quickstart.sh and test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "cargo not found: install Rust from https://rustup.rs" >&2; exit 1; }
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q "maturin>=1.9.4,<2" "pytest>=8" "pytest-asyncio>=0.23" ruff "fastmcp>=2" uvicorn httpx "playwright>=1.55,<2" "mypy>=1.18" typing_extensions uvloop anyio
# The official OpenAI SDK, pointed at the emulator: E19–E21 must work with it (tests/openai_compat).
.venv/bin/python -m pip install -q "openai>=2,<4"
# Packaging checks (tests/consumer-python): manylinux2014 wheels through zig, and their audit.
.venv/bin/python -m pip install -q "ziglang==0.17.1" "auditwheel>=6.8,<7"
VIRTUAL_ENV=$PWD/.venv PATH=$PWD/.venv/bin:$PATH maturin develop -q ${POKE_RELEASE:+--release}
