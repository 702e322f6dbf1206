#!/usr/bin/env bash
# Runs one libFuzzer target (ASan + UBSan, clang 22) for a given time and
# prints its executions and findings.
#   fuzz/run_fuzz.sh TARGET [SECONDS] [BUILD_DIR]
# TARGET: bmod npy tensorproto accel-json dtype-config mlir onnx. SECONDS
# defaults to 120; BUILD_DIR to build-asan (configured by
# scripts/configure-asan.sh when missing; the target is built first). The
# committed seeds fuzz/corpus/TARGET are copied into BUILD_DIR/fuzz-work/
# TARGET, which keeps the grown corpus between runs; findings (crash-*,
# timeout-*, oom-*, leak-*) go to BUILD_DIR/fuzz-findings/TARGET/. Runs
# under nice -n ${BITMOD_FUZZ_NICE:-19} with a 10 s limit per input (a
# starved nice-19 fuzzer beside other work can exceed 10 s of wall time on
# an input that takes 0.1 s of CPU). Exits 1 on a finding.
set -euo pipefail
src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${1:?usage: fuzz/run_fuzz.sh TARGET [SECONDS] [BUILD_DIR]}"
seconds="${2:-120}"
build="${3:-$src/build-asan}"
case "$target" in
  bmod | onnx) max_len=65536 ;;
  mlir) max_len=16384 ;;
  npy | tensorproto | accel-json | dtype-config) max_len=4096 ;;
  *) echo "run_fuzz.sh: unknown target '$target' (bmod npy tensorproto" \
          "accel-json dtype-config mlir onnx)" >&2; exit 2 ;;
esac
# BITMOD_FUZZ_BUILD=0: run the binary as built (e.g. while another ninja
# builds in the same directory).
if [[ "${BITMOD_FUZZ_BUILD:-1}" != 0 ]]; then
  [[ -f "$build/build.ninja" ]] || "$src/scripts/configure-asan.sh" "$build" >&2
  nice -n 19 ninja -C "$build" "bitmod-fuzz-$target" >&2
fi
work="$build/fuzz-work/$target"
findings="$build/fuzz-findings/$target"
mkdir -p "$work" "$findings"
cp -n "$src/fuzz/corpus/$target"/* "$work"/ 2>/dev/null || true
dict=()
[[ -f "$src/fuzz/$target.dict" ]] && dict=("-dict=$src/fuzz/$target.dict")
log="$build/fuzz-findings/$target.log"
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
before=$(ls "$findings" | wc -l)
start=$(date +%s)
set +e
nice -n "${BITMOD_FUZZ_NICE:-19}" "$build/fuzz/bitmod-fuzz-$target" -max_total_time="$seconds" \
  -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" -print_final_stats=1 \
  -artifact_prefix="$findings/" "${dict[@]}" "$work" > "$log" 2>&1
status=$?
set -e
elapsed=$(( $(date +%s) - start ))
stat() { grep -E "^stat::$1:" "$log" | grep -Eo '[0-9]+$' | tail -1; }
after=$(ls "$findings" | wc -l)
new=$((after - before))
execs=$(stat number_of_executed_units)
echo "$target: ${execs:-0} executions in $elapsed s" \
     "($(( ${execs:-0} / (elapsed > 0 ? elapsed : 1) ))/s), coverage" \
     "$(grep -Eo 'cov: [0-9]+' "$log" | tail -1 | grep -Eo '[0-9]+') edges," \
     "corpus $(ls "$work" | wc -l) inputs, peak RSS $(stat peak_rss_mb) MB," \
     "findings: $new (exit $status)"
if (( new > 0 || status != 0 )); then
  ls -t "$findings" | head -n "$(( new > 0 ? new : 1 ))" | sed "s|^|  $findings/|"
  grep -E "^(==[0-9]+==ERROR|SUMMARY|.*runtime error)" "$log" | head -5 | sed 's/^/  /'
  echo "  log: $log"
  exit 1
fi
