//===- Float16.cpp - IEEE binary16 conversions ----------------------------===//

#include "bitmod/Sim/Float16.h"

#include <cmath>
#include <cstring>

using namespace bitmod::sim;

float bitmod::sim::halfToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t man = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (man << 13);
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (man << 13);
  } else if (man == 0) {
    bits = sign;
  } else {
    // Subnormal half: man * 2^-24, exactly representable as a float.
    float v = std::ldexp(float(man), -24);
    std::memcpy(&bits, &v, 4);
    bits |= sign;
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

/// Rounds |d| (finite, non-negative) to the binary16 magnitude pattern.
static uint16_t roundMagnitude(double a) {
  if (a == 0)
    return 0;
  int e;
  std::frexp(a, &e); // a = f * 2^e, f in [0.5, 1)
  // Quantum of the result: normal halves have 11 significant bits, the
  // exponent of the LSB is e - 11; subnormals have LSB 2^-24.
  int lsbExp = e - 11;
  if (lsbExp < -24)
    lsbExp = -24;
  double q = std::ldexp(a, -lsbExp); // exact (power-of-two scaling)
  double r = std::nearbyint(q);      // default mode: round half to even
  uint64_t m = uint64_t(r);
  // m * 2^lsbExp; renormalize to a half pattern.
  if (lsbExp == -24) {
    // Subnormal or smallest normal: m < 2^11 and the pattern is m itself
    // (m == 1024 is the smallest normal, whose pattern is 0x0400).
    return uint16_t(m);
  }
  if (m == 2048) { // rounding carried into the next binade
    m = 1024;
    ++lsbExp;
  }
  int biasedExp = lsbExp + 10 + 15; // value = m * 2^lsbExp, m in [1024,2048)
  if (biasedExp >= 31)
    return 0x7c00; // overflow to infinity
  return uint16_t((biasedExp << 10) | (m - 1024));
}

uint16_t bitmod::sim::doubleToHalf(double d) {
  if (std::isnan(d))
    return std::signbit(d) ? 0xfe00 : 0x7e00;
  uint16_t sign = std::signbit(d) ? 0x8000 : 0;
  double a = std::fabs(d);
  if (std::isinf(a))
    return sign | 0x7c00;
  return sign | roundMagnitude(a);
}

uint16_t bitmod::sim::floatToHalf(float f) {
  // A float is exactly a double, so this is a single rounding.
  return doubleToHalf(double(f));
}
