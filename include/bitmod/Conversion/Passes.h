//===- Passes.h - BitMoD host lowering passes -------------------*- C++ -*-===//
//
// Host lowering: a compiled module (host tosa/linalg/arith/tensor/math ops and
// runtime launches of accelerator layers) to EmitC, then C++ through
// mlir::emitc::translateToCpp. See docs/host-lowering.md.
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_CONVERSION_PASSES_H
#define BITMOD_CONVERSION_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/EmitC/IR/EmitC.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

namespace mlir {
namespace bitmod {

#define GEN_PASS_DECL
#include "bitmod/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "bitmod/Conversion/Passes.h.inc"

/// Attribute names shared with the runtime driver.
/// `bitmod.io` on a model entry: [{name, kind, shape}] in argument order.
constexpr llvm::StringLiteral kHostIOAttrName = "bitmod.io";
/// `bitmod.rt_launch = "L"` on the private declaration standing for
/// launches of layer L until --bitmod-runtime-to-emitc.
constexpr llvm::StringLiteral kRtLaunchAttrName = "bitmod.rt_launch";
/// The calls of runtime launch declarations (callees carrying
/// kRtLaunchAttrName) in `module`, in walk order.
SmallVector<func::CallOp> collectRuntimeLaunchCalls(ModuleOp module,
                                                    SymbolTable &symbols);
/// Prefix of the C entry points: bitmod_model_<model name>.
constexpr llvm::StringLiteral kModelEntryPrefix = "bitmod_model_";
/// The model name of a public function: its name with every character
/// outside [A-Za-z0-9_] replaced by '_' (a C identifier fragment).
std::string getHostModelName(StringRef funcName);
/// The `bitmod.io` name of graph input or output #index of a model entry:
/// its onnx.name (in `attrs`, the argument or result attributes), else
/// in<index> or out<index>.
std::string getHostIOName(DictionaryAttr attrs, bool isInput, unsigned index);

} // namespace bitmod
} // namespace mlir

#endif // BITMOD_CONVERSION_PASSES_H
