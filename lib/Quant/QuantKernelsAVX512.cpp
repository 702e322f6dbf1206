//===- QuantKernelsAVX512.cpp - Quantizer row kernels, avx512 build
//-----------===//
//
// QuantKernels.inc compiled for the avx512 instruction set (the flags are set
// in lib/Quant/CMakeLists.txt).
//
//===----------------------------------------------------------------------===//

#define BITMOD_QK_NS avx512
#include "QuantKernels.inc"
