//===- DatapathKernelsAVX512.cpp - Datapath group sums, avx512 build
//---------===//
//
// DatapathKernels.inc compiled for the avx512 instruction set (the flags are
// set in lib/Sim/CMakeLists.txt).
//
//===----------------------------------------------------------------------===//

#define BITMOD_DK_NS avx512
#include "DatapathKernels.inc"
