//===- CostModelTest.cpp --------------------------------------------------===//

#include "bitmod/Sim/CostModel.h"
#include "bitmod/Sim/Baselines.h"

#include "llvm/Support/Error.h"
#include "gtest/gtest.h"

using namespace bitmod;
using namespace bitmod::arch;
using namespace bitmod::sim;
using quant::DataType;

namespace {

GemmCost mustEstimate(const AccelConfig &cfg, AcceleratorKind kind, GemmShape s,
                      DataType t, unsigned G = 128, bool aa = false,
                      ArrayArrangement a = ArrayArrangement::Auto) {
  auto c = estimate(cfg, kind, s, t, G, aa, a);
  if (!c) {
    ADD_FAILURE() << llvm::toString(c.takeError());
    return {};
  }
  return *c;
}

TEST(CostModel, AcceptanceBitmod4Prefill) {
  AccelConfig cfg;
  GemmShape s{256, 4096, 4096};
  GemmCost c = mustEstimate(cfg, AcceleratorKind::BitMoD, s, DataType::bitmod4);
  // Ideal compute: 1024 PEs x 4-way / 2 terms.
  double compute = double(s.M) * s.N * s.K / (1024.0 * 4 / 2);
  double dram = (double(s.N) * s.K * (4 + 10.0 / 128) / 8 +
                 double(s.M) * s.K * 2 + double(s.M) * s.N * 2) /
                32.0;
  double ideal = std::max(compute, dram);
  double ratio = double(c.totalCycles) / ideal;
  std::printf("[ measured ] bitmod4 prefill 256x4096x4096: %llu cycles, "
              "ideal %.0f, ratio %.4f (%s)\n",
              (unsigned long long)c.totalCycles, ideal, ratio,
              c.toString().c_str());
  EXPECT_GE(ratio, 0.97);
  EXPECT_LE(ratio, 1.10);
}

TEST(CostModel, AcceptanceBitmod3Decode) {
  AccelConfig cfg;
  GemmShape s{1, 4096, 4096};
  GemmCost c = mustEstimate(cfg, AcceleratorKind::BitMoD, s, DataType::bitmod3);
  double ideal = double(s.N) * s.K * (3 + 10.0 / 128) / 8 / 32.0;
  double ratio = double(c.totalCycles) / ideal;
  std::printf("[ measured ] bitmod3 decode 1x4096x4096: %llu cycles, ideal "
              "%.0f, ratio %.4f (%s)\n",
              (unsigned long long)c.totalCycles, ideal, ratio,
              c.toString().c_str());
  EXPECT_GE(ratio, 0.97);
  EXPECT_LE(ratio, 1.10);
  EXPECT_EQ(c.plan.arrangement, ArrayArrangement::Generative);
  EXPECT_GT(c.dramCycles, c.computeCycles);
}

TEST(CostModel, GroupCyclesMatchPaper) {
  AccelConfig cfg;
  EXPECT_EQ(getGroupCycles(cfg, 128, 4), 128u); // INT8
  EXPECT_EQ(getGroupCycles(cfg, 128, 3), 96u);  // INT6
  EXPECT_EQ(getGroupCycles(cfg, 128, 2), 64u);  // fp3/fp4
  // Tiny groups: the 8-cycle bit-serial dequant becomes the bottleneck.
  EXPECT_EQ(getGroupCycles(cfg, 8, 2), 8u);
}

TEST(CostModel, FormulaPiecesCompose) {
  AccelConfig cfg;
  GemmShape s{100, 300, 1000};
  auto spec = getBitMoDWeightSpec(cfg, DataType::int6, 128);
  ASSERT_TRUE(bool(spec));
  // The closed-form formula (estimateAnalytic, the ablation).
  auto c = estimateAnalytic(cfg, AcceleratorKind::BitMoD, s, *spec,
                            ArrayArrangement::Discriminative);
  ASSERT_TRUE(bool(c));
  uint64_t passes = ((100 + 31) / 32) * ((300 + 31) / 32);
  uint64_t pass = 8 * 96; // ceil(1000/128) groups x 96
  EXPECT_EQ(c->passes, passes);
  EXPECT_EQ(c->passCycles, pass);
  EXPECT_EQ(c->computeCycles, passes * pass + (3 + 3 + 1) + (8 + 8 + 1));
  EXPECT_EQ(c->weightBytes, uint64_t((300 * 1024 * (6 + 8.0 / 128)) / 8));
  EXPECT_EQ(c->totalCycles, std::max(c->computeCycles, c->dramCycles) +
                                c->firstLoadCycles + c->lastStoreCycles);
  EXPECT_EQ(c->dramCycles, (c->dramBytes + 31) / 32);
}

TEST(CostModel, BlockingFitsBuffers) {
  AccelConfig cfg;
  for (uint64_t M : {1, 16, 256, 2048})
    for (uint64_t K : {512, 4096, 11008})
      for (DataType t : {DataType::bitmod3, DataType::int8}) {
        GemmShape s{M, 4096, K};
        auto spec = getBitMoDWeightSpec(cfg, t, 128);
        ASSERT_TRUE(bool(spec));
        for (ArrayArrangement a :
             {ArrayArrangement::Discriminative, ArrayArrangement::Generative}) {
          BlockingPlan p =
              planBlocking(cfg, AcceleratorKind::BitMoD, s, *spec, a);
          if (p.order == BlockingOrder::ActResident) {
            EXPECT_LE(p.blockTokens * K * 2, cfg.actBufferBytes);
          }
          if (p.order == BlockingOrder::WgtResident) {
            EXPECT_LE(getWeightBytes(*spec, p.blockChannels, K),
                      cfg.wgtBufferBytes);
          }
          EXPECT_GT(p.outerIterations, 0u);
        }
      }
}

TEST(CostModel, BaselinesAndSpeedup) {
  AccelConfig cfg;
  GemmShape s{256, 4096, 4096};
  GemmCost bm =
      mustEstimate(cfg, AcceleratorKind::BitMoD, s, DataType::bitmod4);
  auto ant = estimate(cfg, AcceleratorKind::ANT, s, getBaselineWeightSpec(5.5));
  auto olive =
      estimate(cfg, AcceleratorKind::OliVe, s, getBaselineWeightSpec(4.5));
  auto fp16 =
      estimate(cfg, AcceleratorKind::FP16, s, getBaselineWeightSpec(16));
  ASSERT_TRUE(ant && olive && fp16);
  // Compute-bound prefill: BitMoD does 2048 MAC/cycle, ANT 1024,
  // OliVe 1152, FP16 768.
  EXPECT_NEAR(double(ant->totalCycles) / bm.totalCycles, 2.0, 0.1);
  EXPECT_NEAR(double(olive->totalCycles) / bm.totalCycles, 2048.0 / 1152, 0.1);
  EXPECT_NEAR(double(fp16->totalCycles) / bm.totalCycles, 2048.0 / 768, 0.15);
  EXPECT_EQ(getBaselineSpec(AcceleratorKind::OliVe).getNumPEs(), 1152u);
  EXPECT_EQ(getBaselineSpec(AcceleratorKind::FP16).getNumPEs(), 768u);
  // Port widths land on table rows (REFERENCE.md).
  EXPECT_EQ(getWgtPortBits(cfg, AcceleratorKind::BitMoD,
                           ArrayArrangement::Discriminative),
            256u);
  EXPECT_EQ(getActPortBits(cfg, AcceleratorKind::BitMoD,
                           ArrayArrangement::Discriminative),
            1024u);
  EXPECT_EQ(getWgtPortBits(cfg, AcceleratorKind::OliVe,
                           ArrayArrangement::Discriminative),
            288u);
  EXPECT_EQ(getActPortBits(cfg, AcceleratorKind::FP16,
                           ArrayArrangement::Discriminative),
            384u);
  EXPECT_EQ(getBaselineBitsPerWeight(AcceleratorKind::OliVe, true,
                                     PaperModel::Llama3_8B),
            3.5);
}

TEST(CostModel, AttentionUsesInt8Operand) {
  AccelConfig cfg;
  // QK^T of one head: M = 256 queries, N = 256 keys, K = 128 head dim.
  GemmCost c = mustEstimate(cfg, AcceleratorKind::BitMoD, {256, 256, 128},
                            DataType::bitmod3, 128, /*aa=*/true);
  EXPECT_EQ(c.spec.termsPerWeight, 4u);
  EXPECT_DOUBLE_EQ(c.spec.bitsPerWeight, 8 + 8.0 / 128);
}

TEST(CostModel, Errors) {
  AccelConfig cfg;
  auto e =
      estimate(cfg, AcceleratorKind::BitMoD, {0, 1, 1}, DataType::int8, 128);
  EXPECT_FALSE(bool(e));
  llvm::consumeError(e.takeError());
  auto f =
      estimate(cfg, AcceleratorKind::BitMoD, {1, 1, 1}, DataType::fp16, 128);
  EXPECT_FALSE(bool(f));
  llvm::consumeError(f.takeError());
}

TEST(CostModel, EnergyBreakdownPopulated) {
  AccelConfig cfg;
  GemmCost c = mustEstimate(cfg, AcceleratorKind::BitMoD, {1, 4096, 4096},
                            DataType::bitmod3);
  EXPECT_NEAR(c.energy.dramPJ, double(c.dramBytes) * 8 * 18.75, 1e-6);
  EXPECT_GT(c.energy.getBufferPJ(), 0);
  // Core energy over the simulated plan's array-active cycles (the union of
  // its MATMUL intervals, at least the analytic compute time).
  EXPECT_NEAR(c.energy.corePJ, double(c.peActiveCycles) * 0.56 * 1.5, 1e-3);
  EXPECT_GE(c.peActiveCycles, c.computeCycles * 1024);
}

} // namespace
