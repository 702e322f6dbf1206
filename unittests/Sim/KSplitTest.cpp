//===- KSplitTest.cpp - K-split plans against the datapath contract -------===//
//
// docs/hw-dialect.md "K-split numerics": a plan that cuts K into chunks of
// kg groups computes every chunk's block result y_c = FP32(colAcc_c *
// channelScale) and accumulates out = fp32(old + y_c) in K order (then FP16
// for f16 outputs), so
//  (1) every plan with the same chunking is bit-identical, whatever its loop
//      order (act_resident, wgt_resident, out_block with one or two output
//      slots) and M/N blocking;
//  (2) it equals the fp32 (f16: per-chunk FP16) running sum of the single-
//      chunk results of the chunks: the non-split plan run on X with every
//      column outside the chunk zeroed (zero activations add exact zeros);
//  (3) against the non-split plan it differs only by that re-association
//      and the per-chunk channel-scale rounding: a few FP32 ulps.
//
//===----------------------------------------------------------------------===//

#include "ISA/TestUtil.h"

#include "bitmod/ISA/WeightBlock.h"
#include "bitmod/Sim/Executor.h"
#include "bitmod/Sim/Float16.h"
#include "bitmod/Sim/Planner.h"

#include <cmath>
#include <cstring>

using namespace bitmod;
using namespace bitmod::sim;
using isa::test::quantizeOrDie;
using isa::test::randomMatrix;
using quant::DataType;

