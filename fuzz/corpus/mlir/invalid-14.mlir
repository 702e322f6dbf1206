func.func @f(%x: tensor<8x384xf32>, %w: !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x40xf32> {
  %y = bitmod_hw.launch @fc(%x, %w) : (tensor<8x384xf32>, !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x40xf32> {
    bitmod_hw.load_wgt dram_addr 0x0 buf_offset 0x0 bytes 16 [push_next]
  }
  return %y : tensor<8x40xf32>
}
