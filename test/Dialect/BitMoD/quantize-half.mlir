// RUN: bitmod-opt %s --bitmod-quantize="dtype=bitmod3 group-size=8" | FileCheck %s
// RUN: bitmod-opt %s --bitmod-quantize="dtype=int4_asym group-size=4" | FileCheck %s --check-prefix=ASYM
// RUN: bitmod-opt %s --bitmod-quantize="dtype=bitmod3 group-size=8" --bitmod-lower-to-host | FileCheck %s --check-prefix=HOST

// f16 and bf16 weights quantize exactly like the same values in f32 (the
// values below are exact in all three types): identical packed weights.
// f16 activations stay f16 on the grouped matmul; bf16 activations are
// widened to f32 around it and the result rounded back.

// CHECK-LABEL: func @f32
// CHECK: bitmod.weights [[F32W:.*]] {name = "fc"} : !bitmod.qweights<3x8, bitmod3, group = 8>
// CHECK-LABEL: func @f16
// CHECK: bitmod.weights [[F32W]] {name = "fc"} : !bitmod.qweights<3x8, bitmod3, group = 8>
// CHECK-NEXT: bitmod.grouped_matmul %arg0, %{{.*}} {name = "fc"} : tensor<2x8xf16>, !bitmod.qweights<3x8, bitmod3, group = 8> -> tensor<2x3xf16>
// CHECK-LABEL: func @bf16
// CHECK: bitmod.weights [[F32W]] {name = "fc"} : !bitmod.qweights<3x8, bitmod3, group = 8>
// CHECK-NEXT: %[[X:.*]] = arith.extf %arg0 : tensor<2x8xbf16> to tensor<2x8xf32>
// CHECK-NEXT: %[[B:.*]] = arith.extf %arg1 : tensor<3xbf16> to tensor<3xf32>
// CHECK-NEXT: %[[Y:.*]] = bitmod.grouped_matmul %[[X]], %{{.*}}, bias %[[B]] {name = "fc"} : tensor<2x8xf32>, !bitmod.qweights<3x8, bitmod3, group = 8>, tensor<3xf32> -> tensor<2x3xf32>
// CHECK-NEXT: arith.truncf %[[Y]] : tensor<2x3xf32> to tensor<2x3xbf16>

// ASYM-LABEL: func @f32
// ASYM: bitmod.weights [[F32W:.*]] {name = "fc"}
// ASYM-LABEL: func @f16
// ASYM: bitmod.weights [[F32W]] {name = "fc"}
// ASYM-LABEL: func @bf16
// ASYM: bitmod.weights [[F32W]] {name = "fc"}

// The host fallback dequantizes in f32 and rounds once to the matmul's
// type: f16 (7.52952766 becomes 7.531250e+00), f32 for the widened bf16.
// HOST-LABEL: func @f32
// HOST: arith.constant dense<{{.*}}[7.52952766, {{.*}}> : tensor<3x8xf32>
// HOST-LABEL: func @f16
// HOST: arith.constant dense<{{.*}}[7.531250e+00, {{.*}}> : tensor<3x8xf16>
// HOST-LABEL: func @bf16
// HOST: arith.constant dense<{{.*}}[7.52952766, {{.*}}> : tensor<3x8xf32>

func.func @f32(%x: tensor<2x8xf32>) -> tensor<2x3xf32> {
  %w = arith.constant dense<[[0.375, -1.25, 0.0625, 2.5, -0.75, 0.125, 3.0, -0.5],
                             [7.5, 0.25, -0.375, 1.0, 0.0, -2.0, 0.5, 1.5],
                             [-0.03125, 0.015625, 0.0078125, -0.0625, 0.046875, 0.0, 0.09375, -0.125]]> : tensor<3x8xf32>
  %y = bitmod.linear %x, %w {name = "fc"} : tensor<2x8xf32>, tensor<3x8xf32> -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

func.func @f16(%x: tensor<2x8xf16>) -> tensor<2x3xf16> {
  %w = arith.constant dense<[[0.375, -1.25, 0.0625, 2.5, -0.75, 0.125, 3.0, -0.5],
                             [7.5, 0.25, -0.375, 1.0, 0.0, -2.0, 0.5, 1.5],
                             [-0.03125, 0.015625, 0.0078125, -0.0625, 0.046875, 0.0, 0.09375, -0.125]]> : tensor<3x8xf16>
  %y = bitmod.linear %x, %w {name = "fc"} : tensor<2x8xf16>, tensor<3x8xf16> -> tensor<2x3xf16>
  return %y : tensor<2x3xf16>
}

func.func @bf16(%x: tensor<2x8xbf16>, %b: tensor<3xbf16>) -> tensor<2x3xbf16> {
  %w = arith.constant dense<[[0.375, -1.25, 0.0625, 2.5, -0.75, 0.125, 3.0, -0.5],
                             [7.5, 0.25, -0.375, 1.0, 0.0, -2.0, 0.5, 1.5],
                             [-0.03125, 0.015625, 0.0078125, -0.0625, 0.046875, 0.0, 0.09375, -0.125]]> : tensor<3x8xbf16>
  %y = bitmod.linear %x, %w, bias %b {name = "fc"} : tensor<2x8xbf16>, tensor<3x8xbf16>, tensor<3xbf16> -> tensor<2x3xbf16>
  return %y : tensor<2x3xbf16>
}
