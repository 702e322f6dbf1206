//===- HostEntry.cpp - C ABI of host model entries ------------------------===//
//
// --bitmod-host-entry: public functions become
//   bitmod_model_<name>(ctx, flat inputs...) -> (flat outputs...)
// with a `bitmod.io` descriptor (docs/host-lowering.md). Element types:
// f32, f16, f64, i1 (bool), i8, i16, i32, i64; signless integers whose
// argument/result carries `onnx.unsigned` are described as u8..u64.
//
//===----------------------------------------------------------------------===//

#include "bitmod/Conversion/Passes.h"
#include "bitmod/Dialect/BitMoD/IR/BitMoDDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir {
namespace bitmod {
#define GEN_PASS_DEF_BITMODHOSTENTRY
#include "bitmod/Conversion/Passes.h.inc"
} // namespace bitmod
} // namespace mlir

using namespace mlir;
using namespace mlir::bitmod;

std::string mlir::bitmod::getHostModelName(StringRef funcName) {
  std::string out;
  for (char c : funcName)
    out.push_back(llvm::isAlnum(c) || c == '_' ? c : '_');
  return out;
}

std::string mlir::bitmod::getHostIOName(DictionaryAttr attrs, bool isInput,
                                        unsigned index) {
  if (attrs)
    if (auto name = attrs.getAs<StringAttr>(kOnnxNameAttrName))
      return name.str();
  return ((isInput ? "in" : "out") + Twine(index)).str();
}

namespace {

/// The `bitmod.io` name of a supported graph element type, or "".
/// `isUnsigned` (the importer's onnx.unsigned) reads a signless integer as
/// the ONNX unsigned type of its width.
StringRef getIOElemName(Type type, bool isUnsigned = false) {
  if (type.isF32())
    return "f32";
  if (type.isF16())
    return "f16";
  if (type.isF64())
    return "f64";
  if (type.isInteger(1))
    return "bool";
  if (!type.isSignlessInteger())
    return "";
  static const char *const names[2][4] = {{"i8", "i16", "i32", "i64"},
                                          {"u8", "u16", "u32", "u64"}};
  switch (type.getIntOrFloatBitWidth()) {
  case 8:
    return names[isUnsigned][0];
  case 16:
    return names[isUnsigned][1];
  case 32:
    return names[isUnsigned][2];
  case 64:
    return names[isUnsigned][3];
  default:
    return "";
  }
}

/// The flattened buffer type of a graph input/output, or an error.
FailureOr<RankedTensorType> getFlatType(func::FuncOp func, Type type,
                                        StringRef kind, unsigned index,
                                        StringRef name) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape() ||
      getIOElemName(tensor.getElementType()).empty()) {
    func.emitError() << "host entry @" << func.getSymName() << ": " << kind
                     << " #" << index << " ('" << name << "') has type " << type
                     << "; graph inputs and outputs must be statically shaped "
                        "tensors of f32, f16, f64, i1, i8, i16, i32 or i64 "
                        "(signless; onnx.unsigned marks unsigned ones)";
    return failure();
  }
  // C has no zero-length arrays: an empty tensor travels as a one-element
  // buffer that the body never reads (inputs) or fills with one zero
  // (outputs); the runtime allocates at least one element per buffer.
  return RankedTensorType::get({std::max<int64_t>(tensor.getNumElements(), 1)},
                               tensor.getElementType());
}

/// Reassociation collapsing all dims of `rank` into one (empty for rank 0).
SmallVector<ReassociationIndices> collapseAll(int64_t rank) {
  SmallVector<ReassociationIndices> r;
  if (rank == 0)
    return r;
  ReassociationIndices all;
  for (int64_t i = 0; i < rank; ++i)
    all.push_back(i);
  r.push_back(all);
  return r;
}

