//===- Half.h - IEEE binary16 conversions -----------------------*- C++ -*-===//
//
// Exact float <-> IEEE 754 binary16 (and bfloat16) conversions (round to
// nearest even, subnormals, inf and nan handled). Plain C++.
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_SUPPORT_HALF_H
#define BITMOD_SUPPORT_HALF_H

#include <cstdint>

namespace bitmod {
namespace support {

/// Converts binary16 bits to float (exact).
float halfToFloat(uint16_t bits);
/// Converts a float to binary16 bits, round to nearest even; overflow gives
/// +-inf, nan stays nan.
uint16_t floatToHalf(float value);
/// Converts bfloat16 bits (the upper half of a float32) to float (exact).
float bfloat16ToFloat(uint16_t bits);
/// Converts a float to bfloat16 bits, round to nearest even; overflow gives
/// +-inf, nan stays nan.
uint16_t floatToBFloat16(float value);
/// Rounds a double to binary16 directly (one rounding, no double rounding
/// through float), round to nearest even.
uint16_t doubleToHalf(double value);

} // namespace support
} // namespace bitmod

#endif // BITMOD_SUPPORT_HALF_H
