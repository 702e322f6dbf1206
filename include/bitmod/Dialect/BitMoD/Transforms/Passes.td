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

    `method=awq|gptq` quantizes with the calibration-aware algorithms of
    `bitmod/Quant/Calibration.h` (docs/numerics.md) on the statistics
    directory `calib-stats` (one entry per layer name; a layer without one
    is an error). AWQ's activation scale 1/s is kept as an explicit host
    multiply in front of the matmul (a `linalg.generic` multiplying the last
    dimension by a [K] constant in the activation element type), which is exact whatever precedes the
    linear.
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
                           "::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
  let options = [
    Option<"dtype", "dtype", "std::string", /*default=*/"\"bitmod3\"",
           "Weight data type (e.g. bitmod3, bitmod4, int8, int6, fp4)">,
    Option<"groupSize", "group-size", "unsigned", /*default=*/"128",
           "Weights per quantization group along K">,
    Option<"scaleBits", "scale-bits", "unsigned", /*default=*/"8",
           "Bits of the per-group scales (0 keeps float scales)">,
    Option<"dtypeConfig", "dtype-config", "std::string", /*default=*/"\"\"",
           "JSON file with per-layer data type overrides">,
    Option<"method", "method", "std::string", /*default=*/"\"rtn\"",
           "Quantization method: rtn, awq or gptq">,
    Option<"calibStats", "calib-stats", "std::string", /*default=*/"\"\"",
           "Calibration statistics directory (method=awq|gptq)">,
    Option<"gptqDamp", "gptq-damp", "double", /*default=*/"0.01",
           "GPTQ dampening (fraction of the mean Hessian diagonal)">,
    Option<"gptqActOrder", "gptq-act-order", "bool", /*default=*/"false",
           "GPTQ: quantize columns by decreasing Hessian diagonal">,
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

def BitMoDMapAttention : Pass<"bitmod-map-attention"> {
  let summary = "Map the attention matmuls of imported graphs to bitmod.kv_matmul";
  let description = [{
    Finds the two activation x activation matmuls of attention in the IR
    `--bitmod-onnx-to-tosa` produces (docs/attention.md): the score
    `tosa.matmul` of `Q` and `K^T`, whose result reaches the value
    `tosa.matmul` through the host ops of scaling, masking and Softmax
    (`tosa.exp` on the way), and the value matmul of the probabilities and
    `V`. Their second operands are traced through the views the importer
    builds: the batch-flattening `tosa.reshape`, the `K^T` `tosa.transpose`
    (perm [0, 1, 3, 2]) and the grouped-query broadcast of `repeat_kv`
    (reshape to `[B, Hkv, 1, T, D]`, `tosa.tile` by the query heads per KV
    head, reshape to `[B, H, T, D]`), down to the K or V cache `[B, Hkv, T,
    D]` (the Concat of past and new K/V, or the projection itself). Both
    matmuls become `bitmod.kv_matmul` (key, value) on that tensor, so a KV
    head is stored and read once for all the query heads sharing it.

    The quantization group is `group-size` along the reduction axis, capped
    at the reduction length rounded up to a multiple of 8 (head_dim for the
    scores, the context length for the values).

    A matmul that is not mapped stays a host `tosa.matmul`; with
    `report-missed` it gets a remark saying why (not part of a
    score-Softmax-value chain, a second operand that is not a K/V view,
    shapes the datapath cannot take).
  }];
  let dependentDialects = ["::mlir::bitmod::BitMoDDialect",
                           "::mlir::tosa::TosaDialect"];
  let options = [
    Option<"groupSize", "group-size", "unsigned", /*default=*/"128",
           "K/V values per INT8 quantization group along the reduction axis "
           "(a multiple of 8)">,
    Option<"reportMissed", "report-missed", "bool", /*default=*/"false",
           "Remark every activation x activation matmul left on the host "
           "and why">,
  ];
}

#endif // BITMOD_DIALECT_BITMOD_TRANSFORMS_PASSES_TD
