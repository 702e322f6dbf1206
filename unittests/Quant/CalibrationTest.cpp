//===- CalibrationTest.cpp - AWQ / GPTQ / calibration statistics ----------===//
//
// Properties of the calibration-aware quantizers that do not need a second
// implementation (the numpy cross-check is python/tests/test_calib.py):
// GPTQ with a diagonal Hessian is round-to-nearest bit for bit, the packed
// GPTQ result dequantizes to the values it compensated for, AWQ never loses
// to round-to-nearest on its objective, and the statistics paths.
//
//===----------------------------------------------------------------------===//

#include "bitmod/Quant/Calibration.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "gtest/gtest.h"

#include <cmath>
#include <random>

using namespace bitmod::quant;

namespace {

std::vector<float> randomMatrix(std::mt19937 &rng, int64_t rows, int64_t cols,
                                float sigma) {
  std::normal_distribution<float> dist(0.0f, sigma);
  std::vector<float> v(rows * cols);
  for (float &x : v)
    x = dist(rng);
  return v;
}

LayerStats statsOf(const std::vector<float> &x, int64_t T, int64_t K) {
  LayerStats s("fc", K);
  EXPECT_FALSE(static_cast<bool>(s.accumulate(x, T)));
  return s;
}

QuantConfig config(DataType dtype, unsigned G) {
  QuantConfig c;
  c.dtype = dtype;
  c.groupSize = G;
  c.numThreads = 1;
  return c;
}

const DataType kTypes[] = {DataType::bitmod3,   DataType::bitmod4,
                           DataType::int3_asym, DataType::int4_asym,
                           DataType::int8,      DataType::mxfp4};

TEST(CalibrationTest, GPTQWithDiagonalHessianIsRTN) {
  std::mt19937 rng(11);
  int64_t N = 12, K = 72;
  std::vector<float> w = randomMatrix(rng, N, K, 0.05f);
  LayerStats stats("fc", K);
  stats.count = 10;
  for (int64_t k = 0; k < K; ++k) {
    stats.gram[k * K + k] = 1.0 + k; // diagonal: no compensation
    stats.sumAbs[k] = 1;
  }
  for (DataType t : kTypes) {
    QuantConfig cfg = config(t, 32);
    auto rtn = quantize(w, N, K, cfg);
    ASSERT_TRUE(static_cast<bool>(rtn));
    for (bool actOrder : {false, true}) {
      GPTQOptions opt;
      opt.actOrder = actOrder;
      auto g = quantizeGPTQ(w, N, K, cfg, stats, opt);
      ASSERT_TRUE(static_cast<bool>(g)) << llvm::toString(g.takeError());
      EXPECT_EQ(serializePacked(g->packed), serializePacked(*rtn))
          << getName(t) << " act-order " << actOrder;
    }
  }
}

TEST(CalibrationTest, GPTQPackedMatchesItsError) {
  std::mt19937 rng(5);
  int64_t N = 16, K = 96, T = 200;
  std::vector<float> w = randomMatrix(rng, N, K, 0.05f);
  std::vector<float> x = randomMatrix(rng, T, K, 1.0f);
  for (int64_t t = 0; t < T; ++t)
    x[t * K + 3] *= 8; // correlated, salient channel
  LayerStats stats = statsOf(x, T, K);
  for (DataType t : kTypes) {
    auto g = quantizeGPTQ(w, N, K, config(t, 32), stats);
    ASSERT_TRUE(static_cast<bool>(g)) << llvm::toString(g.takeError());
    double err = getOutputError(w, getEffectiveWeights(*g), N, K, stats);
    EXPECT_NEAR(err, g->error, 1e-6 * g->error) << getName(t);
    EXPECT_LT(g->error, g->rtnError) << getName(t);
  }
}

TEST(CalibrationTest, AWQNeverWorseThanRTN) {
  std::mt19937 rng(9);
  int64_t N = 24, K = 64, T = 128;
  std::vector<float> w = randomMatrix(rng, N, K, 0.05f);
  std::vector<float> x = randomMatrix(rng, T, K, 1.0f);
  for (int64_t t = 0; t < T; ++t)
    x[t * K + 7] *= 25;
  LayerStats stats = statsOf(x, T, K);
  for (DataType t : kTypes) {
    auto a = quantizeAWQ(w, N, K, config(t, 32), stats);
    ASSERT_TRUE(static_cast<bool>(a)) << llvm::toString(a.takeError());
    EXPECT_LE(a->error, a->rtnError) << getName(t);
    double err = getOutputError(w, getEffectiveWeights(*a), N, K, stats);
    EXPECT_NEAR(err, a->error, 1e-4 * a->error) << getName(t);
    EXPECT_EQ(a->inputScale.empty(), a->alpha == 0);
  }
}

TEST(CalibrationTest, SingularHessianAndErrors) {
  int64_t N = 4, K = 16;
  std::vector<float> w(N * K, 0.25f);
  w[5] = -0.5f;
  // One sample: rank-1 Gram matrix; dampening makes it definite.
  std::vector<float> x(K, 1.0f);
  LayerStats stats = statsOf(x, 1, K);
  auto g = quantizeGPTQ(w, N, K, config(DataType::bitmod3, 8), stats);
  EXPECT_TRUE(static_cast<bool>(g)) << llvm::toString(g.takeError());
  // Empty set.
  LayerStats empty("fc", K);
  auto e = quantizeGPTQ(w, N, K, config(DataType::bitmod3, 8), empty);
  ASSERT_FALSE(static_cast<bool>(e));
  EXPECT_NE(llvm::toString(e.takeError()).find("empty calibration set"),
            std::string::npos);
  // NaN activation.
  std::vector<float> bad(2 * K, 1.0f);
  bad[K + 3] = NAN;
  LayerStats s("fc", K);
  llvm::Error err = s.accumulate(bad, 2);
  ASSERT_TRUE(static_cast<bool>(err));
  EXPECT_NE(llvm::toString(std::move(err))
                .find("non-finite activation nan at row 1, channel 3"),
            std::string::npos);
  // K mismatch.
  LayerStats other("fc", K + 1);
  other.count = 1;
  auto m = quantizeAWQ(w, N, K, config(DataType::bitmod3, 8), other);
  ASSERT_FALSE(static_cast<bool>(m));
  EXPECT_NE(llvm::toString(m.takeError()).find("have K = 17"),
            std::string::npos);
}

TEST(CalibrationTest, StatsRoundTrip) {
  std::mt19937 rng(3);
  int64_t K = 24;
  std::vector<float> x = randomMatrix(rng, 40, K, 2.0f);
  CalibStats all;
  all.layers.push_back(statsOf(x, 40, K));
  all.layers.back().name = "a/b.c";
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("calib-stats", dir));
  ASSERT_FALSE(static_cast<bool>(writeCalibStats(dir, all)));
  auto back = readCalibStats(dir);
  ASSERT_TRUE(static_cast<bool>(back)) << llvm::toString(back.takeError());
  ASSERT_EQ(back->layers.size(), 1u);
  const LayerStats *l = back->lookup("a/b.c");
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->count, 40);
  EXPECT_EQ(l->gram, all.layers[0].gram);
  EXPECT_EQ(l->sumAbs, all.layers[0].sumAbs);
  llvm::sys::fs::remove_directories(dir);
}

} // namespace
