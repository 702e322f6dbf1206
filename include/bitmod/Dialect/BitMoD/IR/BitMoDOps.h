//===- BitMoDOps.h - BitMoD attributes, types and ops -----------*- C++ -*-===//

#ifndef BITMOD_DIALECT_BITMOD_IR_BITMODOPS_H
#define BITMOD_DIALECT_BITMOD_IR_BITMODOPS_H

#include "bitmod/Dialect/BitMoD/IR/BitMoDDialect.h"
#include "bitmod/Quant/DataType.h"
#include "bitmod/Quant/Quantizer.h"

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir {
namespace bitmod {
// `mlir::quant` is MLIR's quant dialect; inside mlir::bitmod, `quant` means
// the BitMoD quantization library.
namespace quant = ::bitmod::quant;
} // namespace bitmod
} // namespace mlir

#include "bitmod/Dialect/BitMoD/IR/BitMoDEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "bitmod/Dialect/BitMoD/IR/BitMoDAttrs.h.inc"

#define GET_TYPEDEF_CLASSES
#include "bitmod/Dialect/BitMoD/IR/BitMoDTypes.h.inc"

#define GET_OP_CLASSES
#include "bitmod/Dialect/BitMoD/IR/BitMoDOps.h.inc"

namespace mlir {
namespace bitmod {

/// The dialect enum and the quantization library's enum share their values.
inline quant::DataType toQuantType(DType type) {
  return static_cast<quant::DataType>(static_cast<uint32_t>(type));
}
inline DType fromQuantType(quant::DataType type) {
  return static_cast<DType>(static_cast<uint32_t>(type));
}

} // namespace bitmod
} // namespace mlir

#endif // BITMOD_DIALECT_BITMOD_IR_BITMODOPS_H
