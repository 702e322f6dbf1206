//===- PlannerTest.cpp - sim::searchPlans on BitMoD and the baselines -----===//

#include "bitmod/Sim/Planner.h"
#include "bitmod/Sim/Baselines.h"
#include "bitmod/Sim/DramBound.h"
#include "bitmod/Sim/Timing.h"

#include "llvm/Support/Error.h"
#include "gtest/gtest.h"

#include <cmath>

using namespace bitmod;
using namespace bitmod::arch;
using namespace bitmod::sim;
using quant::DataType;

namespace {

constexpr AcceleratorKind kBaselines[] = {
    AcceleratorKind::FP16, AcceleratorKind::ANT, AcceleratorKind::OliVe};

uint64_t ceilDiv(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

/// max(compute, DRAM) of a baseline: compute = the fewer lane-padded passes
/// of the two arrangements x K (1 MAC per PE per cycle), DRAM = one read of
/// the weights with their per-channel scales, of X and one write of Y
/// (FP16), at dramBytesPerCycle.
double baselineRoofline(const AccelConfig &cfg, AcceleratorKind kind,
                        const GemmShape &s, double bits) {
  double compute = 1e300;
  for (ArrayArrangement a :
       {ArrayArrangement::Discriminative, ArrayArrangement::Generative}) {
    ArrayShape sh = getAcceleratorShape(cfg, kind, a);
    compute = std::min(compute, double(ceilDiv(s.M, sh.tokenLanes) *
                                       ceilDiv(s.N, sh.channelLanes) * s.K));
  }
  double scales = kind == AcceleratorKind::FP16 ? 0 : 2.0 * s.N;
  double dram = (double(s.N) * s.K * bits / 8 + scales + 2.0 * s.M * s.K +
                 2.0 * s.M * s.N) /
                cfg.dramBytesPerCycle;
  return std::max(compute, dram);
}

TEST(Planner, BaselinesPlannedAtTheRoofline) {
  AccelConfig cfg;
  for (AcceleratorKind kind : kBaselines)
    // Prefill (compute bound) and decode (DRAM bound); more shapes in
    // bench/schedule_sweep.py --accelerators.
    for (GemmShape s : {GemmShape{256, 4096, 4096}, GemmShape{1, 4096, 4096}}) {
      double bits = getBaselineBitsPerWeight(kind, s.M == 1, std::nullopt);
      auto c = estimate(cfg, kind, s, getBaselineWeightSpec(bits));
      ASSERT_TRUE(bool(c)) << llvm::toString(c.takeError());
      double bound = baselineRoofline(cfg, kind, s, bits);
      double ratio = double(c->totalCycles) / bound;
      std::printf("[ measured ] %s %llux%llux%llu: %llu cycles, roofline "
                  "%.0f, ratio %.4f (%s)\n",
                  getAcceleratorName(kind).str().c_str(),
                  (unsigned long long)s.M, (unsigned long long)s.N,
                  (unsigned long long)s.K, (unsigned long long)c->totalCycles,
                  bound, ratio, c->toString().c_str());
      EXPECT_GE(ratio, 0.999);
      EXPECT_LE(ratio, 1.03);
      // Traffic: at least one pass over the operands, at most 1.25x the
      // single-level blocking bound (K granularity of the planner's chunks).
      WeightSpec bs = getBaselineWeightSpec(bits);
      bs.groupSize = 128;
      auto lb = getDramLowerBound(cfg, s, bs);
      ASSERT_TRUE(bool(lb)) << llvm::toString(lb.takeError());
      EXPECT_GE(double(c->dramBytes), double(lb->bytes));
      EXPECT_LE(double(c->dramBytes), 1.25 * double(lb->bytes));
    }
}

TEST(Planner, BaselineTrafficHasChannelScales) {
  AccelConfig cfg;
  GemmShape s{1, 4096, 4096};
  for (AcceleratorKind kind : kBaselines) {
    double bits = getBaselineSpec(kind).discBitsPerWeight;
    auto c = estimate(cfg, kind, s, getBaselineWeightSpec(bits));
    ASSERT_TRUE(bool(c)) << llvm::toString(c.takeError());
    uint64_t codes = uint64_t(std::ceil(double(s.N) * s.K * bits / 8));
    uint64_t scales = kind == AcceleratorKind::FP16 ? 0 : 2 * s.N;
    EXPECT_GE(c->dramReadBytes, codes + scales + s.M * s.K * 2);
    EXPECT_EQ(c->dramWriteBytes, s.M * s.N * 2);
  }
}

TEST(Planner, BaselineMatMulPipeline) {
  AccelConfig cfg;
  isa::ConfigFields config;
  config.dtype = DataType::int8;
  config.groupSize = 128;
  config.tokenLanes = 32; // ANT discriminative: 32 tokens x 32 channels
  config.channelLanes = 32;
  isa::MatMulFields mm;
  mm.m = 64;
  mm.n = 96;
  mm.kGroups = 3;
  TimingTarget ant{AcceleratorKind::ANT, 5.5};
  auto pl = getMatMulPipeline(cfg, config, mm, ant);
  ASSERT_TRUE(bool(pl)) << llvm::toString(pl.takeError());
  // 2 x 3 passes of 384 K elements at 1 MAC per PE per cycle.
  EXPECT_EQ(pl->passCycles, 384u);
  EXPECT_EQ(pl->issueCycles, 6u * 384);
  EXPECT_EQ(pl->fillCycles, 32u + 32 - 2);
  EXPECT_EQ(pl->drainCycles, 32u);
  // The same MATMUL costs the analytic baseline compute of the GEMM.
  auto a = estimateAnalytic(cfg, AcceleratorKind::ANT, {64, 96, 384},
                            getBaselineWeightSpec(5.5),
                            ArrayArrangement::Discriminative);
  ASSERT_TRUE(bool(a));
  EXPECT_EQ(pl->getLatency(), a->computeCycles);
  // FP16 has no 32x32 arrangement.
  TimingTarget fp16{AcceleratorKind::FP16, 16};
  auto bad = getMatMulPipeline(cfg, config, mm, fp16);
  ASSERT_FALSE(bool(bad));
  std::string msg = llvm::toString(bad.takeError());
  EXPECT_NE(msg.find("neither the discriminative 24x32"), std::string::npos)
      << msg;
}

TEST(Planner, BitMoDEstimateIsTheTilePlan) {
  AccelConfig cfg;
  GemmShape s{256, 4096, 4096};
  auto spec = getBitMoDWeightSpec(cfg, DataType::int8, 128);
  ASSERT_TRUE(bool(spec));
  auto c = estimate(cfg, AcceleratorKind::BitMoD, s, *spec);
  ASSERT_TRUE(bool(c)) << llvm::toString(c.takeError());
  auto g = getPlanGemm(cfg, AcceleratorKind::BitMoD, s, *spec);
  ASSERT_TRUE(bool(g));
  std::string err;
  auto cands = searchPlans(
      *g, {ArrayArrangement::Discriminative, ArrayArrangement::Generative}, cfg,
      err);
  ASSERT_FALSE(cands.empty()) << err;
  EXPECT_EQ(c->totalCycles, cands.front().cost.cycles);
  EXPECT_EQ(c->dramBytes, cands.front().cost.dramBytes);
  EXPECT_EQ(c->plan.arrangement, cands.front().b.arrangement);
  // The analytic formula is still there (ablation) and differs.
  auto a = estimateAnalytic(cfg, AcceleratorKind::BitMoD, s, *spec);
  ASSERT_TRUE(bool(a));
  EXPECT_EQ(a->computeCycles, c->computeCycles);
}

TEST(Planner, BaselineSearchCoversBothArrangements) {
  AccelConfig cfg;
  auto pg = getPlanGemm(cfg, AcceleratorKind::OliVe, {1, 4096, 4096},
                        getBaselineWeightSpec(4.5));
  ASSERT_TRUE(bool(pg));
  EXPECT_EQ(pg->G, 128u);
  EXPECT_EQ(pg->numGroups, 32u);
  EXPECT_EQ(pg->channelScaleBytes, 2u);
  std::string err;
  auto cands = searchPlans(
      *pg, {ArrayArrangement::Discriminative, ArrayArrangement::Generative},
      cfg, err);
  ASSERT_FALSE(cands.empty()) << err;
  bool disc = false, gen = false;
  for (const PlanCandidate &c : cands) {
    disc |= c.b.arrangement == ArrayArrangement::Discriminative;
    gen |= c.b.arrangement == ArrayArrangement::Generative;
  }
  EXPECT_TRUE(disc && gen);
  // K that no power of two up to 128 divides evenly: chunks of 1.
  auto odd = getPlanGemm(cfg, AcceleratorKind::ANT, {4, 64, 4097},
                         getBaselineWeightSpec(5.5));
  ASSERT_TRUE(bool(odd));
  EXPECT_EQ(odd->G, 1u);
  auto c = estimate(cfg, AcceleratorKind::ANT, {4, 64, 4097},
                    getBaselineWeightSpec(5.5));
  ASSERT_TRUE(bool(c)) << llvm::toString(c.takeError());
  EXPECT_EQ(c->macs, 4u * 64 * 4097);
}

TEST(Planner, BitMoDSpecWithoutDtypeIsAnError) {
  AccelConfig cfg;
  WeightSpec s;
  s.groupSize = 128;
  s.termsPerWeight = 2;
  s.bitsPerWeight = 4;
  auto g = getPlanGemm(cfg, AcceleratorKind::BitMoD, {1, 64, 128}, s);
  ASSERT_FALSE(bool(g));
  EXPECT_NE(llvm::toString(g.takeError()).find("names no data type"),
            std::string::npos);
}

} // namespace
