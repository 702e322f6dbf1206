//===- BitMoDDialect.h - BitMoD dialect -------------------------*- C++ -*-===//

#ifndef BITMOD_DIALECT_BITMOD_IR_BITMODDIALECT_H
#define BITMOD_DIALECT_BITMOD_IR_BITMODDIALECT_H

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dialect.h"

#include "bitmod/Dialect/BitMoD/IR/BitMoDDialect.h.inc"

namespace mlir {
namespace bitmod {
/// Argument and result attributes the ONNX importer puts on the graph
/// function: the ONNX tensor name, and a unit attribute marking ONNX
/// unsigned integers (MLIR integers stay signless; the host entry ABI and
/// model.sim read and write them as uint8..uint64).
inline constexpr llvm::StringLiteral kOnnxNameAttrName = "onnx.name";
inline constexpr llvm::StringLiteral kOnnxUnsignedAttrName = "onnx.unsigned";
} // namespace bitmod
} // namespace mlir

#endif // BITMOD_DIALECT_BITMOD_IR_BITMODDIALECT_H
