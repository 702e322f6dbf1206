//===- HalfWeightsTest.cpp - f16 and bf16 weights in the quantizer --------===//
//
// quantize() of f16 or bf16 weights (a WeightSpan over their bit patterns)
// must equal quantize() of the same values given as float32, bit for bit,
// for every data type, granularity and kernel: the widening is exact and
// the rows go through the same kernels.
//
//===----------------------------------------------------------------------===//

#include "bitmod/Quant/Quantizer.h"
#include "bitmod/Support/Half.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <random>

using namespace bitmod;
using namespace bitmod::quant;
using llvm::Expected;

namespace {

/// Seeded N(0, 0.02) weights (the usual LLM initialisation) with outliers,
/// zeros, and for f16 subnormal values, as 16-bit patterns.
std::vector<uint16_t> makeBits(int64_t count, unsigned seed, bool bf16) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::uniform_real_distribution<float> uni(0.0f, 1.0f);
  std::vector<uint16_t> bits(count);
  for (uint16_t &b : bits) {
    float v = normal(rng);
    float u = uni(rng);
    if (u < 0.01f)
      v *= 50.0f; // outlier
    else if (u < 0.02f)
      v = 0.0f;
    else if (u < 0.03f)
      v = std::ldexp(v, -12); // f16 subnormal range
    b = bf16 ? support::floatToBFloat16(v) : support::floatToHalf(v);
  }
  return bits;
}

std::vector<float> widen(const std::vector<uint16_t> &bits, bool bf16) {
  std::vector<float> w(bits.size());
  for (size_t i = 0; i < bits.size(); ++i)
    w[i] = bf16 ? support::bfloat16ToFloat(bits[i])
                : support::halfToFloat(bits[i]);
  return w;
}

void expectSame(const PackedWeights &a, const PackedWeights &b,
                const std::string &what) {
  EXPECT_EQ(serializePacked(a), serializePacked(b)) << what;
}

/// Restores the default kernel when a test ends.
struct KernelGuard {
  ~KernelGuard() { setQuantKernel("auto"); }
};

TEST(HalfWeights, WidenIsExact) {
  // Every f16 pattern: the span's conversion equals the reference one.
  std::vector<uint16_t> all(65536);
  for (size_t i = 0; i < all.size(); ++i)
    all[i] = static_cast<uint16_t>(i);
  std::vector<float> fast(all.size());
  WeightSpan::f16(all).widen(0, all.size(), fast.data());
  for (size_t i = 0; i < all.size(); ++i) {
    float ref = support::halfToFloat(all[i]);
    if (std::isnan(ref)) {
      EXPECT_TRUE(std::isnan(fast[i])) << i;
      continue;
    }
    uint32_t a, b;
    std::memcpy(&a, &ref, 4);
    std::memcpy(&b, &fast[i], 4);
    EXPECT_EQ(a, b) << "f16 pattern " << i;
  }
  WeightSpan::bf16(all).widen(0, all.size(), fast.data());
  for (size_t i = 0; i < all.size(); ++i) {
    uint32_t b;
    std::memcpy(&b, &fast[i], 4);
    EXPECT_EQ(b, static_cast<uint32_t>(i) << 16) << "bf16 pattern " << i;
  }
}

TEST(HalfWeights, SameAsFloat32) {
  KernelGuard guard;
  struct Case {
    int64_t N, K;
    unsigned groupSize;
    Granularity granularity;
  };
  const Case cases[] = {{13, 300, 128, Granularity::PerGroup},
                        {8, 256, 32, Granularity::PerGroup},
                        {5, 96, 128, Granularity::PerChannel},
                        {6, 64, 128, Granularity::PerTensor}};
  unsigned seed = 1;
  for (bool bf16 : {false, true}) {
    for (const Case &c : cases) {
      std::vector<uint16_t> bits = makeBits(c.N * c.K, seed++, bf16);
      std::vector<float> w = widen(bits, bf16);
      WeightSpan span = bf16 ? WeightSpan::bf16(bits) : WeightSpan::f16(bits);
      for (unsigned t = 0; t < kNumDataTypes; ++t) {
        DataType dtype = static_cast<DataType>(t);
        if (isMXType(dtype) && c.granularity != Granularity::PerGroup)
          continue;
        QuantConfig cfg;
        cfg.dtype = dtype;
        cfg.groupSize = c.groupSize;
        cfg.granularity = c.granularity;
        std::string what = std::string(getName(dtype)) +
                           (bf16 ? " bf16" : " f16") +
                           " K=" + std::to_string(c.K) + " " +
                           std::string(getGranularityName(c.granularity));
        Expected<PackedWeights> ref = quantizeReference(w, c.N, c.K, cfg);
        ASSERT_TRUE(static_cast<bool>(ref)) << llvm::toString(ref.takeError());
        for (std::string_view kernel : getAvailableQuantKernels()) {
          ASSERT_TRUE(setQuantKernel(kernel));
          for (unsigned threads : {1u, 2u}) {
            cfg.numThreads = threads;
            Expected<PackedWeights> half = quantize(span, c.N, c.K, cfg);
            ASSERT_TRUE(static_cast<bool>(half))
                << llvm::toString(half.takeError());
            expectSame(*half, *ref,
                       what + " kernel=" + std::string(kernel) +
                           " threads=" + std::to_string(threads));
          }
        }
      }
    }
  }
}

