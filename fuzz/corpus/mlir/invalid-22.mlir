func.func @grouped_matmul_n(%x: tensor<3x8xf32>, %w: !bitmod.qweights<4x8, int8, group = 8>) {
  %y = bitmod.grouped_matmul %x, %w : tensor<3x8xf32>, !bitmod.qweights<4x8, int8, group = 8> -> tensor<3x8xf32>
  return
}
