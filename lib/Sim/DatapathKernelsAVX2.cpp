//===- DatapathKernelsAVX2.cpp - Datapath group sums, avx2 build ---------===//
//
// DatapathKernels.inc compiled for the avx2 instruction set (the flags are
// set in lib/Sim/CMakeLists.txt).
//
//===----------------------------------------------------------------------===//

#define BITMOD_DK_NS avx2
#include "DatapathKernels.inc"
