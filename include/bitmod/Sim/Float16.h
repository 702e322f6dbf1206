//===- Float16.h - IEEE binary16 conversions --------------------*- C++ -*-===//
//
// Bit-exact IEEE 754 binary16 <-> binary32/binary64 conversions with
// round-to-nearest-even, used by the simulator for activations and outputs.
// Plain C++ (no MLIR, no compiler _Float16 support needed).
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_SIM_FLOAT16_H
#define BITMOD_SIM_FLOAT16_H

#include <cstdint>

namespace bitmod {
namespace sim {

/// Exact widening of a binary16 bit pattern (subnormals, +-inf and NaN
/// preserved; NaN payloads are kept in the upper mantissa bits).
float halfToFloat(uint16_t h);

/// Rounds a float to binary16 with round-to-nearest-even. Values beyond the
/// largest finite half (65504) round to +-inf as IEEE requires; NaN stays NaN
/// (quiet). Subnormal halves are produced exactly rounded.
uint16_t floatToHalf(float f);

/// Rounds a double to binary16 directly (single rounding, no double rounding
/// through float).
uint16_t doubleToHalf(double d);

/// True unless the pattern is +-inf or NaN.
inline bool isHalfFinite(uint16_t h) { return (h & 0x7c00u) != 0x7c00u; }

/// Rounds `f` to the nearest binary16 value and returns it as a float.
inline float roundToHalfPrecision(float f) {
  return halfToFloat(floatToHalf(f));
}

} // namespace sim
} // namespace bitmod

#endif // BITMOD_SIM_FLOAT16_H
