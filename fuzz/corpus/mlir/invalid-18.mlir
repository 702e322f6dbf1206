func.func @unexpected_selectors() {
  %w = bitmod.weights codes(dense<0> : tensor<12xui8>) scales(dense<1> : tensor<4x1xi8>) channel_scales(dense<1.0> : tensor<4xf32>) selectors(dense<0> : tensor<4xui8>) : !bitmod.qweights<4x8, fp3_ea_pos, group = 8>
  return
}
