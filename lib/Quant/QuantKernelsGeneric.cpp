//===- QuantKernelsGeneric.cpp - Quantizer row kernels, generic build
//-----------===//
//
// QuantKernels.inc compiled for the generic instruction set (the flags are set
// in lib/Quant/CMakeLists.txt).
//
//===----------------------------------------------------------------------===//

#define BITMOD_QK_NS generic
#include "QuantKernels.inc"
