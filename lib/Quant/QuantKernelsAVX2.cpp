//===- QuantKernelsAVX2.cpp - Quantizer row kernels, avx2 build -----------===//
//
// QuantKernels.inc compiled for the avx2 instruction set (the flags are set
// in lib/Quant/CMakeLists.txt).
//
//===----------------------------------------------------------------------===//

#define BITMOD_QK_NS avx2
#include "QuantKernels.inc"
