func.func @missing_zero_points() {
  %w = bitmod.weights codes(dense<0> : tensor<8xui8>) scales(dense<1> : tensor<2x1xi8>) channel_scales(dense<1.0> : tensor<2xf32>) : !bitmod.qweights<2x8, int4_asym, group = 8>
  return
}
