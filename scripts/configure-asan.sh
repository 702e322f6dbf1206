#!/usr/bin/env bash
# Configures the sanitizer build (default build-asan/): clang 22, -O1 -g,
# AddressSanitizer + UndefinedBehaviorSanitizer on everything the project
# compiles, libFuzzer coverage instrumentation and the fuzz/ targets
# (-DBITMOD_SANITIZE=ON -DBITMOD_FUZZ=ON, CMakeLists.txt). Used by
# scripts/run-tests.sh --sanitize and fuzz/run_fuzz.sh.
#   scripts/configure-asan.sh [BUILD_DIR]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build-asan}"
llvm=/usr/lib/llvm-22
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
cmake -S "$root" -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release \
  "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -g -DNDEBUG" \
  "-DCMAKE_C_FLAGS_RELEASE=-O1 -g -DNDEBUG" \
  -DCMAKE_CXX_COMPILER="$llvm/bin/clang++" -DCMAKE_C_COMPILER="$llvm/bin/clang" \
  -DMLIR_DIR="$llvm/lib/cmake/mlir" -DLLVM_DIR="$llvm/lib/cmake/llvm" \
  "${launcher[@]}" -DBITMOD_SANITIZE=ON -DBITMOD_FUZZ=ON
