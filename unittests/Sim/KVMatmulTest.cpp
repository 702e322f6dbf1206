//===- KVMatmulTest.cpp - Attention matmuls on runtime INT8 K/V -----------===//
//
// sim::runKVMatmul against (1) an independent fp64 reference with the K/V
// fake-quantized by the INT8 weight-path contract (docs/numerics.md, written
// here from the contract, not from lib/Quant) and (2) the golden datapath on
// the same quantized heads (bit-exact); the K/V DRAM bytes; and the cost
// model's attention formula against the simulated instruction streams for a
// Llama-2-7B-shaped layer.
//
//===----------------------------------------------------------------------===//

#include "bitmod/Sim/KVMatmul.h"
#include "bitmod/Quant/Quantizer.h"
#include "bitmod/Sim/CostModel.h"
#include "bitmod/Sim/Datapath.h"
#include "bitmod/Sim/GoldenDatapath.h"
#include "bitmod/Support/Half.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstdio>
#include <random>

using namespace bitmod;
using namespace bitmod::sim;

namespace {

std::vector<float> randn(uint32_t seed, size_t n, float sigma) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, sigma);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(rng);
  return v;
}

/// INT8 per-group fake quantization of a [rows, cols] matrix along cols,
/// 8-bit group scales against one float32 scale per row (the contract of
/// docs/numerics.md, steps 1-4, 8, 9).
std::vector<double> fakeQuantInt8(const std::vector<float> &w, uint64_t rows,
                                  uint64_t cols, uint64_t G) {
  std::vector<double> out(w.size());
  uint64_t groups = (cols + G - 1) / G;
  for (uint64_t r = 0; r < rows; ++r) {
    std::vector<float> s(groups, 0.0f);
    float smax = 0.0f;
    for (uint64_t g = 0; g < groups; ++g) {
      float amax = 0.0f;
      for (uint64_t c = g * G; c < std::min(cols, (g + 1) * G); ++c)
        amax = std::max(amax, std::fabs(w[r * cols + c]));
      s[g] = amax / 127.0f;
      smax = std::max(smax, s[g]);
    }
    float S = smax / 127.0f;
    for (uint64_t g = 0; g < groups; ++g) {
      float e = 0.0f;
      if (S > 0.0f && s[g] > 0.0f) {
        double q = std::ceil(double(s[g] / S) - 0.5);
        e = float(std::clamp(q, 1.0, 127.0)) * S;
      }
      for (uint64_t c = g * G; c < std::min(cols, (g + 1) * G); ++c) {
        if (e == 0.0f) {
          out[r * cols + c] = 0.0;
          continue;
        }
        double x = double(w[r * cols + c] / e);
        double code = std::clamp(std::ceil(x - 0.5), -127.0, 127.0);
        out[r * cols + c] = double(float(code * e));
      }
    }
  }
  return out;
}

struct Case {
  KVKind kind;
  uint64_t heads, kvHeads, rows, context, headDim;
  unsigned groupSize;
};

class KVMatmulRef : public ::testing::TestWithParam<Case> {};

