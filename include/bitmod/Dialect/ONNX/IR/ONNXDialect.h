//===- ONNXDialect.h - The ONNX reader's dialect ----------------*- C++ -*-===//
//
// `bitmod_onnx`: an ONNX graph as read from the protobuf (see ONNXOps.td).
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_DIALECT_ONNX_IR_ONNXDIALECT_H
#define BITMOD_DIALECT_ONNX_IR_ONNXDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "bitmod/Dialect/ONNX/IR/ONNXDialect.h.inc"

#define GET_OP_CLASSES
#include "bitmod/Dialect/ONNX/IR/ONNXOps.h.inc"

namespace mlir {
namespace bitmod {
namespace onnx_ir {
/// Module attribute: the default-domain opset of the model.
inline constexpr llvm::StringLiteral kOpsetAttrName = "bitmod_onnx.opset";
} // namespace onnx_ir
} // namespace bitmod
} // namespace mlir

#endif // BITMOD_DIALECT_ONNX_IR_ONNXDIALECT_H
