//===- RuntimeToEmitC.cpp - runtime launch calls -> bitmod_rt_launch ------===//
//
// --bitmod-runtime-to-emitc: `func.call @decl(%ctx, %x, %y)` on memrefs
// (after --bitmod-prepare-host-buffers) becomes
//   bitmod_rt_launch(ctx, "L", &x[0]...[0], n_x, &y[0]...[0], n_y)
// Operands are bridged to the EmitC array types of convert-to-emitc with
// unrealized casts, which reconcile-unrealized-casts removes.
//
//===----------------------------------------------------------------------===//

#include "bitmod/Conversion/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir {
namespace bitmod {
#define GEN_PASS_DEF_BITMODRUNTIMETOEMITC
#include "bitmod/Conversion/Passes.h.inc"
} // namespace bitmod
} // namespace mlir

using namespace mlir;
using namespace mlir::bitmod;

namespace {

std::string cStringLiteral(StringRef s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

struct RuntimeToEmitCPass
    : public mlir::bitmod::impl::BitMoDRuntimeToEmitCBase<RuntimeToEmitCPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    SymbolTable symbols(module);
    SmallVector<func::CallOp> calls =
        collectRuntimeLaunchCalls(module, symbols);
    for (func::CallOp call : calls) {
      auto callee = symbols.lookup<func::FuncOp>(call.getCallee());
      auto layer = callee->getAttrOfType<StringAttr>(kRtLaunchAttrName);
      if (!layer || call.getNumOperands() != 3 || call.getNumResults() != 0) {
        call.emitError() << "runtime launch call is not in out-parameter "
                            "form; run --bitmod-prepare-host-buffers first";
        return signalPassFailure();
      }
      OpBuilder b(call);
      Location loc = call.getLoc();
      Type sizeT = emitc::SizeTType::get(ctx);
      Value zero = emitc::ConstantOp::create(
          b, loc, sizeT, b.getIntegerAttr(b.getIndexType(), 0));
      SmallVector<Value> operands{call.getOperand(0)};
      SmallVector<int64_t> counts;
      for (Value buffer : call.getOperands().drop_front()) {
        auto type = dyn_cast<MemRefType>(buffer.getType());
        if (!type || !type.hasStaticShape() || type.getRank() == 0 ||
            !type.getLayout().isIdentity() || !type.getElementType().isF32()) {
          call.emitError() << "runtime launch buffers must be static "
                              "identity-layout f32 memrefs of rank >= 1, got "
                           << buffer.getType();
          return signalPassFailure();
        }
        auto arrayType =
            emitc::ArrayType::get(type.getShape(), type.getElementType());
        Value array =
            UnrealizedConversionCastOp::create(b, loc, arrayType, buffer)
                .getResult(0);
        SmallVector<Value> indices(type.getRank(), zero);
        Value elem = emitc::SubscriptOp::create(
            b, loc, emitc::LValueType::get(type.getElementType()), array,
            indices);
        Value ptr = emitc::ApplyOp::create(
            b, loc, emitc::PointerType::get(type.getElementType()), "&", elem);
        operands.push_back(ptr);
        counts.push_back(type.getNumElements());
      }
      Builder ab(ctx);
      ArrayAttr args = ab.getArrayAttr(
          {ab.getIndexAttr(0),
           emitc::OpaqueAttr::get(ctx, cStringLiteral(layer.getValue())),
           ab.getIndexAttr(1), ab.getI64IntegerAttr(counts[0]),
           ab.getIndexAttr(2), ab.getI64IntegerAttr(counts[1])});
      emitc::CallOpaqueOp::create(b, loc, TypeRange{}, "bitmod_rt_launch",
                                  operands, args, ArrayAttr());
      call.erase();
    }
    for (func::FuncOp decl :
         llvm::make_early_inc_range(module.getOps<func::FuncOp>()))
      if (decl->hasAttr(kRtLaunchAttrName)) {
        if (!SymbolTable::symbolKnownUseEmpty(decl, module)) {
          decl.emitError() << "runtime launch declaration still in use";
          return signalPassFailure();
        }
        decl.erase();
      }
    if (!calls.empty()) {
      OpBuilder b(module.getBodyRegion());
      b.setInsertionPointToStart(module.getBody());
      emitc::IncludeOp::create(b, module.getLoc(),
                               "bitmod/Runtime/RuntimeABI.h",
                               /*isStandardInclude=*/false);
    }
  }
};

} // namespace