namespace {

struct Gemm {
  PlanGemm g;
  quant::PackedWeights pw;
};

Gemm makeGemm(const arch::AccelConfig &cfg, DataType dt, uint64_t M, uint64_t N,
              uint64_t K, unsigned outElem) {
  Gemm r;
  r.pw =
      quantizeOrDie(randomMatrix(11, N * K, 0.02f), int64_t(N), int64_t(K), dt);
  auto spec = getBitMoDWeightSpec(cfg, dt, 128);
  EXPECT_TRUE(bool(spec));
  auto g = getPlanGemm(cfg, AcceleratorKind::BitMoD, {M, N, K}, *spec, outElem);
  EXPECT_TRUE(bool(g));
  r.g = *g;
  auto config = isa::getConfigForWeights(r.pw);
  EXPECT_TRUE(bool(config)) << llvm::toString(config.takeError());
  r.g.config = *config;
  return r;
}

/// Runs plan `b` functionally on input `x`; returns y.
std::vector<float> run(const Gemm &gm, const PlanBlocking &b,
                       const arch::AccelConfig &cfg,
                       const std::vector<float> &x,
                       unsigned *outSlots = nullptr) {
  const PlanGemm &g = gm.g;
  auto p = planBuffers(g, b, cfg);
  if (!p) {
    ADD_FAILURE() << llvm::toString(p.takeError());
    return {};
  }
  if (outSlots)
    *outSlots = p->numOutSlots;
  LaunchSchedule s(g, b, *p, cfg);
  isa::Program prog;
  uint64_t Nb = std::min(b.blockChannels, g.N);
  uint64_t kg = std::min(b.blockGroups, g.numGroups);
  for (uint64_t n0 = 0; n0 < g.N; n0 += Nb)
    for (uint64_t g0 = 0; g0 < g.numGroups; g0 += kg) {
      auto blk = isa::packWeightBlock(
          gm.pw, g.config, int64_t(n0), uint32_t(std::min(Nb, g.N - n0)),
          int64_t(g0), uint32_t(std::min(kg, g.numGroups - g0)));
      if (!blk) {
        ADD_FAILURE() << llvm::toString(blk.takeError());
        return {};
      }
      prog.weights.insert(prog.weights.end(), blk->begin(), blk->end());
    }
  EXPECT_EQ(prog.weights.size(), s.getBlobBytes());
  auto align64 = [](uint64_t v) { return (v + 63) / 64 * 64; };
  uint64_t xAddr = align64(prog.weights.size());
  uint64_t yAddr = align64(xAddr + g.M * g.K * 2);
  s.build(0, xAddr, yAddr);
  for (const PlannedInst &pi : s.insts)
    prog.instructions.push_back(pi.inst);
  isa::Instruction halt;
  halt.opcode = isa::Opcode::Halt;
  prog.instructions.push_back(halt);
  isa::ElemType outTy =
      g.outElem == 2 ? isa::ElemType::F16 : isa::ElemType::F32;
  prog.symbols.push_back({"x",
                          isa::SymbolKind::Input,
                          isa::ElemType::F16,
                          {int64_t(g.M), int64_t(g.K)},
                          xAddr,
                          g.M * g.K * 2});
  prog.symbols.push_back({"y",
                          isa::SymbolKind::Output,
                          outTy,
                          {int64_t(g.M), int64_t(g.N)},
                          yAddr,
                          g.M * g.N * g.outElem});
  prog.dramSize = align64(yAddr + g.M * g.N * g.outElem);
  prog.actBufferBytes = uint32_t(cfg.actBufferBytes);
  prog.wgtBufferBytes = uint32_t(cfg.wgtBufferBytes);
  if (llvm::Error e = isa::verifyProgram(prog)) {
    ADD_FAILURE() << llvm::toString(std::move(e));
    return {};
  }
  llvm::StringMap<std::vector<float>> inputs;
  inputs["x"] = x;
  auto r = execute(prog, cfg, inputs);
  if (!r) {
    ADD_FAILURE() << llvm::toString(r.takeError());
    return {};
  }
  return r->outputs["y"];
}

PlanBlocking blocking(PlanOrder o, uint64_t mb, uint64_t nb, uint64_t kg) {
  PlanBlocking b;
  b.arrangement = arch::ArrayArrangement::Discriminative;
  b.order = o;
  b.blockTokens = mb;
  b.blockChannels = nb;
  b.blockGroups = kg;
  return b;
}

bool bitEqual(const std::vector<float> &a, const std::vector<float> &b) {
  return a.size() == b.size() &&
         std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

void checkDtype(DataType dt, unsigned outElem) {
  arch::AccelConfig cfg;
  const uint64_t M = 40, N = 96, K = 1024, kg = 2; // 8 groups, 4 chunks
  Gemm gm = makeGemm(cfg, dt, M, N, K, outElem);
  std::vector<float> x = randomMatrix(5, M * K, 1.0f);
  SCOPED_TRACE(std::string(quant::getName(dt)) +
               (outElem == 2 ? " f16" : " f32"));

  // (1) Same chunking, every loop order and blocking: bit-identical.
  std::vector<float> ref =
      run(gm, blocking(PlanOrder::ActResident, M, 32, kg), cfg, x);
  ASSERT_EQ(ref.size(), M * N);
  for (PlanBlocking b : {blocking(PlanOrder::ActResident, 32, 32, kg),
                         blocking(PlanOrder::WgtResident, M, N, kg),
                         blocking(PlanOrder::WgtResident, 32, 64, kg),
                         blocking(PlanOrder::OutBlock, M, N, kg),
                         blocking(PlanOrder::OutBlock, 32, 64, kg)})
    EXPECT_TRUE(bitEqual(run(gm, b, cfg, x), ref))
        << getPlanOrderName(b.order).str() << " Mb=" << b.blockTokens
        << " Nb=" << b.blockChannels;
  // An out_block tile kept once (one output slot: stores in row pieces).
  arch::AccelConfig small = cfg;
  small.actBufferBytes = 2 * 40 * 512 + 40 * 96 * outElem + 1024;
  unsigned slots = 0;
  std::vector<float> one =
      run(gm, blocking(PlanOrder::OutBlock, M, N, kg), small, x, &slots);
  EXPECT_EQ(slots, 1u);
  EXPECT_TRUE(bitEqual(one, ref)) << "out_block, one output slot";

  // (2) The documented rounding point: fp32 running sum of the chunks'
  // single-chunk results (the non-split plan on X zeroed outside the chunk).
  const uint64_t chunkElems = kg * 128, chunks = K / chunkElems;
  Gemm gm32 = outElem == 4 ? gm : makeGemm(cfg, dt, M, N, K, 4);
  std::vector<float> emu(M * N, 0.0f);
  for (uint64_t c = 0; c < chunks; ++c) {
    std::vector<float> xc(M * K, 0.0f);
    for (uint64_t r = 0; r < M; ++r)
      for (uint64_t k = c * chunkElems; k < (c + 1) * chunkElems; ++k)
        xc[r * K + k] = x[r * K + k];
    std::vector<float> yc =
        run(gm32, blocking(PlanOrder::ActResident, M, 32, K / 128), cfg, xc);
    ASSERT_EQ(yc.size(), M * N);
    for (size_t i = 0; i < emu.size(); ++i) {
      float v = c == 0 ? yc[i] : emu[i] + yc[i];
      emu[i] = outElem == 2 ? halfToFloat(floatToHalf(v)) : v;
    }
  }
  EXPECT_TRUE(bitEqual(emu, ref)) << "chunked fp32 running sum";

  // (3) The non-split plan differs by the re-association only.
  std::vector<float> whole =
      run(gm, blocking(PlanOrder::ActResident, M, 32, K / 128), cfg, x);
  ASSERT_EQ(whole.size(), M * N);
  double maxRel = 0, scale = 0;
  size_t differ = 0;
  for (size_t i = 0; i < whole.size(); ++i) {
    scale = std::max(scale, double(std::fabs(whole[i])));
    differ += whole[i] != ref[i];
  }
  for (size_t i = 0; i < whole.size(); ++i)
    maxRel = std::max(maxRel, std::fabs(double(whole[i]) - ref[i]) / scale);
  std::printf("[ measured ] %s %s: split vs non-split: %zu of %zu outputs "
              "differ, max |diff| / max |y| = %.3g\n",
              std::string(quant::getName(dt)).c_str(), outElem == 2 ? "f16" : "f32",
              differ, whole.size(), maxRel);
  // f32: a few FP32 ulps of the largest output; f16: per-chunk FP16
  // rounding of the running sum (chunks half-ulps of FP16).
  EXPECT_LE(maxRel, outElem == 2 ? double(chunks) * std::ldexp(1.0, -11)
                                 : 16 * std::ldexp(1.0, -24));
}

TEST(KSplit, Int8F32) { checkDtype(DataType::int8, 4); }
TEST(KSplit, Bitmod4F32) { checkDtype(DataType::bitmod4, 4); }
TEST(KSplit, Bitmod3F16) { checkDtype(DataType::bitmod3, 2); }
TEST(KSplit, Int4AsymF32) { checkDtype(DataType::int4_asym, 4); }

} // namespace
