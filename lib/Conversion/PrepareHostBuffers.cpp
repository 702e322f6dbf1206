//===- PrepareHostBuffers.cpp - bufferized host IR -> EmitC-ready IR ------===//
//
// --bitmod-prepare-host-buffers (docs/host-lowering.md): runtime launch
// calls take out-parameters and contiguous base buffers, memref.copy becomes
// loops, static allocations become module-level buffers and dense_resource
// constants become dense literals. Upstream memref-to-emitc lowers
// memref.alloc to malloc'ed pointers that the array-based loads cannot use,
// takes no dense_resource initializer and no memref.subview.
//
//===----------------------------------------------------------------------===//

#include "bitmod/Conversion/Passes.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir {
namespace bitmod {
#define GEN_PASS_DEF_BITMODPREPAREHOSTBUFFERS
#include "bitmod/Conversion/Passes.h.inc"
} // namespace bitmod
} // namespace mlir

using namespace mlir;
using namespace mlir::bitmod;

namespace {

/// The buffer `v` aliases entirely (same bytes, same order) through
/// reshapes, or null if `v` is not such a view of a plain buffer.
Value getContiguousBase(Value v) {
  while (true) {
    auto type = dyn_cast<MemRefType>(v.getType());
    if (!type || !type.getLayout().isIdentity() || !type.hasStaticShape())
      return nullptr;
    Operation *def = v.getDefiningOp();
    if (!def)
      return v; // a function argument (identity layout at the boundary)
    if (isa<memref::AllocOp, memref::AllocaOp, memref::GetGlobalOp>(def))
      return v;
    if (auto e = dyn_cast<memref::ExpandShapeOp>(def)) {
      v = e.getSrc();
      continue;
    }
    if (auto c = dyn_cast<memref::CollapseShapeOp>(def)) {
      v = c.getSrc();
      continue;
    }
    if (auto c = dyn_cast<memref::CastOp>(def)) {
      v = c.getSource();
      continue;
    }
    return nullptr;
  }
}

void buildCopyLoops(OpBuilder &b, Location loc, Value src, Value dst) {
  auto type = cast<MemRefType>(dst.getType());
  if (type.getRank() == 0) {
    Value x = memref::LoadOp::create(b, loc, src, ValueRange{});
    memref::StoreOp::create(b, loc, x, dst, ValueRange{});
    return;
  }
  SmallVector<Value> lbs, ubs, steps;
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  for (int64_t d = 0; d < type.getRank(); ++d) {
    lbs.push_back(zero);
    ubs.push_back(memref::DimOp::create(b, loc, dst, d));
    steps.push_back(one);
  }
  scf::buildLoopNest(b, loc, lbs, ubs, steps,
                     [&](OpBuilder &nb, Location l, ValueRange ivs) {
                       Value x = memref::LoadOp::create(nb, l, src, ivs);
                       memref::StoreOp::create(nb, l, x, dst, ivs);
                     });
}

struct PrepareHostBuffersPass
    : public mlir::bitmod::impl::BitMoDPrepareHostBuffersBase<
          PrepareHostBuffersPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(rewriteLaunchCalls(module)) || failed(lowerCopies(module)) ||
        failed(allocsToGlobals(module)) || failed(inlineResources(module)))
      return signalPassFailure();
    scalarGlobalsToRank1(module);
  }

  /// LLVM 22's memref-to-emitc handles rank-0 globals only partly (it
  /// crashes on an uninitialized one and leaves loads/stores of the others
  /// unconverted), so every rank-0 global becomes a one-element array read
  /// through a rank-0 collapse_shape, which fold-memref-alias-ops then folds
  /// into the loads and stores.
  void scalarGlobalsToRank1(ModuleOp module) {
    SmallVector<memref::GlobalOp> scalars;
    for (auto global : module.getOps<memref::GlobalOp>())
      if (global.getType().getRank() == 0)
        scalars.push_back(global);
    for (memref::GlobalOp global : scalars) {
      MemRefType scalarType = global.getType();
      auto arrayType = MemRefType::get({1}, scalarType.getElementType());
      global.setType(arrayType);
      if (auto init = dyn_cast_if_present<DenseElementsAttr>(
              global.getInitialValueAttr()))
        global.setInitialValueAttr(init.reshape(RankedTensorType::get(
            {1}, scalarType.getElementType())));
      SmallVector<memref::GetGlobalOp> uses;
      module.walk([&](memref::GetGlobalOp get) {
        if (get.getName() == global.getSymName())
          uses.push_back(get);
      });
      for (memref::GetGlobalOp get : uses) {
        OpBuilder b(get);
        auto array = memref::GetGlobalOp::create(b, get.getLoc(), arrayType,
                                                 global.getSymName());
        auto scalar = memref::CollapseShapeOp::create(
            b, get.getLoc(), get.getType(), array,
            ArrayRef<ReassociationIndices>{});
        get.replaceAllUsesWith(scalar.getResult());
        get.erase();
      }
    }
  }

  LogicalResult rewriteLaunchCalls(ModuleOp module) {
    SymbolTable symbols(module);
    SmallVector<func::CallOp> calls =
        collectRuntimeLaunchCalls(module, symbols);
    unsigned counter = 0;
    for (func::CallOp call : calls) {
      auto callee = symbols.lookup<func::FuncOp>(call.getCallee());
      if (call.getNumOperands() != 2 || call.getNumResults() != 1)
        return call.emitError()
               << "runtime launch call expects (ctx, input) -> output; run "
                  "--bitmod-prepare-host-buffers once, after bufferization";
      auto outType = dyn_cast<MemRefType>(call.getResult(0).getType());
      if (!outType || !outType.hasStaticShape())
        return call.emitError()
               << "runtime launch result must be a static buffer after "
                  "bufferization, got "
               << call.getResult(0).getType();
      OpBuilder b(call);
      Location loc = call.getLoc();
      Value input = call.getOperand(1);
      Value base = getContiguousBase(input);
      if (!base) {
        auto inType = dyn_cast<MemRefType>(input.getType());
        if (!inType || !inType.hasStaticShape())
          return call.emitError()
                 << "runtime launch input must be a static buffer, got "
                 << input.getType();
        auto contiguous =
            MemRefType::get(inType.getShape(), inType.getElementType());
        base = memref::AllocOp::create(b, loc, contiguous);
        memref::CopyOp::create(b, loc, input, base);
      }
      Value out = memref::AllocOp::create(b, loc, outType);
      FunctionType type = FunctionType::get(
          &getContext(),
          {call.getOperand(0).getType(), base.getType(), outType}, {});
      OpBuilder mb(module.getBodyRegion());
      mb.setInsertionPoint(callee);
      auto decl = func::FuncOp::create(
          mb, callee.getLoc(),
          (callee.getSymName() + "_" + Twine(counter++)).str(), type);
      decl.setPrivate();
      decl->setAttr(kRtLaunchAttrName, callee->getAttr(kRtLaunchAttrName));
      symbols.insert(decl);
      func::CallOp::create(b, loc, decl,
                           ValueRange{call.getOperand(0), base, out});
      call.getResult(0).replaceAllUsesWith(out);
      call.erase();
    }
    for (func::FuncOp decl :
         llvm::make_early_inc_range(module.getOps<func::FuncOp>()))
      if (decl->hasAttr(kRtLaunchAttrName) &&
          decl.getFunctionType().getNumResults() != 0 &&
          SymbolTable::symbolKnownUseEmpty(decl, module))
        decl.erase();
    return success();
  }

  LogicalResult lowerCopies(ModuleOp module) {
    SmallVector<memref::CopyOp> copies;
    module.walk([&](memref::CopyOp op) { copies.push_back(op); });
    for (memref::CopyOp copy : copies) {
      auto type = cast<MemRefType>(copy.getTarget().getType());
      if (!type.hasStaticShape())
        return copy.emitError()
               << "host lowering supports static shapes only, got " << type;
      OpBuilder b(copy);
      buildCopyLoops(b, copy.getLoc(), copy.getSource(), copy.getTarget());
      copy.erase();
    }
    return success();
  }

  LogicalResult allocsToGlobals(ModuleOp module) {
    SymbolTable symbols(module);
    SmallVector<memref::AllocOp> allocs;
    module.walk([&](memref::AllocOp op) { allocs.push_back(op); });
    unsigned counter = 0;
    for (memref::AllocOp alloc : allocs) {
      MemRefType type = alloc.getType();
      if (!type.hasStaticShape() || !type.getLayout().isIdentity())
        return alloc.emitError()
               << "host lowering supports static identity-layout buffers "
                  "only, got "
               << type;
      if (!isa<func::FuncOp>(alloc->getParentOp()))
        return alloc.emitError()
               << "buffer allocated inside a loop or region; host lowering "
                  "gives every allocation one static buffer";
      OpBuilder b(module.getBodyRegion());
      b.setInsertionPoint(alloc->getParentOfType<func::FuncOp>());
      std::string name;
      do {
        name = ("__bitmod_buf_" + Twine(counter++)).str();
      } while (symbols.lookup(name));
      auto global = memref::GlobalOp::create(
          b, alloc.getLoc(), name, b.getStringAttr("private"),
          MemRefType::get(type.getShape(), type.getElementType()),
          b.getUnitAttr(), /*constant=*/false, /*alignment=*/IntegerAttr());
      symbols.insert(global);
      OpBuilder ab(alloc);
      auto get = memref::GetGlobalOp::create(ab, alloc.getLoc(), type, name);
      for (Operation *user : llvm::make_early_inc_range(alloc->getUsers()))
        if (isa<memref::DeallocOp>(user))
          user->erase();
      alloc.replaceAllUsesWith(get.getResult());
      alloc.erase();
    }
    return success();
  }

  LogicalResult inlineResources(ModuleOp module) {
    for (auto global : module.getOps<memref::GlobalOp>()) {
      if (global.getAlignment())
        global.setAlignmentAttr(IntegerAttr());
      auto init = global.getInitialValue();
      if (!init)
        continue;
      auto resource = dyn_cast<DenseResourceElementsAttr>(*init);
      if (!resource)
        continue;
      AsmResourceBlob *blob = resource.getRawHandle().getBlob();
      if (!blob)
        return global.emitError()
               << "constant @" << global.getSymName()
               << " refers to a dense_resource blob that is not loaded";
      ArrayRef<char> data = blob->getData();
      if (data.size() > static_cast<uint64_t>(maxInlineBytes))
        return global.emitError()
               << "constant @" << global.getSymName() << " has " << data.size()
               << " bytes, more than max-inline-bytes="
               << std::to_string(maxInlineBytes.getValue())
               << "; raise the limit (host constants are C++ array "
                  "initializers)";
      auto shaped = cast<ShapedType>(resource.getType());
      bool splat = false;
      if (!DenseElementsAttr::isValidRawBuffer(shaped, data, splat))
        return global.emitError()
               << "constant @" << global.getSymName() << ": blob of "
               << data.size() << " bytes does not match " << shaped;
      global.setInitialValueAttr(
          DenseElementsAttr::getFromRawBuffer(shaped, data));
    }
    return success();
  }
};

} // namespace
