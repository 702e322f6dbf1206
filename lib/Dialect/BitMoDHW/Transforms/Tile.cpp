//===- Tile.cpp - --bitmod-tile: buffer blocking of grouped matmuls -------===//
//
// Chooses the accelerator, the array arrangement and the buffer blocking of
// every grouped matmul with constant weights (sim::selectArrangement and
// sim::planBlocking are the single source of the policy), then shrinks the
// blocks until the real weight-block layout, the double buffers and the
// instruction fields fit, and records the result as #bitmod_hw.tiling.
//
//===----------------------------------------------------------------------===//

#include "TilingUtils.h"

#include "bitmod/Dialect/BitMoDHW/Transforms/Passes.h"

#include "bitmod/Sim/DramBound.h"

#include "mlir/IR/BuiltinOps.h"

namespace mlir {
namespace bitmod {
#define GEN_PASS_DEF_BITMODTILE
#include "bitmod/Dialect/BitMoDHW/Transforms/Passes.h.inc"
} // namespace bitmod
} // namespace mlir

using namespace mlir;
using namespace mlir::bitmod;
using namespace mlir::bitmod::hw;
namespace arch = ::bitmod::arch;
namespace sim = ::bitmod::sim;

/// The layer name used in diagnostics and for the launch symbol.
static std::string getLayerName(GroupedMatmulOp op, unsigned index) {
  if (std::optional<StringRef> name = op.getName())
    if (!name->empty())
      return name->str();
  if (auto w = op.getWeights().getDefiningOp<WeightsOp>())
    if (std::optional<StringRef> name = w.getName())
      if (!name->empty())
        return name->str();
  return "gemm" + std::to_string(index);
}

/// Channel counts to try, largest first: `start`, then multiples of `lanes`
/// below it, down to min(lanes, start).
static SmallVector<uint64_t> channelCandidates(uint64_t start, uint64_t lanes) {
  SmallVector<uint64_t> c{start};
  for (uint64_t n = (start - 1) / lanes * lanes; n >= lanes && n > 0;
       n -= lanes)
    c.push_back(n);
  return c;
}

/// Token-block sizes to try, largest first: min(start, M) clamped to the
/// MATMUL m field, then multiples of `lanes` below it.
static SmallVector<uint64_t> tokenCandidates(uint64_t start, uint64_t M,
                                             uint64_t lanes) {
  const uint64_t maxM = (1u << ::bitmod::isa::kMatMulMBits) - 1;
  uint64_t mb0 = std::min<uint64_t>(std::max<uint64_t>(start, 1), M);
  if (mb0 > maxM)
    mb0 = std::max<uint64_t>(maxM / lanes * lanes, 1);
  SmallVector<uint64_t> c{mb0};
  for (uint64_t m = (mb0 - 1) / lanes * lanes; m >= lanes && m > 0; m -= lanes)
    c.push_back(m);
  return c;
}

