//===- DatapathTest.cpp - fast datapath vs golden, error vs fp64 ----------===//

#include "bitmod/Sim/Datapath.h"
#include "bitmod/Quant/Quantizer.h"
#include "bitmod/Sim/Float16.h"
#include "bitmod/Sim/GoldenDatapath.h"

#include "llvm/Support/Error.h"
#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <random>

using namespace bitmod;
using namespace bitmod::sim;
using quant::DataType;

namespace {

std::vector<DataType> peTypes() {
  std::vector<DataType> v;
  for (unsigned i = 0; i < quant::kNumDataTypes; ++i)
    if (isSupportedByPE(static_cast<DataType>(i)))
      v.push_back(static_cast<DataType>(i));
  return v;
}

std::string typeName(DataType t) { return std::string(quant::getName(t)); }

uint32_t floatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

/// Random FP16 activation: mostly normal values over the whole exponent
/// range, plus zeros, subnormals and the largest values.
uint16_t randomAct(std::mt19937 &rng) {
  unsigned kind = rng() % 16;
  uint16_t sign = (rng() & 1) ? 0x8000 : 0;
  switch (kind) {
  case 0:
    return sign; // +-0
  case 1:
    return sign | uint16_t(1 + rng() % 0x3ff); // subnormal
  case 2:
    return sign | uint16_t(0x7800 + rng() % 0x400); // largest binade
  case 3:
    return sign | 0x7bff;
  default: {
    uint16_t e = uint16_t(1 + rng() % 30);
    return sign | uint16_t(e << 10) | uint16_t(rng() & 0x3ff);
  }
  }
}

TEST(TermDecoder, ValuesMatchDataTypeTables) {
  for (DataType t : peTypes()) {
    auto d = TermDecoder::create(t);
    ASSERT_TRUE(bool(d)) << llvm::toString(d.takeError());
    unsigned bits = quant::getCodeBits(t);
    for (unsigned sel = 0; sel < 4; ++sel)
      for (uint32_t code = 0; code < (1u << bits); ++code) {
        if (quant::isAsymmetric(t)) {
          for (unsigned zp = 0; zp < (1u << bits); ++zp)
            EXPECT_EQ(d->decodeValue(code, sel, zp), int(code) - int(zp));
          continue;
        }
        double want = quant::decodeCode(t, code, sel);
        EXPECT_EQ(double(d->decodeValue(code, sel, 0)), want)
            << typeName(t) << " code " << code << " sel " << sel;
      }
  }
}

TEST(TermDecoder, TermCountsAndBooth) {
  EXPECT_EQ(*getTermsPerWeight(DataType::int8), 4u);
  EXPECT_EQ(*getTermsPerWeight(DataType::int6), 3u);
  EXPECT_EQ(*getTermsPerWeight(DataType::int4), 2u);
  EXPECT_EQ(*getTermsPerWeight(DataType::bitmod3), 2u);
  EXPECT_EQ(*getTermsPerWeight(DataType::bitmod4), 2u);
  EXPECT_EQ(*getTermsPerWeight(DataType::int4_asym), 3u);
  auto e = getTermsPerWeight(DataType::fp16);
  EXPECT_FALSE(bool(e));
  llvm::consumeError(e.takeError());

  // int8 code 0x7f = 127 = 2*64 + 0*16 + 0*4 - 1 : digits (-1, 0, 0, 2).
  auto d = TermDecoder::create(DataType::int8);
  ASSERT_TRUE(bool(d));
  BitSerialTerm t[4];
  d->decode(0x7f, 0, 0, t);
  EXPECT_EQ(t[0].sign, -1);
  EXPECT_EQ(t[0].exp, 0);
  EXPECT_EQ(t[1].sign, 0);
  EXPECT_EQ(t[2].sign, 0);
  EXPECT_EQ(t[3].sign, 1);
  EXPECT_EQ(t[3].exp, 7);

  // bitmod4 negative zero with selector ea_pos -> 16 (one term).
  auto b4 = TermDecoder::create(DataType::bitmod4);
  ASSERT_TRUE(bool(b4));
  b4->decode(0x8, 2, 0, t);
  EXPECT_EQ(t[0].sign, 1);
  EXPECT_EQ(t[0].exp, 4);
  EXPECT_EQ(t[1].sign, 0);
  // 12 = 8 + 4 -> two terms, highest first.
  b4->decode(0x7, 0, 0, t);
  EXPECT_EQ(t[0].exp, 3);
  EXPECT_EQ(t[1].exp, 2);
}

TEST(TermDecoder, SpecialValueFileValidation) {
  SpecialValueFile sv = SpecialValueFile::forFamily(false);
  sv.values[0] = 7; // three one-bits
  auto d = TermDecoder::create(DataType::bitmod3, sv);
  EXPECT_FALSE(bool(d));
  llvm::consumeError(d.takeError());
  sv.values[0] = 5; // programmable: 4 + 1
  auto d2 = TermDecoder::create(DataType::bitmod3, sv);
  ASSERT_TRUE(bool(d2));
  EXPECT_EQ(d2->decodeValue(0x4, 0, 0), 5);
  auto d3 = TermDecoder::create(DataType::int4, sv);
  EXPECT_FALSE(bool(d3));
  llvm::consumeError(d3.takeError());
}

TEST(Datapath, SingleStepRounding) {
  // 1.0 * 1 and 2^-14 * 1: the small product is aligned 14 bits down and
  // rounds to zero with 3 guard bits; 1.0 + 2^-12 keeps a guard bit.
  auto d = TermDecoder::create(DataType::int4);
  ASSERT_TRUE(bool(d));
  uint16_t act[4] = {0x3c00, 0x0400, 0, 0};
  uint8_t codes[4] = {1, 1, 0, 0};
  GroupAcc acc = groupPartialSum(act, codes, 4, 0, 0, *d);
  EXPECT_EQ(double(acc), std::ldexp(1.0, kGroupAccFracBits));
  uint16_t act2[4] = {0x3c00, 0x1400, 0, 0}; // 1 + 2^-10: exact with guards
  acc = groupPartialSum(act2, codes, 4, 0, 0, *d);
  EXPECT_EQ(double(acc), std::ldexp(1.0 + std::ldexp(1.0, -10), 27));
  uint16_t act3[4] = {0x3c00, 0x0c00, 0, 0}; // 2^-12 = half of 2^-11 LSB?
  acc = groupPartialSum(act3, codes, 4, 0, 0, *d);
  // Aligned LSB is 2^-13 (11 mantissa + 3 guard - 1): 2^-12 is exact.
  EXPECT_EQ(double(acc), std::ldexp(1.0 + std::ldexp(1.0, -12), 27));
  uint16_t act4[4] = {0x3c00, 0x0801, 0, 0}; // (1+2^-10) 2^-13: rounds
  acc = groupPartialSum(act4, codes, 4, 0, 0, *d);
  EXPECT_EQ(double(acc), std::ldexp(1.0 + std::ldexp(1.0, -13), 27));
}

/// 10^5 random dot products per type: fast and golden bit-identical.
class FastVsGolden : public ::testing::TestWithParam<DataType> {};

TEST_P(FastVsGolden, RandomGroupsBitExact) {
  DataType t = GetParam();
  auto dec = TermDecoder::create(t);
  ASSERT_TRUE(bool(dec));
  std::mt19937 rng(1234 + unsigned(t));
  unsigned bits = quant::getCodeBits(t);
  bool mx = quant::isMXType(t);
  const int kSamples = 100000;
  uint16_t act[16];
  uint8_t codes[16];
  for (int i = 0; i < kSamples; ++i) {
    unsigned count = 1 + rng() % 16;
    for (unsigned k = 0; k < count; ++k) {
      act[k] = randomAct(rng);
      codes[k] = uint8_t(rng() & ((1u << bits) - 1));
    }
    unsigned sel = rng() % 4;
    unsigned zp = rng() % (1u << bits);
    GroupAcc fast = groupPartialSum(act, codes, count, sel, zp, *dec);
    auto gold = golden::groupPartialSum(t, act, codes, count, sel, zp);
    ASSERT_TRUE(bool(gold)) << llvm::toString(gold.takeError());
    ASSERT_TRUE(fast == *gold) << typeName(t) << " sample " << i;
    int32_t scale = mx ? int32_t(rng() % 256) - 128 : int32_t(rng() % 128);
    GroupScaleKind kind = mx ? GroupScaleKind::Pow2 : GroupScaleKind::IntCode;
    float f = dequantizeGroupSum(fast, scale, kind);
    float g = golden::dequantize(*gold, scale, kind);
    ASSERT_EQ(floatBits(f), floatBits(g))
        << typeName(t) << " sample " << i << " " << f << " vs " << g;
  }
}

INSTANTIATE_TEST_SUITE_P(AllPETypes, FastVsGolden,
                         ::testing::ValuesIn(peTypes()),
                         [](const ::testing::TestParamInfo<DataType> &info) {
                           return typeName(info.param);
                         });

std::vector<float> randomNormal(size_t n, unsigned seed, float sigma) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, sigma);
  std::vector<float> v(n);
  for (float &x : v)
    x = nd(rng);
  return v;
}

