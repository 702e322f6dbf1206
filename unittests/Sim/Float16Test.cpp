//===- Float16Test.cpp ----------------------------------------------------===//

#include "bitmod/Sim/Float16.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <random>

using namespace bitmod::sim;

TEST(Float16, RoundTripsEveryPattern) {
  for (uint32_t h = 0; h < 65536; ++h) {
    float f = halfToFloat(uint16_t(h));
    if (std::isnan(f)) {
      EXPECT_EQ(floatToHalf(f) & 0x7c00, 0x7c00);
      continue;
    }
    EXPECT_EQ(floatToHalf(f), h) << std::hex << h;
  }
}

TEST(Float16, KnownValues) {
  EXPECT_EQ(halfToFloat(0x3c00), 1.0f);
  EXPECT_EQ(halfToFloat(0x7bff), 65504.0f);
  EXPECT_EQ(halfToFloat(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(floatToHalf(65520.0f), 0x7c00); // rounds to inf
  EXPECT_EQ(floatToHalf(65519.0f), 0x7bff);
  EXPECT_EQ(floatToHalf(std::ldexp(1.0f, -25)), 0x0000); // tie to even (0)
  EXPECT_EQ(floatToHalf(std::ldexp(3.0f, -25)), 0x0002); // tie to even (2)
  EXPECT_EQ(floatToHalf(1.0f + std::ldexp(1.0f, -11)), 0x3c00);
  EXPECT_EQ(floatToHalf(1.0f + std::ldexp(3.0f, -11)), 0x3c02);
  EXPECT_EQ(floatToHalf(-0.0f), 0x8000);
}

TEST(Float16, RandomFloatsRoundToNearest) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> mant(-2.0f, 2.0f);
  std::uniform_int_distribution<int> ex(-30, 17);
  for (int i = 0; i < 200000; ++i) {
    float f = std::ldexp(mant(rng), ex(rng));
    uint16_t h = floatToHalf(f);
    float r = halfToFloat(h);
    if (std::isinf(r)) {
      EXPECT_GE(std::fabs(f), 65520.0f);
      continue;
    }
    // Neighbours are not closer.
    for (int d : {-1, 1}) {
      uint16_t n = uint16_t(h + d);
      if ((h & 0x7fff) == 0 && d == -1)
        continue;
      float nv = halfToFloat(n);
      if (std::isnan(nv) || std::isinf(nv) ||
          (std::signbit(nv) != std::signbit(r)))
        continue;
      double dr = std::fabs(double(f) - r), dn = std::fabs(double(f) - nv);
      EXPECT_TRUE(dr < dn || (dr == dn && (h & 1) == 0))
          << f << " -> " << r << " vs " << nv;
    }
  }
}
