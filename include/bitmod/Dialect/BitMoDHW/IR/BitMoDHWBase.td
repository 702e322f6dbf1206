//===- BitMoDHWBase.td - bitmod_hw dialect definition ------*- tablegen -*-===//
//
// The hardware-level `bitmod_hw` dialect: one op per instruction of the
// BitMoD accelerator (docs/isa.md), grouped into `bitmod_hw.launch` regions,
// plus the accelerator description and tiling attributes.
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_DIALECT_BITMODHW_IR_BITMODHWBASE_TD
#define BITMOD_DIALECT_BITMODHW_IR_BITMODHWBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def BitMoDHW_Dialect : Dialect {
  let name = "bitmod_hw";
  let cppNamespace = "::mlir::bitmod::hw";
  let summary = "Instruction-level dialect of the BitMoD accelerator";
  let description = [{
    `bitmod_hw` sits between `bitmod.grouped_matmul` and the binary
    instruction stream. `--bitmod-tile` records a buffer blocking on every
    grouped matmul (`#bitmod_hw.tiling`) for the accelerator described by the
    module's `bitmod_hw.accel` attribute; `--bitmod-bit-serial-schedule`
    replaces each with a `bitmod_hw.launch` whose body holds one op per
    instruction (config, load_act, load_wgt, matmul, store, sync, halt) with
    dependency-token flags; `--emit-isa` / `--emit-asm` serialize a module of
    launches as an `isa::Program`. See docs/hw-dialect.md.
  }];
  let useDefaultAttributePrinterParser = 1;
  let dependentDialects = ["::mlir::bitmod::BitMoDDialect",
                           "::mlir::tensor::TensorDialect"];
}

class BitMoDHW_Op<string mnemonic, list<Trait> traits = []>
    : Op<BitMoDHW_Dialect, mnemonic, traits>;

class BitMoDHW_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<BitMoDHW_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

#endif // BITMOD_DIALECT_BITMODHW_IR_BITMODHWBASE_TD
