#!/usr/bin/env bash
# README command 2: every test suite (Rust, Python, drop-in compatibility, Kotlin/Swift), then
# the packages as their users install them. Ends with one summary line per step (with its wall
# time) and the scenario matrix of this run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
target="${CARGO_TARGET_DIR:-$PWD/target}"
# Every runner records the scenarios it passed here; check.py reads only this run's records.
export POKE_SCENARIO_RESULTS="$target/scenario-results"
POKE_TEST_RUN="$(date +%s)-$$"
export POKE_TEST_RUN
rm -rf "$POKE_SCENARIO_RESULTS"
mkdir -p "$POKE_SCENARIO_RESULTS"
record() { python3 tests/scenarios/record.py "$@"; }

summary=()
# A step may add lines under its own in the summary by appending them to $POKE_NOTES. Exit
# status 77 means "not run" (a step whose tool is missing says why on one line): it is reported
# as NOT RUN, neither a pass nor a failure.
notes="$(mktemp -d)"
trap 'rm -rf "$notes"' EXIT
run() {
  local name=$1; shift
  local started=$SECONDS line status=0
  export POKE_NOTES="$notes/$name.txt"
  : >"$POKE_NOTES"
  echo "=== $name: $*"
  "$@" || status=$?
  case $status in
    0) summary+=("PASS $name ($((SECONDS - started)) s)") ;;
    77) summary+=("NOT RUN $name ($((SECONDS - started)) s)") ;;
    *) summary+=("FAIL $name ($((SECONDS - started)) s)") ;;
  esac
  while IFS= read -r line; do summary+=("  $line"); done <"$POKE_NOTES"
}
# cargo test's full output goes to a log (check.py needs each test's name); the console gets
# everything but the `... ok` lines.
# The Rust scenarios run in tests/consumer-rust (against the packaged crates), which records them.
rust_tests() {
  local log="$POKE_SCENARIO_RESULTS/cargo-test.log" rc=0
  cargo test --workspace --exclude poke-python 2>&1 | tee "$log" | grep -vE '^test .* \.\.\. ok$' || rc=$?
  return "$rc"
}
python_tests() {
  local xml="$POKE_SCENARIO_RESULTS/pytest-junit.xml" rc=0
  .venv/bin/python -m pytest -q python/tests --junitxml="$xml" || rc=$?
  record Python --junit "$xml" --note "pytest"
  return "$rc"
}
run lint bash -c 'cargo fmt --all --check && .venv/bin/ruff check python tests examples'
run clippy cargo clippy --workspace --all-targets --quiet -- -D warnings
run docs env RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --quiet -p poke-sdk -p poke-sdk-emulator -p poke-cli
# poke-sdk's other feature sets: no TLS at all, the fuzzing hooks, and the platform's TLS with the blocking API.
run features bash -c 'cargo check -q -p poke-sdk --no-default-features --lib && cargo clippy -q -p poke-sdk --features fuzzing --lib -- -D warnings && cargo clippy -q -p poke-sdk --no-default-features --features native-tls,blocking --all-targets -- -D warnings'
run public-api bash tests/public-api/run.sh
run msrv bash scripts/msrv.sh
# The `poke` command's tests (cli/tests: every command against the emulator, the tunnel
# transport) run in `rust`; its end-to-end FastMCP test (python/tests/test_cli_tunnel_e2e.py)
# in `python`. This step checks the tunnel agent against a real piko 0.7.0 server.
run rust rust_tests
run cli-piko bash scripts/piko-interop.sh
run rust-examples bash -c 'cargo run -q -p poke-sdk --example quickstart && cargo run -q -p poke-sdk --example sessions && cargo run -q -p poke-sdk --example skills_responses'
run python python_tests
run types bash -c '.venv/bin/python -m mypy.stubtest poke && .venv/bin/python -m mypy --strict examples/'
run inspector-browser bash tests/inspector/run.sh
run compat bash tests/compat/run.sh
if [ -x bindings/run-foreign-tests.sh ]; then
  run foreign bash bindings/run-foreign-tests.sh
fi
# Every language's API docs (rustdoc, Dokka, DocC) as artifacts under target/artifacts/docs.
run docs-artifacts bash scripts/docs.sh
# The packages as their users install them.
run python-packages bash tests/consumer-python/run.sh
run rust-package bash tests/consumer-rust/run.sh
# 30 s per fuzz target (NOT RUN without a nightly toolchain and cargo-fuzz).
run fuzz-smoke bash scripts/fuzz.sh smoke
run scenarios python3 tests/scenarios/check.py --strict
echo "=== summary"
echo "disk: target/ holds $(du -sh "$target" 2>/dev/null | cut -f1); $(df -h . | awk 'NR == 2 {print $4}') free"
printf '%s\n' "${summary[@]}"
! printf '%s\n' "${summary[@]}" | grep -q '^FAIL'
