func.func @f(%x: tensor<2x8xf32>) -> tensor<2x4xf32> {
  %w = bitmod.weights codes(dense<0> : tensor<12xui8>) scales(dense<1.000000e+00> : tensor<4x1xf32>) selectors(dense<[0, 1, 2, 3]> : tensor<4xui8>) {name = "fc"} : !bitmod.qweights<4x8, bitmod3, group = 8, scale_bits = 0>
  %y = bitmod.grouped_matmul %x, %w {name = "fc"} : tensor<2x8xf32>, !bitmod.qweights<4x8, bitmod3, group = 8, scale_bits = 0> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}
