//===- BitMoDDialect.h - BitMoD dialect -------------------------*- C++ -*-===//

#ifndef BITMOD_DIALECT_BITMOD_IR_BITMODDIALECT_H
#define BITMOD_DIALECT_BITMOD_IR_BITMODDIALECT_H

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dialect.h"

#include "bitmod/Dialect/BitMoD/IR/BitMoDDialect.h.inc"

#endif // BITMOD_DIALECT_BITMOD_IR_BITMODDIALECT_H
