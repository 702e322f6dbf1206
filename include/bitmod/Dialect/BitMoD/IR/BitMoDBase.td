//===- BitMoDBase.td - BitMoD dialect definition -----------*- tablegen -*-===//
//
// The tensor-level `bitmod` dialect: linear layers with constant weights,
// per-group quantized weights, and the mixed-datatype grouped matmul of the
// BitMoD accelerator (HPCA 2025).
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_DIALECT_BITMOD_IR_BITMODBASE_TD
#define BITMOD_DIALECT_BITMOD_IR_BITMODBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def BitMoD_Dialect : Dialect {
  let name = "bitmod";
  let cppNamespace = "::mlir::bitmod";
  let summary = "Tensor-level dialect of the BitMoD bit-serial LLM accelerator";
  let description = [{
    The `bitmod` dialect models the algorithm half of BitMoD: linear layers
    whose weights are quantized per group (default 128 weights along the
    reduction dimension) to one of the BitMoD data types (fp3/fp4 extended
    with a per-group special value, INT8/INT6, ...) or a baseline type.

    An imported model carries `bitmod.linear` ops (float activations times a
    constant float weight). `--bitmod-quantize` replaces each with a
    `bitmod.weights` constant (packed codes, per-group scales, per-channel
    scales, special-value selectors) feeding a `bitmod.grouped_matmul`.
    Later passes map grouped matmuls onto the bit-serial PE array.
  }];
  let useDefaultAttributePrinterParser = 1;
  let useDefaultTypePrinterParser = 1;
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
  let extraClassDeclaration = [{
    void registerTypes();
  }];
}

class BitMoD_Op<string mnemonic, list<Trait> traits = []>
    : Op<BitMoD_Dialect, mnemonic, traits>;

class BitMoD_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<BitMoD_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

class BitMoD_Type<string name, string typeMnemonic, list<Trait> traits = []>
    : TypeDef<BitMoD_Dialect, name, traits> {
  let mnemonic = typeMnemonic;
}

#endif // BITMOD_DIALECT_BITMOD_IR_BITMODBASE_TD
