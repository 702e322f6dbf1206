#!/usr/bin/env bash
# Checks the installed package and the .deb (ctest: bitmod-install).
#   test/install/run.sh BUILD_DIR SCRATCH_DIR
# 1. cmake --install into SCRATCH/prefix; 2. the out-of-tree consumer
# (test/install/consumer) configures against it with find_package(BitMoD),
# builds, and its pass walks the bitmod.grouped_matmul ops; 3. the installed
# Python package quantizes bit-identically to the installed bitmod-quant;
# 4. cpack -G DEB builds the .deb, whose control fields and extracted tree
# (dpkg-deb -x into SCRATCH/root) are checked, and the consumer is built
# again against the extracted tree.
set -euo pipefail
build=$(cd "$1" && pwd)
scratch=$2
src=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-/usr/bin/python3}
rm -rf "$scratch"
mkdir -p "$scratch"
scratch=$(cd "$scratch" && pwd)
launcher=()
command -v ccache > /dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

consumer() { # consumer BITMOD_DIR BUILD_DIR
  cmake -S "$src/consumer" -B "$2" -G Ninja -DBitMoD_DIR="$1" \
    "${launcher[@]}" > "$2.log" 2>&1 || { cat "$2.log"; exit 1; }
  ninja -C "$2" >> "$2.log" 2>&1 || { cat "$2.log"; exit 1; }
  out=$("$2/count-grouped-matmul" "$src/consumer/input.mlir")
  echo "$out"
  grep -q '^grouped_matmul fc !bitmod.qweights<4x8, bitmod3' <<< "$out"
  grep -q '^count 1$' <<< "$out"
}

echo "== install"
prefix=$scratch/prefix
cmake --install "$build" --prefix "$prefix" > "$scratch/install.log"
for f in bin/bitmod-opt bin/bitmod-compile bin/bitmod-sim bin/bitmod-quant \
         bin/bitmod-translate lib/libMLIRBitMoD.a lib/libBitMoDQuant.a \
         lib/cmake/bitmod/BitMoDConfig.cmake lib/cmake/bitmod/BitMoDTargets.cmake \
         include/bitmod/Dialect/BitMoD/IR/BitMoDOps.td \
         include/bitmod/Dialect/BitMoD/IR/BitMoDOps.h.inc \
         include/bitmod/Quant/Quantizer.h lib/python3/dist-packages/bitmod/api.py; do
  test -e "$prefix/$f" || { echo "missing $f"; exit 1; }
done

echo "== consumer against the prefix"
consumer "$prefix/lib/cmake/bitmod" "$scratch/consumer"

echo "== Python from the prefix"
env -u BITMOD_BUILD_DIR -u BITMOD_TOOLS_DIR \
  PYTHONPATH="$prefix/lib/python3/dist-packages" "$python" - "$prefix" "$scratch" <<'PY'
import os, subprocess, sys
import numpy as np
import bitmod
prefix, scratch = sys.argv[1], sys.argv[2]
assert bitmod._core.__file__.startswith(prefix), bitmod._core.__file__
assert bitmod.tools_dir() == os.path.join(prefix, "bin"), bitmod.tools_dir()
w = np.random.default_rng(0).standard_normal((64, 512)).astype(np.float32)
np.save(os.path.join(scratch, "w.npy"), w)
subprocess.run([bitmod.find_tool("bitmod-quant"), "--dtype=bitmod3",
                os.path.join(scratch, "w.npy"), "-o",
                os.path.join(scratch, "q.npy")], check=True,
               capture_output=True)
ref = np.load(os.path.join(scratch, "q.npy"))
got = bitmod.fake_quantize(w, "bitmod3")
assert np.array_equal(got.view(np.uint32), ref.view(np.uint32))
print("python package: bit-identical to bitmod-quant")
PY

echo "== installed bitmod-compile builds model.sim against the installed runtime"
"$python" "$src/../e2e/Inputs/make_model.py" mlp "$scratch/mlp.onnx"
"$python" "$src/../e2e/Inputs/make_model.py" input "$scratch/x.npy" 4x256
# The compile command line (printed when the compiler fails) names the
# prefix's headers and libraries, not the build tree's.
cmd=$("$prefix/bin/bitmod-compile" "$scratch/mlp.onnx" -o "$scratch/sim" \
        --quiet --cxx=/bin/false 2>&1 || true)
grep -q -- "-I$prefix/include " <<< "$cmd" || { echo "$cmd"; exit 1; }
grep -q -- " $prefix/lib/libBitMoDRuntime.a " <<< "$cmd" || { echo "$cmd"; exit 1; }
# (The prefix may lie inside the build tree: look for the build tree's own
# library and header directories.)
if grep -qE -- "($build/lib/|-I$(cd "$src/../.." && pwd)/include )" <<< "$cmd"; then
  echo "$cmd"; exit 1
fi
"$prefix/bin/bitmod-compile" "$scratch/mlp.onnx" -o "$scratch/sim" --quiet \
  --cxx-flags=-O0
"$scratch/sim/model.sim" --input "x=$scratch/x.npy" \
  --output-dir "$scratch/sim/out" > /dev/null
test -f "$scratch/sim/out/y.npy"
echo "model.sim built against $prefix and run"

echo "== cpack -G DEB"
(cd "$scratch" && cpack -G DEB --config "$build/CPackConfig.cmake" \
   -B "$scratch/deb" > "$scratch/cpack.log" 2>&1) || { cat "$scratch/cpack.log"; exit 1; }
deb=$(ls "$scratch"/deb/bitmod-mlir_*.deb)
echo "$deb"
info=$(dpkg-deb -I "$deb")
grep -q '^ Package: bitmod-mlir$' <<< "$info"
grep -q '^ Version: ' <<< "$info"
grep -q '^ Depends: .*libmlir-22-dev' <<< "$info"
grep -q '^ Depends: .*llvm-22-dev' <<< "$info"
dpkg-deb -x "$deb" "$scratch/root"
test -x "$scratch/root/usr/bin/bitmod-opt"
test -f "$scratch/root/usr/lib/cmake/bitmod/BitMoDConfig.cmake"
test -f "$scratch/root/usr/lib/python3/dist-packages/bitmod/__init__.py"
"$scratch/root/usr/bin/bitmod-opt" "$src/consumer/input.mlir" > /dev/null

echo "== consumer against the extracted .deb"
consumer "$scratch/root/usr/lib/cmake/bitmod" "$scratch/consumer-deb"
echo "OK"
