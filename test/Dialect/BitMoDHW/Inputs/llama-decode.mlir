// Input of test/Dialect/BitMoDHW/bit-serial-schedule-llama.mlir (decode step).
func.func @decode(%x: tensor<1x1x4096xf32>) -> tensor<1x1x4096xf32> {
  %w = arith.constant dense<0.01> : tensor<4096x4096xf32>
  %y = bitmod.linear %x, %w {name = "q_proj"} : tensor<1x1x4096xf32>, tensor<4096x4096xf32> -> tensor<1x1x4096xf32>
  return %y : tensor<1x1x4096xf32>
}
