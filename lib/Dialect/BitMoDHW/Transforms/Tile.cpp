//===- Tile.cpp - --bitmod-tile: buffer blocking of grouped matmuls -------===//
//
// Chooses the array arrangement and the buffer blocking of every grouped
// matmul with constant weights by the plan search of the MLIR-free planner
// (sim::searchPlans, bitmod/Sim/Planner.h: every candidate scheduled and
// simulated, fewest cycles then least energy), and records the result as
// #bitmod_hw.tiling.
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

    // The searches done so far: a model repeats its layer shapes.
    struct Searched {
      GemmInfo gemm;
      std::vector<sim::PlanCandidate> cands;
      std::string lastError;
    };
    std::vector<Searched> searched;
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
      auto same = llvm::find_if(searched, [&](const Searched &s) {
        return sim::isSamePlanGemm(s.gemm, *info);
      });
      if (same == searched.end()) {
        Searched s{*info, {}, {}};
        s.cands = sim::searchPlans(*info, arrangements, cfg, s.lastError);
        searched.push_back(std::move(s));
        same = std::prev(searched.end());
      }
      const std::string &lastError = same->lastError;
      const std::vector<sim::PlanCandidate> &cands = same->cands;
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
      const sim::PlanCandidate &chosen = cands[candidate];
      if (printPlan) {
        InFlightDiagnostic d = op.emitRemark()
                               << "layer '" << name
                               << "' plan: " << sim::describePlan(chosen);
        if (cands.size() > 1)
          d << "; runner-up: " << sim::describePlan(cands[candidate ? 0 : 1]);
        d << " (" << cands.size() << " candidates simulated";
        uint64_t fastest = chosen.cost.cycles;
        for (const sim::PlanCandidate &c : cands)
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
      Arrangement hwArr = toHWArrangement(b->arrangement);
      arch::ArrayShape s = getShape(cfg, hwArr);
      auto tiling = TilingAttr::get(
          ctx, hwArr, toHWOrder(b->order), info->M, info->N, info->K,
          s.tokenLanes, s.channelLanes, b->blockTokens, b->blockChannels,
          b->blockGroups, ceilDiv(info->M, cfg.tileRows),
          ceilDiv(info->N, cfg.tileCols),
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
