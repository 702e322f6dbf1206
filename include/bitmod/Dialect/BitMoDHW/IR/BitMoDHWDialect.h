//===- BitMoDHWDialect.h - bitmod_hw dialect --------------------*- C++ -*-===//

#ifndef BITMOD_DIALECT_BITMODHW_IR_BITMODHWDIALECT_H
#define BITMOD_DIALECT_BITMODHW_IR_BITMODHWDIALECT_H

#include "bitmod/Dialect/BitMoD/IR/BitMoDDialect.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dialect.h"

#include "bitmod/Dialect/BitMoDHW/IR/BitMoDHWDialect.h.inc"

#endif // BITMOD_DIALECT_BITMODHW_IR_BITMODHWDIALECT_H
