#!/usr/bin/env bash
# Runs every libFuzzer target for the same time, JOBS at a time (default 2,
# one per core), and prints fuzz/run_fuzz.sh's line for each, then the
# targets with findings. Exits 1 if any target had a finding.
#   fuzz/run_all.sh [SECONDS] [JOBS] [BUILD_DIR]
# $BITMOD_FUZZ_TARGETS (space-separated) limits the targets.
set -uo pipefail
src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-600}"
jobs="${2:-2}"
build="${3:-$src/build-asan}"
read -r -a targets <<< \
  "${BITMOD_FUZZ_TARGETS:-bmod npy tensorproto accel-json dtype-config mlir onnx}"
if [[ "${BITMOD_FUZZ_BUILD:-1}" != 0 ]]; then
  [[ -f "$build/build.ninja" ]] || "$src/scripts/configure-asan.sh" "$build" >&2
  nice -n 19 ninja -C "$build" "${targets[@]/#/bitmod-fuzz-}" >&2 || exit 1
fi
out="$(mktemp -d)"
start=$(date +%s)
printf '%s\n' "${targets[@]}" |
  BITMOD_FUZZ_BUILD=0 xargs -P "$jobs" -I{} sh -c \
    '"$0" {} "$1" "$2" > "$3/{}.txt" 2>&1; echo $? > "$3/{}.rc"' \
    "$src/fuzz/run_fuzz.sh" "$seconds" "$build" "$out"
failed=()
for t in "${targets[@]}"; do
  cat "$out/$t.txt"
  [[ "$(cat "$out/$t.rc")" == 0 ]] || failed+=("$t")
done
echo "all targets: ${#targets[@]} x $seconds s, $jobs at a time," \
     "$(( $(date +%s) - start )) s wall; findings in: ${failed[*]:-none}"
rm -rf "$out"
(( ${#failed[@]} == 0 ))
