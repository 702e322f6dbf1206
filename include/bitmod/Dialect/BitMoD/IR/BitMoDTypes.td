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
  }];
  let parameters = (ins "int64_t":$rows, "int64_t":$cols,
                        EnumParameter<BitMoD_DType>:$dtype,
                        "unsigned":$groupSize, "unsigned":$scaleBits);
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
  }];
}

#endif // BITMOD_DIALECT_BITMOD_IR_BITMODTYPES_TD
