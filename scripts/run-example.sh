#!/usr/bin/env bash
# The README main job. Sets everything up (packages, build), generates a
# small Llama-style decoder block (hidden 256, 4 heads, MLP 512, 16 tokens;
# examples/decoder_block.py), compiles it with bitmod-compile for bitmod3
# and as a float32 host-only reference (--dtype=none), runs both simulator
# binaries and prints the output error, cycles, and speedup and energy
# against the FP16, ANT and OliVe baselines.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BITMOD_BUILD_DIR:-$root/build}"
"$root/scripts/setup.sh"
bin="$build/bin"
py=/usr/bin/python3
out="$build/example"
dtype="${BITMOD_EXAMPLE_DTYPE:-bitmod3}"
rm -rf "$out"
mkdir -p "$out"

echo "== generating the decoder block"
"$py" "$root/examples/decoder_block.py" "$out" --hidden 256 --heads 4 \
  --intermediate 512 --seq 16

echo "== bitmod-compile --dtype=$dtype"
"$bin/bitmod-compile" "$out/decoder.onnx" -o "$out/$dtype" --dtype="$dtype" \
  --time-stages
echo "== bitmod-compile --dtype=none (float32 reference, host only)"
"$bin/bitmod-compile" "$out/decoder.onnx" -o "$out/fp32" --dtype=none --quiet

echo "== running"
"$out/$dtype/model.sim" --input x="$out/x.npy" --output-dir "$out/$dtype/out" \
  --report "$out/$dtype/report.json" --trace "$out/$dtype/trace.json" \
  --compare fp16,ant,olive
"$out/fp32/model.sim" --input x="$out/x.npy" --output-dir "$out/fp32/out"

ort_args=()
if node "$root/scripts/ort_run.js" "$out/decoder.onnx" --input x="$out/x.npy" \
     --output-dir "$out/ort" 2>/dev/null; then
  ort_args=(--ort "$out/ort/y.npy")
fi
echo
"$py" "$root/examples/summarize.py" --label "$dtype" --ref "$out/fp32/out/y.npy" \
  --out "$out/$dtype/out/y.npy" --report "$out/$dtype/report.json" \
  "${ort_args[@]}"
echo "artifacts (model.bmod, model.s, model.cpp, model.sim, report, trace) in $out/$dtype"
