#!/usr/bin/env bash
# The fuzz targets of fuzz/ (cargo-fuzz, libFuzzer) over the core's decoders of network and user
# bytes (issue 20).
#
#   bash scripts/fuzz.sh smoke                  # the test command's step: 30 s per target
#   bash scripts/fuzz.sh run SECONDS [TARGET…]  # long runs (figures in fuzz/README.md)
#
# Each run starts from the seeds of the unit tests (fuzz/seeds/<target>) and, for `run`, the
# corpus grown so far (fuzz/corpus/<target>, not in git). A crash fails the step and leaves its
# input in fuzz/artifacts/<target>/. One line per target goes to stdout (and $POKE_NOTES):
# executions, coverage (edges), features, corpus size.
#
# Needs a nightly toolchain and cargo-fuzz (installed from crates.io when missing); when either
# cannot be had, it says so on one line and exits 77 (reported as NOT RUN). The `fuzzing` hooks
# of the core are checked on the stable toolchain first, so they cannot rot unseen.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-smoke}
notes=${POKE_NOTES:-/dev/null}
not_run() { echo "fuzz: not run: $*"; echo "not run: $*" >>"$notes"; exit 77; }

case $mode in
  smoke) seconds=30; shift || true ;;
  run) seconds=${2:?seconds}; shift 2 ;;
  *) echo "usage: $0 smoke | run SECONDS [TARGET...]" >&2; exit 2 ;;
esac

cargo check -q -p poke-sdk --features fuzzing

if ! cargo +nightly --version >/dev/null 2>&1; then
  command -v rustup >/dev/null || not_run "no nightly toolchain and no rustup to install one"
  rustup toolchain install nightly --profile minimal >/dev/null 2>&1 \
    || not_run "the nightly toolchain could not be installed"
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz from crates.io"
  cargo install -q cargo-fuzz --locked >/dev/null 2>&1 || not_run "cargo-fuzz could not be installed"
fi

targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo fuzz list --fuzz-dir fuzz)
# The smoke build skips AddressSanitizer (the crate has no unsafe code) and optimises in
# parallel: it builds in a third of the time; long runs use the default (ASan) build.
build=()
if [ "$mode" = smoke ]; then
  build=(--sanitizer none --codegen-units 16 --target-dir fuzz/target/smoke)
fi
echo "fuzz: building ${#targets[@]} targets (cargo +nightly fuzz build ${build[*]})"
cargo +nightly fuzz build --fuzz-dir fuzz "${build[@]}" >/dev/null 2>fuzz/build.log \
  || { tail -30 fuzz/build.log; exit 1; }

failed=0
for t in "${targets[@]}"; do
  if [ "$mode" = smoke ]; then
    corpus=$(mktemp -d)
  else
    corpus=fuzz/corpus/$t
    mkdir -p "$corpus"
  fi
  log=fuzz/$t.log
  status=0
  cargo +nightly fuzz run --fuzz-dir fuzz "${build[@]}" "$t" "$corpus" "fuzz/seeds/$t" -- \
    -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 -timeout=20 \
    >"$log" 2>&1 || status=$?
  [ "$mode" = smoke ] && rm -rf "$corpus"
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$last")
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
  if [ "$status" -eq 0 ]; then
    line="$t: ${seconds} s, ${execs:-?} execs, cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}, peak RSS ${rss:-?} MB, no crash"
  else
    failed=1
    line="$t: CRASH after ${execs:-?} execs (log fuzz/$t.log, input in fuzz/artifacts/$t/)"
    grep -E "panicked at|ERROR: libFuzzer|SUMMARY" "$log" | head -5 || true
  fi
  echo "fuzz: $line"
  echo "$line" >>"$notes"
done
exit "$failed"
