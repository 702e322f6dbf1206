module attributes {bitmod_hw.accel = #bitmod_hw.accel<act_buffer_bytes = 262144, dram_bytes_per_cycle = 16>} {
func.func @launch(%x: tensor<8x384xf32>, %w: !bitmod.qweights<40x384, bitmod3, group = 128>) -> tensor<8x40xf32> {
  %y = bitmod_hw.launch @fc(%x, %w) {dram_input = 4096 : i64, estimate = 1234 : i64,
      tiling = #bitmod_hw.tiling<arrangement = disc, order = act_resident, m = 8, n = 40, k = 384, token_lanes = 32, channel_lanes = 32, block_tokens = 8, block_channels = 40, block_groups = 3, tiles_m = 1, tiles_n = 5, passes = 2>}
      : (tensor<8x384xf32>, !bitmod.qweights<40x384, bitmod3, group = 128>) -> tensor<8x40xf32> {
    bitmod_hw.config dtype bitmod3 group_size 128 scale_bits 8 sv [3, -3, 6, -6] token_lanes 32 channel_lanes 32 cycles 1
    bitmod_hw.load_act dram_addr 4096 buf_offset 0 rows 8 row_bytes 768 dram_stride 768 buf_pitch 768 cycles 292
    bitmod_hw.load_wgt dram_addr 0x0 buf_offset 0x0 bytes 6096 block [0, 40, 0, 3] [push_next]
    bitmod_hw.matmul act_offset 0x0 act_pitch 768 wgt_offset 0x0 out_offset 0x1800 out_pitch 160 m 8 n 40 k_groups 3 out_format f32 [push_next, pop_prev] cycles 384
    bitmod_hw.matmul act_offset 0x0 act_pitch 768 wgt_offset 0x0 out_offset 0x1800 out_pitch 80 m 8 n 40 k_groups 3 accumulate out_format f16
    bitmod_hw.store dram_addr 0x2000 buf_offset 0x1800 rows 8 row_bytes 160 dram_stride 160 buf_pitch 160 [pop_prev, push_prev]
    bitmod_hw.sync queue compute [pop_next, push_prev]
    bitmod_hw.sync queue load [pop_next]
    bitmod_hw.halt
  }
  return %y : tensor<8x40xf32>
}
}

func.func @defaults() attributes {bitmod_hw.accel = #bitmod_hw.accel<>} {
  return
}
