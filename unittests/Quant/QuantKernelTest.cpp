//===- QuantKernelTest.cpp - SIMD quantizer kernels vs the reference ------===//
//
// quantize() (the SIMD row kernels, every instruction set this CPU runs)
// must match quantizeReference() (the original scalar code) bit for bit:
// every storage section, for every data type, group size and scale width,
// on seeded random inputs with outliers, all-zero and constant groups,
// subnormals, tiny groups and partial last groups.
//
//===----------------------------------------------------------------------===//

#include "bitmod/Quant/Quantizer.h"

#include "gtest/gtest.h"

#include <cstring>
#include <limits>
#include <random>

using namespace bitmod::quant;
using llvm::Expected;

namespace {

/// N(0, 1) weights with the edge cases the kernels must keep exact.
std::vector<float> makeWeights(int64_t N, int64_t K, unsigned seed,
                               int64_t groupSize) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_real_distribution<float> uni(0.0f, 1.0f);
  std::vector<float> w(N * K);
  for (float &v : w) {
    v = normal(rng);
    float u = uni(rng);
    if (u < 0.01f)
      v *= 40.0f; // outlier
    else if (u < 0.02f)
      v = 0.0f;
    else if (u < 0.025f)
      v = -0.0f;
    else if (u < 0.03f)
      v = std::ldexp(v, -140); // subnormal
  }
  int64_t G = std::max<int64_t>(1, std::min(groupSize, K));
  for (int64_t n = 0; n < N; ++n) {
    float *row = w.data() + n * K;
    switch (n % 6) {
    case 1: // all-zero first group
      std::fill(row, row + G, 0.0f);
      break;
    case 2: // constant group (asym: max == min)
      std::fill(row, row + G, -0.75f);
      break;
    case 3: // an exact value on a grid point / midpoint pattern
      for (int64_t k = 0; k < G; ++k)
        row[k] = static_cast<float>(k % 9) * 0.5f - 2.0f;
      break;
    case 4: // the whole row zero
      std::fill(row, row + K, 0.0f);
      break;
    case 5: // tiny magnitudes (scales near underflow)
      for (int64_t k = 0; k < K; ++k)
        row[k] = std::ldexp(row[k], -130);
      break;
    default:
      break;
    }
  }
  return w;
}

void expectSame(const PackedWeights &a, const PackedWeights &b,
                const std::string &what) {
  EXPECT_EQ(a.codes, b.codes) << what;
  EXPECT_EQ(a.groupScaleCodes, b.groupScaleCodes) << what;
  ASSERT_EQ(a.groupScales.size(), b.groupScales.size()) << what;
  // Bitwise comparison (NaN/-0 aware); empty vectors may hold null pointers.
  EXPECT_TRUE(a.groupScales.empty() ||
              !std::memcmp(a.groupScales.data(), b.groupScales.data(),
                           a.groupScales.size() * sizeof(float)))
      << what;
  ASSERT_EQ(a.channelScales.size(), b.channelScales.size()) << what;
  EXPECT_TRUE(a.channelScales.empty() ||
              !std::memcmp(a.channelScales.data(), b.channelScales.data(),
                           a.channelScales.size() * sizeof(float)))
      << what;
  EXPECT_EQ(a.selectors, b.selectors) << what;
  EXPECT_EQ(a.zeroPoints, b.zeroPoints) << what;
  EXPECT_EQ(a.sharedExponents, b.sharedExponents) << what;
}

/// Restores the default kernel when a test ends.
struct KernelGuard {
  ~KernelGuard() { setQuantKernel("auto"); }
};

struct Shape {
  int64_t N, K;
  unsigned groupSize;
  Granularity granularity;
};

