//===- Passes.h - BitMoD transformation passes ------------------*- C++ -*-===//

#ifndef BITMOD_DIALECT_BITMOD_TRANSFORMS_PASSES_H
#define BITMOD_DIALECT_BITMOD_TRANSFORMS_PASSES_H

#include "bitmod/Dialect/BitMoD/IR/BitMoDDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
namespace bitmod {

#define GEN_PASS_DECL
#include "bitmod/Dialect/BitMoD/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "bitmod/Dialect/BitMoD/Transforms/Passes.h.inc"

} // namespace bitmod
} // namespace mlir

#endif // BITMOD_DIALECT_BITMOD_TRANSFORMS_PASSES_H
