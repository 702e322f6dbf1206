func.func @f(%x: tensor<8x384xf32>, %w: !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x40xf32> {
  %y = bitmod_hw.launch @fc(%x, %w) : (tensor<8x384xf32>, !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x40xf32> {
    bitmod_hw.matmul act_offset 0x0 act_pitch 768 wgt_offset 0x0 out_offset 0x3000 out_pitch 160 m 8 n 40 k_groups 3 out_format f32
  }
  return %y : tensor<8x40xf32>
}
