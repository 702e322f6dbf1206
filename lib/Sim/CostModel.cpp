//===- CostModel.cpp - Analytic per-GEMM cost -----------------------------===//
//
// The formulas are documented in CostModel.h and docs/simulator.md.
//
//===----------------------------------------------------------------------===//

#include "bitmod/Sim/CostModel.h"
#include "bitmod/Sim/Baselines.h"
#include "bitmod/Sim/Datapath.h"
#include "bitmod/Sim/Planner.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>

using namespace bitmod;
using namespace bitmod::arch;
using namespace bitmod::sim;
using llvm::createStringError;
using llvm::inconvertibleErrorCode;

static uint64_t ceilDiv(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

/// ceil(x) tolerant to the rounding of fractional bits per weight.
static uint64_t ceilBits(double x) {
  double r = std::nearbyint(x);
  if (std::fabs(x - r) < 1e-6 * std::max(1.0, std::fabs(x)))
    return uint64_t(r);
  return uint64_t(std::ceil(x));
}

llvm::StringRef bitmod::sim::getBlockingOrderName(BlockingOrder o) {
  switch (o) {
  case BlockingOrder::ActResident:
    return "act-resident";
  case BlockingOrder::WgtResident:
    return "wgt-resident";
  case BlockingOrder::Streamed:
    return "streamed";
  case BlockingOrder::OutBlock:
    return "out-block";
  }
  return "streamed";
}

llvm::Expected<WeightSpec>
bitmod::sim::getBitMoDWeightSpec(const AccelConfig &cfg, quant::DataType type,
                                 unsigned groupSize) {
  llvm::Expected<unsigned> terms = getTermsPerWeight(type);
  if (!terms)
    return terms.takeError();
  if (unsigned req = quant::getRequiredGroupSize(type))
    groupSize = req;
  if (groupSize == 0)
    return createStringError(inconvertibleErrorCode(),
                             "cost model: group size must be positive");
  WeightSpec s;
  s.termsPerWeight = *terms;
  s.groupSize = groupSize;
  double perGroup;
  if (quant::isMXType(type)) {
    perGroup = 8; // shared exponent
  } else {
    perGroup = cfg.scaleBits;
    if (quant::hasSelector(type))
      perGroup += cfg.selectorBits;
    if (quant::isAsymmetric(type))
      perGroup += 8; // zero point
  }
  s.bitsPerWeight = quant::getCodeBits(type) + perGroup / groupSize;
  s.dtype = type;
  return s;
}

WeightSpec bitmod::sim::getBitMoDAttentionSpec(const AccelConfig &cfg,
                                               unsigned groupSize) {
  WeightSpec s;
  s.termsPerWeight = 4; // INT8 Booth
  s.groupSize = groupSize ? groupSize : 128;
  s.bitsPerWeight = 8.0 + double(cfg.scaleBits) / s.groupSize;
  s.dtype = quant::DataType::int8;
  return s;
}

WeightSpec bitmod::sim::getBaselineWeightSpec(double bitsPerWeight) {
  WeightSpec s;
  s.bitsPerWeight = bitsPerWeight;
  s.termsPerWeight = 1;
  s.groupSize = 0;
  return s;
}

uint64_t bitmod::sim::getGroupCycles(const AccelConfig &cfg, unsigned groupSize,
                                     unsigned terms) {
  uint64_t dot = ceilDiv(groupSize, cfg.dotProductWidth) * terms;
  return std::max<uint64_t>({dot, cfg.scaleBits, cfg.tileRows});
}

static uint64_t paddedK(const WeightSpec &spec, uint64_t K) {
  return spec.groupSize ? ceilDiv(K, spec.groupSize) * spec.groupSize : K;
}

uint64_t bitmod::sim::getPassCycles(const AccelConfig &cfg,
                                    AcceleratorKind kind, uint64_t K,
                                    const WeightSpec &spec) {
  if (kind == AcceleratorKind::BitMoD) {
    unsigned G = spec.groupSize ? spec.groupSize : unsigned(K);
    return ceilDiv(K, G) * getGroupCycles(cfg, G, spec.termsPerWeight);
  }
  return ceilDiv(K, getBaselineSpec(kind).macsPerPEPerCycle);
}

uint64_t bitmod::sim::getFillCycles(const AccelConfig &cfg,
                                    AcceleratorKind kind,
                                    ArrayArrangement arrangement) {
  ArrayShape s = getAcceleratorShape(cfg, kind, arrangement);
  if (kind == AcceleratorKind::BitMoD)
    return (s.gridRows - 1) + (s.gridCols - 1) + 1;
  return s.tokenLanes + s.channelLanes - 2;
}

uint64_t bitmod::sim::getDrainCycles(const AccelConfig &cfg,
                                     AcceleratorKind kind,
                                     ArrayArrangement arrangement) {
  ArrayShape s = getAcceleratorShape(cfg, kind, arrangement);
  if (kind == AcceleratorKind::BitMoD)
    return cfg.scaleBits + cfg.tileRows + 1;
  return s.tokenLanes;
}

uint64_t bitmod::sim::getDramTransferCycles(const AccelConfig &cfg,
                                            uint64_t bytes) {
  return ceilDiv(bytes, cfg.dramBytesPerCycle);
}

uint64_t bitmod::sim::getWeightBytes(const WeightSpec &spec, uint64_t N,
                                     uint64_t K) {
  return ceilDiv(
      ceilBits(double(N) * double(paddedK(spec, K)) * spec.bitsPerWeight), 8);
}

unsigned bitmod::sim::getWgtPortBits(const AccelConfig &cfg,
                                     AcceleratorKind kind,
                                     ArrayArrangement arrangement) {
  ArrayShape s = getAcceleratorShape(cfg, kind, arrangement);
  if (kind == AcceleratorKind::BitMoD)
    return cfg.dotProductWidth * 4 * s.channelLanes / 2;
  const BaselineSpec &b = getBaselineSpec(kind);
  unsigned w = unsigned(std::ceil(b.discBitsPerWeight / 4.0)) * 4;
  return b.macsPerPEPerCycle * w * s.channelLanes;
}

unsigned bitmod::sim::getActPortBits(const AccelConfig &cfg,
                                     AcceleratorKind kind,
                                     ArrayArrangement arrangement) {
  ArrayShape s = getAcceleratorShape(cfg, kind, arrangement);
  if (kind == AcceleratorKind::BitMoD)
    return cfg.dotProductWidth * 16 * s.tokenLanes / 2;
  return getBaselineSpec(kind).macsPerPEPerCycle * 16 * s.tokenLanes;
}

static uint64_t chunkOf(AcceleratorKind kind, const WeightSpec &spec,
                        uint64_t K) {
  if (kind == AcceleratorKind::BitMoD && spec.groupSize)
    return std::min<uint64_t>(spec.groupSize, paddedK(spec, K));
  return std::min<uint64_t>(K, 128);
}

namespace {
struct PlanTraffic {
  BlockingPlan plan;
  uint64_t readBytes = 0;
};
} // namespace

static PlanTraffic planWithTraffic(const AccelConfig &cfg, AcceleratorKind kind,
                                   const GemmShape &g, const WeightSpec &spec,
                                   ArrayArrangement arrangement) {
  ArrayShape s = getAcceleratorShape(cfg, kind, arrangement);
  const uint64_t T = s.tokenLanes, C = s.channelLanes;
  const uint64_t actBytes = g.M * g.K * 2;
  const uint64_t wBytes = getWeightBytes(spec, g.N, g.K);
  const uint64_t chunk = chunkOf(kind, spec, g.K);
  const uint64_t outStage = 2 * T * C * 2;
  std::vector<PlanTraffic> options;

  // ActResident: X[Mb, K] held, W streamed in K chunks.
  if (cfg.actBufferBytes > outStage) {
    uint64_t maxMb = (cfg.actBufferBytes - outStage) / (g.K * 2);
    uint64_t Mb = g.M <= maxMb ? g.M : (maxMb / T) * T;
    if (Mb > 0) {
      PlanTraffic p;
      p.plan.order = BlockingOrder::ActResident;
      p.plan.blockTokens = Mb;
      p.plan.blockChannels = std::min<uint64_t>(g.N, C);
      p.plan.outerIterations = ceilDiv(g.M, Mb);
      p.readBytes = actBytes + p.plan.outerIterations * wBytes;
      options.push_back(p);
    }
  }
  // WgtResident: W[Nb, K] held, X streamed in K chunks (double buffered).
  {
    double rowBytes = double(paddedK(spec, g.K)) * spec.bitsPerWeight / 8;
    uint64_t maxNb = uint64_t(double(cfg.wgtBufferBytes) / rowBytes);
    uint64_t Nb = g.N <= maxNb ? g.N : (maxNb / C) * C;
    if (Nb > 0 && 2 * T * chunk * 2 + outStage <= cfg.actBufferBytes) {
      PlanTraffic p;
      p.plan.order = BlockingOrder::WgtResident;
      p.plan.blockTokens = std::min<uint64_t>(g.M, T);
      p.plan.blockChannels = Nb;
      p.plan.outerIterations = ceilDiv(g.N, Nb);
      p.readBytes = wBytes + p.plan.outerIterations * actBytes;
      options.push_back(p);
    }
  }
  // Streamed: both operands re-read per pass.
  {
    PlanTraffic p;
    p.plan.order = BlockingOrder::Streamed;
    p.plan.blockTokens = std::min<uint64_t>(g.M, T);
    p.plan.blockChannels = std::min<uint64_t>(g.N, C);
    p.plan.outerIterations = ceilDiv(g.M, T) * ceilDiv(g.N, C);
    p.readBytes = ceilDiv(g.N, C) * actBytes + ceilDiv(g.M, T) * wBytes;
    options.push_back(p);
  }
  PlanTraffic best = options.front();
  for (const PlanTraffic &p : options)
    if (p.readBytes < best.readBytes)
      best = p;
  best.plan.arrangement = arrangement == ArrayArrangement::Generative
                              ? ArrayArrangement::Generative
                              : ArrayArrangement::Discriminative;
  best.plan.shape = s;
  best.plan.chunkK = chunk;
  return best;
}

BlockingPlan bitmod::sim::planBlocking(const AccelConfig &cfg,
                                       AcceleratorKind kind,
                                       const GemmShape &shape,
                                       const WeightSpec &spec,
                                       ArrayArrangement arrangement) {
  return planWithTraffic(cfg, kind, shape, spec, arrangement).plan;
}

static GemmCost estimateFixed(const AccelConfig &cfg, AcceleratorKind kind,
                              const GemmShape &g, const WeightSpec &spec,
                              ArrayArrangement arrangement) {
  GemmCost c;
  c.kind = kind;
  c.shape = g;
  c.spec = spec;
  PlanTraffic pt = planWithTraffic(cfg, kind, g, spec, arrangement);
  c.plan = pt.plan;
  const ArrayShape &s = c.plan.shape;
  const uint64_t T = s.tokenLanes, C = s.channelLanes;
  c.macs = g.M * g.N * g.K;
  c.passes = ceilDiv(g.M, T) * ceilDiv(g.N, C);
  c.passCycles = getPassCycles(cfg, kind, g.K, spec);
  if (kind == AcceleratorKind::BitMoD)
    c.groupCycles = getGroupCycles(cfg, spec.groupSize, spec.termsPerWeight);
  c.fillCycles = getFillCycles(cfg, kind, c.plan.arrangement);
  c.drainCycles = getDrainCycles(cfg, kind, c.plan.arrangement);
  c.computeCycles = c.passes * c.passCycles + c.fillCycles + c.drainCycles;

  c.weightBytes = getWeightBytes(spec, g.N, g.K);
  c.actBytes = g.M * g.K * 2;
  c.outBytes = g.M * g.N * 2;
  c.dramReadBytes = pt.readBytes;
  c.dramWriteBytes = c.outBytes;
  c.dramBytes = c.dramReadBytes + c.dramWriteBytes;
  c.dramCycles = getDramTransferCycles(cfg, c.dramBytes);

  const uint64_t T0 = std::min(g.M, T), C0 = std::min(g.N, C);
  const uint64_t Kc = c.plan.chunkK;
  uint64_t firstBytes =
      T0 * Kc * 2 + ceilDiv(ceilBits(double(C0 * Kc) * spec.bitsPerWeight), 8);
  c.firstLoadCycles =
      cfg.dramLatencyCycles + getDramTransferCycles(cfg, firstBytes);
  c.lastStoreCycles =
      cfg.dramLatencyCycles + getDramTransferCycles(cfg, T0 * C0 * 2);
  c.totalCycles = std::max(c.computeCycles, c.dramCycles) + c.firstLoadCycles +
                  c.lastStoreCycles;

  // SRAM activity.
  ActivityCounts &a = c.activity;
  a.actPortBits = getActPortBits(cfg, kind, c.plan.arrangement);
  a.wgtPortBits = getWgtPortBits(cfg, kind, c.plan.arrangement);
  uint64_t kp = paddedK(spec, g.K);
  uint64_t wgtReadBits = ceilBits(double(ceilDiv(g.M, T)) * double(g.N) *
                                  double(kp) * spec.bitsPerWeight);
  uint64_t actReadBits = ceilDiv(g.N, C) * g.M * g.K * 16;
  uint64_t outBits = c.outBytes * 8;
  a.wgtReads = ceilDiv(wgtReadBits, a.wgtPortBits);
  a.actReads =
      ceilDiv(actReadBits, a.actPortBits) + ceilDiv(outBits, a.actPortBits);
  // DRAM fills: the weight buffer receives every weight byte read, the
  // activation buffer every activation byte read plus the outputs.
  uint64_t actFill = 0, wgtFill = 0;
  switch (c.plan.order) {
  case BlockingOrder::ActResident:
    actFill = c.actBytes;
    wgtFill = c.dramReadBytes - c.actBytes;
    break;
  case BlockingOrder::WgtResident:
    wgtFill = c.weightBytes;
    actFill = c.dramReadBytes - c.weightBytes;
    break;
  case BlockingOrder::Streamed:
  case BlockingOrder::OutBlock:
    wgtFill = ceilDiv(g.M, T) * c.weightBytes;
    actFill = c.dramReadBytes - wgtFill;
    break;
  }
  a.wgtWrites = ceilDiv(wgtFill * 8, a.wgtPortBits);
  a.actWrites = ceilDiv(actFill * 8 + outBits, a.actPortBits);
  a.dramReadBytes = c.dramReadBytes;
  a.dramWriteBytes = c.dramWriteBytes;
  uint64_t numPEs =
      kind == AcceleratorKind::BitMoD ? cfg.getNumPEs() : uint64_t(T) * C;
  a.peActiveCycles = numPEs * c.computeCycles;
  c.sramAccesses = a.getSramAccesses();
  c.peActiveCycles = a.peActiveCycles;
  c.energy = computeEnergy(cfg, kind, a);
  return c;
}

static llvm::Error checkInputs(const AccelConfig &cfg, AcceleratorKind kind,
                               const GemmShape &g, const WeightSpec &spec) {
  if (llvm::Error e = cfg.validate())
    return e;
  if (g.M == 0 || g.N == 0 || g.K == 0)
    return createStringError(inconvertibleErrorCode(),
                             "cost model: GEMM dimensions must be positive "
                             "(M=%llu N=%llu K=%llu)",
                             (unsigned long long)g.M, (unsigned long long)g.N,
                             (unsigned long long)g.K);
  if (!(spec.bitsPerWeight > 0) || !std::isfinite(spec.bitsPerWeight))
    return createStringError(inconvertibleErrorCode(),
                             "cost model: bits per weight must be positive");
  if (kind == AcceleratorKind::BitMoD &&
      (spec.groupSize == 0 || spec.termsPerWeight == 0 ||
       spec.termsPerWeight > 16))
    return createStringError(inconvertibleErrorCode(),
                             "cost model: BitMoD needs a positive group size "
                             "and 1..16 terms per weight");
  return llvm::Error::success();
}

ArrayArrangement bitmod::sim::selectArrangement(const AccelConfig &cfg,
                                                AcceleratorKind kind,
                                                const GemmShape &shape,
                                                const WeightSpec &spec) {
  GemmCost d =
      estimateFixed(cfg, kind, shape, spec, ArrayArrangement::Discriminative);
  GemmCost gcost =
      estimateFixed(cfg, kind, shape, spec, ArrayArrangement::Generative);
  return gcost.totalCycles < d.totalCycles ? ArrayArrangement::Generative
                                           : ArrayArrangement::Discriminative;
}

llvm::Expected<GemmCost>
bitmod::sim::estimateAnalytic(const AccelConfig &cfg, AcceleratorKind kind,
                              const GemmShape &shape, const WeightSpec &spec,
                              ArrayArrangement arrangement) {
  if (llvm::Error e = checkInputs(cfg, kind, shape, spec))
    return std::move(e);
  if (arrangement == ArrayArrangement::Auto)
    arrangement = cfg.arrangement == ArrayArrangement::Auto
                      ? selectArrangement(cfg, kind, shape, spec)
                      : cfg.arrangement;
  return estimateFixed(cfg, kind, shape, spec, arrangement);
}

llvm::Expected<GemmCost>
bitmod::sim::estimate(const AccelConfig &cfg, AcceleratorKind kind,
                      const GemmShape &shape, const WeightSpec &spec,
                      ArrayArrangement arrangement, unsigned outElemBytes) {
  if (llvm::Error e = checkInputs(cfg, kind, shape, spec))
    return std::move(e);
  if (outElemBytes != 2 && outElemBytes != 4)
    return createStringError(inconvertibleErrorCode(),
                             "cost model: output elements are 2 (FP16) or 4 "
                             "(F32) bytes, got %u",
                             outElemBytes);
  if (kind == AcceleratorKind::BitMoD && !spec.dtype)
    return estimateAnalytic(cfg, kind, shape, spec, arrangement);
  if (arrangement == ArrayArrangement::Auto)
    arrangement = cfg.arrangement;
  llvm::SmallVector<ArrayArrangement, 2> arrangements;
  if (arrangement == ArrayArrangement::Auto)
    arrangements = {ArrayArrangement::Discriminative,
                    ArrayArrangement::Generative};
  else
    arrangements = {arrangement};
  auto g = getPlanGemm(cfg, kind, shape, spec, outElemBytes);
  if (!g)
    return g.takeError();
  std::string lastError;
  std::vector<PlanCandidate> cands =
      searchPlans(*g, arrangements, cfg, lastError, /*prune=*/true);
  if (cands.empty())
    return createStringError(
        inconvertibleErrorCode(),
        "cost model: no plan of %s M=%llu N=%llu K=%llu fits: %s",
        getAcceleratorName(kind).str().c_str(), (unsigned long long)shape.M,
        (unsigned long long)shape.N, (unsigned long long)shape.K,
        lastError.c_str());
  const PlanCandidate &best = cands.front();
  GemmCost c = estimateFixed(cfg, kind, shape, spec, best.b.arrangement);
  c.plan.arrangement = best.b.arrangement;
  c.plan.shape = getPlanShape(cfg, *g, best.b.arrangement);
  c.plan.order =
      best.b.order == PlanOrder::ActResident   ? BlockingOrder::ActResident
      : best.b.order == PlanOrder::WgtResident ? BlockingOrder::WgtResident
                                               : BlockingOrder::OutBlock;
  c.plan.blockTokens = std::min(best.b.blockTokens, shape.M);
  c.plan.blockChannels = std::min(best.b.blockChannels, shape.N);
  c.plan.chunkK = std::min<uint64_t>(best.b.blockGroups * g->G, shape.K);
  c.plan.outerIterations = 0;
  c.totalCycles = best.cost.cycles;
  c.dramReadBytes = best.cost.dramReadBytes;
  c.dramWriteBytes = best.cost.dramWriteBytes;
  c.dramBytes = best.cost.dramBytes;
  c.activity = best.cost.activity;
  c.sramAccesses = c.activity.getSramAccesses();
  c.peActiveCycles = c.activity.peActiveCycles;
  c.energy = best.cost.energy;
  return c;
}

llvm::Expected<GemmCost>
bitmod::sim::estimate(const AccelConfig &cfg, AcceleratorKind kind,
                      const GemmShape &shape, quant::DataType type,
                      unsigned groupSize, bool activationActivation,
                      ArrayArrangement arrangement, bool analytic) {
  WeightSpec spec;
  if (kind == AcceleratorKind::BitMoD) {
    if (activationActivation) {
      spec = getBitMoDAttentionSpec(cfg, groupSize);
    } else {
      auto s = getBitMoDWeightSpec(cfg, type, groupSize);
      if (!s)
        return s.takeError();
      spec = *s;
    }
  } else {
    spec = getBaselineWeightSpec(
        activationActivation ? getBaselineSpec(kind).attentionOperandBits
                             : double(quant::getCodeBits(type)));
  }
  if (analytic)
    return estimateAnalytic(cfg, kind, shape, spec, arrangement);
  return estimate(cfg, kind, shape, spec, arrangement);
}

GemmCost &GemmCost::operator+=(const GemmCost &o) {
  macs += o.macs;
  passes += o.passes;
  fillCycles += o.fillCycles;
  drainCycles += o.drainCycles;
  computeCycles += o.computeCycles;
  dramCycles += o.dramCycles;
  firstLoadCycles += o.firstLoadCycles;
  lastStoreCycles += o.lastStoreCycles;
  totalCycles += o.totalCycles;
  weightBytes += o.weightBytes;
  actBytes += o.actBytes;
  outBytes += o.outBytes;
  dramReadBytes += o.dramReadBytes;
  dramWriteBytes += o.dramWriteBytes;
  dramBytes += o.dramBytes;
  sramAccesses += o.sramAccesses;
  peActiveCycles += o.peActiveCycles;
  activity += o.activity;
  energy += o.energy;
  return *this;
}

std::string GemmCost::toString() const {
  return llvm::formatv(
      "{0} M={1} N={2} K={3} [{4} {5}x{6} {7} Mb={8} Nb={9}] compute={10} "
      "dram={11} total={12} dramBytes={13} sram={14} energy={15:f1} pJ",
      getAcceleratorName(kind), shape.M, shape.N, shape.K,
      getArrangementName(plan.arrangement), plan.shape.tokenLanes,
      plan.shape.channelLanes, getBlockingOrderName(plan.order),
      plan.blockTokens, plan.blockChannels, computeCycles, dramCycles,
      totalCycles, dramBytes, sramAccesses, energy.getTotalPJ());
}
