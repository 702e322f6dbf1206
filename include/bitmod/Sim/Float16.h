//===- Float16.h - IEEE binary16 conversions --------------------*- C++ -*-===//
//
// Bit-exact IEEE 754 binary16 <-> binary32/binary64 conversions with
// round-to-nearest-even, used by the simulator for activations and outputs.
// Plain C++ (no MLIR, no compiler _Float16 support needed).
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_SIM_FLOAT16_H
#define BITMOD_SIM_FLOAT16_H

#include "bitmod/Support/Half.h"

#include <cstdint>

namespace bitmod {
namespace sim {

// One implementation of the conversions for the whole project.
using support::doubleToHalf;
using support::floatToHalf;
using support::halfToFloat;

/// True unless the pattern is +-inf or NaN.
inline bool isHalfFinite(uint16_t h) { return (h & 0x7c00u) != 0x7c00u; }

/// Rounds `f` to the nearest binary16 value and returns it as a float.
inline float roundToHalfPrecision(float f) {
  return halfToFloat(floatToHalf(f));
}

} // namespace sim
} // namespace bitmod

#endif // BITMOD_SIM_FLOAT16_H
