func.func @dequantize_shape(%w: !bitmod.qweights<4x8, int8, group = 8>) {
  %f = bitmod.dequantize %w : !bitmod.qweights<4x8, int8, group = 8> -> tensor<8x4xf32>
  return
}
