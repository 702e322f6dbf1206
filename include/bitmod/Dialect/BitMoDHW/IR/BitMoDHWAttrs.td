//===- BitMoDHWAttrs.td - bitmod_hw attributes -------------*- tablegen -*-===//

#ifndef BITMOD_DIALECT_BITMODHW_IR_BITMODHWATTRS_TD
#define BITMOD_DIALECT_BITMODHW_IR_BITMODHWATTRS_TD

include "bitmod/Dialect/BitMoDHW/IR/BitMoDHWBase.td"

// Values equal bitmod::isa::Queue.
def BitMoDHW_Queue : I32EnumAttr<"Queue", "instruction queue", [
    I32EnumAttrCase<"load", 0>,
    I32EnumAttrCase<"compute", 1>,
    I32EnumAttrCase<"store", 2>
  ]> {
  let cppNamespace = "::mlir::bitmod::hw";
}

// Values equal bitmod::isa::OutFormat.
def BitMoDHW_OutFormat : I32EnumAttr<"OutFormat",
    "element format of the MATMUL outputs", [
    I32EnumAttrCase<"f32", 0>,
    I32EnumAttrCase<"f16", 1>
  ]> {
  let cppNamespace = "::mlir::bitmod::hw";
}

// Values equal bitmod::arch::ArrayArrangement (without Auto).
def BitMoDHW_Arrangement : I32EnumAttr<"Arrangement",
    "tile arrangement of the PE array", [
    I32EnumAttrCase<"disc", 0>,
    I32EnumAttrCase<"gen", 1>
  ]> {
  let cppNamespace = "::mlir::bitmod::hw";
}

def BitMoDHW_BlockingOrder : I32EnumAttr<"BlockingOrder",
    "which operand stays resident in its buffer", [
    I32EnumAttrCase<"act_resident", 0>,
    I32EnumAttrCase<"wgt_resident", 1>,
    I32EnumAttrCase<"out_block", 2>
  ]> {
  let cppNamespace = "::mlir::bitmod::hw";
}

def BitMoDHW_AccelAttr : BitMoDHW_Attr<"Accel", "accel"> {
  let summary = "accelerator description";
  let description = [{
    The parameters of the accelerator a module is compiled for; mirrors the
    main fields of `arch::AccelConfig` (include/bitmod/Arch/AccelConfig.h),
    with the paper's values as defaults (omitted when printing). The
    remaining AccelConfig fields (energy table, numerics) keep their
    defaults.

    ```mlir
    module attributes {bitmod_hw.accel = #bitmod_hw.accel<act_buffer_bytes = 65536>}
    ```
  }];
  let parameters = (ins
    DefaultValuedParameter<"unsigned", "16">:$num_tiles,
    DefaultValuedParameter<"unsigned", "8">:$tile_rows,
    DefaultValuedParameter<"unsigned", "8">:$tile_cols,
    DefaultValuedParameter<"unsigned", "4">:$disc_grid_rows,
    DefaultValuedParameter<"unsigned", "4">:$disc_grid_cols,
    DefaultValuedParameter<"unsigned", "2">:$gen_grid_rows,
    DefaultValuedParameter<"unsigned", "8">:$gen_grid_cols,
    DefaultValuedParameter<"unsigned", "4">:$dot_product_width,
    DefaultValuedParameter<"uint64_t", "524288">:$act_buffer_bytes,
    DefaultValuedParameter<"uint64_t", "524288">:$wgt_buffer_bytes,
    DefaultValuedParameter<"unsigned", "8">:$act_buffer_banks,
    DefaultValuedParameter<"unsigned", "8">:$wgt_buffer_banks,
    DefaultValuedParameter<"unsigned", "32">:$dram_bytes_per_cycle,
    DefaultValuedParameter<"unsigned", "100">:$dram_latency_cycles,
    DefaultValuedParameter<"unsigned", "1000">:$frequency_mhz
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def BitMoDHW_TilingAttr : BitMoDHW_Attr<"Tiling", "tiling"> {
  let summary = "buffer blocking of one grouped matmul";
  let description = [{
    Recorded by `--bitmod-tile` on a `bitmod.grouped_matmul` computing
    Y[m, n] = X[m, k] W[n, k]^T (leading input dims flattened into m tokens).
    `arrangement` selects the array grid (token_lanes x channel_lanes PEs);
    `order` tells which operand stays resident: `act_resident` holds
    `block_tokens` rows of X over the whole K and streams weight blocks of
    `block_channels` channels x `block_groups` groups (double buffered);
    `wgt_resident` holds `block_channels` channels of W over the whole K
    (as blocks of `block_groups` groups) and streams X in chunks of
    `block_tokens` tokens x `block_groups` groups (double buffered);
    `out_block` (the K-split, for operands that fit neither way) holds one
    output tile of `block_tokens` x `block_channels` on chip and streams
    both X chunks of `block_groups` groups and the matching weight blocks
    (each double buffered), accumulating the K chunks into the tile with
    MATMUL's `accumulate` flag.
    `tiles_m` x `tiles_n` are the 8x8 output-stationary tiles covering the
    output; `passes` the array passes (tokens x channels lanes each).
  }];
  let parameters = (ins
    EnumParameter<BitMoDHW_Arrangement>:$arrangement,
    EnumParameter<BitMoDHW_BlockingOrder>:$order,
    "uint64_t":$m, "uint64_t":$n, "uint64_t":$k,
    "unsigned":$token_lanes, "unsigned":$channel_lanes,
    "uint64_t":$block_tokens, "uint64_t":$block_channels,
    "uint64_t":$block_groups,
    "uint64_t":$tiles_m, "uint64_t":$tiles_n, "uint64_t":$passes
  );
  let assemblyFormat = "`<` struct(params) `>`";
}

#endif // BITMOD_DIALECT_BITMODHW_IR_BITMODHWATTRS_TD
