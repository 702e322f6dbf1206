#!/bin/sh
# Builds fuzz/DecoderFuzzer.cpp with clang -fsanitize=fuzzer,address and runs
# it. Usage: fuzz/run_fuzz.sh [seconds] [build-dir]
# Seeds: every .bmod the lit tests' example generator can produce.
set -eu
SECONDS_TO_RUN=${1:-120}
SRC=$(cd "$(dirname "$0")/.." && pwd)
OUT=${2:-$SRC/build-fuzz}
CXX=/usr/lib/llvm-22/bin/clang++
mkdir -p "$OUT/corpus"
FLAGS="-std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-exceptions
  -I$SRC/include -I/usr/lib/llvm-22/include -D_GLIBCXX_USE_CXX11_ABI=1"
$CXX $FLAGS "$SRC/fuzz/DecoderFuzzer.cpp" "$SRC"/lib/ISA/*.cpp \
  "$SRC"/lib/Quant/*.cpp "$SRC"/lib/Support/*.cpp \
  -L/usr/lib/llvm-22/lib -lLLVM -Wl,-rpath,/usr/lib/llvm-22/lib -lpthread \
  -o "$OUT/DecoderFuzzer"
# Seed corpus from bitmod-sim if a build has it.
for SIM in "$SRC"/build*/bin/bitmod-sim; do
  if [ -x "$SIM" ]; then
    "$SIM" --make-linear dtype=int8,m=2,k=128,n=8 -o "$OUT/corpus/int8.bmod"
    "$SIM" --make-linear dtype=bitmod3,m=4,k=256,n=40 -o "$OUT/corpus/b3.bmod"
    "$SIM" --make-linear dtype=int4_asym,m=1,k=128,n=8 -o "$OUT/corpus/asym.bmod"
    break
  fi
done
"$OUT/DecoderFuzzer" -max_total_time="$SECONDS_TO_RUN" -max_len=65536 \
  -print_final_stats=1 "$OUT/corpus"
