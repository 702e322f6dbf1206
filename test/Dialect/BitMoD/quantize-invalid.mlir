// RUN: bitmod-opt %s -split-input-file -verify-diagnostics --bitmod-quantize="dtype=bitmod3 group-size=8"

func.func @nan_weight(%x: tensor<2x8xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
                             [1.0, 2.0, 0x7FC00000, 4.0, 5.0, 6.0, 7.0, 8.0]]> : tensor<2x8xf32>
  // expected-error @+1 {{cannot quantize to bitmod3: tensor 'fc1': non-finite weight nan at [1, 2]}}
  %y = bitmod.linear %x, %w {name = "fc1"} : tensor<2x8xf32>, tensor<2x8xf32> -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

func.func @inf_weight(%x: tensor<2x8xf32>) -> tensor<2x1xf32> {
  %w = arith.constant dense<[[1.0, 0x7F800000, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]]> : tensor<1x8xf32>
  // expected-error @+1 {{non-finite weight +inf at [0, 1]}}
  %y = bitmod.linear %x, %w {name = "fc2"} : tensor<2x8xf32>, tensor<1x8xf32> -> tensor<2x1xf32>
  return %y : tensor<2x1xf32>
}

// -----

func.func @f64_weight(%x: tensor<2x8xf64>) -> tensor<2x1xf64> {
  %w = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]]> : tensor<1x8xf64>
  // expected-error @+1 {{can only quantize f32, f16 or bf16 weights, got 'f64'}}
  %y = bitmod.linear %x, %w {name = "fc64"} : tensor<2x8xf64>, tensor<1x8xf64> -> tensor<2x1xf64>
  return %y : tensor<2x1xf64>
}