struct MatmulCase {
  DataType type;
  double maxRelErr; // bound on max |err| / max |y|
};

class MatmulError : public ::testing::TestWithParam<MatmulCase> {};

/// M=8, K=384, N=40: fast == golden bit for bit, and the error against an
/// fp64 matmul of the dequantized weights is below the bound.
TEST_P(MatmulError, AgainstFp64Reference) {
  const MatmulCase &c = GetParam();
  const unsigned M = 8, K = 384, N = 40;
  std::vector<float> w = randomNormal(size_t(N) * K, 11, 0.02f);
  // A few outliers so the special values get used.
  for (size_t i = 0; i < w.size(); i += 97)
    w[i] *= 6;
  quant::QuantConfig qc;
  qc.dtype = c.type;
  qc.groupSize = 128;
  qc.numThreads = 1;
  auto packed = quant::quantize(w, N, K, qc);
  ASSERT_TRUE(bool(packed)) << llvm::toString(packed.takeError());
  std::vector<float> xf = randomNormal(size_t(M) * K, 5, 1.0f);
  std::vector<uint16_t> x(xf.size());
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = floatToHalf(xf[i]);

  std::vector<float> y(size_t(M) * N), yg(size_t(M) * N);
  DatapathStats stats;
  ASSERT_FALSE(bool(groupedMatmul(x.data(), M, *packed, y.data(), {}, &stats)));
  auto u = unpackWeights(*packed);
  ASSERT_TRUE(bool(u));
  llvm::Error ge = golden::groupedMatmul(x.data(), M, (*u)->view, yg.data());
  ASSERT_FALSE(bool(ge)) << llvm::toString(std::move(ge));
  for (size_t i = 0; i < y.size(); ++i)
    ASSERT_EQ(floatBits(y[i]), floatBits(yg[i])) << i;

  // fp64 reference: exact dequantized weights.
  const quant::PackedWeights &p = *packed;
  double maxErr = 0, maxOut = 0;
  for (unsigned m = 0; m < M; ++m)
    for (unsigned n = 0; n < N; ++n) {
      double ref = 0;
      for (unsigned k = 0; k < K; ++k) {
        unsigned g = k / p.getGroupSize();
        uint32_t code = p.getCode(n, k);
        double v = quant::isAsymmetric(c.type)
                       ? double(code) - double(p.getZeroPoint(n, g))
                       : quant::decodeCode(c.type, code, p.getSelector(n, g));
        double scale =
            quant::isMXType(c.type)
                ? double(p.getEffectiveScale(n, g))
                : double(p.groupScaleCodes[n * p.getNumGroups() + g]) *
                      double(p.channelScales[n]);
        ref += double(halfToFloat(x[m * K + k])) * v * scale;
      }
      maxErr = std::max(maxErr, std::fabs(ref - double(y[m * N + n])));
      maxOut = std::max(maxOut, std::fabs(ref));
    }
  double rel = maxErr / maxOut;
  std::printf("[ measured ] %s M=8 K=384 N=40: max|err|/max|y| = %.3e\n",
              typeName(c.type).c_str(), rel);
  EXPECT_LT(rel, c.maxRelErr);
  EXPECT_GT(maxOut, 0.0);
  EXPECT_EQ(stats.groupDequants, uint64_t(M) * N * p.getNumGroups());
}

