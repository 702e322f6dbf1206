// RUN: bitmod-opt %s --split-input-file --bitmod-quantize="dtype=bitmod3" --bitmod-tile --mlir-elide-resource-strings-if-larger=16 | FileCheck %s
// RUN: bitmod-opt %s --split-input-file --bitmod-quantize="dtype=bitmod3" --bitmod-tile="arrangement=disc accel-options=act_buffer_bytes=32768;wgt_buffer_bytes=65536" --mlir-elide-resource-strings-if-larger=16 | FileCheck %s --check-prefix=SMALL

// Rank-3 input flattened to M = 8 tokens; N = 40 and K = 300 are not
// multiples of 8 / G: K is padded to 3 groups, the tiles cover 1 x 5.
// CHECK: module attributes {bitmod_hw.accel = #bitmod_hw.accel<>}
// CHECK: bitmod.grouped_matmul {{.*}}bitmod_hw.tiling = #bitmod_hw.tiling<arrangement = gen, order = act_resident, m = 8, n = 40, k = 300, token_lanes = 16, channel_lanes = 64, block_tokens = 8, block_channels = 40, block_groups = 3, tiles_m = 1, tiles_n = 5, passes = 1>
// SMALL: module attributes {bitmod_hw.accel = #bitmod_hw.accel<act_buffer_bytes = 32768, wgt_buffer_bytes = 65536>}
// SMALL: bitmod_hw.tiling = #bitmod_hw.tiling<arrangement = disc, order = act_resident, m = 8, n = 40
func.func @fc(%x: tensor<2x4x300xf32>) -> tensor<2x4x40xf32> {
  %w = arith.constant dense<0.5> : tensor<40x300xf32>
  %y = bitmod.linear %x, %w {name = "fc"} : tensor<2x4x300xf32>, tensor<40x300xf32> -> tensor<2x4x40xf32>
  return %y : tensor<2x4x40xf32>
}

// -----

// Prefill-sized GEMM in a small activation buffer: neither operand fits
// resident over K; a K-split output tile of 32 x 128 (one output slot, its
// store overlapping the next tile's first K chunks) beats the weight-resident
// plan (32 x 64 channels resident) in cycles and DRAM traffic.
// SMALL-LABEL: func @resident
// SMALL: bitmod_hw.tiling = #bitmod_hw.tiling<arrangement = disc, order = out_block, m = 96, n = 200, k = 1000, token_lanes = 32, channel_lanes = 32, block_tokens = 32, block_channels = 128, block_groups = 1, tiles_m = 12, tiles_n = 25, passes = 21>
func.func @resident(%x: tensor<96x1000xf32>) -> tensor<96x200xf32> {
  %w = arith.constant dense<0.25> : tensor<200x1000xf32>
  %y = bitmod.linear %x, %w {name = "proj"} : tensor<96x1000xf32>, tensor<200x1000xf32> -> tensor<96x200xf32>
  return %y : tensor<96x200xf32>
}
