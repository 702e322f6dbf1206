//===- DramBound.cpp - DRAM traffic lower bound of a GEMM -----------------===//
//
// Exhaustive over the block counts: for every Em (distinct Mb = ceil(M/Em))
// and Ek (distinct kg), the largest Nb that fits is best for every order
// (traffic never grows with fewer blocks), so only En follows from the
// capacities.
//
//===----------------------------------------------------------------------===//

#include "bitmod/Sim/DramBound.h"

#include "bitmod/Support/Error.h"

#include "llvm/Support/FormatVariadic.h"

#include <array>
#include <cmath>

using namespace bitmod;
using namespace bitmod::sim;

static uint64_t ceilDiv(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

std::string DramLowerBound::toString() const {
  return llvm::formatv("{0} bytes ({1:f2}x one pass; order {2}, blocks "
                       "{3}x{4}x{5}, W read {6}x, X read {7}x, Y written {8}x)",
                       bytes, double(bytes) / double(compulsoryBytes), order,
                       blockTokens, blockChannels, blockK, weightPasses,
                       actPasses, outPasses)
      .str();
}

namespace {
/// Loop indices of the block loops.
enum Loop { LoopM = 0, LoopN = 1, LoopK = 2 };

/// How often an operand depending on loops `deps` is read in full under
/// `order` (outer to inner) with the block counts `extent`.
uint64_t getPasses(const std::array<Loop, 3> &order,
                   const std::array<uint64_t, 3> &extent,
                   std::initializer_list<Loop> deps) {
  auto dependsOn = [&](Loop l) {
    for (Loop d : deps)
      if (d == l)
        return true;
    return false;
  };
  int innermost = -1;
  for (int i = 0; i < 3; ++i)
    if (extent[order[i]] > 1 && dependsOn(order[i]))
      innermost = i;
  uint64_t visits = 1;
  for (int i = 0; i <= innermost; ++i)
    visits *= extent[order[i]];
  uint64_t own = 1;
  for (Loop d : deps)
    own *= extent[d];
  return visits / own;
}
} // namespace

llvm::Expected<DramLowerBound>
bitmod::sim::getDramLowerBound(const arch::AccelConfig &cfg, const GemmShape &g,
                               const WeightSpec &spec, unsigned outElemBytes) {
  if (g.M == 0 || g.N == 0 || g.K == 0)
    return makeError("DRAM bound: GEMM dimensions must be positive");
  const uint64_t G = spec.groupSize ? spec.groupSize : g.K;
  const uint64_t numGroups = ceilDiv(g.K, G);
  DramLowerBound best;
  best.weightBytes = getWeightBytes(spec, g.N, g.K);
  best.actBytes = g.M * g.K * 2;
  best.outBytes = g.M * g.N * outElemBytes;
  best.compulsoryBytes = best.weightBytes + best.actBytes + best.outBytes;
  static const std::array<std::array<Loop, 3>, 6> kOrders = {{
      {LoopM, LoopN, LoopK},
      {LoopN, LoopM, LoopK},
      {LoopM, LoopK, LoopN},
      {LoopN, LoopK, LoopM},
      {LoopK, LoopM, LoopN},
      {LoopK, LoopN, LoopM},
  }};
  const double act = double(cfg.actBufferBytes);
  const double wgt = double(cfg.wgtBufferBytes);
  bool found = false;
  uint64_t prevMb = 0;
  for (uint64_t em = 1; em <= g.M; ++em) {
    uint64_t Mb = ceilDiv(g.M, em);
    if (Mb == prevMb)
      continue;
    prevMb = Mb;
    uint64_t prevKg = 0;
    for (uint64_t ek = 1; ek <= numGroups; ++ek) {
      uint64_t kg = ceilDiv(numGroups, ek);
      if (kg == prevKg)
        continue;
      prevKg = kg;
      double xTile = double(Mb) * double(kg * G) * 2;
      double nAct = (act - xTile) / (double(Mb) * outElemBytes);
      double nWgt = wgt * 8 / (double(kg * G) * spec.bitsPerWeight);
      double nFit = std::floor(std::min(nAct, nWgt));
      if (nFit < 1)
        continue;
      uint64_t Nb = std::min<uint64_t>(g.N, uint64_t(nFit));
      std::array<uint64_t, 3> extent = {ceilDiv(g.M, Mb), ceilDiv(g.N, Nb),
                                        ceilDiv(numGroups, kg)};
      for (const auto &order : kOrders) {
        uint64_t pw = getPasses(order, extent, {LoopN, LoopK});
        uint64_t px = getPasses(order, extent, {LoopM, LoopK});
        uint64_t py = getPasses(order, extent, {LoopM, LoopN});
        // Every visit of a Y block but the first reads the partial sums back.
        uint64_t bytes = pw * best.weightBytes + px * best.actBytes +
                         (2 * py - 1) * best.outBytes;
        if (found && bytes >= best.bytes)
          continue;
        found = true;
        best.bytes = bytes;
        best.order.clear();
        for (Loop l : order)
          best.order.push_back("mnk"[l]);
        best.blockTokens = Mb;
        best.blockChannels = ceilDiv(g.N, extent[LoopN]);
        best.blockK = std::min(kg * G, numGroups * G);
        best.weightPasses = pw;
        best.actPasses = px;
        best.outPasses = py;
      }
    }
  }
  if (!found)
    return makeError(llvm::formatv(
        "DRAM bound: not even one token x one channel x one group of {0} fits "
        "the {1}-byte activation and {2}-byte weight buffers",
        G, cfg.actBufferBytes, cfg.wgtBufferBytes));
  return best;
}
