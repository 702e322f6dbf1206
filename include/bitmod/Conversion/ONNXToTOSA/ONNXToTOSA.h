//===- ONNXToTOSA.h - ONNX reader IR -> TOSA lowering -----------*- C++ -*-===//
//
// --bitmod-onnx-to-tosa: the second stage of the ONNX frontend. The reader
// (lib/Import) turns the protobuf into bitmod_onnx ops; this pass lowers them
// with the per-family handlers of lib/Conversion/ONNXToTOSA.
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_CONVERSION_ONNXTOTOSA_ONNXTOTOSA_H
#define BITMOD_CONVERSION_ONNXTOTOSA_ONNXTOTOSA_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/Pass/Pass.h"

#include "bitmod/Dialect/BitMoD/IR/BitMoDDialect.h"

namespace mlir {
namespace bitmod {

#define GEN_PASS_DECL
#include "bitmod/Conversion/ONNXToTOSA/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "bitmod/Conversion/ONNXToTOSA/Passes.h.inc"

/// True if some opset has a lowering for the default-domain op `opType`
/// (the reader's up-front list of unsupported operators).
bool isSupportedONNXOp(StringRef opType);

} // namespace bitmod
} // namespace mlir

#endif // BITMOD_CONVERSION_ONNXTOTOSA_ONNXTOTOSA_H
