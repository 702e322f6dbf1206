//===- ExecutorTest.cpp - Functional execution of BitMoD programs ---------===//

#include "ISA/TestUtil.h"

#include "bitmod/Sim/Datapath.h"
#include "bitmod/Sim/Executor.h"
#include "bitmod/Sim/Float16.h"
#include "bitmod/Sim/GoldenDatapath.h"

#include <cmath>

using namespace bitmod;
using namespace bitmod::isa;
using namespace bitmod::isa::test;

namespace {

struct Case {
  quant::DataType dtype;
  uint32_t M;
  int64_t K, N;
  LinearProgramOptions opt;
};

/// Runs the program and checks it against (1) the Datapath run on the whole
/// packed tensor (bit-exact when K is one block) and (2) an fp64 reference
/// x_fp16 @ dequant(W)^T.
void runCase(const Case &c, bool expectBitExact, double relTol) {
  auto w = randomMatrix(17, c.N * c.K, 0.02f);
  quant::PackedWeights pw =
      quantizeOrDie(w, c.N, c.K, c.dtype, quant::isMXType(c.dtype) ? 32 : 128);
  auto prog = buildLinearProgram(pw, c.M, c.opt);
  ASSERT_TRUE(bool(prog)) << llvm::toString(prog.takeError());
  auto x = randomMatrix(23, uint64_t(c.M) * c.K, 1.0f);
  llvm::StringMap<std::vector<float>> inputs;
  inputs["x"] = x;
  auto res = sim::execute(*prog, arch::AccelConfig(), inputs);
  ASSERT_TRUE(bool(res)) << llvm::toString(res.takeError());
  const std::vector<float> &y = res->outputs["y"];
  ASSERT_EQ(y.size(), size_t(c.M * c.N));

  std::vector<uint16_t> xh(x.size());
  for (size_t i = 0; i < x.size(); ++i)
    xh[i] = sim::floatToHalf(x[i]);
  // Pad K for the datapath reference.
  int64_t kPad = pw.getNumGroups() * pw.getGroupSize();
  std::vector<uint16_t> xp(uint64_t(c.M) * kPad, 0);
  for (uint32_t m = 0; m < c.M; ++m)
    for (int64_t k = 0; k < c.K; ++k)
      xp[m * kPad + k] = xh[m * c.K + k];
  std::vector<float> ref(c.M * c.N);
  sim::DatapathOptions dopt;
  dopt.output = c.opt.outFormat == OutFormat::F16 ? sim::OutputRounding::FP16
                                                  : sim::OutputRounding::FP32;
  auto unpacked = sim::unpackWeights(pw);
  ASSERT_TRUE(bool(unpacked)) << llvm::toString(unpacked.takeError());
  sim::QuantizedMatrixView view = (*unpacked)->view;
  view.cols = unsigned(kPad);
  llvm::Error e = sim::groupedMatmul(xp.data(), c.M, view, ref.data(), dopt);
  ASSERT_FALSE(bool(e)) << llvm::toString(std::move(e));

  std::vector<float> dq = quant::dequantize(pw);
  double maxErr = 0, maxRef = 0;
  for (uint32_t m = 0; m < c.M; ++m)
    for (int64_t n = 0; n < c.N; ++n) {
      double acc = 0;
      for (int64_t k = 0; k < c.K; ++k)
        acc += double(sim::halfToFloat(xh[m * c.K + k])) * dq[n * c.K + k];
      maxErr = std::max(maxErr, std::abs(acc - y[m * c.N + n]));
      maxRef = std::max(maxRef, std::abs(acc));
      if (expectBitExact) {
        ASSERT_EQ(y[m * c.N + n], ref[m * c.N + n]) << m << "," << n;
      }
    }
  EXPECT_LE(maxErr, relTol * maxRef)
      << quant::getName(c.dtype) << " max error " << maxErr << " of " << maxRef;
  EXPECT_GT(res->datapath.termSteps, 0u);
}

TEST(Executor, Int8SingleBlockBitExact) {
  runCase({quant::DataType::int8, 8, 384, 40, {}}, true, 1e-4);
}

TEST(Executor, Bitmod3SingleBlockBitExact) {
  runCase({quant::DataType::bitmod3, 8, 384, 40, {}}, true, 1e-4);
}

TEST(Executor, OtherTypesBitExact) {
  for (quant::DataType dt :
       {quant::DataType::bitmod4, quant::DataType::int4_asym,
        quant::DataType::mxfp4, quant::DataType::fp3_er_pos,
        quant::DataType::int6})
    runCase({dt, 8, 384, 40, {}}, true, 1e-4);
}

/// Weights quantized against a custom special-value set: the program's
/// CONFIG programs the SV register with it, and the executor is bit-exact
/// against the fast and the golden datapath given the same SV file (and
/// differs from a run with the paper's file, so the register is used).
TEST(Executor, CustomSpecialValuesBitExact) {
  struct SVCase {
    quant::DataType dtype;
    quant::SpecialValueSet sv;
  };
  for (SVCase c : {SVCase{quant::DataType::bitmod3, {3, -3, 8, -8}},
                   SVCase{quant::DataType::bitmod3, {5, -5, 24, -24}},
                   SVCase{quant::DataType::bitmod4, {9, -9, 24, -24}},
                   SVCase{quant::DataType::fp4_ea_neg, {10, -10, 16, -20}}}) {
    const uint32_t M = 8;
    const int64_t K = 384, N = 40;
    auto w = randomMatrix(31, N * K, 0.02f);
    w[5] = 0.3f; // an outlier so that the far special values get used
    w[K + 9] = -0.3f;
    quant::QuantConfig cfg;
    cfg.dtype = c.dtype;
    cfg.groupSize = 128;
    cfg.numThreads = 1;
    cfg.specialValues = c.sv;
    auto pw = quant::quantize(w, N, K, cfg);
    ASSERT_TRUE(bool(pw)) << llvm::toString(pw.takeError());
    auto prog = buildLinearProgram(*pw, M, {});
    ASSERT_TRUE(bool(prog)) << llvm::toString(prog.takeError());
    bool sawConfig = false;
    for (const Instruction &inst : prog->instructions)
      if (inst.opcode == Opcode::Config) {
        EXPECT_EQ(inst.config.sv, c.sv);
        sawConfig = true;
      }
    EXPECT_TRUE(sawConfig);
    auto x = randomMatrix(23, uint64_t(M) * K, 1.0f);
    llvm::StringMap<std::vector<float>> inputs;
    inputs["x"] = x;
    auto res = sim::execute(*prog, arch::AccelConfig(), inputs);
    ASSERT_TRUE(bool(res)) << llvm::toString(res.takeError());
    const std::vector<float> &y = res->outputs["y"];

    std::vector<uint16_t> xh(x.size());
    for (size_t i = 0; i < x.size(); ++i)
      xh[i] = sim::floatToHalf(x[i]);
    auto unpacked = sim::unpackWeights(*pw);
    ASSERT_TRUE(bool(unpacked)) << llvm::toString(unpacked.takeError());
    sim::DatapathOptions dopt;
    sim::SpecialValueFile file;
    for (unsigned i = 0; i < 4; ++i)
      file.values[i] = c.sv[i];
    dopt.specialValues = file;
    std::vector<float> fast(M * N), gold(M * N), paper(M * N);
    ASSERT_FALSE(bool(sim::groupedMatmul(xh.data(), M, (*unpacked)->view,
                                         fast.data(), dopt)));
    ASSERT_FALSE(bool(sim::golden::groupedMatmul(
        xh.data(), M, (*unpacked)->view, gold.data(), dopt)));
    ASSERT_FALSE(bool(sim::groupedMatmul(xh.data(), M, (*unpacked)->view,
                                         paper.data(), {})));
    bool differs = false;
    std::vector<float> dq = quant::dequantize(*pw);
    double maxErr = 0, maxRef = 0;
    for (uint32_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < N; ++n) {
        ASSERT_EQ(y[m * N + n], fast[m * N + n]) << m << "," << n;
        ASSERT_EQ(y[m * N + n], gold[m * N + n]) << m << "," << n;
        differs |= y[m * N + n] != paper[m * N + n];
        double acc = 0;
        for (int64_t k = 0; k < K; ++k)
          acc += double(sim::halfToFloat(xh[m * K + k])) * dq[n * K + k];
        maxErr = std::max(maxErr, std::abs(acc - y[m * N + n]));
        maxRef = std::max(maxRef, std::abs(acc));
      }
    EXPECT_TRUE(differs) << quant::getName(c.dtype);
    EXPECT_LE(maxErr, 1e-4 * maxRef) << quant::getName(c.dtype);
  }
}

TEST(Executor, TiledAccumulateAcrossK) {
  // 32-channel blocks and one group per block: 2 N blocks x 3 K blocks with
  // accumulate, double-buffered weights and outputs.
  Case c{quant::DataType::bitmod3, 8, 384, 40, {}};
  c.opt.blockChannels = 32;
  c.opt.blockGroups = 1;
  runCase(c, false, 1e-4);
}

TEST(Executor, PaddedKAndF16Output) {
  Case c{quant::DataType::int8, 5, 300, 70, {}};
  c.opt.outFormat = OutFormat::F16;
  c.opt.blockChannels = 32;
  runCase(c, true, 2e-3);
}

TEST(Executor, Errors) {
  auto w = randomMatrix(1, 40 * 384, 0.02f);
  quant::PackedWeights pw = quantizeOrDie(w, 40, 384, quant::DataType::int8);
  auto prog = buildLinearProgram(pw, 8);
  ASSERT_TRUE(bool(prog));
  llvm::StringMap<std::vector<float>> inputs;
  auto r = sim::execute(*prog, arch::AccelConfig(), inputs);
  ASSERT_FALSE(bool(r));
  EXPECT_NE(llvm::toString(r.takeError()).find("missing input 'x'"),
            std::string::npos);
  inputs["x"] = std::vector<float>(7);
  r = sim::execute(*prog, arch::AccelConfig(), inputs);
  ASSERT_FALSE(bool(r));
  EXPECT_NE(llvm::toString(r.takeError()).find("has 7 elements"),
            std::string::npos);
  inputs["x"] = std::vector<float>(8 * 384, 1.0f);
  inputs["x"][5] = INFINITY;
  r = sim::execute(*prog, arch::AccelConfig(), inputs);
  ASSERT_FALSE(bool(r));
  EXPECT_NE(llvm::toString(r.takeError()).find("instruction 3 (matmul)"),
            std::string::npos);
  // Timing only needs no inputs.
  sim::ExecOptions o;
  o.timingOnly = true;
  auto t = sim::execute(*prog, arch::AccelConfig(), {}, o);
  ASSERT_TRUE(bool(t)) << llvm::toString(t.takeError());
  EXPECT_GT(t->timing.totalCycles, 0u);
}

} // namespace
