func.func @f(%x: tensor<8x384xf32>, %w: !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x40xf32> {
  %y = bitmod_hw.launch @fc(%x, %w) : (tensor<8x384xf32>, !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x40xf32> {
    bitmod_hw.config dtype int4 group_size 128 scale_bits 8 sv [0, 0, 0, 0] token_lanes 32 channel_lanes 32
  }
  return %y : tensor<8x40xf32>
}
