//===- Schedule.cpp - --bitmod-bit-serial-schedule ------------------------===//
//
// Expands every tiled grouped matmul into a bitmod_hw.launch holding its
// instruction sequence. The schedule is built as a list of instructions with
// data dependencies (buffer read-after-write and write-after-read hazards);
// dependency tokens are then derived from the dependencies, channel by
// channel, so that the k-th pop of a queue consumes the k-th push of its
// neighbour (docs/hw-dialect.md, "Tokens").
//
//===----------------------------------------------------------------------===//

#include "TilingUtils.h"

#include "bitmod/Dialect/BitMoDHW/Transforms/Passes.h"
#include "bitmod/ISA/WeightBlock.h"
#include "bitmod/Sim/Timing.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringSet.h"

#include <array>

namespace mlir {
namespace bitmod {
#define GEN_PASS_DEF_BITMODBITSERIALSCHEDULE
#include "bitmod/Dialect/BitMoDHW/Transforms/Passes.h.inc"
} // namespace bitmod
} // namespace mlir

using namespace mlir;
using namespace mlir::bitmod;
using namespace mlir::bitmod::hw;
namespace isa = ::bitmod::isa;
namespace arch = ::bitmod::arch;
namespace sim = ::bitmod::sim;

using ::bitmod::sim::LaunchSchedule;
using ::bitmod::sim::PlannedInst;

//===----------------------------------------------------------------------===//
// IR construction
//===----------------------------------------------------------------------===//

/// The instruction op of `s`, built with the op's ODS builder from the ISA
/// instruction.
static void buildInstOp(OpBuilder &b, Location loc, const PlannedInst &s) {
  const isa::Instruction &inst = s.inst;
  switch (inst.opcode) {
  case isa::Opcode::Config:
    ConfigOp::create(b, loc, inst, s.cycles);
    return;
  case isa::Opcode::LoadAct:
    LoadActOp::create(b, loc, inst, s.cycles);
    return;
  case isa::Opcode::LoadWgt: {
    auto op = LoadWgtOp::create(b, loc, inst, s.cycles);
    if (s.block)
      op.setBlock(ArrayRef<int64_t>(*s.block));
    return;
  }
  case isa::Opcode::MatMul:
    MatMulOp::create(b, loc, inst, s.cycles);
    return;
  case isa::Opcode::Store:
    StoreOp::create(b, loc, inst, s.cycles);
    return;
  case isa::Opcode::Sync:
    SyncOp::create(b, loc, inst, s.cycles);
    return;
  case isa::Opcode::Halt:
    HaltOp::create(b, loc, inst, s.cycles);
    return;
  }
}

/// y[..., n] += bias[n] on the host.
static Value addBias(OpBuilder &b, Location loc, Value y, Value bias) {
  auto ty = cast<RankedTensorType>(y.getType());
  unsigned rank = ty.getRank();
  MLIRContext *ctx = b.getContext();
  AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
  AffineMap last = AffineMap::get(rank, 0, b.getAffineDimExpr(rank - 1), ctx);
  Value init =
      tensor::EmptyOp::create(b, loc, ty.getShape(), ty.getElementType());
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{ty}, ValueRange{y, bias}, ValueRange{init},
      ArrayRef<AffineMap>{id, last, id}, iters,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value bv = args[1];
        if (bv.getType() != args[0].getType())
          bv = arith::ExtFOp::create(nb, nl, args[0].getType(), bv);
        Value sum = arith::AddFOp::create(nb, nl, args[0], bv);
        linalg::YieldOp::create(nb, nl, sum);
      });
  return generic.getResult(0);
}

