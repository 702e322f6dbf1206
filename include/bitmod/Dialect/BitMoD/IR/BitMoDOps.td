//===- BitMoDOps.td - BitMoD operations --------------------*- tablegen -*-===//

#ifndef BITMOD_DIALECT_BITMOD_IR_BITMODOPS_TD
#define BITMOD_DIALECT_BITMOD_IR_BITMODOPS_TD

include "bitmod/Dialect/BitMoD/IR/BitMoDTypes.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"

def BitMoD_FloatTensor : RankedTensorOf<[AnyFloat]>;

//===----------------------------------------------------------------------===//
// LinearOp
//===----------------------------------------------------------------------===//

def BitMoD_LinearOp : BitMoD_Op<"linear", [Pure]> {
  let summary = "linear layer with a constant float weight";
  let description = [{
    `y = x W^T (+ b)`: `input` is `[..., K]`, `weight` is `[N, K]` (output
    channels first), the optional `bias` is `[N]` and the result is
    `[..., N]`. This is what an imported ONNX MatMul or Gemm with a constant
    weight becomes; `--bitmod-quantize` needs the weight to be a constant.
    The optional `name` (the ONNX node name) selects per-layer data types.

    ```mlir
    %y = bitmod.linear %x, %w, bias %b {name = "q_proj"}
        : tensor<1x8x64xf32>, tensor<32x64xf32>, tensor<32xf32>
        -> tensor<1x8x32xf32>
    ```
  }];
  let arguments = (ins BitMoD_FloatTensor:$input, BitMoD_FloatTensor:$weight,
                       Optional<BitMoD_FloatTensor>:$bias,
                       OptionalAttr<StrAttr>:$name);
  let results = (outs BitMoD_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` `bias` $bias^)? attr-dict `:` type($input) `,`
    type($weight) (`,` type($bias)^)? `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// WeightsOp
//===----------------------------------------------------------------------===//

def BitMoD_WeightsOp : BitMoD_Op<"weights", [Pure]> {
  let summary = "constant per-group quantized weights";
  let description = [{
    Holds the storage of a quantized weight matrix exactly as the
    accelerator reads it (docs/numerics.md, "Storage layout"):

    * `codes`: the packed b-bit codes, LSB first, each output channel
      starting on a byte boundary: `N * ceil(groups * group * b / 8)` bytes
      (i8 or ui8, 1-D);
    * `scales`: one scale per group, `[N, groups]`: i8 codes for
      `scale_bits > 0`, f32 when `scale_bits = 0`; for the MX types the i8
      shared power-of-two exponent;
    * `channel_scales`: one f32 scale per output channel, `[N]`, present
      exactly when the group scales are integers (not for MX types);
    * `selectors` (bitmod3/bitmod4 only): the 2-bit special-value choice of
      every group, four per byte, LSB first, each channel byte aligned
      (`N * ceil(groups / 4)` bytes);
    * `zero_points` (asymmetric integer types only): `[N, groups]` ui8/i8.

    Large payloads are `dense_resource` blobs rather than dense literals.

    ```mlir
    %w = bitmod.weights codes(dense_resource<q_codes> : tensor<6144xui8>)
        scales(dense_resource<q_scales> : tensor<128x1xi8>)
        channel_scales(dense_resource<q_cs> : tensor<128xf32>)
        selectors(dense_resource<q_sel> : tensor<128xui8>)
        : !bitmod.qweights<128x128, bitmod3, group = 128>
    ```
  }];
  let arguments = (ins ElementsAttr:$codes, ElementsAttr:$scales,
                       OptionalAttr<ElementsAttr>:$channel_scales,
                       OptionalAttr<ElementsAttr>:$selectors,
                       OptionalAttr<ElementsAttr>:$zero_points,
                       OptionalAttr<StrAttr>:$name);
  let results = (outs BitMoD_QWeightsType:$result);
  let assemblyFormat = [{
    `codes` `(` $codes `)` `scales` `(` $scales `)`
    (`channel_scales` `(` $channel_scales^ `)`)?
    (`selectors` `(` $selectors^ `)`)?
    (`zero_points` `(` $zero_points^ `)`)?
    attr-dict `:` qualified(type($result))
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// GroupedMatmulOp
//===----------------------------------------------------------------------===//

def BitMoD_GroupedMatmulOp : BitMoD_Op<"grouped_matmul", [Pure]> {
  let summary = "mixed-datatype grouped matmul on quantized weights";
  let description = [{
    `y = x dequant(W)^T (+ b)` where `W` is per-group quantized: the
    accelerator multiplies FP16 activations by the bit-serial terms of each
    code, scales every group's partial sum by its integer group scale and
    the channel's float scale, and accumulates across groups. Shapes follow
    `bitmod.linear`: `input` `[..., K]`, result `[..., N]`.

    ```mlir
    %y = bitmod.grouped_matmul %x, %w : tensor<8x384xf32>,
        !bitmod.qweights<40x384, int8, group = 128> -> tensor<8x40xf32>
    ```
  }];
  let arguments = (ins BitMoD_FloatTensor:$input,
                       BitMoD_QWeightsType:$weights,
                       Optional<BitMoD_FloatTensor>:$bias,
                       OptionalAttr<StrAttr>:$name);
  let results = (outs BitMoD_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weights (`,` `bias` $bias^)? attr-dict `:` type($input) `,`
    qualified(type($weights)) (`,` type($bias)^)? `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// DequantizeOp
//===----------------------------------------------------------------------===//

def BitMoD_DequantizeOp : BitMoD_Op<"dequantize", [Pure]> {
  let summary = "quantized weights back to a float tensor";
  let description = [{
    Expands quantized weights `[N, K]` to the float tensor they stand for
    (codes times group scale times channel scale), for host fallback and
    for checking numerics.

    ```mlir
    %f = bitmod.dequantize %w : !bitmod.qweights<40x384, int8, group = 128>
        -> tensor<40x384xf32>
    ```
  }];
  let arguments = (ins BitMoD_QWeightsType:$weights);
  let results = (outs BitMoD_FloatTensor:$result);
  let assemblyFormat = [{
    $weights attr-dict `:` qualified(type($weights)) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// KVMatmulOp
//===----------------------------------------------------------------------===//

def BitMoD_KVMatmulOp : BitMoD_Op<"kv_matmul", [Pure]> {
  let summary = "attention matmul against a runtime INT8 per-group K or V";
  let description = [{
    An activation x activation matmul of attention whose second operand, the
    key or value cache `kv` `[B, Hkv, T, D]` (T context positions, D the head
    dimension), is quantized at run time to INT8 per group of `group_size`
    values along the reduction axis, with the weight path's scale hierarchy
    (docs/numerics.md: int8 group-scale codes times one float32 scale per
    row of the quantized matrix). Query head `h` of `H` reads KV head
    `h / (H / Hkv)` (grouped-query attention: `H` is a multiple of `Hkv`).

    * `key` (scores, `Q K^T`): `lhs` `[B, H, M, D]`, result `[B, H, M, T]`,
      `y[b,h,m,t] = sum_d lhs[b,h,m,d] * q8(K[b,h/r,t,:])[d]`: every
      context position is one row, grouped along D.
    * `value` (`P V`): `lhs` `[B, H, M, T]` (the probabilities), result
      `[B, H, M, D]`, `y[b,h,m,d] = sum_t lhs[b,h,m,t] * q8(V[b,h/r,:,d])[t]`:
      every head-dimension channel is one row, grouped along T (the last
      group zero padded).

    This is `bitmod.grouped_matmul` with the matrix `[rows, reduction]`
    named above as the INT8 weights, so the accelerator runs it on the same
    PE datapath (Booth INT8, four terms). `--bitmod-map-attention` creates
    it from imported attention graphs; `sim::runKVMatmul`
    (bitmod/Sim/KVMatmul.h) is its accelerator execution (quantization of
    the K/V heads, instruction stream, bit-exact result, timing).

    ```mlir
    %s = bitmod.kv_matmul key %q, %k {group_size = 16}
        : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x8xf32>
    %o = bitmod.kv_matmul value %p, %v {group_size = 128}
        : tensor<1x4x8x8xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
    ```
  }];
  let arguments = (ins BitMoD_KVKind:$kind, BitMoD_FloatTensor:$lhs,
                       BitMoD_FloatTensor:$kv,
                       ConfinedAttr<I64Attr, [IntPositive]>:$group_size,
                       OptionalAttr<StrAttr>:$name);
  let results = (outs BitMoD_FloatTensor:$result);
  let assemblyFormat = [{
    $kind $lhs `,` $kv attr-dict `:` type($lhs) `,` type($kv) `->`
    type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Query heads per KV head (H / Hkv).
    int64_t getHeadsPerKV();
    /// The quantized matrix [rows, reduction] of one KV head: [T, D] for a
    /// key, [D, T] for a value.
    int64_t getNumRows();
    int64_t getReduction();
  }];
}

#endif // BITMOD_DIALECT_BITMOD_IR_BITMODOPS_TD
