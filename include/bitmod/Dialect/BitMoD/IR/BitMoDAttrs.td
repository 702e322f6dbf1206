//===- BitMoDAttrs.td - BitMoD attributes ------------------*- tablegen -*-===//

#ifndef BITMOD_DIALECT_BITMOD_IR_BITMODATTRS_TD
#define BITMOD_DIALECT_BITMOD_IR_BITMODATTRS_TD

include "bitmod/Dialect/BitMoD/IR/BitMoDBase.td"

// The case values equal bitmod::quant::DataType (include/bitmod/Quant/
// DataType.h) so the two convert by a cast; a static_assert checks it.
def BitMoD_DType : I32EnumAttr<"DType", "weight data type", [
    I32EnumAttrCase<"int3", 0>,
    I32EnumAttrCase<"int4", 1>,
    I32EnumAttrCase<"int5", 2>,
    I32EnumAttrCase<"int6", 3>,
    I32EnumAttrCase<"int8", 4>,
    I32EnumAttrCase<"int3_asym", 5>,
    I32EnumAttrCase<"int4_asym", 6>,
    I32EnumAttrCase<"fp3", 7>,
    I32EnumAttrCase<"fp4", 8>,
    I32EnumAttrCase<"fp3_er_pos", 9>,
    I32EnumAttrCase<"fp3_er_neg", 10>,
    I32EnumAttrCase<"fp3_ea_pos", 11>,
    I32EnumAttrCase<"fp3_ea_neg", 12>,
    I32EnumAttrCase<"fp4_er_pos", 13>,
    I32EnumAttrCase<"fp4_er_neg", 14>,
    I32EnumAttrCase<"fp4_ea_pos", 15>,
    I32EnumAttrCase<"fp4_ea_neg", 16>,
    I32EnumAttrCase<"bitmod3", 17>,
    I32EnumAttrCase<"bitmod4", 18>,
    I32EnumAttrCase<"flint4", 19>,
    I32EnumAttrCase<"mxfp3", 20>,
    I32EnumAttrCase<"mxfp4", 21>,
    I32EnumAttrCase<"mxint4", 22>,
    I32EnumAttrCase<"fp5_e2m2", 23>,
    I32EnumAttrCase<"fp5_e3m1", 24>,
    I32EnumAttrCase<"fp6_e2m3", 25>,
    I32EnumAttrCase<"fp6_e3m2", 26>,
    I32EnumAttrCase<"fp16", 27>
  ]> {
  let cppNamespace = "::mlir::bitmod";
  let genSpecializedAttr = 0;
}

def BitMoD_DTypeAttr : EnumAttr<BitMoD_Dialect, BitMoD_DType, "dtype"> {
  let summary = "a weight data type of BitMoD or a baseline";
  let description = [{
    One of the weight data types of DESIGN.md's numerics table, e.g.
    `#bitmod.dtype<bitmod3>`. `fp16` means unquantized.
  }];
  let assemblyFormat = "`<` $value `>`";
}

// Which attention matmul a bitmod.kv_matmul is (docs/attention.md).
def BitMoD_KVKind : I32EnumAttr<"KVKind", "attention matmul kind", [
    I32EnumAttrCase<"key", 0>,
    I32EnumAttrCase<"value", 1>
  ]> {
  let cppNamespace = "::mlir::bitmod";
}

#endif // BITMOD_DIALECT_BITMOD_IR_BITMODATTRS_TD
