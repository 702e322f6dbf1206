//===- DatapathKernelsGeneric.cpp - Datapath group sums, generic build
//---------===//
//
// DatapathKernels.inc compiled for the generic instruction set (the flags are
// set in lib/Sim/CMakeLists.txt).
//
//===----------------------------------------------------------------------===//

#define BITMOD_DK_NS generic
#include "DatapathKernels.inc"