INSTANTIATE_TEST_SUITE_P(
    PaperTypes, MatmulError,
    ::testing::Values(MatmulCase{DataType::int8, 2e-3},
                      MatmulCase{DataType::int6, 2e-3},
                      MatmulCase{DataType::bitmod4, 2e-3},
                      MatmulCase{DataType::bitmod3, 2e-3},
                      MatmulCase{DataType::int4_asym, 2e-3},
                      MatmulCase{DataType::mxfp4, 2e-3},
                      MatmulCase{DataType::fp6_e2m3, 2e-3}),
    [](const ::testing::TestParamInfo<MatmulCase> &info) {
      return typeName(info.param.type);
    });

TEST(Datapath, Errors) {
  quant::QuantConfig qc;
  qc.dtype = DataType::bitmod3;
  qc.numThreads = 1;
  std::vector<float> w = randomNormal(4 * 128, 3, 1.0f);
  auto packed = quant::quantize(w, 4, 128, qc);
  ASSERT_TRUE(bool(packed));
  std::vector<uint16_t> x(128, 0x3c00);
  x[77] = 0x7c00; // inf
  std::vector<float> y(4);
  llvm::Error e = groupedMatmul(x.data(), 1, *packed, y.data());
  ASSERT_TRUE(bool(e));
  EXPECT_NE(llvm::toString(std::move(e)).find("[0, 77]"), std::string::npos);

  qc.scaleBits = 0; // float scales: not a hardware format
  auto fpacked = quant::quantize(w, 4, 128, qc);
  ASSERT_TRUE(bool(fpacked));
  x[77] = 0x3c00;
  llvm::Error e2 = groupedMatmul(x.data(), 1, *fpacked, y.data());
  ASSERT_TRUE(bool(e2));
  EXPECT_NE(llvm::toString(std::move(e2)).find("scale"), std::string::npos);
}

