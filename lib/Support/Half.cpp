//===- Half.cpp - IEEE binary16 conversions -------------------------------===//

#include "bitmod/Support/Half.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace bitmod;

float support::halfToFloat(uint16_t bits) {
  uint32_t sign = (bits >> 15) & 1;
  uint32_t exp = (bits >> 10) & 0x1f;
  uint32_t man = bits & 0x3ff;
  float mag;
  if (exp == 0)
    mag = std::ldexp(static_cast<float>(man), -24);
  else if (exp == 31)
    mag = man ? NAN : INFINITY;
  else
    mag =
        std::ldexp(static_cast<float>(man | 0x400), static_cast<int>(exp) - 25);
  return sign ? -mag : mag;
}

uint16_t support::floatToHalf(float value) {
  uint32_t f;
  std::memcpy(&f, &value, sizeof(f));
  uint16_t sign = static_cast<uint16_t>((f >> 16) & 0x8000);
  uint32_t exp = (f >> 23) & 0xff;
  uint32_t man = f & 0x7fffff;
  if (exp == 0xff) // inf or nan
    return sign | 0x7c00 | (man ? 0x200 : 0);
  int e = static_cast<int>(exp) - 127 + 15;
  if (e >= 31)
    return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero): value = mant24 * 2^(exp-150), half unit 2^-24.
    if (e < -10)
      return sign; // Rounds to zero (below half of the smallest subnormal).
    uint32_t m = man | 0x800000;
    unsigned shift = static_cast<unsigned>(14 - e);
    uint32_t q = m >> shift;
    uint32_t rem = m & ((1u << shift) - 1);
    uint32_t half = 1u << (shift - 1);
    if (rem > half || (rem == half && (q & 1)))
      ++q;
    return sign | static_cast<uint16_t>(q);
  }
  uint32_t q = (static_cast<uint32_t>(e) << 10) | (man >> 13);
  uint32_t rem = man & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (q & 1)))
    ++q; // May carry into the exponent, up to inf: correct.
  return sign | static_cast<uint16_t>(q);
}

float support::bfloat16ToFloat(uint16_t bits) {
  uint32_t f = static_cast<uint32_t>(bits) << 16;
  float value;
  std::memcpy(&value, &f, sizeof(value));
  return value;
}

uint16_t support::floatToBFloat16(float value) {
  uint32_t f;
  std::memcpy(&f, &value, sizeof(f));
  if ((f & 0x7f800000u) == 0x7f800000u && (f & 0x7fffffu)) // nan: keep quiet
    return static_cast<uint16_t>((f >> 16) | 0x40);
  uint32_t rem = f & 0xffff;
  uint32_t q = f >> 16;
  if (rem > 0x8000 || (rem == 0x8000 && (q & 1)))
    ++q; // May carry into the exponent, up to inf: correct.
  return static_cast<uint16_t>(q);
}

/// Rounds a finite, non-negative |a| to the binary16 magnitude pattern.
static uint16_t roundHalfMagnitude(double a) {
  if (a == 0)
    return 0;
  int e;
  std::frexp(a, &e); // a = f * 2^e, f in [0.5, 1)
  // Normal halves have 11 significant bits (LSB exponent e - 11);
  // subnormals have LSB 2^-24.
  int lsbExp = std::max(e - 11, -24);
  double r = std::nearbyint(std::ldexp(a, -lsbExp)); // exact scaling, RNE
  uint64_t m = static_cast<uint64_t>(r);
  if (lsbExp == -24) // subnormal or the smallest normal (m == 1024)
    return static_cast<uint16_t>(m);
  if (m == 2048) { // rounding carried into the next binade
    m = 1024;
    ++lsbExp;
  }
  int biasedExp = lsbExp + 10 + 15; // value = m * 2^lsbExp, m in [1024, 2048)
  if (biasedExp >= 31)
    return 0x7c00;
  return static_cast<uint16_t>((biasedExp << 10) | (m - 1024));
}

uint16_t support::doubleToHalf(double value) {
  if (std::isnan(value))
    return std::signbit(value) ? 0xfe00 : 0x7e00;
  uint16_t sign = std::signbit(value) ? 0x8000 : 0;
  double a = std::fabs(value);
  if (std::isinf(a))
    return sign | 0x7c00;
  return sign | roundHalfMagnitude(a);
}