TEST_P(KVMatmulRef, MatchesFakeQuantReferenceAndGolden) {
  const Case &c = GetParam();
  KVMatmulShape s;
  s.kind = c.kind;
  s.batch = 1;
  s.heads = c.heads;
  s.kvHeads = c.kvHeads;
  s.rows = c.rows;
  s.context = c.context;
  s.headDim = c.headDim;
  s.groupSize = c.groupSize;
  s.newPositions = c.rows;
  std::vector<float> lhs = randn(7 + c.context, s.getLhsElements(), 1.0f);
  std::vector<float> kv = randn(11 + c.headDim, s.getKVElements(), 0.5f);
  kv[3] = 6.0f; // an outlier
  arch::AccelConfig cfg;
  auto r = runKVMatmul(cfg, s, lhs, kv);
  ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
  ASSERT_EQ(r->result.size(), s.getResultElements());
  EXPECT_EQ(r->launches, s.batch * s.kvHeads);
  EXPECT_GT(r->timing.totalCycles, 0u);

  uint64_t R = s.getReduction(), N = s.getQuantRows(), rep = s.getHeadsPerKV();
  quant::QuantConfig qc;
  qc.dtype = quant::DataType::int8;
  qc.groupSize = c.groupSize;
  qc.scaleBits = 8;
  for (uint64_t g = 0; g < s.kvHeads; ++g) {
    std::vector<float> m = getKVMatrix(s, kv, 0, g);
    std::vector<double> deq = fakeQuantInt8(m, N, R, c.groupSize);
    // Golden datapath on the quantized head, all its query heads at once.
    auto packed = quant::quantize(m, int64_t(N), int64_t(R), qc);
    ASSERT_TRUE(bool(packed)) << llvm::toString(packed.takeError());
    auto unpacked = unpackWeights(*packed);
    ASSERT_TRUE(bool(unpacked)) << llvm::toString(unpacked.takeError());
    uint64_t M = rep * s.rows;
    std::vector<uint16_t> xh(M * R);
    const float *x = lhs.data() + g * rep * s.rows * R;
    for (uint64_t i = 0; i < M * R; ++i)
      xh[i] = support::floatToHalf(x[i]);
    std::vector<float> golden(M * N);
    ASSERT_FALSE(bool(golden::groupedMatmul(xh.data(), unsigned(M),
                                            (*unpacked)->view, golden.data())));
    const float *y = r->result.data() + g * rep * s.rows * N;
    for (uint64_t i = 0; i < M; ++i)
      for (uint64_t n = 0; n < N; ++n) {
        ASSERT_EQ(y[i * N + n], golden[i * N + n]) << "row " << i << " n " << n;
        double ref = 0, mag = 0;
        for (uint64_t k = 0; k < R; ++k) {
          double a = double(support::halfToFloat(xh[i * R + k]));
          ref += a * deq[n * R + k];
          mag += std::fabs(a * deq[n * R + k]);
        }
        EXPECT_NEAR(y[i * N + n], ref, 1e-4 * mag + 1e-6)
            << "head " << g << " row " << i << " n " << n;
      }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, KVMatmulRef,
    ::testing::Values(Case{KVKind::Key, 4, 2, 3, 20, 32, 32},    // GQA scores
                      Case{KVKind::Value, 4, 2, 3, 20, 32, 16},  // T padded
                      Case{KVKind::Key, 2, 2, 1, 40, 64, 64},    // decode
                      Case{KVKind::Value, 2, 1, 1, 40, 64, 128}, // MQA
                      Case{KVKind::Key, 2, 2, 5, 5, 128, 128}));

TEST(KVMatmul, Errors) {
  arch::AccelConfig cfg;
  KVMatmulShape s;
  s.heads = 3;
  s.kvHeads = 2;
  auto r = runKVMatmul(cfg, s, {}, {}, /*timingOnly=*/true);
  ASSERT_FALSE(bool(r));
  EXPECT_NE(llvm::toString(r.takeError()).find("multiple of the kv heads"),
            std::string::npos);
  s.kvHeads = 1;
  s.groupSize = 12;
  r = runKVMatmul(cfg, s, {}, {}, true);
  ASSERT_FALSE(bool(r));
  EXPECT_NE(llvm::toString(r.takeError()).find("multiple of 8"),
            std::string::npos);
  s.groupSize = 8;
  r = runKVMatmul(cfg, s, {1.0f}, {1.0f, 2.0f});
  ASSERT_FALSE(bool(r));
  EXPECT_NE(llvm::toString(r.takeError()).find("elements"), std::string::npos);
}

/// One Llama-2-7B decoder layer's attention (32 heads, head_dim 128).
KVMatmulShape llamaShape(KVKind kind, uint64_t rows, uint64_t context) {
  KVMatmulShape s;
  s.kind = kind;
  s.heads = s.kvHeads = 32;
  s.rows = rows;
  s.context = context;
  s.headDim = 128;
  s.groupSize = 128;
  s.newPositions = rows;
  return s;
}

// Decode and prefill read every K/V element once per launch at 8 + scale
// bits (plus one float32 row scale per quantized row); the simulated cycles
// never beat the cost model's bound max(compute, DRAM) per launch, and their
// ratio to the cost model's attention formula is printed (docs/attention.md
// records it; the 5% agreement is not reached by this schedule).
TEST(KVMatmul, Llama7BAgainstCostModel) {
  arch::AccelConfig cfg;
  for (uint64_t context : {256u, 2048u})
    for (uint64_t rows : {uint64_t(1), uint64_t(256)})
      for (KVKind kind : {KVKind::Key, KVKind::Value}) {
        KVMatmulShape s = llamaShape(kind, rows, context);
        auto r = runKVMatmul(cfg, s, {}, {}, /*timingOnly=*/true);
        ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
        uint64_t N = s.getQuantRows(), R = s.getReduction();
        uint64_t groups = (R + 127) / 128;
        // codes + int8 group scales + float32 row scales, each section
        // 16-byte aligned, per block of 64 channels (the generative
        // arrangement's channel lanes) or 32 (discriminative).
        auto align16 = [](uint64_t v) { return (v + 15) / 16 * 16; };
        uint64_t chunks = r->launches / 32;
        EXPECT_GE(r->kvReadBytes,
                  32 * chunks * N * (groups * 128 + groups + 4));
        EXPECT_LE(r->kvReadBytes, 32 * chunks *
                                      (N * (groups * 128 + groups + 4) +
                                       3 * 15 * (N / 32 + 1)));
        (void)align16;
        auto est = estimate(cfg, AcceleratorKind::BitMoD, {rows, N, R},
                            quant::DataType::int8, 128,
                            /*activationActivation=*/true);
        ASSERT_TRUE(bool(est)) << llvm::toString(est.takeError());
        double model = 32.0 * double(est->totalCycles);
        double bound =
            32.0 * double(std::max(est->computeCycles, est->dramCycles));
        double simCycles = double(r->timing.totalCycles);
        EXPECT_GE(simCycles, bound);
        std::printf("[ kv ] %s M=%llu T=%llu: sim %.0f model %.0f (x%.3f) "
                    "max(compute,dram) %.0f kv bytes %llu launches %llu\n",
                    kind == KVKind::Key ? "QK" : "PV", (unsigned long long)rows,
                    (unsigned long long)context, simCycles, model,
                    simCycles / model, bound,
                    (unsigned long long)r->kvReadBytes,
                    (unsigned long long)r->launches);
      }
}

} // namespace
