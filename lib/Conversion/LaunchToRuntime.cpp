//===- LaunchToRuntime.cpp - bitmod_hw.launch -> runtime calls ------------===//
//
// --bitmod-launch-to-runtime: every accelerator launch becomes a call of a
// private declaration standing for bitmod_rt_launch(ctx, "L", ...). The
// instructions are in the .bmod; the weights operand is dropped.
//
//===----------------------------------------------------------------------===//

#include "bitmod/Conversion/Passes.h"
#include "bitmod/Dialect/BitMoDHW/IR/BitMoDHWOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir {
namespace bitmod {
#define GEN_PASS_DEF_BITMODLAUNCHTORUNTIME
#include "bitmod/Conversion/Passes.h.inc"
} // namespace bitmod
} // namespace mlir

using namespace mlir;
using namespace mlir::bitmod;

namespace {

bool isCtxType(Type type) {
  auto ptr = dyn_cast<emitc::PointerType>(type);
  if (!ptr)
    return false;
  auto opaque = dyn_cast<emitc::OpaqueType>(ptr.getPointee());
  return opaque && opaque.getValue() == "void";
}

struct LaunchToRuntimePass
    : public mlir::bitmod::impl::BitMoDLaunchToRuntimeBase<
          LaunchToRuntimePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<hw::LaunchOp> launches;
    module.walk([&](hw::LaunchOp op) { launches.push_back(op); });
    llvm::StringMap<func::FuncOp> decls;
    for (hw::LaunchOp launch : launches) {
      auto func = launch->getParentOfType<func::FuncOp>();
      if (!func || func.getNumArguments() == 0 ||
          !isCtxType(func.getArgument(0).getType()) ||
          !func->hasAttr(kHostIOAttrName)) {
        launch.emitError() << "bitmod_hw.launch @" << launch.getSymName()
                           << " is not in a host model entry; run "
                              "--bitmod-host-entry first (launches must be "
                              "in public functions)";
        return signalPassFailure();
      }
      auto inType = cast<RankedTensorType>(launch.getInput().getType());
      auto outType = cast<RankedTensorType>(launch.getResult().getType());
      auto isF32OrF16 = [](RankedTensorType t) {
        return t.getElementType().isF32() || t.getElementType().isF16();
      };
      if (!isF32OrF16(inType) || !isF32OrF16(outType) ||
          !inType.hasStaticShape() || !outType.hasStaticShape()) {
        launch.emitError() << "bitmod_rt_launch takes static f32 buffers "
                              "(f16 launches are converted); launch @"
                           << launch.getSymName() << " maps " << inType
                           << " to " << outType;
        return signalPassFailure();
      }
      // The runtime ABI is float32. f16 activations widen exactly; an f16
      // launch writes FP16 results (out_format f16), so narrowing them back
      // is exact too.
      Type f32 = Float32Type::get(&getContext());
      OpBuilder b(launch);
      Value input = launch.getInput();
      if (!inType.getElementType().isF32()) {
        inType = inType.clone(f32);
        input = arith::ExtFOp::create(b, launch.getLoc(), inType, input);
      }
      RankedTensorType resultType = outType;
      outType = outType.clone(f32);
      std::string declName =
          ("__bitmod_rt_launch_" + launch.getSymName()).str();
      FunctionType fnType = FunctionType::get(
          &getContext(), {func.getArgument(0).getType(), inType}, {outType});
      func::FuncOp decl = decls.lookup(declName);
      if (!decl) {
        if (symbols.lookup(declName)) {
          launch.emitError() << "symbol @" << declName << " already exists";
          return signalPassFailure();
        }
        OpBuilder b(module.getBodyRegion());
        b.setInsertionPointToStart(module.getBody());
        decl = func::FuncOp::create(b, launch.getLoc(), declName, fnType);
        decl.setPrivate();
        decl->setAttr(kRtLaunchAttrName, launch.getSymNameAttr());
        symbols.insert(decl);
        decls[declName] = decl;
      } else if (decl.getFunctionType() != fnType) {
        launch.emitError() << "launch @" << launch.getSymName()
                           << " appears twice with different types";
        return signalPassFailure();
      }
      auto call = func::CallOp::create(b, launch.getLoc(), decl,
                                       ValueRange{func.getArgument(0), input});
      Value weights = launch.getWeights();
      Value result = call.getResult(0);
      if (resultType != outType)
        result =
            arith::TruncFOp::create(b, launch.getLoc(), resultType, result);
      launch.getResult().replaceAllUsesWith(result);
      launch.erase();
      if (Operation *def = weights.getDefiningOp())
        if (def->use_empty() && isa<BitMoDDialect>(def->getDialect()))
          def->erase();
    }
  }
};

} // namespace

SmallVector<func::CallOp>
mlir::bitmod::collectRuntimeLaunchCalls(ModuleOp module, SymbolTable &symbols) {
  SmallVector<func::CallOp> calls;
  module.walk([&](func::CallOp call) {
    auto callee = symbols.lookup<func::FuncOp>(call.getCallee());
    if (callee && callee->hasAttr(kRtLaunchAttrName))
      calls.push_back(call);
  });
  return calls;
}
