//===- Passes.h - bitmod_hw passes ------------------------------*- C++ -*-===//

#ifndef BITMOD_DIALECT_BITMODHW_TRANSFORMS_PASSES_H
#define BITMOD_DIALECT_BITMODHW_TRANSFORMS_PASSES_H

#include "bitmod/Dialect/BitMoDHW/IR/BitMoDHWDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
namespace bitmod {

#define GEN_PASS_DECL
#include "bitmod/Dialect/BitMoDHW/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "bitmod/Dialect/BitMoDHW/Transforms/Passes.h.inc"

} // namespace bitmod
} // namespace mlir

#endif // BITMOD_DIALECT_BITMODHW_TRANSFORMS_PASSES_H
