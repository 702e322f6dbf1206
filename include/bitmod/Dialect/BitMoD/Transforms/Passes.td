//===- Passes.td - BitMoD transformation passes ------------*- tablegen -*-===//

#ifndef BITMOD_DIALECT_BITMOD_TRANSFORMS_PASSES_TD
#define BITMOD_DIALECT_BITMOD_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def BitMoDQuantize : Pass<"bitmod-quantize"> {
  let summary = "Quantize the constant weights of bitmod.linear per group";
  let description = [{
    Rewrites every `bitmod.linear` whose weight is a constant into a
    `bitmod.weights` constant (packed codes, per-group scales, channel
    scales, special-value selectors; payloads as `dense_resource` blobs)
    feeding a `bitmod.grouped_matmul`. The numerics are those of the
    BitMoD quantization library (docs/numerics.md): per-group absmax
    scaling, the per-group special-value search for bitmod3/bitmod4, and
    INT8 second-level scales unless `scale-bits=0`.

    `dtype-config` names a JSON file that overrides the data type per layer:

    ```json
    {"default": "bitmod3",
     "layers": [{"match": "*mlp*", "dtype": "int6"},
                {"match": "lm_head", "dtype": "fp16"} ] }
    ```

    `match` is a glob against the layer name (the op's `name` attribute, or
    the innermost NameLoc of its location); the first matching rule wins and
    `default` (else the `dtype` option) applies to the rest. `fp16` keeps a
    layer unquantized. A linear whose weight is not a constant is left alone
    with a remark. NaN or Inf weights are an error naming the layer and the
    first bad element.

    Weights may be f32, f16 or bf16 (read exactly, docs/numerics.md); other
    element types are an error. f16 activations stay f16 on the
    `bitmod.grouped_matmul` (the datapath reads and writes FP16); bf16
    activations are widened to f32 around it with `arith.extf` and the
    result rounded back with `arith.truncf`.

    Special values (docs/numerics.md, "Special-value sets"): `sv=3,-3,8,-8`
    quantizes every layer of a type with special values (bitmod3/4,
    fp3_*/fp4_*) against that set instead of the paper's; `sv-search=layer`
    chooses per bitmod3/bitmod4 layer the candidate set with the smallest
    weight squared error (the per-group selector choice inside),
    `sv-search=model` one set per data type for all layers. The set becomes
    the `sv` parameter of the `!bitmod.qweights` type and, through the
    lowering, the SV register file of every CONFIG of that layer.
  }];
  let dependentDialects = ["::mlir::bitmod::BitMoDDialect",
                           "::mlir::arith::ArithDialect"];
  let options = [
    Option<"dtype", "dtype", "std::string", /*default=*/"\"bitmod3\"",
           "Weight data type (e.g. bitmod3, bitmod4, int8, int6, fp4)">,
    Option<"groupSize", "group-size", "unsigned", /*default=*/"128",
           "Weights per quantization group along K">,
    Option<"scaleBits", "scale-bits", "unsigned", /*default=*/"8",
           "Bits of the per-group scales (0 keeps float scales)">,
    Option<"dtypeConfig", "dtype-config", "std::string", /*default=*/"\"\"",
           "JSON file with per-layer data type overrides">,
    Option<"sv", "sv", "std::string", /*default=*/"\"\"",
           "Special-value set (er_pos,er_neg,ea_pos,ea_neg) for the types "
           "with special values, e.g. 3,-3,8,-8 (default: the paper's)">,
    Option<"svSearch", "sv-search", "std::string", /*default=*/"\"none\"",
           "Search the special-value set minimizing the weight MSE: none, "
           "layer (per bitmod3/4 layer) or model (one per data type)">,
  ];
}

def BitMoDLowerToHost : Pass<"bitmod-lower-to-host"> {
  let summary = "Lower bitmod ops to linalg/arith for execution on the host";
  let description = [{
    The host fallback and reference path: `bitmod.linear` and
    `bitmod.grouped_matmul` become `linalg.generic` contractions
    `y[..., n] = sum_k x[..., k] * w[n, k] (+ b[n])`; `bitmod.dequantize` of a
    `bitmod.weights` constant is folded into an `arith.constant` holding the
    dequantized float weights (bit-identical to the quantization library's
    dequantization).
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

#endif // BITMOD_DIALECT_BITMOD_TRANSFORMS_PASSES_TD