/// Shrinks the cost model's blocking until planBuffers() accepts it.
static FailureOr<Blocking> fitBlocking(const GemmInfo &g,
                                       const sim::BlockingPlan &plan,
                                       Arrangement arrangement,
                                       const arch::AccelConfig &cfg,
                                       std::string &lastError) {
  arch::ArrayShape shape = getShape(cfg, arrangement);
  const uint64_t T = shape.tokenLanes, C = shape.channelLanes;
  const uint64_t maxN = (1u << ::bitmod::isa::kMatMulNBits) - 1;
  const uint64_t maxKG = (1u << ::bitmod::isa::kMatMulKGroupsBits) - 1;
  Blocking b;
  b.arrangement = arrangement;
  b.order = plan.order == sim::BlockingOrder::WgtResident
                ? BlockingOrder::wgt_resident
                : BlockingOrder::act_resident;
  SmallVector<uint64_t> mbs = tokenCandidates(plan.blockTokens, g.M, T);
  uint64_t mb0 = mbs.front();
  uint64_t nStart = std::min(g.N, maxN > C ? maxN / C * C : maxN);
  auto tryIt = [&](uint64_t mb, uint64_t nb, uint64_t kg) {
    Blocking t = b;
    t.blockTokens = mb;
    t.blockChannels = nb;
    t.blockGroups = kg;
    auto p = planBuffers(g, t, cfg);
    if (p) {
      b = t;
      return true;
    }
    lastError = llvm::toString(p.takeError());
    return false;
  };
  uint64_t kgAll = std::min(g.numGroups, maxKG);
  if (b.order == BlockingOrder::act_resident) {
    // X resident, weights streamed in blocks of all K (or as much as fits).
    // One channel-lane column of weights per block: the smallest block that
    // keeps the array busy, so weight loads overlap the matmuls.
    uint64_t nb = std::min(g.N, C);
    // K blocks of about a quarter of K (when K has 8 groups or more): the
    // resident X is then loaded and replaced chunk by chunk, and the first
    // and last weight blocks (not overlapped with compute) are short.
    uint64_t kgPref =
        g.numGroups >= 8 ? std::min(kgAll, ceilDiv(g.numGroups, 4)) : kgAll;
    for (uint64_t kg = kgPref; kg >= 1; kg = kg / 2) {
      for (uint64_t mb : mbs)
        if (tryIt(mb, nb, kg))
          return b;
      if (kg == 1)
        break;
    }
    return failure();
  }
  // Weights resident for a block of channels over all K, X streamed in
  // chunks of kg groups: keep the channel block as large as possible.
  uint64_t nb0 =
      std::min<uint64_t>(std::max<uint64_t>(plan.blockChannels, 1), nStart);
  for (uint64_t nb : channelCandidates(nb0, C))
    for (uint64_t kg = kgAll; kg >= 1; --kg)
      if (tryIt(mb0, nb, kg))
        return b;
  return failure();
}

/// The largest number of groups per K block that makes `t` fit (field
/// limits included; with `twoOutSlots` only layouts that keep two output
/// slots), or 0.
static uint64_t largestGroups(const GemmInfo &g, Blocking t,
                              const arch::AccelConfig &cfg,
                              std::string &lastError,
                              bool twoOutSlots = false) {
  const uint64_t maxKG = (1u << ::bitmod::isa::kMatMulKGroupsBits) - 1;
  uint64_t lo = 1, hi = std::min(g.numGroups, maxKG), best = 0;
  while (lo <= hi) {
    t.blockGroups = (lo + hi) / 2;
    auto p = planBuffers(g, t, cfg);
    if (p && twoOutSlots && p->numOutSlots != 2) {
      lastError = "two output slots do not fit";
      hi = t.blockGroups - 1;
    } else if (p) {
      best = t.blockGroups;
      lo = t.blockGroups + 1;
    } else {
      lastError = llvm::toString(p.takeError());
      hi = t.blockGroups - 1;
    }
  }
  return best;
}

