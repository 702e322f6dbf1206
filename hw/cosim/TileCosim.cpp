//===- TileCosim.cpp - Tile-level co-simulation of the BitMoD RTL ---------===//
//
// Drives hw/rtl/bitmod_tile.v (8x8 PEs, term encoders per column, column
// accumulators) through whole passes: 8 tokens x 8 output channels x
// 1..3 groups of G weights. The testbench plays the operand buffers (it
// answers the tile's reads). Every output bit is compared with
// golden::groupedMatmul and the fast sim::groupedMatmul (FP32 outputs, channel
// scales), the cycles between group hand-offs with the cost model's
// groupCycles and the pass (start to done) with the timing model's
// MatMulPipeline latency for a one-tile accelerator.
//
//===----------------------------------------------------------------------===//

#include "Cosim.h"

#include "Vbitmod_tile.h"
#include "verilated.h"

#include "bitmod/Arch/AccelConfig.h"
#include "bitmod/ISA/Instruction.h"
#include "bitmod/Sim/CostModel.h"
#include "bitmod/Sim/GoldenDatapath.h"
#include "bitmod/Sim/Timing.h"

#include <cmath>
#include <cstdio>

using namespace bitmod;
using namespace bitmod::sim;
using quant::DataType;

namespace bitmod::cosim {

namespace {
template <typename W>
void setBits(W &w, unsigned lo, unsigned width, uint64_t v) {
  for (unsigned i = 0; i < width; ++i) {
    unsigned b = lo + i;
    uint32_t mask = 1u << (b % 32);
    if ((v >> i) & 1)
      w[b / 32] |= mask;
    else
      w[b / 32] &= ~mask;
  }
}
template <typename W> uint32_t getWord(const W &w, unsigned lo) {
  return w[lo / 32]; // 32-bit aligned fields only
}

/// The group sizes a pass runs with, cycled over the passes of a type.
std::vector<unsigned> groupSizes(DataType t) {
  if (quant::getRequiredGroupSize(t))
    return {quant::getRequiredGroupSize(t)};
  return {8, 16, 32, 64, 128, 1, 5, 12};
}
} // namespace

bool runTileCosim(const CosimOptions &opt, DataType t, Stats &st) {
  VerilatedContext ctx;
  Vbitmod_tile top(&ctx);
  Rng rng(opt.seed * 7919u + unsigned(t));
  const unsigned R = kTileRows, C = kTileCols;
  const unsigned bits = quant::getCodeBits(t);
  const bool mx = quant::isMXType(t);
  const bool svType = quant::hasSpecialValue(t);
  const unsigned terms = *getTermsPerWeight(t);

  // The timing model of a one-tile accelerator.
  arch::AccelConfig cfg;
  cfg.numTiles = 1;
  cfg.discGridRows = cfg.discGridCols = 1;
  cfg.genGridRows = cfg.genGridCols = 1;
  cfg.tileRows = R;
  cfg.tileCols = C;
  cfg.scaleBits = kScaleBits;
  if (llvm::Error e = cfg.validate()) {
    std::fprintf(stderr, "one-tile config: %s\n",
                 llvm::toString(std::move(e)).c_str());
    return false;
  }

  auto tick = [&] {
    top.clk = 1;
    top.eval();
    top.clk = 0;
    top.eval();
  };
  top.clk = 0;
  top.rst = 1;
  top.eval();
  tick();
  tick();
  top.rst = 0;

  std::vector<unsigned> sizes = groupSizes(t);
  uint64_t passes = std::max<uint64_t>(sizes.size(), opt.vectors / 64);
  for (uint64_t pass = 0; pass < passes; ++pass) {
    const unsigned G = sizes[pass % sizes.size()];
    const unsigned NG = 1 + unsigned(rng() % 3);
    const unsigned K = NG * G;
    std::vector<uint16_t> x(size_t(R) * K);
    for (uint16_t &h : x)
      h = randomAct(rng);
    std::vector<uint8_t> codes(size_t(C) * K), sel(C * NG), zp(C * NG);
    std::vector<int8_t> scales(C * NG);
    std::vector<float> chs(C);
    for (uint8_t &c : codes)
      c = uint8_t(rng() & ((1u << bits) - 1));
    for (unsigned i = 0; i < C * NG; ++i) {
      sel[i] = uint8_t(rng() % 4);
      zp[i] = uint8_t(rng() % (1u << bits));
      // the view's int8 storage: IntCode scales 0..127
      scales[i] = mx ? int8_t(int(rng() % 256) - 128) : int8_t(rng() % 128);
    }
    for (float &s : chs)
      s = std::ldexp(1.0f + float(rng() % 1000) / 1000.0f,
                     int(rng() % 20) - 10);
    SpecialValueFile sv = randomSV(rng, t);

    QuantizedMatrixView w;
    w.dtype = t;
    w.rows = C;
    w.cols = K;
    w.groupSize = G;
    w.codes = codes.data();
    w.codeRowStride = K;
    w.groupScales = scales.data();
    w.scaleKind = mx ? GroupScaleKind::Pow2 : GroupScaleKind::IntCode;
    w.selectors = sel.data();
    w.zeroPoints = zp.data();
    w.channelScales = mx ? nullptr : chs.data();
    DatapathOptions dopt;
    dopt.numThreads = 1;
    if (svType)
      dopt.specialValues = sv;
    std::vector<float> yGold(R * C), yFast(R * C);
    if (llvm::Error e =
            golden::groupedMatmul(x.data(), R, w, yGold.data(), dopt)) {
      std::fprintf(stderr, "golden: %s\n",
                   llvm::toString(std::move(e)).c_str());
      return false;
    }
    if (llvm::Error e =
            sim::groupedMatmul(x.data(), R, w, yFast.data(), dopt)) {
      std::fprintf(stderr, "fast: %s\n", llvm::toString(std::move(e)).c_str());
      return false;
    }

    // Configure and start.
    top.cfg_dtype = unsigned(t);
    top.cfg_group_size = G;
    top.cfg_num_groups = NG;
    SpecialValueFile svRegs =
        svType ? sv : SpecialValueFile::forFamily(bits == 4);
    uint32_t svWord = 0;
    for (unsigned i = 0; i < 4; ++i)
      svWord |= (uint32_t(svRegs.values[i]) & 63u) << (6 * i);
    top.cfg_sv_file = svWord;
    for (unsigned c = 0; c < C; ++c) {
      float s = mx ? 1.0f : chs[c];
      setBits(top.chscale, 32 * c, 32, floatBits(s));
    }
    top.start = 1;
    top.eval();
    tick();
    top.start = 0;
    uint64_t cycles = 0, lastHandoff = 0; // clock edges after the start edge
    unsigned handoffs = 0;
    bool cycleOk = true;
    const uint64_t groupCycles = getGroupCycles(cfg, G, terms);
    while (!top.done && cycles < 100000) {
      // Answer the tile's operand reads for (rd_group, rd_step).
      top.eval();
      unsigned g = std::min<unsigned>(top.rd_group, NG - 1);
      unsigned step = top.rd_step;
      for (unsigned r = 0; r < R; ++r)
        for (unsigned j = 0; j < 4; ++j) {
          unsigned k = g * G + step * 4 + j;
          uint16_t a = (step * 4 + j < G && k < K) ? x[r * K + k] : 0x5555;
          setBits(top.rd_act, 64 * r + 16 * j, 16, a);
        }
      uint64_t zpw = 0, scw = 0, xw = 0;
      uint32_t selw = 0;
      for (unsigned c = 0; c < C; ++c) {
        for (unsigned j = 0; j < 4; ++j) {
          unsigned k = g * G + step * 4 + j;
          // past the group: whatever the buffer holds (the tile masks it)
          uint8_t code = (step * 4 + j < G && k < K) ? codes[c * K + k] : 0xff;
          setBits(top.rd_code, 32 * c + 8 * j, 8, code);
        }
        unsigned gi = c * NG + g;
        selw |= uint32_t(sel[gi]) << (2 * c);
        zpw |= uint64_t(zp[gi]) << (8 * c);
        scw |= uint64_t(mx ? 0 : uint8_t(scales[gi])) << (8 * c);
        xw |= uint64_t(uint8_t(scales[gi])) << (8 * c);
      }
      top.rd_sel = selw;
      top.rd_zp = zpw;
      top.rd_scale = scw;
      top.rd_xexp = xw;
      top.eval();
      if (top.grp_handoff) {
        if (handoffs > 0 && cycles - lastHandoff != groupCycles)
          cycleOk = false;
        lastHandoff = cycles;
        ++handoffs;
      }
      tick();
      ++cycles;
    }
    isa::ConfigFields cf;
    cf.dtype = t;
    cf.groupSize = G;
    cf.scaleBits = kScaleBits;
    cf.tokenLanes = R;
    cf.channelLanes = C;
    isa::MatMulFields mm;
    mm.m = R;
    mm.n = C;
    mm.kGroups = NG;
    auto pl = getMatMulPipeline(cfg, cf, mm);
    if (!pl) {
      std::fprintf(stderr, "timing model: %s\n",
                   llvm::toString(pl.takeError()).c_str());
      return false;
    }
    if (handoffs != NG || cycles != pl->getLatency())
      cycleOk = false;
    if (!cycleOk) {
      ++st.cycleMismatches;
      if (st.cycleMismatches <= 5)
        std::printf("CYCLES tile %s G=%u groups=%u: rtl pass %llu cycles, "
                    "%u hand-offs; model %llu (group %llu, fill %llu, drain "
                    "%llu)\n",
                    std::string(quant::getName(t)).c_str(), G, NG,
                    (unsigned long long)cycles, handoffs,
                    (unsigned long long)pl->getLatency(),
                    (unsigned long long)groupCycles,
                    (unsigned long long)pl->fillCycles,
                    (unsigned long long)pl->drainCycles);
    }
    if (opt.verbose)
      std::printf("  tile %s G=%u groups=%u: %llu cycles (model %llu)\n",
                  std::string(quant::getName(t)).c_str(), G, NG,
                  (unsigned long long)cycles,
                  (unsigned long long)pl->getLatency());
    ++st.vectors;
    unsigned bad = 0;
    for (unsigned r = 0; r < R; ++r)
      for (unsigned c = 0; c < C; ++c) {
        uint32_t rtl = getWord(top.y, 32 * (r * C + c));
        uint32_t gold = floatBits(yGold[r * C + c]);
        if (rtl != gold || floatBits(yFast[r * C + c]) != gold) {
          if (++bad == 1 && st.mismatches < 5)
            std::printf("MISMATCH tile %s pass %llu G=%u groups=%u y[%u][%u]: "
                        "rtl=0x%08x golden=0x%08x fast=0x%08x\n",
                        std::string(quant::getName(t)).c_str(),
                        (unsigned long long)pass, G, NG, r, c, rtl, gold,
                        floatBits(yFast[r * C + c]));
        }
      }
    if (bad)
      ++st.mismatches;
  }
  return true;
}

} // namespace bitmod::cosim
