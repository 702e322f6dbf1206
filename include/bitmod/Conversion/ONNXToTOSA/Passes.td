//===- Passes.td - ONNX reader IR -> TOSA lowering ---------*- tablegen -*-===//

#ifndef BITMOD_CONVERSION_ONNXTOTOSA_PASSES_TD
#define BITMOD_CONVERSION_ONNXTOTOSA_PASSES_TD

include "mlir/Pass/PassBase.td"

def BitMoDONNXToTOSA : Pass<"bitmod-onnx-to-tosa", "::mlir::ModuleOp"> {
  let summary = "Lower the ONNX reader's bitmod_onnx ops to tosa/bitmod IR";
  let description = [{
    Lowers every function holding `bitmod_onnx` ops (the output of
    `bitmod-translate --import-onnx-raw`) to the func/tosa/arith/tensor/
    linalg/math/bitmod IR of the compiler: each `bitmod_onnx.node` goes to
    the handler registered for its op type at the module's
    `bitmod_onnx.opset` (the newest registration whose `since` is at most
    the opset), every MatMul/Gemm with a constant weight becomes a
    `bitmod.linear` with the weight in [N, K] layout (a MatMul weight with at
    least `lazy-transpose-limit` elements stays the model's [K, N] constant
    behind a `tosa.transpose`, not copied: bitmod-quantize reads it through
    the transpose), and shape computations
    on constants are folded (weights reached through Transpose/Reshape/Cast
    chains stay constants). A node whose attribute has the wrong kind, that
    lacks a required operand or whose attribute values the lowering does
    not support is an error at the node's location; no partial lowering is
    left behind. ONNX unsigned integer types become signless, with
    `onnx.unsigned` on the affected function arguments and results.
  }];
  let options = [
    Option<"denseElementLimit", "dense-limit", "int64_t", "64",
           "Folded constants with more elements are dense_resource blobs">,
    Option<"lazyTransposeLimit", "lazy-transpose-limit", "int64_t",
           "4194304",
           "MatMul weights with at least this many elements are not "
           "transposed at import (tosa.transpose of the [K, N] constant)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
    "::mlir::linalg::LinalgDialect", "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect", "::mlir::tosa::TosaDialect",
    "::mlir::bitmod::BitMoDDialect"];
}

#endif // BITMOD_CONVERSION_ONNXTOTOSA_PASSES_TD
