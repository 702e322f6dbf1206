//===- PECosim.cpp - PE-level co-simulation of the BitMoD RTL -------------===//
//
// Drives hw/rtl/bitmod_pe_unit.v (4 term encoders, the PE, the column's
// serial scale register, FP32 rounding) with random groups and compares the
// group accumulator (all ACC_W bits) and the dequantized FP32 result with
// the golden model (bitmod::sim::golden) and the fast functional model.
//
//===----------------------------------------------------------------------===//

#include "Cosim.h"

#include "Vbitmod_pe_unit.h"
#include "verilated.h"

#include "bitmod/Quant/DataType.h"
#include "bitmod/Sim/Datapath.h"
#include "bitmod/Sim/GoldenDatapath.h"

#include "llvm/Support/Error.h"

#include <cstdio>
#include <cstring>

using namespace bitmod;
using namespace bitmod::sim;
using quant::DataType;

namespace bitmod::cosim {

namespace {
class PEHarness {
public:
  explicit PEHarness(VerilatedContext &ctx) : top(&ctx) {
    top.clk = 0;
    top.rst = 1;
    tick();
    tick();
    top.rst = 0;
  }
  void tick() {
    top.clk = 0;
    top.eval();
    top.clk = 1;
    top.eval();
    top.clk = 0;
    top.eval();
  }
  Vbitmod_pe_unit top;
};

GroupAcc readWide(const uint32_t *w, unsigned bits) {
  unsigned __int128 u = 0;
  for (unsigned i = 0; i < (bits + 31) / 32 && i < 4; ++i)
    u |= (unsigned __int128)w[i] << (32 * i);
  if (bits < 128) {
    unsigned __int128 m = ((unsigned __int128)1 << bits) - 1;
    u &= m;
    if ((u >> (bits - 1)) & 1)
      u |= ~m; // sign extend
  }
  return GroupAcc(u);
}
} // namespace

bool runPECosim(const CosimOptions &opt, DataType t, Stats &st) {
  VerilatedContext ctx;
  PEHarness h(ctx);
  Rng rng(opt.seed * 1000003u + unsigned(t));
  const bool mx = quant::isMXType(t);
  const bool svType = quant::hasSpecialValue(t);
  const unsigned terms = *getTermsPerWeight(t);
  auto &top = h.top;
  for (uint64_t vec = 0; vec < opt.vectors; ++vec) {
    Group g = randomGroup(rng, t, opt.maxGroup);
    std::optional<SpecialValueFile> sv;
    if (svType)
      sv = g.sv;
    auto dec = TermDecoder::create(t, sv);
    if (!dec) {
      std::fprintf(stderr, "TermDecoder: %s\n",
                   llvm::toString(dec.takeError()).c_str());
      return false;
    }
    GroupAcc fast = groupPartialSum(g.act.data(), g.codes.data(), g.count,
                                    g.selector, g.zeroPoint, *dec);
    auto gold = golden::groupPartialSum(
        t, g.act.data(), g.codes.data(), g.count, g.selector, g.zeroPoint,
        svType ? std::optional<std::array<int32_t, 4>>(g.sv.values)
               : std::nullopt);
    if (!gold) {
      std::fprintf(stderr, "golden: %s\n",
                   llvm::toString(gold.takeError()).c_str());
      return false;
    }
    GroupScaleKind kind = mx ? GroupScaleKind::Pow2 : GroupScaleKind::IntCode;
    float fastF = dequantizeGroupSum(fast, g.scale, kind);
    float goldF = golden::dequantize(*gold, g.scale, kind);

    // Drive the RTL: per 4-weight step, one cycle per term.
    top.dtype = unsigned(t);
    top.selector = g.selector;
    top.zero_point = g.zeroPoint;
    uint32_t svWord = 0;
    for (unsigned i = 0; i < 4; ++i)
      svWord |= (uint32_t(g.sv.values[i]) & 63u) << (6 * i);
    top.sv_file = svWord;
    top.grp_end = 0;
    for (unsigned k0 = 0; k0 < g.count; k0 += 4) {
      uint32_t codes = 0;
      uint64_t acts = 0;
      for (unsigned j = 0; j < 4; ++j)
        if (k0 + j < g.count) {
          codes |= uint32_t(g.codes[k0 + j]) << (8 * j);
          acts |= uint64_t(g.act[k0 + j]) << (16 * j);
        }
      top.codes = codes;
      top.acts = acts;
      for (unsigned tt = 0; tt < terms; ++tt) {
        top.term_idx = tt;
        top.step_valid = 1;
        h.tick();
      }
    }
    top.step_valid = 0;
    GroupAcc rtlAcc = readWide(top.acc.data(), kAccBits);
    top.scale_code = mx ? 0u : uint32_t(g.scale);
    top.shared_exp = mx ? uint32_t(uint8_t(int8_t(g.scale))) : 0u;
    top.grp_end = 1;
    h.tick();
    top.grp_end = 0;
    unsigned waited = 0;
    while (!top.out_valid && waited < 64) {
      h.tick();
      ++waited;
    }
    uint32_t rtlF = top.out_fp32;
    ++st.vectors;
    bool ok = top.out_valid && rtlAcc == *gold && fast == *gold &&
              rtlF == floatBits(goldF) && floatBits(fastF) == floatBits(goldF);
    if (!ok) {
      ++st.mismatches;
      if (st.mismatches <= 5) {
        std::printf("MISMATCH pe %s vector %llu: count=%u sel=%u zp=%u "
                    "scale=%d\n  acc rtl=%s golden=%s fast=%s\n  fp32 "
                    "rtl=0x%08x golden=0x%08x fast=0x%08x%s\n",
                    std::string(quant::getName(t)).c_str(),
                    (unsigned long long)vec, g.count, g.selector, g.zeroPoint,
                    g.scale, toString(rtlAcc).c_str(), toString(*gold).c_str(),
                    toString(fast).c_str(), rtlF, floatBits(goldF),
                    floatBits(fastF), top.out_valid ? "" : " (no out_valid)");
        std::printf("  codes:");
        for (unsigned k = 0; k < g.count; ++k)
          std::printf(" %u", g.codes[k]);
        std::printf("\n  acts:");
        for (unsigned k = 0; k < g.count; ++k)
          std::printf(" %04x", g.act[k]);
        std::printf("\n");
      }
    }
  }
  return true;
}

} // namespace bitmod::cosim
