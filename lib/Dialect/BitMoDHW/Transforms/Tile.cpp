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

/// The K-split (out_block) blocking for GEMMs whose operands fit neither
/// resident order: an output tile of up to mb0 tokens x one channel-lane
/// column stays on chip while X chunks and weight blocks of as many groups
/// as fit stream through double buffers.
static FailureOr<Blocking> fitKSplit(const GemmInfo &g, uint64_t mb0,
                                     Arrangement arrangement,
                                     const arch::AccelConfig &cfg,
                                     std::string &lastError) {
  arch::ArrayShape shape = getShape(cfg, arrangement);
  const uint64_t T = shape.tokenLanes, C = shape.channelLanes;
  const uint64_t maxKG = (1u << ::bitmod::isa::kMatMulKGroupsBits) - 1;
  SmallVector<uint64_t> mbs = tokenCandidates(mb0, g.M, T);
  // Channel blocks: one channel-lane column (and, for buffers too small for
  // that, fewer channels down to one).
  SmallVector<uint64_t> nbs{std::min(g.N, C)};
  for (uint64_t n = nbs.front() / 2; n >= 1; n /= 2)
    nbs.push_back(n);
  Blocking b;
  b.arrangement = arrangement;
  b.order = BlockingOrder::out_block;
  for (uint64_t mb : mbs)
    for (uint64_t nb : nbs) {
      // The largest chunk of groups that fits (field limits included).
      uint64_t lo = 1, hi = std::min(g.numGroups, maxKG), best = 0;
      while (lo <= hi) {
        uint64_t kg = (lo + hi) / 2;
        Blocking t = b;
        t.blockTokens = mb;
        t.blockChannels = nb;
        t.blockGroups = kg;
        auto p = planBuffers(g, t, cfg);
        if (p) {
          best = kg;
          lo = kg + 1;
        } else {
          lastError = llvm::toString(p.takeError());
          hi = kg - 1;
        }
      }
      if (best) {
        b.blockTokens = mb;
        b.blockChannels = nb;
        b.blockGroups = best;
        return b;
      }
    }
  return failure();
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
      sim::GemmShape shape{info->M, info->N, info->K};
      arch::ArrayArrangement arr =
          forced ? *forced
                 : sim::selectArrangement(cfg, sim::AcceleratorKind::BitMoD,
                                          shape, info->spec);
      sim::BlockingPlan plan = sim::planBlocking(
          cfg, sim::AcceleratorKind::BitMoD, shape, info->spec, arr);
      Arrangement hwArr = arr == arch::ArrayArrangement::Generative
                              ? Arrangement::gen
                              : Arrangement::disc;
      std::string lastError;
      FailureOr<Blocking> b = fitBlocking(*info, plan, hwArr, cfg, lastError);
      if (failed(b)) {
        // The other resident order, with the largest blocks it allows.
        sim::BlockingPlan other = plan;
        other.order = plan.order == sim::BlockingOrder::WgtResident
                          ? sim::BlockingOrder::ActResident
                          : sim::BlockingOrder::WgtResident;
        other.blockTokens = info->M;
        other.blockChannels = info->N;
        std::string otherError;
        b = fitBlocking(*info, other, hwArr, cfg, otherError);
      }
      if (failed(b)) {
        std::string kSplitError;
        b = fitKSplit(*info, plan.blockTokens, hwArr, cfg, kSplitError);
        if (failed(b))
          lastError += "; split along K: " + kSplitError;
      }
      if (failed(b)) {
        op.emitOpError() << "layer '" << name << "' [M=" << info->M
                         << ", N=" << info->N << ", K=" << info->K
                         << "] does not fit the accelerator: " << lastError;
        return WalkResult::interrupt();
      }
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
