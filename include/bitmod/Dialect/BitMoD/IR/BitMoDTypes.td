//===- BitMoDTypes.td - BitMoD types -----------------------*- tablegen -*-===//

#ifndef BITMOD_DIALECT_BITMOD_IR_BITMODTYPES_TD
#define BITMOD_DIALECT_BITMOD_IR_BITMODTYPES_TD

include "bitmod/Dialect/BitMoD/IR/BitMoDAttrs.td"

def BitMoD_QWeightsType : BitMoD_Type<"QWeights", "qweights"> {
  let summary = "per-group quantized weight matrix";
  let description = [{
    A weight matrix W[N, K] (N output channels, K input channels; y = x W^T)
    quantized per group of `group` weights along K to `dtype`, with
    `scale_bits`-bit per-group scales (0: float scales) against one float
    scale per output channel.

    ```mlir
    !bitmod.qweights<4096x4096, bitmod3, group = 128>
    !bitmod.qweights<40x384, int8, group = 128, scale_bits = 0>
    ```
    `scale_bits` is printed only when it differs from the default 8.

    Types with special values (bitmod3/bitmod4 and the fp3_*/fp4_*
    extensions) carry their special-value set, the 4-entry SV register file
    in selector order (er_pos, er_neg, ea_pos, ea_neg), integer scaling of
    docs/numerics.md. It is printed only when it differs from the paper's
    set (fp3 [3, -3, 6, -6], fp4 [10, -10, 16, -16]); an empty
    `specialValues` parameter stands for the paper's set:

    ```mlir
    !bitmod.qweights<64x256, bitmod3, group = 128, sv = [3, -3, 8, -8]>
    ```
    The verifier requires 4 distinct values the term encoder decodes in two
    terms (0 < |v| < 32, at most two one-bits), none in the basic set.
  }];
  let parameters = (ins "int64_t":$rows, "int64_t":$cols,
                        EnumParameter<BitMoD_DType>:$dtype,
                        "unsigned":$groupSize, "unsigned":$scaleBits,
                        OptionalArrayRefParameter<"int8_t",
                          "special values (empty: the paper's set)">
                          :$specialValues);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The quantization library's view of these weights.
    ::bitmod::quant::QuantConfig getQuantConfig() const;
    /// Storage sizes (the verifier guarantees the layout is valid).
    ::bitmod::quant::BlobLayout getLayout() const;
    /// Number of groups per output channel (the last one zero padded).
    int64_t getNumGroups() const { return getLayout().numGroups; }
    /// Bits of one stored code.
    unsigned getCodeBits() const { return getLayout().codeBits; }
    bool hasSelectors() const;
    bool hasZeroPoints() const;
    bool isMX() const;
    /// Per-channel float scales are stored (integer group scales, not MX).
    bool hasChannelScales() const;
    /// The special-value set (the paper's when the parameter is empty;
    /// zeros for types without special values).
    ::bitmod::quant::SpecialValueSet getSpecialValueSet() const;
  }];
}

#endif // BITMOD_DIALECT_BITMOD_IR_BITMODTYPES_TD
