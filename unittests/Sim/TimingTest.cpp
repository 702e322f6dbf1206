//===- TimingTest.cpp - Timing model vs the analytic cost model -----------===//

#include "ISA/TestUtil.h"

#include "bitmod/ISA/WeightBlock.h"
#include "bitmod/Sim/CostModel.h"
#include "bitmod/Sim/Executor.h"
#include "bitmod/Sim/Trace.h"

using namespace bitmod;
using namespace bitmod::isa;
using namespace bitmod::isa::test;

namespace {

TEST(Timing, MatMulMatchesCostModelCompute) {
  arch::AccelConfig cfg;
  for (quant::DataType dt :
       {quant::DataType::int8, quant::DataType::int6, quant::DataType::bitmod3,
        quant::DataType::bitmod4}) {
    for (auto [M, N, K] :
         {std::array<uint32_t, 3>{8, 40, 384}, {64, 96, 1024}, {1, 256, 512}}) {
      auto w = randomMatrix(5, uint64_t(N) * K, 0.02f);
      quant::PackedWeights pw = quantizeOrDie(w, N, K, dt);
      auto prog = buildLinearProgram(pw, M);
      ASSERT_TRUE(bool(prog)) << llvm::toString(prog.takeError());
      auto t = sim::simulateTiming(*prog, cfg);
      ASSERT_TRUE(bool(t)) << llvm::toString(t.takeError());
      auto est =
          sim::estimate(cfg, sim::AcceleratorKind::BitMoD, {M, N, K}, dt, 128,
                        false, arch::ArrayArrangement::Discriminative);
      ASSERT_TRUE(bool(est)) << llvm::toString(est.takeError());
      // One MATMUL covers the whole GEMM: its duration is the analytic
      // compute time (passes * passCycles + fill + drain).
      uint64_t mmCycles = 0;
      for (size_t i = 0; i < prog->instructions.size(); ++i)
        if (prog->instructions[i].opcode == Opcode::MatMul)
          mmCycles += t->insts[i].end - t->insts[i].start;
      EXPECT_EQ(mmCycles, est->computeCycles)
          << quant::getName(dt) << " " << M << "x" << N << "x" << K;
      EXPECT_EQ(t->macs, est->macs);
    }
  }
}

TEST(Timing, UncontendedChainIsExact) {
  arch::AccelConfig cfg;
  auto w = randomMatrix(5, 40 * 384, 0.02f);
  quant::PackedWeights pw = quantizeOrDie(w, 40, 384, quant::DataType::int8);
  auto prog = buildLinearProgram(pw, 8);
  ASSERT_TRUE(bool(prog));
  auto t = sim::simulateTiming(*prog, cfg);
  ASSERT_TRUE(bool(t));
  const auto &in = prog->instructions;
  uint64_t L = cfg.dramLatencyCycles;
  // config, load.act, load.wgt, matmul, store, halt
  ASSERT_EQ(in.size(), 6u);
  uint64_t a = sim::getDmaBusCycles(cfg, 8 * 768, 0);
  uint64_t wb = sim::getDmaBusCycles(cfg, in[2].loadWgt.bytes, 0);
  uint64_t s = sim::getDmaBusCycles(cfg, 8 * 160, 0);
  auto c = sim::getMatMulCycles(cfg, in[0].config, in[3].matmul);
  ASSERT_TRUE(bool(c));
  EXPECT_EQ(a, sim::getDramTransferCycles(cfg, 8 * 768));
  EXPECT_EQ(t->insts[1].end, a + L);
  // The load queue issues the next DMA when the bus is free (requests in
  // flight overlap their latency).
  EXPECT_EQ(t->insts[2].start, a);
  EXPECT_EQ(t->insts[2].end, a + wb + L);
  EXPECT_EQ(t->insts[3].start, t->insts[2].end);
  EXPECT_EQ(t->insts[3].end, t->insts[3].start + *c);
  EXPECT_EQ(t->totalCycles, t->insts[3].end + s + L);
  EXPECT_GT(t->energy.getTotalPJ(), 0);
  EXPECT_EQ(t->activity.dramReadBytes, 8u * 768 + in[2].loadWgt.bytes);
  EXPECT_EQ(t->activity.dramWriteBytes, 8u * 160);
}

TEST(Timing, DoubleBufferingOverlapsLoadsAndCompute) {
  arch::AccelConfig cfg;
  const int64_t N = 512, K = 2048;
  auto w = randomMatrix(9, N * K, 0.02f);
  quant::PackedWeights pw = quantizeOrDie(w, N, K, quant::DataType::bitmod3);
  LinearProgramOptions opt;
  opt.blockChannels = 64;
  auto prog = buildLinearProgram(pw, 32, opt);
  ASSERT_TRUE(bool(prog)) << llvm::toString(prog.takeError());
  auto t = sim::simulateTiming(*prog, cfg);
  ASSERT_TRUE(bool(t));
  uint64_t serial = 0;
  bool overlap = false;
  for (size_t i = 0; i < t->insts.size(); ++i) {
    serial += t->insts[i].end - t->insts[i].start;
    for (size_t j = 0; j < t->insts.size(); ++j)
      if (t->insts[i].queue == Queue::Load &&
          t->insts[j].queue == Queue::Compute &&
          t->insts[i].start < t->insts[j].end &&
          t->insts[j].start < t->insts[i].end)
        overlap = true;
  }
  EXPECT_TRUE(overlap);
  EXPECT_LT(t->totalCycles, serial);
  // Tokens are respected: every MATMUL starts after its LOAD_WGT ended.
  size_t lastLoad = 0;
  for (size_t i = 0; i < prog->instructions.size(); ++i) {
    if (prog->instructions[i].opcode == Opcode::LoadWgt)
      lastLoad = i;
    if (prog->instructions[i].opcode == Opcode::MatMul) {
      EXPECT_GE(t->insts[i].start, t->insts[lastLoad].end);
    }
  }
  // Layer accounting covers the whole program.
  ASSERT_EQ(t->layers.size(), 1u);
  EXPECT_EQ(t->layers[0].cycles, t->totalCycles);
  EXPECT_GT(t->peUtilization, 0.0);
  EXPECT_LE(t->peUtilization, 1.0);

  // The trace has one complete event per instruction.
  llvm::json::Value trace = sim::buildChromeTrace(*prog, *t, cfg);
  const llvm::json::Array *events =
      trace.getAsObject()->getArray("traceEvents");
  ASSERT_TRUE(events);
  size_t complete = 0;
  for (const llvm::json::Value &ev : *events)
    if (ev.getAsObject()->getString("ph") == llvm::StringRef("X"))
      ++complete;
  EXPECT_EQ(complete, prog->instructions.size());
}

TEST(Timing, RejectsUnknownArrangement) {
  arch::AccelConfig cfg;
  auto w = randomMatrix(5, 40 * 384, 0.02f);
  quant::PackedWeights pw = quantizeOrDie(w, 40, 384, quant::DataType::int8);
  LinearProgramOptions opt;
  opt.tokenLanes = 8;
  auto prog = buildLinearProgram(pw, 8, opt);
  ASSERT_TRUE(bool(prog));
  auto t = sim::simulateTiming(*prog, cfg);
  ASSERT_FALSE(bool(t));
  EXPECT_NE(llvm::toString(t.takeError()).find("neither the discriminative"),
            std::string::npos);
}

} // namespace