TEST(Datapath, Fp16OutputRounding) {
  quant::QuantConfig qc;
  qc.dtype = DataType::int8;
  qc.numThreads = 1;
  std::vector<float> w = randomNormal(8 * 256, 9, 1.0f);
  auto packed = quant::quantize(w, 8, 256, qc);
  ASSERT_TRUE(bool(packed));
  std::vector<uint16_t> x(256);
  std::mt19937 rng(2);
  for (uint16_t &h : x)
    h = randomAct(rng) & 0x3fff;
  std::vector<float> y32(8), y16(8);
  ASSERT_FALSE(bool(groupedMatmul(x.data(), 1, *packed, y32.data())));
  DatapathOptions o;
  o.output = OutputRounding::FP16;
  ASSERT_FALSE(bool(groupedMatmul(x.data(), 1, *packed, y16.data(), o)));
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(y16[i], roundToHalfPrecision(y32[i]));
}

//===----------------------------------------------------------------------===//
// SIMD groupedMatmul vs the golden model
//===----------------------------------------------------------------------===//

// groupedMatmul (16 channels per vector, threads) must equal
// golden::groupedMatmul bit for bit for every PE data type, with every SIMD
// build this CPU runs and 1 or 2 threads: seeded random raw views (all
// codes, selectors, zero points and scale codes; activations over the
// whole FP16 range incl. zeros and subnormals), channel counts that do not
// fill a vector, partial groups, odd group sizes, M up to 16, FP16 output
// and a programmed SV register file.

struct Case {
  unsigned M, N, K, G;
};

/// Restores the default kernel when a test ends.
struct KernelGuard {
  ~KernelGuard() { setDatapathKernel("auto"); }
};