namespace {
struct Pending {
  GroupedMatmulOp op;
  GemmInfo info;
  Blocking blocking;
  BufferPlan buffers;
  std::unique_ptr<LaunchSchedule> schedule;
  uint64_t weightBase = 0, xAddr = 0, yAddr = 0;
  std::string name;
};

struct SchedulePass
    : public mlir::bitmod::impl::BitMoDBitSerialScheduleBase<SchedulePass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    arch::AccelConfig cfg = getAccelConfig(module);
    if (!module->getAttr(kAccelAttrName))
      module->setAttr(kAccelAttrName, getAccelAttr(&getContext(), cfg));
    bool alreadyScheduled = false;
    module.walk([&](LaunchOp) { alreadyScheduled = true; });
    if (alreadyScheduled) {
      module.emitError("the module already holds bitmod_hw.launch ops; "
                       "--bitmod-bit-serial-schedule plans DRAM for the whole "
                       "module and runs once");
      return signalPassFailure();
    }

    // Phase 1: schedules and weight blob sizes.
    std::vector<Pending> pending;
    llvm::StringSet<> names;
    bool failedAny = false;
    module.walk([&](GroupedMatmulOp op) {
      auto tiling = op->getAttrOfType<TilingAttr>(kTilingAttrName);
      if (!tiling)
        return;
      Pending pd;
      pd.op = op;
      std::string base = op.getName() ? op.getName()->str() : "gemm";
      pd.name = base;
      for (unsigned i = 1; names.contains(pd.name); ++i)
        pd.name = base + "_" + std::to_string(i);
      names.insert(pd.name);
      auto info = getGemmInfo(op, pd.name, cfg);
      if (!info) {
        op.emitOpError() << "layer '" << pd.name
                         << "': " << llvm::toString(info.takeError());
        failedAny = true;
        return;
      }
      pd.info = *info;
      if (tiling.getM() != info->M || tiling.getN() != info->N ||
          tiling.getK() != info->K) {
        op.emitOpError() << "layer '" << pd.name
                         << "': tiling is for a different GEMM shape";
        failedAny = true;
        return;
      }
      arch::ArrayShape s = getShape(cfg, tiling.getArrangement());
      if (s.tokenLanes != tiling.getTokenLanes() ||
          s.channelLanes != tiling.getChannelLanes()) {
        op.emitOpError() << "layer '" << pd.name
                         << "': tiling lanes do not match the accelerator";
        failedAny = true;
        return;
      }
      pd.blocking.arrangement = toArrayArrangement(tiling.getArrangement());
      pd.blocking.order = toPlanOrder(tiling.getOrder());
      pd.blocking.blockTokens = tiling.getBlockTokens();
      pd.blocking.blockChannels = tiling.getBlockChannels();
      pd.blocking.blockGroups = tiling.getBlockGroups();
      auto buffers = planBuffers(pd.info, pd.blocking, cfg);
      if (!buffers) {
        op.emitOpError() << "layer '" << pd.name
                         << "' does not fit the accelerator: "
                         << llvm::toString(buffers.takeError());
        failedAny = true;
        return;
      }
      pd.buffers = *buffers;
      pending.push_back(std::move(pd));
    });
    if (failedAny)
      return signalPassFailure();
    for (Pending &pd : pending)
      pd.schedule = std::make_unique<LaunchSchedule>(pd.info, pd.blocking,
                                                     pd.buffers, cfg);

    // Phase 2: DRAM plan (bump allocator): the weight blob, then every
    // launch's input and output, 64-byte aligned.
    auto align64 = [](uint64_t v) { return (v + 63) / 64 * 64; };
    uint64_t cursor = 0;
    for (Pending &pd : pending) {
      pd.weightBase = cursor;
      cursor = alignTo16(cursor + pd.schedule->getBlobBytes());
    }
    uint64_t weightBytes = cursor;
    cursor = align64(cursor);
    for (Pending &pd : pending) {
      pd.xAddr = cursor;
      cursor = align64(cursor + pd.info.M * pd.info.K * 2);
      pd.yAddr = cursor;
      cursor = align64(cursor + pd.info.M * pd.info.N * pd.info.outElem);
    }
    if (cursor > isa::kMaxDramAddr) {
      module.emitError() << "the DRAM image needs " << cursor
                         << " bytes, more than the 36-bit address space";
      return signalPassFailure();
    }

