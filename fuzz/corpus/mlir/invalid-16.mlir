func.func @f(%x: tensor<8x384xf32>, %w: !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x40xf32> {
  %y = bitmod_hw.launch @fc(%x, %w) : (tensor<8x384xf32>, !bitmod.qweights<40x384, int8, group = 128>) -> tensor<8x40xf32> {
    %c = arith.constant 0 : i32
  }
  return %y : tensor<8x40xf32>
}
