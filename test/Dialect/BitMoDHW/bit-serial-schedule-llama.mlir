// Acceptance: a Llama-2-7B projection (4096x4096) on the paper accelerator.
// The launch estimate must be within 5% of max(compute bound, DRAM bound)
// computed by hand (docs/hw-dialect.md, "Estimate").
// RUN: bitmod-opt %s --bitmod-quantize="dtype=bitmod4" --bitmod-tile --bitmod-bit-serial-schedule --mlir-elide-resource-strings-if-larger=16 \
// RUN:   | FileCheck %s --check-prefix=PREFILL
// RUN: bitmod-opt %s --bitmod-quantize="dtype=bitmod4" --bitmod-tile --bitmod-bit-serial-schedule --mlir-elide-resource-strings-if-larger=16 \
// RUN:   | %python %S/Inputs/check_estimate.py 256 4096 4096 4 2 | FileCheck %s --check-prefix=RATIO
// RUN: bitmod-opt %S/Inputs/llama-decode.mlir --bitmod-quantize="dtype=bitmod3" --bitmod-tile --bitmod-bit-serial-schedule --mlir-elide-resource-strings-if-larger=16 \
// RUN:   | FileCheck %s --check-prefix=DECODE
// RUN: bitmod-opt %S/Inputs/llama-decode.mlir --bitmod-quantize="dtype=bitmod3" --bitmod-tile --bitmod-bit-serial-schedule --mlir-elide-resource-strings-if-larger=16 \
// RUN:   | %python %S/Inputs/check_estimate.py 1 4096 4096 3 2 | FileCheck %s --check-prefix=RATIO

// Prefill, 256 tokens, bitmod4: compute bound 256*4096*4096*2/(1024*4)
// = 2097152 cycles; a K-split output tile of 128 tokens x 704 channels (kept
// once, stored in row pieces) with X and weights streamed in chunks of 2
// groups: W read twice, X 6 times. The estimate is the timing model run on
// the plan (0.6% over the compute bound).
// PREFILL: bitmod_hw.launch @q_proj
// PREFILL-SAME: compute_cycles = 2097178
// PREFILL-SAME: estimate = 2108850
// PREFILL-SAME: tiling = #bitmod_hw.tiling<arrangement = gen, order = out_block, m = 256, n = 4096, k = 4096, token_lanes = 16, channel_lanes = 64, block_tokens = 128, block_channels = 704, block_groups = 2, tiles_m = 32, tiles_n = 512, passes = 1024>
// PREFILL: bitmod_hw.config dtype bitmod4 group_size 128 scale_bits 8 sv [10, -10, 16, -16] token_lanes 16 channel_lanes 64

// Decode, 1 token, bitmod3: DRAM bound 4096*4096*(3+10/128)/8/32 = 201728
// cycles (weights streamed once, 64 channels per block).
// DECODE: bitmod_hw.launch @q_proj
// DECODE-SAME: order = act_resident, m = 1, n = 4096, k = 4096
// DECODE: bitmod_hw.config dtype bitmod3

// RATIO: ratio {{0\.9[5-9]|1\.0[0-5]}}
func.func @prefill(%x: tensor<256x4096xf32>) -> tensor<256x4096xf32> {
  %w = arith.constant dense<0.01> : tensor<4096x4096xf32>
  %y = bitmod.linear %x, %w {name = "q_proj"} : tensor<256x4096xf32>, tensor<4096x4096xf32> -> tensor<256x4096xf32>
  return %y : tensor<256x4096xf32>
}
