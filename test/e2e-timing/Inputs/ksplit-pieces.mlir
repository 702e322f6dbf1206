func.func @f(%x: tensor<96x1000xf32>) -> tensor<96x200xf32> {
  %w = arith.constant dense<0.5> : tensor<200x1000xf32>
  %y = bitmod.linear %x, %w {name = "proj"} : tensor<96x1000xf32>, tensor<200x1000xf32> -> tensor<96x200xf32>
  return %y : tensor<96x200xf32>
}
