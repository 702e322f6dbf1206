//===- BitMoDHWOps.h - bitmod_hw attributes and ops -------------*- C++ -*-===//

#ifndef BITMOD_DIALECT_BITMODHW_IR_BITMODHWOPS_H
#define BITMOD_DIALECT_BITMODHW_IR_BITMODHWOPS_H

#include "bitmod/Arch/AccelConfig.h"
#include "bitmod/Dialect/BitMoD/IR/BitMoDOps.h"
#include "bitmod/Dialect/BitMoDHW/IR/BitMoDHWDialect.h"
#include "bitmod/ISA/Instruction.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/RegionKindInterface.h"

#include "bitmod/Dialect/BitMoDHW/IR/BitMoDHWEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "bitmod/Dialect/BitMoDHW/IR/BitMoDHWAttrs.h.inc"

#define GET_OP_CLASSES
#include "bitmod/Dialect/BitMoDHW/IR/BitMoDHWOps.h.inc"

namespace mlir {
namespace bitmod {
namespace hw {

/// Name of the module attribute holding the #bitmod_hw.accel description.
constexpr llvm::StringLiteral kAccelAttrName = "bitmod_hw.accel";
/// Name of the discardable attribute --bitmod-tile puts on grouped matmuls.
constexpr llvm::StringLiteral kTilingAttrName = "bitmod_hw.tiling";
/// Module attribute recording the DRAM image: {weight_bytes, dram_bytes}.
constexpr llvm::StringLiteral kMemoryAttrName = "bitmod_hw.memory";

/// AccelConfig <-> #bitmod_hw.accel (fields the attribute does not mirror
/// keep their defaults).
::bitmod::arch::AccelConfig toAccelConfig(AccelAttr attr);
AccelAttr getAccelAttr(MLIRContext *ctx,
                       const ::bitmod::arch::AccelConfig &cfg);
/// The accelerator of the closest enclosing module carrying
/// `bitmod_hw.accel`, else the paper defaults.
::bitmod::arch::AccelConfig getAccelConfig(Operation *op);

/// True for the instruction ops (config ... halt).
bool isInstructionOp(Operation *op);
/// The ISA instruction of an instruction op.
::bitmod::isa::Instruction toInstruction(Operation *op);

} // namespace hw
} // namespace bitmod
} // namespace mlir

#endif // BITMOD_DIALECT_BITMODHW_IR_BITMODHWOPS_H