struct HostEntryPass
    : public mlir::bitmod::impl::BitMoDHostEntryBase<HostEntryPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> entries;
    for (auto func : module.getOps<func::FuncOp>())
      if (func.isPublic() && !func.isExternal() &&
          !func->hasAttr(kHostIOAttrName))
        entries.push_back(func);
    for (func::FuncOp func : entries)
      if (failed(convert(module, func)))
        return signalPassFailure();
  }

  LogicalResult convert(ModuleOp module, func::FuncOp func) {
    MLIRContext *ctx = &getContext();
    FunctionType oldType = func.getFunctionType();
    Block &entry = func.getBody().front();
    if (!func.getBody().hasOneBlock())
      return func.emitError() << "host entry @" << func.getSymName()
                              << " must have a single block";

    SmallVector<Attribute> io;
    auto describe = [&](StringRef name, StringRef kind, RankedTensorType type,
                        DictionaryAttr attrs) {
      Builder b(ctx);
      bool isUnsigned = attrs && attrs.contains(kOnnxUnsignedAttrName);
      io.push_back(b.getDictionaryAttr(
          {b.getNamedAttr("name", b.getStringAttr(name)),
           b.getNamedAttr("kind", b.getStringAttr(kind)),
           b.getNamedAttr("shape", b.getI64ArrayAttr(type.getShape())),
           b.getNamedAttr("elem", b.getStringAttr(
                                      getIOElemName(type.getElementType(),
                                                    isUnsigned)))}));
    };

    // Inputs: flatten and re-expand at the top of the body.
    SmallVector<Type> newInputs;
    Type ctxType = emitc::PointerType::get(emitc::OpaqueType::get(ctx, "void"));
    newInputs.push_back(ctxType);
    OpBuilder b(ctx);
    b.setInsertionPointToStart(&entry);
    for (unsigned i = 0; i < oldType.getNumInputs(); ++i) {
      std::string name =
          getHostIOName(func.getArgAttrDict(i), /*isInput=*/true, i);
      FailureOr<RankedTensorType> flat =
          getFlatType(func, oldType.getInput(i), "input", i, name);
      if (failed(flat))
        return failure();
      auto type = cast<RankedTensorType>(oldType.getInput(i));
      describe(name, "input", type, func.getArgAttrDict(i));
      newInputs.push_back(*flat);
      BlockArgument arg = entry.getArgument(i);
      arg.setType(*flat);
      if (type.getNumElements() == 0) {
        Value empty = tensor::EmptyOp::create(b, arg.getLoc(), type.getShape(),
                                              type.getElementType());
        arg.replaceAllUsesWith(empty);
        continue;
      }
      if (type.getRank() == 1)
        continue;
      Value shaped;
      if (type.getRank() == 0)
        shaped = tensor::CollapseShapeOp::create(b, arg.getLoc(), type, arg,
                                                 collapseAll(0));
      else
        shaped = tensor::ExpandShapeOp::create(b, arg.getLoc(), type, arg,
                                               collapseAll(type.getRank()));
      arg.replaceAllUsesExcept(shaped, shaped.getDefiningOp());
    }
    Location loc = func.getLoc();
    BlockArgument ctxArg = entry.insertArgument(0u, ctxType, loc);
    (void)ctxArg;

    // Outputs: collapse before every return.
    SmallVector<Type> newResults;
    for (unsigned i = 0; i < oldType.getNumResults(); ++i) {
      std::string name =
          getHostIOName(func.getResultAttrDict(i), /*isInput=*/false, i);
      FailureOr<RankedTensorType> flat =
          getFlatType(func, oldType.getResult(i), "output", i, name);
      if (failed(flat))
        return failure();
      describe(name, "output", cast<RankedTensorType>(oldType.getResult(i)),
               func.getResultAttrDict(i));
      newResults.push_back(*flat);
    }
    auto ret = cast<func::ReturnOp>(entry.getTerminator());
    b.setInsertionPoint(ret);
    for (unsigned i = 0; i < ret.getNumOperands(); ++i) {
      Value v = ret.getOperand(i);
      auto type = cast<RankedTensorType>(v.getType());
      if (type.getNumElements() == 0) {
        auto flatType = cast<RankedTensorType>(newResults[i]);
        ret.setOperand(i, arith::ConstantOp::create(
                              b, v.getLoc(), flatType,
                              DenseElementsAttr::get(
                                  flatType, b.getZeroAttr(
                                                flatType.getElementType()))));
        continue;
      }
      if (type.getRank() == 1)
        continue;
      Value flat;
      if (type.getRank() == 0)
        flat = tensor::ExpandShapeOp::create(b, v.getLoc(), newResults[i], v,
                                             collapseAll(0));
      else
        flat = tensor::CollapseShapeOp::create(b, v.getLoc(), newResults[i], v,
                                               collapseAll(type.getRank()));
      ret.setOperand(i, flat);
    }

    // Argument attributes: keep the existing ones shifted by ctx.
    SmallVector<DictionaryAttr> argAttrs;
    argAttrs.push_back(DictionaryAttr::get(ctx));
    for (unsigned i = 0; i < oldType.getNumInputs(); ++i)
      argAttrs.push_back(func.getArgAttrDict(i) ? func.getArgAttrDict(i)
                                                : DictionaryAttr::get(ctx));
    func.setType(FunctionType::get(ctx, newInputs, newResults));
    func.setAllArgAttrs(argAttrs);
    func->setAttr(kHostIOAttrName, ArrayAttr::get(ctx, io));

    std::string newName =
        (kModelEntryPrefix + getHostModelName(func.getSymName())).str();
    if (newName != func.getSymName()) {
      if (SymbolTable::lookupSymbolIn(module, newName))
        return func.emitError()
               << "host entry name '" << newName << "' is already taken";
      if (failed(SymbolTable::replaceAllSymbolUses(
              func, StringAttr::get(ctx, newName), module)))
        return func.emitError() << "cannot rename host entry to " << newName;
      func.setSymName(newName);
    }
    // Other calls of the function would now have a different signature.
    if (auto uses = SymbolTable::getSymbolUses(func, module))
      for (const SymbolTable::SymbolUse &use : *uses)
        return use.getUser()->emitError()
               << "host entry @" << func.getSymName()
               << " is referenced here; model entries cannot be called";
    return success();
  }
};

} // namespace
