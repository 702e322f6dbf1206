func.func @grouped_matmul_k(%x: tensor<3x16xf32>, %w: !bitmod.qweights<4x8, int8, group = 8>) {
  %y = bitmod.grouped_matmul %x, %w : tensor<3x16xf32>, !bitmod.qweights<4x8, int8, group = 8> -> tensor<3x4xf32>
  return
}
