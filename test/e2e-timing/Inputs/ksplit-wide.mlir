// M = 4 tokens x K = 65536: neither X (512 KiB) nor a channel-lane column of
// W over the whole K fits its buffer, so --bitmod-tile splits K.
func.func @wide(%x: tensor<4x65536xf32>) -> tensor<4x64xf32> {
  %w = arith.constant dense<0.5> : tensor<64x65536xf32>
  %y = bitmod.linear %x, %w {name = "wide"} : tensor<4x65536xf32>, tensor<64x65536xf32> -> tensor<4x64xf32>
  return %y : tensor<4x64xf32>
}