TEST(HalfWeights, StreamedRowsAndTensorRange) {
  // Blocks of rows of a span quantize like the whole tensor (PerTensor with
  // the range of the whole span).
  const int64_t N = 20, K = 200;
  std::vector<uint16_t> bits = makeBits(N * K, 77, false);
  WeightSpan span = WeightSpan::f16(bits);
  QuantConfig cfg;
  cfg.dtype = DataType::int4_asym;
  cfg.granularity = Granularity::PerTensor;
  Expected<TensorRange> range = computeTensorRange(span, N, K, "w");
  ASSERT_TRUE(static_cast<bool>(range));
  Expected<TensorRange> ref = computeTensorRange(widen(bits, false), N, K, "w");
  ASSERT_TRUE(static_cast<bool>(ref));
  EXPECT_EQ(range->min, ref->min);
  EXPECT_EQ(range->max, ref->max);
  cfg.tensorRange = *range;
  Expected<PackedWeights> whole = quantize(span, N, K, cfg);
  ASSERT_TRUE(static_cast<bool>(whole));
  PackedWeights streamed;
  for (int64_t n0 = 0; n0 < N; n0 += 7) {
    int64_t rows = std::min<int64_t>(7, N - n0);
    Expected<PackedWeights> block =
        quantize(span.rows(n0, rows, K), rows, K, cfg, n0);
    ASSERT_TRUE(static_cast<bool>(block));
    ASSERT_FALSE(static_cast<bool>(appendRows(streamed, *block)));
  }
  expectSame(streamed, *whole, "streamed");
}

TEST(HalfWeights, NonFiniteNamed) {
  std::vector<uint16_t> bits(4 * 64, support::floatToHalf(0.5f));
  bits[2 * 64 + 5] = 0x7c00; // +inf
  QuantConfig cfg;
  cfg.dtype = DataType::bitmod3;
  cfg.tensorName = "layer.w";
  Expected<PackedWeights> p = quantize(WeightSpan::f16(bits), 4, 64, cfg, 10);
  ASSERT_FALSE(static_cast<bool>(p));
  EXPECT_EQ(llvm::toString(p.takeError()),
            "tensor 'layer.w': non-finite weight +inf at [12, 5]");
  bits[2 * 64 + 5] = 0x7fc1; // bf16 nan
  p = quantize(WeightSpan::bf16(bits), 4, 64, cfg);
  ASSERT_FALSE(static_cast<bool>(p));
  EXPECT_EQ(llvm::toString(p.takeError()),
            "tensor 'layer.w': non-finite weight nan at [2, 5]");
}

TEST(HalfWeights, BFloat16Rounding) {
  EXPECT_EQ(support::floatToBFloat16(1.0f), 0x3f80);
  // 1 + 2^-8 is a tie between 1 and 1 + 2^-7: to even (1).
  EXPECT_EQ(support::floatToBFloat16(1.0f + 0x1p-8f), 0x3f80);
  EXPECT_EQ(support::floatToBFloat16(1.0f + 0x1p-8f + 0x1p-20f), 0x3f81);
  EXPECT_EQ(support::floatToBFloat16(-2.0f), 0xc000);
  EXPECT_EQ(support::floatToBFloat16(3.4e38f), 0x7f80); // overflow to inf
  EXPECT_TRUE(std::isnan(
      support::bfloat16ToFloat(support::floatToBFloat16(std::nanf("")))));
}

} // namespace
