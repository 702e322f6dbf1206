//===- QuantizerTest.cpp - Tests of the BitMoD quantizer ------------------===//
//
// Seeded randomized tests against a straightforward reference written here
// independently of the library (value sets spelled out, brute-force nearest
// value search, brute-force special-value search).
//
//===----------------------------------------------------------------------===//

#include "bitmod/Quant/Quantizer.h"
#include "bitmod/Quant/DataType.h"
#include "bitmod/Quant/SpecialValues.h"

#include "llvm/Support/ThreadPool.h"
#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

using namespace bitmod::quant;

namespace {

//===----------------------------------------------------------------------===//
// Reference quantizer
//===----------------------------------------------------------------------===//

std::vector<double> symmetric(std::vector<double> mags) {
  std::vector<double> v;
  for (double m : mags) {
    v.push_back(m);
    v.push_back(-m);
  }
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

std::vector<double> intSet(int bits) {
  std::vector<double> v;
  int q = (1 << (bits - 1)) - 1;
  for (int i = -q; i <= q; ++i)
    v.push_back(i);
  return v;
}

std::vector<double> minifloatSet(int e, int m) {
  std::vector<double> mags;
  for (int ex = 0; ex < (1 << e); ++ex)
    for (int mm = 0; mm < (1 << m); ++mm)
      mags.push_back(ex == 0 ? mm : ((1 << m) + mm) * std::pow(2.0, ex - 1));
  return symmetric(mags);
}

const std::vector<double> kFP3 = symmetric({0, 1, 2, 4});
const std::vector<double> kFP4 = symmetric({0, 1, 2, 3, 4, 6, 8, 12});

std::vector<double> withSV(std::vector<double> set, double sv) {
  set.push_back(sv);
  std::sort(set.begin(), set.end());
  return set;
}

/// Candidate value sets of a (non-asym) type, in selector order.
std::vector<std::vector<double>> refCandidates(DataType t) {
  switch (t) {
  case DataType::int3:
    return {intSet(3)};
  case DataType::int4:
  case DataType::mxint4:
    return {intSet(4)};
  case DataType::int5:
    return {intSet(5)};
  case DataType::int6:
    return {intSet(6)};
  case DataType::int8:
    return {intSet(8)};
  case DataType::fp3:
  case DataType::mxfp3:
    return {kFP3};
  case DataType::fp4:
  case DataType::mxfp4:
    return {kFP4};
  case DataType::fp3_er_pos:
    return {withSV(kFP3, 3)};
  case DataType::fp3_er_neg:
    return {withSV(kFP3, -3)};
  case DataType::fp3_ea_pos:
    return {withSV(kFP3, 6)};
  case DataType::fp3_ea_neg:
    return {withSV(kFP3, -6)};
  case DataType::fp4_er_pos:
    return {withSV(kFP4, 10)};
  case DataType::fp4_er_neg:
    return {withSV(kFP4, -10)};
  case DataType::fp4_ea_pos:
    return {withSV(kFP4, 16)};
  case DataType::fp4_ea_neg:
    return {withSV(kFP4, -16)};
  case DataType::bitmod3:
    return {withSV(kFP3, 3), withSV(kFP3, -3), withSV(kFP3, 6),
            withSV(kFP3, -6)};
  case DataType::bitmod4:
    return {withSV(kFP4, 10), withSV(kFP4, -10), withSV(kFP4, 16),
            withSV(kFP4, -16)};
  case DataType::flint4:
    return {symmetric({0, 1, 2, 3, 4, 6, 8, 16})};
  case DataType::fp5_e2m2:
    return {minifloatSet(2, 2)};
  case DataType::fp5_e3m1:
    return {minifloatSet(3, 1)};
  case DataType::fp6_e2m3:
    return {minifloatSet(2, 3)};
  case DataType::fp6_e3m2:
    return {minifloatSet(3, 2)};
  default:
    return {};
  }
}

/// Brute-force nearest value; exact midpoints go to the smaller value.
double nearest(const std::vector<double> &set, float x) {
  double best = set[0];
  double bestD = std::fabs(static_cast<double>(x) - best);
  for (double v : set) { // ascending: strict < keeps the smaller on ties
    double d = std::fabs(static_cast<double>(x) - v);
    if (d < bestD) {
      bestD = d;
      best = v;
    }
  }
  return best;
}

/// Nearest integer, ties to the smaller one (brute force over floor/ceil).
double nearestInt(double x) {
  double lo = std::floor(x), hi = lo + 1;
  return (x - lo) <= (hi - x) ? lo : hi;
}

struct RefResult {
  std::vector<float> deq;
  std::vector<unsigned> selectors; // [N][numGroups]
};

RefResult referenceQuantize(
    const std::vector<float> &w, int64_t N, int64_t K, DataType t, unsigned G,
    unsigned scaleBits,
    const std::vector<std::vector<double>> *candidateSets = nullptr) {
  bool mx = isMXType(t);
  if (mx)
    G = 32;
  int64_t numGroups = (K + G - 1) / G;
  RefResult r;
  r.deq.assign(N * K, 0.0f);
  r.selectors.assign(N * numGroups, 0);
  float scaleMax =
      scaleBits ? static_cast<float>((1 << (scaleBits - 1)) - 1) : 0.0f;
  bool asym = isAsymmetric(t);
  int L = asym ? (1 << getCodeBits(t)) - 1 : 0;
  auto cands = candidateSets ? *candidateSets : refCandidates(t);
  std::vector<float> qmax;
  for (auto &c : cands) {
    double m = 0;
    for (double v : c)
      m = std::max(m, std::fabs(v));
    qmax.push_back(static_cast<float>(m));
  }
  if (asym)
    qmax = {static_cast<float>(L)};

  for (int64_t n = 0; n < N; ++n) {
    const float *row = w.data() + n * K;
    std::vector<float> am(numGroups), mn(numGroups), mxv(numGroups);
    for (int64_t g = 0; g < numGroups; ++g) {
      int64_t b = g * G, e = std::min<int64_t>(K, b + G);
      mn[g] = mxv[g] = row[b];
      for (int64_t k = b; k < e; ++k) {
        mn[g] = std::min(mn[g], row[k]);
        mxv[g] = std::max(mxv[g], row[k]);
      }
      am[g] = std::max(std::fabs(mn[g]), std::fabs(mxv[g]));
    }
    // Float scales and the channel scale.
    auto floatScale = [&](int64_t g, size_t c) {
      if (asym) {
        float range = mxv[g] - mn[g];
        if (range == 0)
          range = am[g];
        return range / qmax[0];
      }
      return am[g] / qmax[c];
    };
    float S = 0;
    for (int64_t g = 0; g < numGroups; ++g)
      for (size_t c = 0; c < qmax.size(); ++c)
        S = std::max(S, floatScale(g, c));
    S = S / scaleMax;
    for (int64_t g = 0; g < numGroups; ++g) {
      int64_t b = g * G, end = std::min<int64_t>(K, b + G);
      if (am[g] == 0)
        continue; // all zero: deq 0, selector 0
      if (mx) {
        int X = static_cast<int>(std::floor(std::log2(am[g]))) -
                static_cast<int>(std::floor(std::log2(qmax[0])));
        X = std::clamp(X, -127, 127);
        float e = static_cast<float>(std::pow(2.0, X));
        for (int64_t k = b; k < end; ++k)
          r.deq[n * K + k] =
              static_cast<float>(nearest(cands[0], row[k] / e)) * e;
        continue;
      }
      double bestErr = INFINITY;
      for (size_t c = 0; c < qmax.size(); ++c) {
        float s = floatScale(g, c);
        float e = s;
        if (scaleBits) {
          double q = nearestInt(static_cast<double>(s / S));
          q = std::clamp(q, 1.0, static_cast<double>(scaleMax));
          e = static_cast<float>(q) * S;
        }
        std::vector<float> d(end - b);
        if (asym) {
          double zp = std::clamp(nearestInt(-mn[g] / e), 0.0, double(L));
          for (int64_t k = b; k < end; ++k) {
            double code =
                std::clamp(nearestInt(row[k] / e) + zp, 0.0, double(L));
            d[k - b] = static_cast<float>(code - zp) * e;
          }
        } else {
          for (int64_t k = b; k < end; ++k)
            d[k - b] = static_cast<float>(nearest(cands[c], row[k] / e)) * e;
        }
        double err = 0;
        for (int64_t k = b; k < end; ++k) {
          double diff = double(row[k]) - double(d[k - b]);
          err += diff * diff;
        }
        if (err < bestErr) {
          bestErr = err;
          r.selectors[n * numGroups + g] = static_cast<unsigned>(c);
          std::copy(d.begin(), d.end(), r.deq.begin() + n * K + b);
        }
      }
    }
  }
  return r;
}

std::vector<float> randomMatrix(int64_t N, int64_t K, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_real_distribution<float> uni(0.01f, 3.0f);
  std::vector<float> w(N * K);
  for (int64_t n = 0; n < N; ++n) {
    float rowScale = uni(rng);
    for (int64_t k = 0; k < K; ++k)
      w[n * K + k] = normal(rng) * rowScale;
  }
  // A few outliers, and a positive-only group.
  w[std::min<int64_t>(3, K - 1)] = 9.5f;
  if (N > 1)
    w[K + std::min<int64_t>(7, K - 1)] = -11.0f;
  if (N > 2)
    for (int64_t k = 0; k < std::min<int64_t>(K, 32); ++k)
      w[2 * K + k] = std::fabs(w[2 * K + k]) + 0.5f;
  return w;
}

QuantConfig makeConfig(DataType t, unsigned G, unsigned scaleBits) {
  QuantConfig c;
  c.dtype = t;
  c.groupSize = G;
  c.scaleBits = scaleBits;
  c.tensorName = "w";
  return c;
}

double mseOf(const std::vector<float> &a, const std::vector<float> &b) {
  return computeStats(a, b).getMSE();
}

//===----------------------------------------------------------------------===//
// Tests
//===----------------------------------------------------------------------===//

TEST(DataTypeTest, NamesRoundTrip) {
  for (unsigned i = 0; i < kNumDataTypes; ++i) {
    DataType t = static_cast<DataType>(i);
    auto parsed = parseDataType(getName(t));
    ASSERT_TRUE(parsed.has_value()) << getName(t);
    EXPECT_EQ(*parsed, t);
  }
  EXPECT_EQ(parseDataType("int4-asym"), DataType::int4_asym);
  EXPECT_EQ(parseDataType("fp3-er-pos"), DataType::fp3_er_pos);
  EXPECT_FALSE(parseDataType("int7").has_value());
  EXPECT_NE(listDataTypeNames().find("bitmod3"), std::string::npos);
}

TEST(DataTypeTest, ValueSetsMatchReference) {
  for (unsigned i = 0; i < kNumDataTypes; ++i) {
    DataType t = static_cast<DataType>(i);
    if (t == DataType::fp16 || isAsymmetric(t) || hasSelector(t))
      continue;
    auto ref = refCandidates(t);
    ASSERT_EQ(ref.size(), 1u) << getName(t);
    EXPECT_EQ(getValueSet(t), ref[0]) << getName(t);
  }
  EXPECT_EQ(getValueSet(DataType::bitmod3), kFP3);
  EXPECT_EQ(getValueSet(DataType::bitmod4), kFP4);
  EXPECT_EQ(getQMax(DataType::fp4_ea_neg), 16.0);
  EXPECT_EQ(getQMax(DataType::fp6_e3m2), 448.0);
  // Special values occupy the negative-zero code.
  EXPECT_EQ(decodeCode(DataType::fp3_ea_neg, 0b100), -6.0);
  EXPECT_EQ(decodeCode(DataType::bitmod4, 0b1000, 1), -10.0);
  EXPECT_EQ(decodeCode(DataType::fp3, 0b100), 0.0);
  EXPECT_EQ(decodeCode(DataType::int4, 0b1001), -7.0);
  EXPECT_EQ(decodeCode(DataType::fp5_e2m2, 0b01001), 10.0);
}

class RandomVsReference
    : public ::testing::TestWithParam<std::tuple<unsigned, unsigned>> {};

TEST_P(RandomVsReference, MatchesBruteForce) {
  DataType t = static_cast<DataType>(std::get<0>(GetParam()));
  unsigned scaleBits = std::get<1>(GetParam());
  if (t == DataType::fp16)
    GTEST_SKIP();
  struct Shape {
    int64_t N, K;
    unsigned G;
  };
  for (Shape s : {Shape{6, 300, 128}, Shape{5, 64, 32}, Shape{4, 50, 16}}) {
    auto w = randomMatrix(s.N, s.K, 1234 + std::get<0>(GetParam()) + s.K);
    auto cfg = makeConfig(t, s.G, scaleBits);
    cfg.numThreads = 2;
    auto p = quantize(w, s.N, s.K, cfg);
    ASSERT_TRUE(bool(p)) << llvm::toString(p.takeError());
    auto deq = dequantize(*p);
    RefResult ref = referenceQuantize(w, s.N, s.K, t, s.G, scaleBits);
    for (int64_t i = 0; i < s.N * s.K; ++i)
      ASSERT_EQ(deq[i], ref.deq[i])
          << getName(t) << " sb=" << scaleBits << " K=" << s.K << " at ["
          << i / s.K << ", " << i % s.K << "] w=" << w[i];
    if (hasSelector(t)) {
      for (int64_t n = 0; n < s.N; ++n)
        for (int64_t g = 0; g < p->getNumGroups(); ++g) {
          EXPECT_EQ(p->getSelector(n, g),
                    ref.selectors[n * p->getNumGroups() + g]);
        }
    }
    // getValue agrees with dequantize.
    for (int64_t i = 0; i < s.N * s.K; i += 7)
      EXPECT_EQ(p->getValue(i / s.K, i % s.K), deq[i]);
  }
}

INSTANTIATE_TEST_SUITE_P(AllTypes, RandomVsReference,
                         ::testing::Combine(::testing::Range(0u, kNumDataTypes),
                                            ::testing::Values(0u, 8u, 5u)));

TEST(QuantizerTest, PackingLayoutLSBFirst) {
  for (DataType t : {DataType::int3, DataType::bitmod3, DataType::int5,
                     DataType::fp6_e3m2, DataType::int8, DataType::bitmod4}) {
    int64_t N = 3, K = 77;
    auto w = randomMatrix(N, K, 7);
    auto p = quantize(w, N, K, makeConfig(t, 32, 8));
    ASSERT_TRUE(bool(p));
    unsigned b = getCodeBits(t);
    EXPECT_EQ(p->layout.rowCodeBytes, (96 * b + 7) / 8);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t k = 0; k < p->layout.paddedK; ++k) {
        uint32_t code = 0;
        for (unsigned j = 0; j < b; ++j) {
          uint64_t bit = k * b + j;
          uint8_t byte = p->codes[n * p->layout.rowCodeBytes + bit / 8];
          code |= ((byte >> (bit % 8)) & 1u) << j;
        }
        EXPECT_EQ(code, p->getCode(n, k));
        if (k >= K) { // padding encodes 0
          EXPECT_EQ(decodeCode(t, code, p->getSelector(n, k / 32)), 0.0);
        }
      }
    if (hasSelector(t)) {
      for (int64_t n = 0; n < N; ++n)
        for (int64_t g = 0; g < 3; ++g) {
          EXPECT_EQ(p->getSelector(n, g),
                    (p->selectors[n * p->layout.rowSelectorBytes + g / 4] >>
                     (2 * (g % 4))) &
                        3u);
        }
    }
  }
}

TEST(QuantizerTest, AllZeroGroups) {
  for (unsigned i = 0; i < kNumDataTypes; ++i) {
    DataType t = static_cast<DataType>(i);
    int64_t N = 2, K = 96;
    auto w = randomMatrix(N, K, 3);
    std::fill(w.begin(), w.begin() + 32, 0.0f); // group 0 of row 0
    std::fill(w.begin() + K, w.end(), 0.0f);    // all of row 1
    for (unsigned sb : {0u, 8u}) {
      auto p = quantize(w, N, K, makeConfig(t, 32, sb));
      ASSERT_TRUE(bool(p)) << llvm::toString(p.takeError());
      auto deq = dequantize(*p);
      for (int64_t k = 0; k < 32; ++k)
        EXPECT_EQ(deq[k], 0.0f) << getName(t);
      for (int64_t k = K; k < 2 * K; ++k)
        EXPECT_EQ(deq[k], 0.0f) << getName(t);
      for (float v : deq)
        EXPECT_TRUE(std::isfinite(v));
      if (t != DataType::fp16) {
        EXPECT_EQ(p->getEffectiveScale(0, 0), 0.0f) << getName(t);
        EXPECT_EQ(p->getEffectiveScale(1, 2), 0.0f) << getName(t);
      }
      EXPECT_EQ(p->getSelector(0, 0), 0u);
    }
  }
}

TEST(QuantizerTest, NonMultipleOfGroupSizePads) {
  int64_t N = 2, K = 130;
  auto w = randomMatrix(N, K, 11);
  auto p = quantize(w, N, K, makeConfig(DataType::bitmod3, 128, 8));
  ASSERT_TRUE(bool(p));
  EXPECT_EQ(p->getNumGroups(), 2);
  EXPECT_EQ(p->layout.paddedK, 256);
  EXPECT_EQ(p->layout.rowCodeBytes, 96);
  auto deq = dequantize(*p);
  ASSERT_EQ(deq.size(), size_t(N * K));
  // The 2-column tail group keeps its columns (scale from 2 values).
  EXPECT_NE(deq[128], 0.0f);
  EXPECT_NE(deq[129], 0.0f);
}

TEST(QuantizerTest, NonFiniteIsAnError) {
  int64_t N = 4, K = 40;
  auto w = randomMatrix(N, K, 5);
  w[2 * K + 17] = NAN;
  w[3 * K + 1] = INFINITY;
  auto cfg = makeConfig(DataType::bitmod4, 16, 8);
  cfg.tensorName = "layers.0.q_proj";
  auto p = quantize(w, N, K, cfg);
  ASSERT_FALSE(bool(p));
  std::string msg = llvm::toString(p.takeError());
  EXPECT_NE(msg.find("layers.0.q_proj"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[2, 17]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("nan"), std::string::npos) << msg;
  // Row offset (streaming) is reflected; Inf is reported too.
  w[2 * K + 17] = 0.0f;
  auto p2 = quantize(w, N, K, cfg, /*rowOffset=*/100);
  ASSERT_FALSE(bool(p2));
  msg = llvm::toString(p2.takeError());
  EXPECT_NE(msg.find("[103, 1]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("inf"), std::string::npos) << msg;
}

TEST(QuantizerTest, ConfigErrors) {
  std::vector<float> w(64, 1.0f);
  auto cfg = makeConfig(DataType::int4, 0, 8);
  auto p = quantize(w, 2, 32, cfg);
  ASSERT_FALSE(bool(p));
  EXPECT_NE(llvm::toString(p.takeError()).find("group size"),
            std::string::npos);
  cfg = makeConfig(DataType::int4, 32, 3);
  p = quantize(w, 2, 32, cfg);
  ASSERT_FALSE(bool(p));
  EXPECT_NE(llvm::toString(p.takeError()).find("scale bits"),
            std::string::npos);
  p = quantize(w, 3, 32, makeConfig(DataType::int4, 32, 8));
  ASSERT_FALSE(bool(p)); // size mismatch
  llvm::consumeError(p.takeError());
  cfg = makeConfig(DataType::mxfp4, 32, 8);
  cfg.granularity = Granularity::PerChannel;
  p = quantize(w, 2, 32, cfg);
  ASSERT_FALSE(bool(p));
  llvm::consumeError(p.takeError());
}

TEST(QuantizerTest, SecondLevelScales) {
  int64_t N = 8, K = 512;
  auto w = randomMatrix(N, K, 21);
  for (DataType t : {DataType::bitmod3, DataType::int4_asym, DataType::int8}) {
    auto p = quantize(w, N, K, makeConfig(t, 128, 8));
    ASSERT_TRUE(bool(p));
    ASSERT_EQ(p->channelScales.size(), size_t(N));
    ASSERT_EQ(p->groupScaleCodes.size(), size_t(N * 4));
    for (int64_t n = 0; n < N; ++n) {
      int maxQ = 0;
      for (int64_t g = 0; g < 4; ++g) {
        int q = p->groupScaleCodes[n * 4 + g];
        EXPECT_GE(q, 1);
        EXPECT_LE(q, 127);
        maxQ = std::max(maxQ, q);
        EXPECT_EQ(p->getEffectiveScale(n, g),
                  static_cast<float>(q) * p->channelScales[n]);
      }
      if (!hasSelector(t)) { // the largest group maps to 127
        EXPECT_EQ(maxQ, 127) << getName(t);
      }
    }
  }
  // 4-bit scales: codes within 1..7.
  auto p = quantize(w, N, K, makeConfig(DataType::fp4, 128, 4));
  ASSERT_TRUE(bool(p));
  for (int8_t q : p->groupScaleCodes) {
    EXPECT_GE(q, 1);
    EXPECT_LE(q, 7);
  }
}

TEST(QuantizerTest, SelectorTieGoesToFirst) {
  // {4, 2, 1, 0}: exact under er_pos and er_neg (same scale, SV unused).
  std::vector<float> w = {4, 2, 1, 0, -1, -2, -4, 0};
  auto p = quantize(w, 1, 8, makeConfig(DataType::bitmod3, 8, 0));
  ASSERT_TRUE(bool(p));
  EXPECT_EQ(p->getSelector(0, 0), 0u);
  // {6, 3, ...}: ea_pos represents 6 and 3 exactly only with its SV... use
  // -6: ea_neg is the only exact candidate.
  std::vector<float> w2 = {-6, 4, 2, 1, 0, -1, -2, -4};
  p = quantize(w2, 1, 8, makeConfig(DataType::bitmod3, 8, 0));
  ASSERT_TRUE(bool(p));
  EXPECT_EQ(p->getSelector(0, 0), 3u);
  EXPECT_EQ(dequantize(*p), w2);
}

TEST(QuantizerTest, StreamingMatchesWhole) {
  int64_t N = 37, K = 200;
  auto w = randomMatrix(N, K, 99);
  for (Granularity gr : {Granularity::PerGroup, Granularity::PerTensor}) {
    auto cfg = makeConfig(DataType::bitmod4, 64, 8);
    cfg.granularity = gr;
    auto whole = quantize(w, N, K, cfg);
    ASSERT_TRUE(bool(whole));
    auto range = computeTensorRange(w, N, K, "w");
    ASSERT_TRUE(bool(range));
    cfg.tensorRange = *range;
    PackedWeights acc;
    llvm::DefaultThreadPool pool;
    for (int64_t r = 0; r < N; r += 10) {
      int64_t rows = std::min<int64_t>(10, N - r);
      auto blk = quantize(llvm::ArrayRef<float>(w).slice(r * K, rows * K), rows,
                          K, cfg, r, &pool);
      ASSERT_TRUE(bool(blk));
      ASSERT_FALSE(bool(appendRows(acc, *blk)));
    }
    EXPECT_EQ(acc.rows, N);
    EXPECT_EQ(acc.codes, whole->codes);
    EXPECT_EQ(acc.selectors, whole->selectors);
    EXPECT_EQ(acc.groupScaleCodes, whole->groupScaleCodes);
    EXPECT_EQ(acc.channelScales, whole->channelScales);
    EXPECT_EQ(dequantize(acc), dequantize(*whole));
  }
}

TEST(QuantizerTest, GranularitiesAndSpecialTypes) {
  int64_t N = 4, K = 100;
  auto w = randomMatrix(N, K, 8);
  auto cfg = makeConfig(DataType::int8, 128, 0);
  cfg.granularity = Granularity::PerChannel;
  auto p = quantize(w, N, K, cfg);
  ASSERT_TRUE(bool(p));
  EXPECT_EQ(p->getNumGroups(), 1);
  EXPECT_EQ(p->getGroupSize(), 100u);
  RefResult ref = referenceQuantize(w, N, K, DataType::int8, K, 0);
  EXPECT_EQ(dequantize(*p), ref.deq);
  cfg.granularity = Granularity::PerTensor;
  p = quantize(w, N, K, cfg);
  ASSERT_TRUE(bool(p));
  for (int64_t n = 1; n < N; ++n)
    EXPECT_EQ(p->getEffectiveScale(n, 0), p->getEffectiveScale(0, 0));
  // MX: group size forced to 32 regardless of the option.
  p = quantize(w, N, K, makeConfig(DataType::mxfp4, 128, 8));
  ASSERT_TRUE(bool(p));
  EXPECT_EQ(p->getGroupSize(), 32u);
  EXPECT_EQ(p->sharedExponents.size(), size_t(N * 4));
  EXPECT_TRUE(p->channelScales.empty());
  // fp16: a round-to-nearest-even cast.
  p = quantize(w, N, K, makeConfig(DataType::fp16, 128, 8));
  ASSERT_TRUE(bool(p));
  auto deq = dequantize(*p);
  for (int64_t i = 0; i < N * K; ++i)
    EXPECT_LE(std::fabs(deq[i] - w[i]), std::fabs(w[i]) * 0x1p-11f);
}

TEST(QuantizerTest, BlobLayoutAndBits) {
  EXPECT_DOUBLE_EQ(getNominalBitsPerWeight(DataType::bitmod3, 128, 8),
                   3 + 10.0 / 128);
  EXPECT_DOUBLE_EQ(getNominalBitsPerWeight(DataType::int4_asym, 128, 8),
                   4 + 16.0 / 128);
  EXPECT_DOUBLE_EQ(getNominalBitsPerWeight(DataType::mxfp4, 128, 8),
                   4 + 8.0 / 32);
  auto l = getBlobLayout(4096, 11008, makeConfig(DataType::bitmod3, 128, 8));
  ASSERT_TRUE(bool(l));
  EXPECT_EQ(l->numGroups, 86);
  EXPECT_EQ(l->rowCodeBytes, 86 * 128 * 3 / 8);
  EXPECT_EQ(l->selectorBytes, 4096 * 22);
  EXPECT_EQ(l->groupScaleCodeBytes, 4096 * 86);
  EXPECT_EQ(l->channelScaleBytes, 4096 * 4);
  int64_t N = 5, K = 333;
  auto w = randomMatrix(N, K, 1);
  for (unsigned i = 0; i < kNumDataTypes; ++i) {
    auto cfg = makeConfig(static_cast<DataType>(i), 64, i % 2 ? 0 : 8);
    auto lay = getBlobLayout(N, K, cfg);
    auto p = quantize(w, N, K, cfg);
    ASSERT_TRUE(bool(lay) && bool(p));
    EXPECT_EQ(int64_t(p->codes.size()), lay->codeBytes);
    EXPECT_EQ(int64_t(p->groupScaleCodes.size()), lay->groupScaleCodeBytes);
    EXPECT_EQ(int64_t(p->groupScales.size() * 4), lay->groupScaleFloatBytes);
    EXPECT_EQ(int64_t(p->channelScales.size() * 4), lay->channelScaleBytes);
    EXPECT_EQ(int64_t(p->selectors.size()), lay->selectorBytes);
    EXPECT_EQ(int64_t(p->zeroPoints.size()), lay->zeroPointBytes);
    EXPECT_EQ(int64_t(p->sharedExponents.size()), lay->sharedExponentBytes);
  }
}

TEST(QuantizerTest, SerializeRoundTrip) {
  int64_t N = 6, K = 150;
  auto w = randomMatrix(N, K, 4);
  for (DataType t : {DataType::bitmod3, DataType::int4_asym, DataType::mxfp4,
                     DataType::fp16, DataType::fp5_e3m1}) {
    for (unsigned sb : {0u, 8u}) {
      auto p = quantize(w, N, K, makeConfig(t, 64, sb));
      ASSERT_TRUE(bool(p));
      auto bytes = serializePacked(*p);
      auto q = deserializePacked(bytes);
      ASSERT_TRUE(bool(q)) << llvm::toString(q.takeError());
      EXPECT_EQ(dequantize(*q), dequantize(*p));
      EXPECT_EQ(q->codes, p->codes);
      bytes.resize(bytes.size() - 1);
      auto bad = deserializePacked(bytes);
      ASSERT_FALSE(bool(bad));
      llvm::consumeError(bad.takeError());
    }
  }
}

//===----------------------------------------------------------------------===//
// Acceptance: BitMoD beats the baselines on Gaussian weights (G=128).
//===----------------------------------------------------------------------===//

class Acceptance : public ::testing::Test {
protected:
  static constexpr int64_t N = 256, K = 4096;
  static std::vector<float> &weights() {
    static std::vector<float> w = [] {
      std::mt19937 rng(2025);
      std::normal_distribution<float> normal(0.0f, 1.0f);
      std::vector<float> v(N * K);
      for (float &x : v)
        x = normal(rng);
      return v;
    }();
    return w;
  }
  static double mse(DataType t, unsigned scaleBits) {
    auto d = fakeQuantize(weights(), N, K, makeConfig(t, 128, scaleBits));
    EXPECT_TRUE(bool(d));
    return mseOf(weights(), *d);
  }
};

TEST_F(Acceptance, BitMoD3BeatsBaselines) {
  double b3 = mse(DataType::bitmod3, 0);
  EXPECT_LT(b3, mse(DataType::int3_asym, 0));
  EXPECT_LT(b3, mse(DataType::fp3, 0));
  for (DataType t : {DataType::fp3_er_pos, DataType::fp3_er_neg,
                     DataType::fp3_ea_pos, DataType::fp3_ea_neg})
    EXPECT_LE(b3, mse(t, 0)) << getName(t);
}

TEST_F(Acceptance, BitMoD4BeatsBaselines) {
  double b4 = mse(DataType::bitmod4, 0);
  EXPECT_LT(b4, mse(DataType::int4_asym, 0));
  EXPECT_LT(b4, mse(DataType::fp4, 0));
}

TEST_F(Acceptance, EightBitScalesCostAtMostOnePercent) {
  for (DataType t : {DataType::bitmod3, DataType::bitmod4, DataType::fp3,
                     DataType::fp4, DataType::int3_asym, DataType::int4_asym,
                     DataType::int3, DataType::int4, DataType::flint4}) {
    double f = mse(t, 0), q = mse(t, 8);
    EXPECT_LE(q, f * 1.01) << getName(t) << " float " << f << " int8 " << q;
  }
}

//===----------------------------------------------------------------------===//
// Programmable special values (SpecialValues.h)
//===----------------------------------------------------------------------===//

/// Candidate value sets of an SV type under the set `sv`, in selector order.
std::vector<std::vector<double>> refCandidatesWith(DataType t,
                                                   const SpecialValueSet &sv) {
  const std::vector<double> &basic = isFP4Family(t) ? kFP4 : kFP3;
  if (hasSelector(t))
    return {withSV(basic, sv[0]), withSV(basic, sv[1]), withSV(basic, sv[2]),
            withSV(basic, sv[3])};
  // Fixed extensions read their own entry: er_pos 0, er_neg 1, ea_pos 2, ...
  unsigned first = static_cast<unsigned>(isFP4Family(t) ? DataType::fp4_er_pos
                                                        : DataType::fp3_er_pos);
  return {withSV(basic, sv[static_cast<unsigned>(t) - first])};
}

TEST(SpecialValuesTest, CustomSetMatchesBruteForce) {
  struct Case {
    DataType t;
    SpecialValueSet sv;
  };
  for (Case c : {Case{DataType::bitmod3, {3, -3, 8, -8}},
                 Case{DataType::bitmod3, {-17, 12, 24, 5}},
                 Case{DataType::bitmod4, {5, -5, 24, -24}},
                 Case{DataType::bitmod4, {9, -18, 17, -20}},
                 Case{DataType::fp3_ea_pos, {3, -3, 5, -6}},
                 Case{DataType::fp4_er_neg, {10, -9, 16, -16}}}) {
    ASSERT_FALSE(bool(checkSpecialValues(c.t, c.sv)));
    for (unsigned scaleBits : {0u, 8u}) {
      const int64_t N = 6, K = 300;
      auto w = randomMatrix(N, K, 77 + scaleBits);
      QuantConfig cfg = makeConfig(c.t, 64, scaleBits);
      cfg.specialValues = c.sv;
      auto p = quantize(w, N, K, cfg);
      ASSERT_TRUE(bool(p)) << llvm::toString(p.takeError());
      EXPECT_EQ(p->getSpecialValues(), c.sv);
      auto deq = dequantize(*p);
      auto cands = refCandidatesWith(c.t, c.sv);
      RefResult ref = referenceQuantize(w, N, K, c.t, 64, scaleBits, &cands);
      for (int64_t i = 0; i < N * K; ++i)
        ASSERT_EQ(deq[i], ref.deq[i])
            << getName(c.t) << " " << formatSpecialValues(c.sv) << " at " << i;
      if (hasSelector(c.t)) {
        for (int64_t n = 0; n < N; ++n)
          for (int64_t g = 0; g < p->getNumGroups(); ++g)
            EXPECT_EQ(p->getSelector(n, g),
                      ref.selectors[n * p->getNumGroups() + g]);
      }
      // The scalar reference path agrees bit for bit.
      auto r = quantizeReference(w, N, K, cfg);
      ASSERT_TRUE(bool(r));
      EXPECT_EQ(r->codes, p->codes);
      EXPECT_EQ(r->selectors, p->selectors);
      // The paper's set given explicitly is the default.
      QuantConfig paper = makeConfig(c.t, 64, scaleBits);
      paper.specialValues = getDefaultSpecialValues(c.t);
      auto pp = quantize(w, N, K, paper);
      ASSERT_TRUE(bool(pp));
      EXPECT_FALSE(pp->specialValues.has_value());
    }
  }
}

TEST(SpecialValuesTest, SerializeRoundTripAndErrors) {
  auto w = randomMatrix(3, 64, 5);
  QuantConfig cfg = makeConfig(DataType::bitmod3, 32, 8);
  cfg.specialValues = SpecialValueSet{3, -3, 8, -8};
  auto p = quantize(w, 3, 64, cfg);
  ASSERT_TRUE(bool(p));
  std::vector<uint8_t> bytes = serializePacked(*p);
  auto back = deserializePacked(bytes);
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  EXPECT_EQ(back->getSpecialValues(), (SpecialValueSet{3, -3, 8, -8}));
  EXPECT_EQ(dequantize(*back), dequantize(*p));
  // The SV set sits at header bytes 52..55; a 3-term value is refused.
  bytes[54] = 7;
  auto bad = deserializePacked(bytes);
  ASSERT_FALSE(bool(bad));
  EXPECT_NE(llvm::toString(bad.takeError()).find("special value 7 (entry 2)"),
            std::string::npos);
  // Blocks quantized with different sets cannot be appended.
  QuantConfig other = cfg;
  other.specialValues.reset();
  auto q = quantize(w, 3, 64, other);
  ASSERT_TRUE(bool(q));
  PackedWeights dst = *p;
  llvm::Error e = appendRows(dst, *q);
  EXPECT_TRUE(bool(e));
  llvm::consumeError(std::move(e));
  // A set for a type without special values is an error.
  QuantConfig intCfg = makeConfig(DataType::int4, 32, 8);
  intCfg.specialValues = SpecialValueSet{3, -3, 6, -6};
  auto i4 = quantize(w, 3, 64, intCfg);
  ASSERT_FALSE(bool(i4));
  EXPECT_NE(llvm::toString(i4.takeError()).find("has no special values"),
            std::string::npos);
}

TEST(SpecialValuesTest, CheckAndParse) {
  auto msg = [](llvm::Error e) { return llvm::toString(std::move(e)); };
  EXPECT_FALSE(bool(
      checkSpecialValues(DataType::bitmod3, SpecialValueSet{3, -3, 6, -6})));
  EXPECT_NE(
      msg(checkSpecialValues(DataType::bitmod3, SpecialValueSet{3, -3, 7, -6}))
          .find("not representable by the term encoder"),
      std::string::npos);
  EXPECT_NE(msg(checkSpecialValues(DataType::bitmod4,
                                   SpecialValueSet{10, 10, 16, -16}))
                .find("appears twice"),
            std::string::npos);
  EXPECT_NE(msg(checkSpecialValues(DataType::bitmod4,
                                   SpecialValueSet{12, -10, 16, -16}))
                .find("basic fp4 set"),
            std::string::npos);
  int64_t five[5] = {3, -3, 6, -6, 5};
  EXPECT_NE(
      msg(checkSpecialValues(DataType::bitmod3, llvm::ArrayRef<int64_t>(five)))
          .find("has 5 entries, expected 4"),
      std::string::npos);
  auto sv = parseSpecialValues(DataType::bitmod3, " [3, -3, 24, -24] ");
  ASSERT_TRUE(bool(sv));
  EXPECT_EQ(*sv, (SpecialValueSet{3, -3, 24, -24}));
  EXPECT_EQ(formatSpecialValues(*sv), "3,-3,24,-24");
  // Encodable: at most two one-bits below 32.
  EXPECT_TRUE(isEncodableSpecialValue(-24));
  EXPECT_FALSE(isEncodableSpecialValue(7));
  EXPECT_FALSE(isEncodableSpecialValue(0));
  EXPECT_FALSE(isEncodableSpecialValue(-32));
  // Search space: {+a,-a,+b,-b}, a < b, among 12 fp3 / 8 fp4 magnitudes.
  auto c3 = getSearchCandidates(DataType::bitmod3);
  auto c4 = getSearchCandidates(DataType::bitmod4);
  EXPECT_EQ(c3.size(), 66u);
  EXPECT_EQ(c4.size(), 28u);
  EXPECT_TRUE(
      llvm::is_contained(c3, getDefaultSpecialValues(DataType::bitmod3)));
  EXPECT_TRUE(
      llvm::is_contained(c4, getDefaultSpecialValues(DataType::bitmod4)));
  for (const SpecialValueSet &s : c3)
    EXPECT_FALSE(bool(checkSpecialValues(DataType::bitmod3, s)));
  for (const SpecialValueSet &s : c4)
    EXPECT_FALSE(bool(checkSpecialValues(DataType::bitmod4, s)));
}

/// Seeded layers: Gaussian rows, and heavy-tailed (Student-t, 3 dof) ones.
std::vector<float> searchMatrix(int64_t N, int64_t K, unsigned seed,
                                bool heavy) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::student_t_distribution<float> student(3.0f);
  std::vector<float> w(N * K);
  for (float &v : w)
    v = heavy ? 0.02f * student(rng) : normal(rng);
  return w;
}

double sseOf(const std::vector<float> &w, int64_t N, int64_t K, QuantConfig cfg,
             const SpecialValueSet &sv) {
  cfg.specialValues = sv;
  auto p = quantize(w, N, K, cfg);
  EXPECT_TRUE(bool(p));
  return computeStats(w, dequantize(*p)).sumSquaredError;
}

TEST(SpecialValuesTest, LayerSearchNeverWorseThanPaper) {
  unsigned seed = 2026;
  for (DataType t : {DataType::bitmod3, DataType::bitmod4})
    for (bool heavy : {false, true})
      for (unsigned G : {32u, 128u})
        for (unsigned scaleBits : {0u, 8u}) {
          const int64_t N = 96, K = 256;
          auto w = searchMatrix(N, K, ++seed, heavy);
          QuantConfig cfg = makeConfig(t, G, scaleBits);
          std::vector<PackedWeights> packed;
          auto r = searchSpecialValues(
              {SVSearchTensor{WeightSpan::f32(w), N, K, "w"}}, cfg, &packed);
          ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
          SpecialValueSet paper = getDefaultSpecialValues(t);
          // Independent recomputation of both errors (summed in another
          // order: equal to rounding).
          double paperSSE = sseOf(w, N, K, cfg, paper);
          double chosenSSE = sseOf(w, N, K, cfg, r->sv);
          EXPECT_NEAR(r->paperSumSquaredError, paperSSE, 1e-9 * paperSSE);
          EXPECT_NEAR(r->sumSquaredError, chosenSSE, 1e-9 * chosenSSE);
          // The returned weights are quantize() with the chosen set.
          QuantConfig chosen = cfg;
          chosen.specialValues = r->sv;
          auto q = quantize(w, N, K, chosen);
          ASSERT_TRUE(bool(q) && packed.size() == 1);
          EXPECT_EQ(packed[0].codes, q->codes);
          EXPECT_EQ(packed[0].selectors, q->selectors);
          EXPECT_EQ(packed[0].groupScaleCodes, q->groupScaleCodes);
          EXPECT_EQ(packed[0].getSpecialValues(), r->sv);
          EXPECT_LE(chosenSSE, paperSSE)
              << getName(t) << " heavy=" << heavy << " G=" << G
              << " sb=" << scaleBits << " sv=" << formatSpecialValues(r->sv);
          EXPECT_EQ(r->count, N * K);
        }
}

TEST(SpecialValuesTest, ModelSearchSumsLayers) {
  const int64_t K = 128;
  auto a = searchMatrix(40, K, 1, false);
  auto b = searchMatrix(24, K, 2, true);
  QuantConfig cfg = makeConfig(DataType::bitmod3, 128, 8);
  auto r = searchSpecialValues({SVSearchTensor{WeightSpan::f32(a), 40, K, "a"},
                                SVSearchTensor{WeightSpan::f32(b), 24, K, "b"}},
                               cfg);
  ASSERT_TRUE(bool(r));
  SpecialValueSet paper = getDefaultSpecialValues(DataType::bitmod3);
  double sse = sseOf(a, 40, K, cfg, r->sv) + sseOf(b, 24, K, cfg, r->sv);
  EXPECT_NEAR(r->sumSquaredError, sse, 1e-9 * sse);
  EXPECT_LE(r->sumSquaredError,
            sseOf(a, 40, K, cfg, paper) + sseOf(b, 24, K, cfg, paper));
  // Not a bitmod type: an error.
  auto bad = searchSpecialValues({}, makeConfig(DataType::fp3_er_pos, 32, 8));
  ASSERT_FALSE(bool(bad));
  llvm::consumeError(bad.takeError());
}

} // namespace