    // Phase 3: IR.
    for (Pending &pd : pending) {
      pd.schedule->build(pd.weightBase, pd.xAddr, pd.yAddr);
      if (failed(materialize(pd, cfg)))
        return signalPassFailure();
    }
    OpBuilder b(&getContext());
    module->setAttr(
        kMemoryAttrName,
        b.getDictionaryAttr(
            {b.getNamedAttr("weight_bytes", b.getI64IntegerAttr(weightBytes)),
             b.getNamedAttr("dram_bytes", b.getI64IntegerAttr(cursor))}));
  }

  LogicalResult materialize(Pending &pd, const arch::AccelConfig &cfg) {
    GroupedMatmulOp op = pd.op;
    OpBuilder b(op);
    Location loc = op.getLoc();
    const GemmInfo &g = pd.info;
    auto inTy = op.getInput().getType();
    auto outTy = op.getResult().getType();
    Value x = op.getInput();
    int64_t rank = inTy.getRank();
    auto flatIn = RankedTensorType::get({int64_t(g.M), int64_t(g.K)},
                                        inTy.getElementType());
    auto flatOut = RankedTensorType::get({int64_t(g.M), int64_t(g.N)},
                                         outTy.getElementType());
    if (rank > 2) {
      SmallVector<ReassociationIndices> re{{}, {rank - 1}};
      for (int64_t d = 0; d + 1 < rank; ++d)
        re[0].push_back(d);
      x = tensor::CollapseShapeOp::create(b, loc, flatIn, x, re);
    } else if (rank == 1) {
      x = tensor::ExpandShapeOp::create(
          b, loc, flatIn, x, SmallVector<ReassociationIndices>{{0, 1}});
    }
    auto estimate =
        sim::estimateAnalytic(cfg, sim::AcceleratorKind::BitMoD,
                              {g.M, g.N, g.K}, g.spec, pd.blocking.arrangement);
    if (!estimate)
      return op.emitOpError()
             << "layer '" << pd.name
             << "': cost model: " << llvm::toString(estimate.takeError());
    // The estimate is the timing model run on this launch's plan (the same
    // figure --bitmod-tile chose the plan by); compute and DRAM cycles stay
    // the analytic bounds of the cost model.
    auto planned = simulatePlan(g, pd.blocking, pd.buffers, cfg);
    if (!planned)
      return op.emitOpError()
             << "layer '" << pd.name
             << "': timing model: " << llvm::toString(planned.takeError());
    auto i64 = [&](uint64_t v) { return b.getI64IntegerAttr(int64_t(v)); };
    auto launch = LaunchOp::create(
        b, loc, flatOut, pd.name, x, op.getWeights(),
        op->getAttrOfType<TilingAttr>(kTilingAttrName),
        /*dram_input=*/i64(pd.xAddr), /*dram_output=*/i64(pd.yAddr),
        /*weight_base=*/i64(pd.weightBase),
        /*weight_bytes=*/i64(pd.schedule->getBlobBytes()),
        /*estimate=*/i64(planned->cycles),
        /*compute_cycles=*/i64(estimate->computeCycles),
        /*dram_cycles=*/i64(estimate->dramCycles));
    Block &body = launch.getBody().emplaceBlock();
    OpBuilder ib = OpBuilder::atBlockEnd(&body);
    for (const PlannedInst &s : pd.schedule->insts)
      buildInstOp(ib, loc, s);
    if (failed(mlir::verify(launch)))
      return failure();

    Value y = launch.getResult();
    if (rank != 2) {
      SmallVector<ReassociationIndices> re;
      if (rank == 1) {
        re.push_back({0, 1});
      } else {
        re.push_back({});
        for (int64_t d = 0; d + 1 < rank; ++d)
          re[0].push_back(d);
        re.push_back({rank - 1});
      }
      y = tensor::ExpandShapeOp::create(b, loc, outTy, y, re);
    }
    if (Value bias = op.getBias())
      y = addBias(b, loc, y, bias);
    op.replaceAllUsesWith(y);
    op.erase();
    return success();
  }
};
} // namespace