/// The largest multiple of `lanes` channels (up to `limit`) that fits as an
/// out_block tile of `t.blockTokens` tokens with `groups` groups per K chunk,
/// with one or (`twoOutSlots`) two output slots, spread evenly over N: the
/// same number of channel blocks, each a multiple of the lanes. 0 if none
/// fits.
static uint64_t widestChannelBlock(const GemmInfo &g, Blocking t,
                                   uint64_t lanes, uint64_t limit,
                                   const arch::AccelConfig &cfg,
                                   bool twoOutSlots, uint64_t groups) {
  t.blockGroups = groups;
  auto fits = [&](uint64_t nb) {
    t.blockChannels = nb;
    auto p = planBuffers(g, t, cfg);
    if (!p) {
      llvm::consumeError(p.takeError());
      return false;
    }
    return !twoOutSlots || p->numOutSlots == 2;
  };
  uint64_t lo = 1, hi = limit / lanes, best = 0;
  while (lo <= hi) {
    uint64_t mid = (lo + hi) / 2;
    if (fits(mid * lanes)) {
      best = mid * lanes;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  if (!best)
    return 0;
  uint64_t blocks = ceilDiv(g.N, best);
  return std::min(best, ceilDiv(ceilDiv(g.N, blocks), lanes) * lanes);
}

/// K-split (out_block) blockings: an output tile of Mb tokens x Nb channels
/// stays on chip while X chunks and weight blocks of as many groups as fit
/// stream through double buffers. Mb and Nb range over powers of two times
/// the lanes (down to one channel for tiny buffers), plus per Mb the widest
/// tile that fits with K chunks of 128 and of 256 elements (one and two
/// groups at G = 128; a longer chunk gives a one-slot tile's store more
/// compute to hide behind), with one output slot and with two, so
/// that the traffic X * N/Nb + W * M/Mb can be traded against the buffer
/// space; each (Mb, Nb) with the most groups per chunk that fit, and when
/// that leaves one output slot, also with the most that keep two.
static SmallVector<Blocking> kSplitCandidates(const GemmInfo &g,
                                              Arrangement arrangement,
                                              const arch::AccelConfig &cfg,
                                              std::string &lastError) {
  arch::ArrayShape shape = getShape(cfg, arrangement);
  const uint64_t T = shape.tokenLanes, C = shape.channelLanes;
  const uint64_t maxM = (1u << ::bitmod::isa::kMatMulMBits) - 1;
  const uint64_t maxN = (1u << ::bitmod::isa::kMatMulNBits) - 1;
  SmallVector<uint64_t> mbs, nbs;
  for (uint64_t m = T; m < 2 * g.M && m <= maxM; m *= 2)
    mbs.push_back(std::min(m, g.M));
  if (mbs.empty())
    mbs.push_back(std::min(g.M, maxM / T * T));
  for (uint64_t n = C; n < 2 * g.N && n <= maxN; n *= 2)
    nbs.push_back(std::min(n, g.N));
  for (uint64_t n = std::min(g.N, C) / 2; n >= 1; n /= 2)
    nbs.push_back(n);
  SmallVector<Blocking> out;
  for (uint64_t mb : mbs) {
    Blocking t;
    t.arrangement = arrangement;
    t.order = BlockingOrder::out_block;
    t.blockTokens = mb;
    SmallVector<uint64_t> tileNbs(nbs);
    if (g.N > C)
      for (bool two : {false, true})
        for (uint64_t chunkElems : {128, 256}) {
          uint64_t groups = ceilDiv(chunkElems, g.G);
          if (groups > g.numGroups)
            continue;
          if (uint64_t nb = widestChannelBlock(g, t, C, std::min(g.N, maxN),
                                               cfg, two, groups);
              nb && !llvm::is_contained(tileNbs, nb))
            tileNbs.push_back(nb);
        }
    for (uint64_t nb : tileNbs) {
      t.blockChannels = nb;
      t.blockGroups = largestGroups(g, t, cfg, lastError);
      if (!t.blockGroups)
        continue;
      out.push_back(t);
      auto p = planBuffers(g, t, cfg);
      bool one = p && p->numOutSlots == 1;
      if (!p)
        llvm::consumeError(p.takeError());
      if (one)
        if ((t.blockGroups =
                 largestGroups(g, t, cfg, lastError, /*twoOutSlots=*/true)))
          out.push_back(t);
    }
  }
  return out;
}

namespace {
/// A candidate plan with its simulated cost.
struct Candidate {
  Blocking b;
  PlanCost cost;
};
} // namespace

static std::string describe(const Candidate &c) {
  return llvm::formatv("{0} {1} block_tokens={2} block_channels={3} "
                       "block_groups={4}: {5} cycles, {6} DRAM bytes, "
                       "{7:f1} nJ",
                       stringifyArrangement(c.b.arrangement),
                       stringifyBlockingOrder(c.b.order), c.b.blockTokens,
                       c.b.blockChannels, c.b.blockGroups, c.cost.cycles,
                       c.cost.dramBytes, c.cost.energyPJ / 1000)
      .str();
}

/// Plans whose cycles are within this fraction of the fastest plan's count
/// as equally fast and are ranked by energy: a K-split tile that fills the
/// buffers (one output slot, one group per chunk) reads DRAM up to 40% less
/// for about 1% more cycles; DRAM energy is most of a prefill GEMM's energy.
/// Kept below the 2% the planner-regret test allows.
static constexpr double kTieWindow = 0.015;

/// Plans up to this many instructions are simulated; larger ones (tiny
/// blocks of huge layers) are not worth the compile time.
static constexpr uint64_t kMaxSimulatedInsts = 400000;

/// Every candidate blocking in the allowed arrangements, simulated and
/// sorted best first: fewest cycles, then (within kTieWindow of the best
/// cycles)
/// least energy.
static SmallVector<Candidate>
searchPlans(const GemmInfo &g, ArrayRef<arch::ArrayArrangement> arrangements,
            const arch::AccelConfig &cfg, std::string &lastError) {
  SmallVector<Blocking> blockings;
  for (arch::ArrayArrangement arr : arrangements) {
    sim::GemmShape shape{g.M, g.N, g.K};
    sim::BlockingPlan plan = sim::planBlocking(
        cfg, sim::AcceleratorKind::BitMoD, shape, g.spec, arr);
    Arrangement hwArr = arr == arch::ArrayArrangement::Generative
                            ? Arrangement::gen
                            : Arrangement::disc;
    // Both resident orders, the cost model's first.
    sim::BlockingPlan other = plan;
    other.order = plan.order == sim::BlockingOrder::WgtResident
                      ? sim::BlockingOrder::ActResident
                      : sim::BlockingOrder::WgtResident;
    other.blockTokens = g.M;
    other.blockChannels = g.N;
    for (const sim::BlockingPlan &p : {plan, other}) {
      std::string err;
      FailureOr<Blocking> b = fitBlocking(g, p, hwArr, cfg, err);
      if (succeeded(b))
        blockings.push_back(*b);
      else if (lastError.empty())
        lastError = err;
    }
    std::string err;
    blockings.append(kSplitCandidates(g, hwArr, cfg, err));
    if (blockings.empty())
      lastError += "; split along K: " + err;
  }
  SmallVector<Candidate> cands;
  for (const Blocking &b : blockings) {
    uint64_t Mb = std::min(b.blockTokens, g.M);
    uint64_t Nb = std::min(b.blockChannels, g.N);
    uint64_t kg = std::min(b.blockGroups, g.numGroups);
    uint64_t insts =
        3 * ceilDiv(g.M, Mb) * ceilDiv(g.N, Nb) * ceilDiv(g.numGroups, kg);
    if (insts > kMaxSimulatedInsts && !cands.empty())
      continue;
    auto p = planBuffers(g, b, cfg);
    if (!p) {
      llvm::consumeError(p.takeError());
      continue;
    }
    auto cost = simulatePlan(g, b, *p, cfg);
    if (!cost) {
      lastError = llvm::toString(cost.takeError());
      continue;
    }
    cands.push_back({b, *cost});
  }
  if (cands.empty())
    return cands;
  uint64_t fastest = cands.front().cost.cycles;
  for (const Candidate &c : cands)
    fastest = std::min(fastest, c.cost.cycles);
  auto tie = [&](uint64_t cycles) {
    return double(cycles) <= double(fastest) * (1 + kTieWindow);
  };
  llvm::stable_sort(cands, [&](const Candidate &a, const Candidate &b) {
    bool ta = tie(a.cost.cycles), tb = tie(b.cost.cycles);
    if (ta != tb)
      return ta;
    if (ta && a.cost.energyPJ != b.cost.energyPJ)
      return a.cost.energyPJ < b.cost.energyPJ;
    return a.cost.cycles < b.cost.cycles;
  });
  return cands;
}

namespace {
struct TilePass : public mlir::bitmod::impl::BitMoDTileBase<TilePass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    arch::AccelConfig cfg;
    if (!accel.empty()) {
      auto loaded = arch::loadAccelConfig(accel);
      if (!loaded) {
        module.emitError() << "cannot load accelerator description '" << accel
                           << "': " << llvm::toString(loaded.takeError());
        return signalPassFailure();
      }
      cfg = *loaded;
    } else if (auto a = module->getAttrOfType<AccelAttr>(kAccelAttrName)) {
      cfg = toAccelConfig(a);
    }
    if (!accelOptions.empty()) {
      std::string opts = accelOptions;
      std::replace(opts.begin(), opts.end(), ';', ',');
      if (llvm::Error e = arch::applyKeyValueOptions(cfg, opts)) {
        module.emitError() << "invalid accel-options: "
                           << llvm::toString(std::move(e));
        return signalPassFailure();
      }
    }
    if (llvm::Error e = cfg.validate()) {
      module.emitError() << "invalid accelerator: "
                         << llvm::toString(std::move(e));
      return signalPassFailure();
    }
    std::optional<arch::ArrayArrangement> forced;
    if (arrangement == "disc")
      forced = arch::ArrayArrangement::Discriminative;
    else if (arrangement == "gen")
      forced = arch::ArrayArrangement::Generative;
    else if (arrangement != "auto") {
      module.emitError() << "arrangement must be auto, disc or gen, got '"
                         << arrangement << "'";
      return signalPassFailure();
    } else if (cfg.arrangement != arch::ArrayArrangement::Auto) {
      forced = cfg.arrangement;
    }
    module->setAttr(kAccelAttrName, getAccelAttr(ctx, cfg));

    unsigned index = 0;
    WalkResult result = module.walk([&](GroupedMatmulOp op) {
      std::string name = getLayerName(op, index++);
      if (!op.getWeights().getDefiningOp<WeightsOp>()) {
        op.emitRemark() << "layer '" << name
                        << "': weights are not a bitmod.weights constant; "
                           "left for the host";
        return WalkResult::advance();
      }
      auto info = getGemmInfo(op, name, cfg);
      if (!info) {
        op.emitOpError() << "layer '" << name << "' cannot be tiled: "
                         << llvm::toString(info.takeError());
        return WalkResult::interrupt();
      }
      SmallVector<arch::ArrayArrangement, 2> arrangements;
      if (forced)
        arrangements.push_back(*forced);
      else
        arrangements = {arch::ArrayArrangement::Discriminative,
                        arch::ArrayArrangement::Generative};
      std::string lastError;
      SmallVector<Candidate> cands =
          searchPlans(*info, arrangements, cfg, lastError);
      if (cands.empty()) {
        op.emitOpError() << "layer '" << name << "' [M=" << info->M
                         << ", N=" << info->N << ", K=" << info->K
                         << "] does not fit the accelerator: " << lastError;
        return WalkResult::interrupt();
      }
      if (candidate >= cands.size()) {
        op.emitOpError() << "layer '" << name << "': candidate " << candidate
                         << " requested, the search has " << cands.size();
        return WalkResult::interrupt();
      }
      const Candidate &chosen = cands[candidate];
      if (printPlan) {
        InFlightDiagnostic d = op.emitRemark()
                               << "layer '" << name
                               << "' plan: " << describe(chosen);
        if (cands.size() > 1)
          d << "; runner-up: " << describe(cands[candidate ? 0 : 1]);
        d << " (" << cands.size() << " candidates simulated";
        uint64_t fastest = chosen.cost.cycles;
        for (const Candidate &c : cands)
          fastest = std::min(fastest, c.cost.cycles);
        d << ", fastest " << fastest << " cycles)";
        auto bound = sim::getDramLowerBound(cfg, {info->M, info->N, info->K},
                                            info->spec, info->outElem);
        if (bound)
          d << "; DRAM lower bound " << bound->toString() << "; planned / "
            << "bound "
            << llvm::formatv("{0:f3}", double(chosen.cost.dramBytes) /
                                           double(bound->bytes));
        else
          d << "; DRAM lower bound: " << llvm::toString(bound.takeError());
      }
      const Blocking *b = &chosen.b;
      Arrangement hwArr = b->arrangement;
      arch::ArrayShape s = getShape(cfg, hwArr);
      auto tiling = TilingAttr::get(
          ctx, hwArr, b->order, info->M, info->N, info->K, s.tokenLanes,
          s.channelLanes, b->blockTokens, b->blockChannels, b->blockGroups,
          ceilDiv(info->M, cfg.tileRows), ceilDiv(info->N, cfg.tileCols),
          ceilDiv(info->M, s.tokenLanes) * ceilDiv(info->N, s.channelLanes));
      op->setAttr(kTilingAttrName, tiling);
      if (!op.getName())
        op.setName(name);
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace
