#!/usr/bin/env bash
# README command 2: every test suite (Rust, Python, drop-in compatibility, Kotlin/Swift).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
summary=()
# Exit status 77 means "not run" (a step whose tool is missing says why on one line): it is
# reported as NOT RUN, neither a pass nor a failure.
run() {
  local name=$1; shift
  echo "=== $name: $*"
  local status=0
  "$@" || status=$?
  case $status in
    0) summary+=("PASS $name") ;;
    77) summary+=("NOT RUN $name") ;;
    *) summary+=("FAIL $name") ;;
  esac
}
run lint bash -c 'cargo fmt --all --check && .venv/bin/ruff check python tests examples'
run clippy cargo clippy --workspace --all-targets --quiet -- -D warnings
run docs env RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --quiet -p poke -p poke-emulator
run rust cargo test --workspace --exclude poke-python --quiet
run rust-examples bash -c 'cargo run -q -p poke --example quickstart && cargo run -q -p poke --example sessions'
run python .venv/bin/python -m pytest -q python/tests
run types bash -c '.venv/bin/python -m mypy.stubtest poke && .venv/bin/python -m mypy --strict examples/'
run inspector-browser bash tests/inspector/run.sh
run compat bash tests/compat/run.sh
if [ -x bindings/run-foreign-tests.sh ]; then
  run foreign bash bindings/run-foreign-tests.sh
fi
run scenarios python3 tests/scenarios/check.py --strict
echo "=== summary"
printf '%s\n' "${summary[@]}"
! printf '%s\n' "${summary[@]}" | grep -q '^FAIL'
