//===- BitMoDHWOps.td - bitmod_hw operations ---------------*- tablegen -*-===//

#ifndef BITMOD_DIALECT_BITMODHW_IR_BITMODHWOPS_TD
#define BITMOD_DIALECT_BITMODHW_IR_BITMODHWOPS_TD

include "bitmod/Dialect/BitMoDHW/IR/BitMoDHWAttrs.td"
include "bitmod/Dialect/BitMoD/IR/BitMoDTypes.td"
include "mlir/IR/RegionKindInterface.td"
include "mlir/IR/SymbolInterfaces.td"

//===----------------------------------------------------------------------===//
// LaunchOp
//===----------------------------------------------------------------------===//

def BitMoDHW_LaunchOp : BitMoDHW_Op<"launch", [
    SingleBlock, NoTerminator, NoRegionArguments]> {
  let summary = "one GEMM offloaded to the accelerator as an instruction block";
  let description = [{
    `result[M, N] = input[M, K] x dequant(weights)^T` computed by the
    instructions of the body, in program order. The input lives in DRAM as
    FP16 at `dram_input` (row-major, `K * 2` bytes per row), the result at
    `dram_output` (FP32 or FP16 after the result element type); the weight
    blocks read by the body's `load_wgt` ops are slices of `weights` placed in
    the module's weight blob (`weight_base`, `weight_bytes`). `estimate` is
    the cost model's cycle count (sim::estimate), `compute_cycles` and
    `dram_cycles` its two bounds.

    The verifier checks that the body holds only instruction ops, that a
    `config` precedes the first `matmul`, that matmul operands lie inside
    the buffers, that the dependency tokens balance (every push is popped by
    the neighbouring queue) and that `halt`, if present, is last.

    ```mlir
    %y = bitmod_hw.launch @fc(%x, %w) : (tensor<8x384xf32>,
        !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x40xf32> {
      bitmod_hw.config dtype int8 group_size 128 scale_bits 8 sv [0, 0, 0, 0]
          token_lanes 32 channel_lanes 32
      ...
    }
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       RankedTensorOf<[AnyFloat]>:$input,
                       BitMoD_QWeightsType:$weights,
                       OptionalAttr<BitMoDHW_TilingAttr>:$tiling,
                       OptionalAttr<I64Attr>:$dram_input,
                       OptionalAttr<I64Attr>:$dram_output,
                       OptionalAttr<I64Attr>:$weight_base,
                       OptionalAttr<I64Attr>:$weight_bytes,
                       OptionalAttr<I64Attr>:$estimate,
                       OptionalAttr<I64Attr>:$compute_cycles,
                       OptionalAttr<I64Attr>:$dram_cycles);
  let results = (outs RankedTensorOf<[AnyFloat]>:$result);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $sym_name `(` $input `,` $weights `)` attr-dict `:`
    `(` type($input) `,` qualified(type($weights)) `)` `->` type($result)
    $body
  }];
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Instruction ops
//===----------------------------------------------------------------------===//

// BitMoDHW_<Opcode>Fields / BitMoDHW_<Opcode>Format: one attribute per field
// of bitmod/ISA/Instructions.def, printed `key value` (generated in the build
// tree from BitMoDHWInstFields.td.in).
include "bitmod/Dialect/BitMoDHW/IR/BitMoDHWInstFields.td"

// Token flags and the estimated cycles shared by every instruction.
defvar BitMoDHW_CommonArgs = (ins UnitAttr:$pop_prev, UnitAttr:$pop_next,
                                  UnitAttr:$push_prev, UnitAttr:$push_next,
                                  OptionalAttr<I64Attr>:$cycles);

// An instruction op: the table's fields, then op-only arguments
// (`extraArgs`, printed by `extraFormat`), then the token flags and cycles.
class BitMoDHW_InstOp<string mnemonic, dag fields, string fieldsFormat,
                      dag extraArgs = (ins), string extraFormat = "">
    : BitMoDHW_Op<mnemonic, [HasParent<"LaunchOp">]> {
  let arguments = !con(fields, extraArgs, BitMoDHW_CommonArgs);
  let assemblyFormat = fieldsFormat # extraFormat #
      " custom<Tokens>($pop_prev, $pop_next, $push_prev, $push_next)" #
      " (`cycles` $cycles^)? attr-dict";
  let builders = [
    // The op of an ISA instruction (its opcode must be this op's).
    OpBuilder<(ins "const ::bitmod::isa::Instruction &":$inst,
                   CArg<"std::optional<uint64_t>", "std::nullopt">:$cycles)>
  ];
  let hasVerifier = 1;
  code commonDecl = [{
    /// The ISA view of this op (bitmod/ISA/Instruction.h).
    ::bitmod::isa::Instruction toInstruction();
  }];
  let extraClassDeclaration = commonDecl;
}

def BitMoDHW_ConfigOp : BitMoDHW_InstOp<"config", BitMoDHW_ConfigFields,
                                        BitMoDHW_ConfigFormat> {
  let summary = "CONFIG: program the datapath (compute queue)";
  let description = [{
    Data type, group size, group-scale bits, the 4-entry special-value
    register file `sv` (selector order er+, er-, ea+, ea-) and the array
    arrangement (token lanes x channel lanes) for the following matmuls.
  }];
}

def BitMoDHW_LoadActOp : BitMoDHW_InstOp<"load_act", BitMoDHW_LoadActFields,
                                         BitMoDHW_LoadActFormat> {
  let summary = "LOAD_ACT: DRAM -> activation buffer (load queue)";
  let description = [{
    Copies `rows` rows of `row_bytes` bytes, `dram_stride` bytes apart in
    DRAM from `dram_addr`, into the activation buffer at `buf_offset`,
    `buf_pitch` bytes apart; the bytes `[row_bytes, buf_pitch)` of every
    buffer row are zero filled (K padding).
  }];
}

def BitMoDHW_LoadWgtOp : BitMoDHW_InstOp<"load_wgt", BitMoDHW_LoadWgtFields,
    BitMoDHW_LoadWgtFormat, (ins OptionalAttr<DenseI64ArrayAttr>:$block),
    " (`block` $block^)?"> {
  let summary = "LOAD_WGT: one weight block DRAM -> weight buffer (load queue)";
  let description = [{
    Copies `bytes` bytes of the weight blob at `dram_addr` into the weight
    buffer at `buf_offset`. `block` = `[n0, n, g0, k_groups]` names the
    slice of the launch's weights the bytes hold (channels `[n0, n0+n)`,
    groups `[g0, g0+k_groups)`, laid out as docs/isa.md "Weight block
    layout"); `--emit-isa` packs the blob from it.
  }];
}

def BitMoDHW_MatMulOp : BitMoDHW_InstOp<"matmul", BitMoDHW_MatMulFields,
                                        BitMoDHW_MatMulFormat> {
  let summary = "MATMUL: a block of output tiles over a K range (compute queue)";
  let description = [{
    `out[m, n] (+)= act[m, k_groups*G] x dequant(W_block[n, k_groups*G])^T`
    on the PE array, with per-group dequantization and channel scales; the
    activations start at `act_offset` (rows `act_pitch` bytes apart), the
    weight block at `wgt_offset`, the outputs at `out_offset` (rows
    `out_pitch` bytes apart, elements `out_format`); `accumulate` adds to
    the output tile.
  }];
}

def BitMoDHW_StoreOp : BitMoDHW_InstOp<"store", BitMoDHW_StoreFields,
                                       BitMoDHW_StoreFormat> {
  let summary = "STORE: activation buffer -> DRAM (store queue)";
}

def BitMoDHW_SyncOp : BitMoDHW_InstOp<"sync", BitMoDHW_SyncFields,
                                      BitMoDHW_SyncFormat> {
  let summary = "SYNC: a token-only no-op in one queue";
}

def BitMoDHW_HaltOp : BitMoDHW_InstOp<"halt", BitMoDHW_HaltFields,
                                      BitMoDHW_HaltFormat> {
  let summary = "HALT: end of the program (last instruction)";
}

#endif // BITMOD_DIALECT_BITMODHW_IR_BITMODHWOPS_TD