void checkType(DataType type, const Case &c, unsigned seed,
               const DatapathOptions &baseOptions) {
  std::mt19937 rng(seed);
  const unsigned numGroups = (c.K + c.G - 1) / c.G;
  const size_t stride = size_t(numGroups) * c.G + (seed % 3);
  const unsigned bits = quant::getCodeBits(type);
  const bool mx = quant::isMXType(type), asym = quant::isAsymmetric(type);
  std::vector<uint8_t> codes(size_t(c.N) * stride);
  for (uint8_t &v : codes)
    v = uint8_t(rng() & ((1u << bits) - 1));
  size_t ng = size_t(c.N) * numGroups;
  std::vector<int8_t> scales(ng);
  std::vector<uint8_t> selectors(ng), zeroPoints(ng);
  for (size_t i = 0; i < ng; ++i) {
    scales[i] = mx ? int8_t(int(rng() % 40) - 30 - (i % 17 == 0 ? 98 : 0))
                   : int8_t(rng() % 128);
    selectors[i] = uint8_t(rng() % 4);
    zeroPoints[i] = uint8_t(rng() % (1u << bits));
  }
  std::vector<float> channelScales(c.N);
  for (float &s : channelScales)
    s = std::ldexp(1.0f + float(rng() % 1000) / 1000.0f, int(rng() % 20) - 10);
  QuantizedMatrixView v;
  v.dtype = type;
  v.rows = c.N;
  v.cols = c.K;
  v.groupSize = c.G;
  v.codes = codes.data();
  v.codeRowStride = stride;
  v.groupScales = scales.data();
  v.scaleKind = mx ? GroupScaleKind::Pow2 : GroupScaleKind::IntCode;
  v.selectors = quant::hasSelector(type) ? selectors.data() : nullptr;
  v.zeroPoints = asym ? zeroPoints.data() : nullptr;
  v.channelScales = mx ? nullptr : channelScales.data();
  std::vector<uint16_t> x(size_t(c.M) * c.K);
  for (uint16_t &h : x)
    h = randomAct(rng);

  std::vector<float> yg(size_t(c.M) * c.N);
  llvm::Error ge =
      golden::groupedMatmul(x.data(), c.M, v, yg.data(), baseOptions);
  ASSERT_FALSE(bool(ge)) << llvm::toString(std::move(ge));
  KernelGuard guard;
  for (std::string_view kernel : getAvailableDatapathKernels()) {
    ASSERT_TRUE(setDatapathKernel(kernel));
    for (unsigned threads : {1u, 2u}) {
      DatapathOptions o = baseOptions;
      o.numThreads = threads;
      std::vector<float> y(yg.size(), -1.0f);
      DatapathStats stats;
      llvm::Error e = groupedMatmul(x.data(), c.M, v, y.data(), o, &stats);
      ASSERT_FALSE(bool(e)) << llvm::toString(std::move(e));
      EXPECT_EQ(stats.groupDequants, uint64_t(c.M) * c.N * numGroups);
      for (size_t i = 0; i < y.size(); ++i) {
        uint32_t a, b;
        std::memcpy(&a, &y[i], 4);
        std::memcpy(&b, &yg[i], 4);
        ASSERT_EQ(a, b) << quant::getName(type) << " kernel=" << kernel
                        << " threads=" << threads << " M=" << c.M
                        << " N=" << c.N << " K=" << c.K << " G=" << c.G
                        << " at [" << i / c.N << ", " << i % c.N
                        << "]: " << y[i] << " vs golden " << yg[i];
      }
    }
  }
}

TEST(DatapathSimd, EveryPETypeMatchesGolden) {
  const Case cases[] = {
      {1, 40, 384, 128}, // N not a multiple of the 16 lanes
      {3, 17, 300, 128}, // partial last group
      {2, 16, 90, 7},    // group size not a multiple of 4
      {16, 33, 256, 64}, // M = 16
      {1, 5, 64, 1},     // one-element groups
  };
  unsigned seed = 1;
  for (unsigned t = 0; t < quant::kNumDataTypes; ++t) {
    DataType type = static_cast<DataType>(t);
    if (!isSupportedByPE(type))
      continue;
    for (const Case &c : cases)
      checkType(type, c, seed++, {});
  }
}

TEST(DatapathSimd, LongGroupsAndFp16Output) {
  // Groups of 1000 and 4096 weights (several 64-bit flushes for int8).
  DatapathOptions fp16;
  fp16.output = OutputRounding::FP16;
  for (DataType type : {DataType::int8, DataType::bitmod3, DataType::bitmod4,
                        DataType::int4_asym, DataType::fp6_e3m2})
    for (const Case &c : {Case{2, 20, 2000, 1000}, Case{1, 18, 4096, 4096}}) {
      checkType(type, c, 77, {});
      checkType(type, c, 78, fp16);
    }
}

TEST(DatapathSimd, ProgrammedSpecialValues) {
  DatapathOptions o;
  SpecialValueFile sv;
  sv.values = {5, -24, 17, -3};
  o.specialValues = sv;
  for (DataType type : {DataType::bitmod3, DataType::bitmod4,
                        DataType::fp3_ea_pos, DataType::fp4_er_neg})
    checkType(type, {4, 21, 256, 128}, 5, o);
}

TEST(DatapathSimd, KernelNames) {
  std::vector<std::string_view> names = getAvailableDatapathKernels();
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names.back(), "generic");
  EXPECT_EQ(getDatapathKernelName(), names.front());
  EXPECT_FALSE(setDatapathKernel("no-such-kernel"));
}

} // namespace
