// RUN: bitmod-opt %s --split-input-file --bitmod-quantize="dtype=bitmod3 group-size=8 scale-bits=0 sv=3,-3,8,-8" | FileCheck %s --check-prefix=USER
// RUN: bitmod-opt %s --split-input-file --bitmod-quantize="dtype=bitmod3 group-size=8 scale-bits=0 sv=3,-3,8,-8" --bitmod-lower-to-host | FileCheck %s --check-prefix=HOST
// RUN: bitmod-opt %s --split-input-file --bitmod-quantize="dtype=bitmod3 group-size=8 scale-bits=0 sv-search=layer" | FileCheck %s --check-prefix=LAYER
// RUN: bitmod-opt %s --split-input-file --bitmod-quantize="dtype=bitmod3 group-size=8 scale-bits=0 sv-search=model" | FileCheck %s --check-prefix=MODEL
// RUN: bitmod-opt %s --split-input-file --bitmod-quantize="dtype=bitmod3 group-size=8 scale-bits=0" | FileCheck %s --check-prefix=PAPER

// With sv=3,-3,8,-8 each row of @user is exact at scale 1 with one
// candidate: selectors 2 (+8), 3 (-8), 0 (+3), 1 (-3).
// USER-LABEL: func @user
// USER: bitmod.weights {{.*}} selectors(dense<[2, 3, 0, 1]> : tensor<4xui8>) {name = "fc"} : !bitmod.qweights<4x8, bitmod3, group = 8, scale_bits = 0, sv = [3, -3, 8, -8]>
// USER: bitmod.grouped_matmul {{.*}} !bitmod.qweights<4x8, bitmod3, group = 8, scale_bits = 0, sv = [3, -3, 8, -8]>
// HOST-LABEL: func @user
// HOST: arith.constant dense<{{\[}}[4.000000e+00, -2.000000e+00, 1.000000e+00, 0.000000e+00, 2.000000e+00, -1.000000e+00, 0.000000e+00, 8.000000e+00], [4.000000e+00, -2.000000e+00, 1.000000e+00, 0.000000e+00, 2.000000e+00, -1.000000e+00, 0.000000e+00, -8.000000e+00], [4.000000e+00, -2.000000e+00, 1.000000e+00, 0.000000e+00, 2.000000e+00, -1.000000e+00, 0.000000e+00, 3.000000e+00], [4.000000e+00, -2.000000e+00, 1.000000e+00, 0.000000e+00, 2.000000e+00, -1.000000e+00, 0.000000e+00, -3.000000e+00]]> : tensor<4x8xf32>
// The search finds a set under which every row is exact; the first such
// candidate in order (a, b) = (3, 8) for @user.
// LAYER-LABEL: func @user
// LAYER: !bitmod.qweights<4x8, bitmod3, group = 8, scale_bits = 0, sv = [3, -3, 8, -8]>
// The paper's set is the default and is not printed.
// PAPER-LABEL: func @user
// PAPER: !bitmod.qweights<4x8, bitmod3, group = 8, scale_bits = 0>
func.func @user(%x: tensor<2x8xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense<[[4.0, -2.0, 1.0, 0.0, 2.0, -1.0, 0.0, 8.0],
                             [4.0, -2.0, 1.0, 0.0, 2.0, -1.0, 0.0, -8.0],
                             [4.0, -2.0, 1.0, 0.0, 2.0, -1.0, 0.0, 3.0],
                             [4.0, -2.0, 1.0, 0.0, 2.0, -1.0, 0.0, -3.0]]> : tensor<4x8xf32>
  %y = bitmod.linear %x, %w {name = "fc"} : tensor<2x8xf32>, tensor<4x8xf32> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// Per layer: fc5 wants {±3, ±5}, fc8 {±3, ±8}; per model one set for both.
// LAYER-LABEL: func @two_layers
// LAYER: {name = "fc5"} : !bitmod.qweights<2x8, bitmod3, group = 8, scale_bits = 0, sv = [3, -3, 5, -5]>
// LAYER: {name = "fc8"} : !bitmod.qweights<2x8, bitmod3, group = 8, scale_bits = 0, sv = [3, -3, 8, -8]>
// MODEL-LABEL: func @two_layers
// MODEL: {name = "fc5"} : !bitmod.qweights<2x8, bitmod3, group = 8, scale_bits = 0, sv = [[SV:.*]]>
// MODEL: {name = "fc8"} : !bitmod.qweights<2x8, bitmod3, group = 8, scale_bits = 0, sv = [[SV]]>
func.func @two_layers(%x: tensor<2x8xf32>) -> (tensor<2x2xf32>, tensor<2x2xf32>) {
  %w5 = arith.constant dense<[[4.0, -2.0, 1.0, 0.0, 2.0, -1.0, 0.0, 5.0],
                              [4.0, -2.0, 1.0, 0.0, 2.0, -1.0, 0.0, 3.0]]> : tensor<2x8xf32>
  %w8 = arith.constant dense<[[4.0, -2.0, 1.0, 0.0, 2.0, -1.0, 0.0, -8.0],
                              [4.0, -2.0, 1.0, 0.0, 2.0, -1.0, 0.0, -3.0]]> : tensor<2x8xf32>
  %y5 = bitmod.linear %x, %w5 {name = "fc5"} : tensor<2x8xf32>, tensor<2x8xf32> -> tensor<2x2xf32>
  %y8 = bitmod.linear %x, %w8 {name = "fc8"} : tensor<2x8xf32>, tensor<2x8xf32> -> tensor<2x2xf32>
  return %y5, %y8 : tensor<2x2xf32>, tensor<2x2xf32>
}
