// RUN: bitmod-opt %s --bitmod-quantize="dtype=bitmod3" --bitmod-tile="arrangement=disc accel-options=act_buffer_bytes=32768;wgt_buffer_bytes=65536" --bitmod-bit-serial-schedule --mlir-elide-resource-strings-if-larger=16 | FileCheck %s
// RUN: bitmod-opt %s --bitmod-quantize="dtype=bitmod3" --bitmod-tile="arrangement=disc accel-options=act_buffer_bytes=32768;wgt_buffer_bytes=65536 print-plan" -o /dev/null 2>&1 | FileCheck %s --check-prefix=PLAN

// The plan search simulates every candidate; at equal cycles the one with
// less DRAM traffic (energy) wins.
// PLAN: remark: layer 'fc' plan: disc act_resident block_tokens=8 block_channels=32 block_groups=3: 918 cycles, 12176 DRAM bytes
// PLAN-SAME: runner-up: disc out_block block_tokens=8 block_channels=32 block_groups=3: 918 cycles, 16976 DRAM bytes

// M = 8 (2x4 flattened), N = 40 (one 32-channel block + one 8-channel
// block), K = 300 (padded to 3 groups by LOAD_ACT zero fill). Two weight
// slots of 32 KB, two output slots after the X block; tokens derived from
// the buffer hazards; a closing barrier (sync compute, sync load).
// CHECK: module attributes {bitmod_hw.accel = #bitmod_hw.accel<act_buffer_bytes = 32768, wgt_buffer_bytes = 65536>, bitmod_hw.memory = {dram_bytes = 12224 : i64, weight_bytes = 6096 : i64}}
// CHECK: %[[C:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1], [2]] : tensor<2x4x300xf32> into tensor<8x300xf32>
// CHECK: %[[L:.*]] = bitmod_hw.launch @fc(%[[C]], %{{.*}}) {compute_cycles = 408 : i64, dram_cycles = 355 : i64, dram_input = 6144 : i64, dram_output = 10944 : i64, estimate = 918 : i64, tiling = #bitmod_hw.tiling<arrangement = disc, order = act_resident, m = 8, n = 40, k = 300, token_lanes = 32, channel_lanes = 32, block_tokens = 8, block_channels = 32, block_groups = 3, tiles_m = 1, tiles_n = 5, passes = 2>, weight_base = 0 : i64, weight_bytes = 6096 : i64}
// CHECK-NEXT: bitmod_hw.config dtype bitmod3 group_size 128 scale_bits 8 sv [3, -3, 6, -6] token_lanes 32 channel_lanes 32 cycles 1
// CHECK-NEXT: bitmod_hw.load_act dram_addr 0x1800 buf_offset 0x0 rows 8 row_bytes 600 dram_stride 600 buf_pitch 768 cycles 250
// CHECK-NEXT: bitmod_hw.load_wgt dram_addr 0x0 buf_offset 0x0 bytes 4864 block [0, 32, 0, 3] [push_next] cycles 252
// CHECK-NEXT: bitmod_hw.matmul act_offset 0x0 act_pitch 768 wgt_offset 0x0 out_offset 0x1800 out_pitch 128 m 8 n 32 k_groups 3 out_format f32 [pop_prev, push_next] cycles 192
// CHECK-NEXT: bitmod_hw.store dram_addr 0x2ac0 buf_offset 0x1800 rows 8 row_bytes 128 dram_stride 160 buf_pitch 128 [pop_prev] cycles 132
// CHECK-NEXT: bitmod_hw.load_wgt dram_addr 0x1300 buf_offset 0x8000 bytes 1232 block [32, 8, 0, 3] [push_next] cycles 139
// CHECK-NEXT: bitmod_hw.matmul act_offset 0x0 act_pitch 768 wgt_offset 0x8000 out_offset 0x1c00 out_pitch 128 m 8 n 8 k_groups 3 out_format f32 [pop_prev, push_next] cycles 192
// CHECK-NEXT: bitmod_hw.store dram_addr 0x2b40 buf_offset 0x1c00 rows 8 row_bytes 32 dram_stride 160 buf_pitch 128 [pop_prev, push_prev] cycles 108
// CHECK-NEXT: bitmod_hw.sync queue compute [pop_next, push_prev] cycles 1
// CHECK-NEXT: bitmod_hw.sync queue load [pop_next] cycles 1
// CHECK-NEXT: }
// CHECK: tensor.expand_shape %[[L]] {{\[\[}}0, 1], [2]] output_shape [2, 4, 40]
// A bias stays on the host, after the launch.
// CHECK: linalg.generic
// CHECK: arith.addf
func.func @fc(%x: tensor<2x4x300xf32>) -> tensor<2x4x40xf32> {
  %w = arith.constant dense<0.5> : tensor<40x300xf32>
  %b = arith.constant dense<1.0> : tensor<40xf32>
  %y = bitmod.linear %x, %w, bias %b {name = "fc"} : tensor<2x4x300xf32>, tensor<40x300xf32>, tensor<40xf32> -> tensor<2x4x40xf32>
  return %y : tensor<2x4x40xf32>
}
