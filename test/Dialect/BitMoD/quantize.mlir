// RUN: bitmod-opt %s --bitmod-quantize="dtype=bitmod3 group-size=8 scale-bits=0" | FileCheck %s
// RUN: bitmod-opt %s --bitmod-quantize="dtype=bitmod3 group-size=8 scale-bits=0" --bitmod-lower-to-host | FileCheck %s --check-prefix=HOST

// Each row is exactly representable by one bitmod3 candidate at scale 1, so
// the per-group search must pick er_pos (+3), er_neg (-3), ea_pos (+6) and
// ea_neg (-6): selectors 0, 1, 2, 3, and dequantization gives W back.

// CHECK-LABEL: func @selectors
// CHECK-NOT: arith.constant
// CHECK: %[[W:.*]] = bitmod.weights codes({{.*}} : tensor<12xui8>) scales(dense<1.000000e+00> : tensor<4x1xf32>) selectors(dense<[0, 1, 2, 3]> : tensor<4xui8>) {name = "fc"} : !bitmod.qweights<4x8, bitmod3, group = 8, scale_bits = 0>
// CHECK: bitmod.grouped_matmul %{{.*}}, %[[W]] {name = "fc"} : tensor<2x8xf32>, !bitmod.qweights<4x8, bitmod3, group = 8, scale_bits = 0> -> tensor<2x4xf32>

// HOST-LABEL: func @selectors
// HOST: arith.constant dense<{{\[}}[4.000000e+00, -2.000000e+00, 1.000000e+00, 0.000000e+00, 2.000000e+00, -1.000000e+00, 0.000000e+00, 3.000000e+00], [4.000000e+00, -2.000000e+00, 1.000000e+00, 0.000000e+00, 2.000000e+00, -1.000000e+00, 0.000000e+00, -3.000000e+00], [6.000000e+00, -2.000000e+00, 1.000000e+00, 0.000000e+00, 2.000000e+00, -1.000000e+00, 0.000000e+00, 4.000000e+00], [-6.000000e+00, 2.000000e+00, 1.000000e+00, 0.000000e+00, 2.000000e+00, -1.000000e+00, 0.000000e+00, 4.000000e+00]]> : tensor<4x8xf32>
// HOST: linalg.generic
// HOST-NOT: bitmod.
func.func @selectors(%x: tensor<2x8xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense<[[4.0, -2.0, 1.0, 0.0, 2.0, -1.0, 0.0, 3.0],
                             [4.0, -2.0, 1.0, 0.0, 2.0, -1.0, 0.0, -3.0],
                             [6.0, -2.0, 1.0, 0.0, 2.0, -1.0, 0.0, 4.0],
                             [-6.0, 2.0, 1.0, 0.0, 2.0, -1.0, 0.0, 4.0]]> : tensor<4x8xf32>
  %y = bitmod.linear %x, %w {name = "fc"} : tensor<2x8xf32>, tensor<4x8xf32> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// A linear whose weight is not a constant stays as it is.
// CHECK-LABEL: func @not_constant
// CHECK: bitmod.linear
func.func @not_constant(%x: tensor<2x8xf32>, %w: tensor<4x8xf32>) -> tensor<2x4xf32> {
  %y = bitmod.linear %x, %w : tensor<2x8xf32>, tensor<4x8xf32> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}