void checkAllKernels(DataType dtype, const Shape &shape, unsigned scaleBits,
                     unsigned seed) {
  QuantConfig cfg;
  cfg.dtype = dtype;
  cfg.groupSize = shape.groupSize;
  cfg.granularity = shape.granularity;
  cfg.scaleBits = scaleBits;
  std::vector<float> w = makeWeights(shape.N, shape.K, seed, shape.groupSize);
  Expected<PackedWeights> ref = quantizeReference(w, shape.N, shape.K, cfg);
  ASSERT_TRUE(static_cast<bool>(ref)) << llvm::toString(ref.takeError());
  KernelGuard guard;
  for (std::string_view kernel : getAvailableQuantKernels()) {
    ASSERT_TRUE(setQuantKernel(kernel));
    for (unsigned threads : {1u, 2u}) {
      cfg.numThreads = threads;
      Expected<PackedWeights> fast = quantize(w, shape.N, shape.K, cfg);
      ASSERT_TRUE(static_cast<bool>(fast)) << llvm::toString(fast.takeError());
      expectSame(*fast, *ref,
                 std::string(getName(dtype)) + " kernel=" +
                     std::string(kernel) + " N=" + std::to_string(shape.N) +
                     " K=" + std::to_string(shape.K) +
                     " G=" + std::to_string(shape.groupSize) + " gran=" +
                     std::string(getGranularityName(shape.granularity)) +
                     " scaleBits=" + std::to_string(scaleBits) +
                     " threads=" + std::to_string(threads));
    }
  }
}

TEST(QuantKernel, AvailableKernels) {
  std::vector<std::string_view> names = getAvailableQuantKernels();
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names.back(), "generic");
  EXPECT_EQ(getQuantKernelName(), names.front());
  EXPECT_FALSE(setQuantKernel("no-such-kernel"));
}

TEST(QuantKernel, EveryTypeMatchesReference) {
  const Shape shapes[] = {
      {13, 300, 128, Granularity::PerGroup}, // partial last group
      {6, 64, 1, Granularity::PerGroup},     // tiny groups
      {6, 45, 3, Granularity::PerGroup},
      {7, 70, 7, Granularity::PerGroup},
      {5, 96, 24, Granularity::PerGroup},
      {6, 100, 33, Granularity::PerGroup},
      {4, 512, 256, Granularity::PerGroup},
      {6, 600, 512, Granularity::PerGroup}, // several error-sum chunks
      {6, 200, 128, Granularity::PerChannel},
      {6, 77, 128, Granularity::PerTensor},
  };
  unsigned seed = 1;
  for (unsigned t = 0; t < kNumDataTypes; ++t) {
    DataType dtype = static_cast<DataType>(t);
    for (const Shape &shape : shapes) {
      if (isMXType(dtype) && shape.granularity != Granularity::PerGroup)
        continue;
      for (unsigned scaleBits : {8u, 4u, 0u})
        checkAllKernels(dtype, shape, scaleBits, seed++);
    }
  }
}

TEST(QuantKernel, StreamingBlocksMatchReference) {
  // A 4096-wide block the way the streaming benchmark sends it, with the
  // tensor range given (PerTensor) and the default config.
  for (DataType dtype : {DataType::bitmod3, DataType::bitmod4,
                         DataType::int4_asym, DataType::int8}) {
    checkAllKernels(dtype, {24, 4096, 128, Granularity::PerGroup}, 8, 99);
    QuantConfig cfg;
    cfg.dtype = dtype;
    cfg.granularity = Granularity::PerTensor;
    cfg.tensorRange = TensorRange{-3.0f, 2.5f};
    std::vector<float> w = makeWeights(8, 1024, 7, 128);
    Expected<PackedWeights> ref = quantizeReference(w, 8, 1024, cfg, 100);
    Expected<PackedWeights> fast = quantize(w, 8, 1024, cfg, 100);
    ASSERT_TRUE(ref && fast);
    expectSame(*fast, *ref, "per-tensor range " + std::string(getName(dtype)));
  }
}

TEST(QuantKernel, NonFiniteReportsTheFirstElement) {
  std::vector<float> w = makeWeights(40, 256, 3, 128);
  w[17 * 256 + 200] = std::numeric_limits<float>::quiet_NaN();
  w[23 * 256 + 5] = -std::numeric_limits<float>::infinity();
  w[17 * 256 + 250] = std::numeric_limits<float>::infinity();
  QuantConfig cfg;
  KernelGuard guard;
  for (std::string_view kernel : getAvailableQuantKernels()) {
    ASSERT_TRUE(setQuantKernel(kernel));
    Expected<PackedWeights> fast = quantize(w, 40, 256, cfg, 1000);
    Expected<PackedWeights> ref = quantizeReference(w, 40, 256, cfg, 1000);
    ASSERT_FALSE(static_cast<bool>(fast));
    ASSERT_FALSE(static_cast<bool>(ref));
    std::string msg = llvm::toString(fast.takeError());
    EXPECT_EQ(msg, llvm::toString(ref.takeError()));
    EXPECT_EQ(msg, "tensor 'weight': non-finite weight nan at [1017, 200]");
  }
}

} // namespace
