// RUN: bitmod-opt --split-input-file --bitmod-onnx-to-tosa %s | FileCheck %s
//
// Conv (NCHW -> NHWC tosa.conv2d, 1-D widened to 2-D, depthwise) and pooling.

module attributes {bitmod_onnx.opset = 17 : i64} {
// CHECK-LABEL: func.func @conv2d(%arg0: tensor<1x1x4x4xf32>) -> tensor<1x2x2x2xf32>
// CHECK: %[[V0:.*]] = "tosa.const"() <{values = dense<[5.000000e-01, -5.000000e-01]> : tensor<2xf32>}> : () -> tensor<2xf32>
// CHECK-NEXT: %[[V1:.*]] = tosa.transpose %arg0 {perms = array<i32: 0, 2, 3, 1>} : (tensor<1x1x4x4xf32>) -> tensor<1x4x4x1xf32>
// CHECK-NEXT: %[[V2:.*]] = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1xf32>}> : () -> tensor<1xf32>
// CHECK-NEXT: %[[V3:.*]] = "tosa.const"() <{values = dense<1.000000e+00> : tensor<2x3x3x1xf32>}> : () -> tensor<2x3x3x1xf32>
// CHECK-NEXT: %[[V4:.*]] = tosa.conv2d %[[V1]], %[[V3]], %[[V0]], %[[V2]], %[[V2]] {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x1xf32>, tensor<2x3x3x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
// CHECK-NEXT: %[[V5:.*]] = tosa.transpose %[[V4]] {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
// CHECK-NEXT: return %[[V5]] : tensor<1x2x2x2xf32>
func.func @conv2d(%x: tensor<1x1x4x4xf32>) -> tensor<1x2x2x2xf32> {
  %w = bitmod_onnx.constant dense<1.0> : tensor<2x1x3x3xf32>
  %b = bitmod_onnx.constant dense<[0.5, -0.5]> : tensor<2xf32>
  %0 = bitmod_onnx.node "Conv"(%x, %w, %b) {attrs = {kernel_shape = array<i64: 3, 3>}} : (tensor<1x1x4x4xf32>, tensor<2x1x3x3xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  return %0 : tensor<1x2x2x2xf32>
}
// CHECK-LABEL: func.func @conv1d_strided(%arg0: tensor<1x1x5xf32>) -> tensor<1x1x3xf32>
// CHECK: %[[V0:.*]] = tosa.const_shape  {values = dense<[1, 1, 1, 5]> : tensor<4xindex>} : () -> !tosa.shape<4>
// CHECK-NEXT: %[[V1:.*]] = tosa.reshape %arg0, %[[V0]] : (tensor<1x1x5xf32>, !tosa.shape<4>) -> tensor<1x1x1x5xf32>
// CHECK-NEXT: %[[V2:.*]] = tosa.transpose %[[V1]] {perms = array<i32: 0, 2, 3, 1>} : (tensor<1x1x1x5xf32>) -> tensor<1x1x5x1xf32>
// CHECK-NEXT: %[[V3:.*]] = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1xf32>}> : () -> tensor<1xf32>
// CHECK-NEXT: %[[V4:.*]] = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1xf32>}> : () -> tensor<1xf32>
// CHECK-NEXT: %[[V5:.*]] = "tosa.const"() <{values = dense<{{\[\[}}{{\[\[}}1.000000e+00], [2.000000e+00]]]]> : tensor<1x1x2x1xf32>}> : () -> tensor<1x1x2x1xf32>
// CHECK-NEXT: %[[V6:.*]] = tosa.conv2d %[[V2]], %[[V5]], %[[V3]], %[[V4]], %[[V4]] {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 1, 0>, stride = array<i64: 1, 2>} : (tensor<1x1x5x1xf32>, tensor<1x1x2x1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x3x1xf32>
// CHECK-NEXT: %[[V7:.*]] = tosa.transpose %[[V6]] {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x1x3x1xf32>) -> tensor<1x1x1x3xf32>
// CHECK-NEXT: %[[V8:.*]] = tosa.const_shape  {values = dense<[1, 1, 3]> : tensor<3xindex>} : () -> !tosa.shape<3>
// CHECK-NEXT: %[[V9:.*]] = tosa.reshape %[[V7]], %[[V8]] : (tensor<1x1x1x3xf32>, !tosa.shape<3>) -> tensor<1x1x3xf32>
// CHECK-NEXT: return %[[V9]] : tensor<1x1x3xf32>
func.func @conv1d_strided(%x: tensor<1x1x5xf32>) -> tensor<1x1x3xf32> {
  %w = bitmod_onnx.constant dense<[[[1.0, 2.0]]]> : tensor<1x1x2xf32>
  %none = bitmod_onnx.none
  %0 = bitmod_onnx.node "Conv"(%x, %w, %none) {attrs = {strides = array<i64: 2>, pads = array<i64: 1, 0>}} : (tensor<1x1x5xf32>, tensor<1x1x2xf32>, none) -> tensor<1x1x3xf32>
  return %0 : tensor<1x1x3xf32>
}
// CHECK-LABEL: func.func @max_pool(%arg0: tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xf32>
// CHECK: %[[V0:.*]] = tosa.transpose %arg0 {perms = array<i32: 0, 2, 3, 1>} : (tensor<1x1x4x4xf32>) -> tensor<1x4x4x1xf32>
// CHECK-NEXT: %[[V1:.*]] = tosa.max_pool2d %[[V0]] {kernel = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x4x4x1xf32>) -> tensor<1x2x2x1xf32>
// CHECK-NEXT: %[[V2:.*]] = tosa.transpose %[[V1]] {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x2x2x1xf32>) -> tensor<1x1x2x2xf32>
// CHECK-NEXT: return %[[V2]] : tensor<1x1x2x2xf32>
func.func @max_pool(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xf32> {
  %0 = bitmod_onnx.node "MaxPool"(%x) {attrs = {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>}} : (tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xf32>
  return %0 : tensor<1x1x2x2xf32>
}
// CHECK-LABEL: func.func @average_pool_same(%arg0: tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
// CHECK: %[[V0:.*]] = tosa.transpose %arg0 {perms = array<i32: 0, 2, 3, 1>} : (tensor<1x1x3x3xf32>) -> tensor<1x3x3x1xf32>
// CHECK-NEXT: %[[V1:.*]] = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1xf32>}> : () -> tensor<1xf32>
// CHECK-NEXT: %[[V2:.*]] = tosa.avg_pool2d %[[V0]], %[[V1]], %[[V1]] {acc_type = f32, kernel = array<i64: 3, 3>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x3x3x1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x3x3x1xf32>
// CHECK-NEXT: %[[V3:.*]] = tosa.transpose %[[V2]] {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x3x3x1xf32>) -> tensor<1x1x3x3xf32>
// CHECK-NEXT: return %[[V3]] : tensor<1x1x3x3xf32>
func.func @average_pool_same(%x: tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32> {
  %0 = bitmod_onnx.node "AveragePool"(%x) {attrs = {kernel_shape = array<i64: 3, 3>, auto_pad = "SAME_UPPER"}} : (tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
  return %0 : tensor<1x1x3x3xf32>
}
// CHECK-LABEL: func.func @global_average_pool(%arg0: tensor<1x2x3x3xf32>) -> tensor<1x2x1x1xf32>
// CHECK: %[[V0:.*]] = tosa.reduce_sum %arg0 {axis = 2 : i32} : (tensor<1x2x3x3xf32>) -> tensor<1x2x1x3xf32>
// CHECK-NEXT: %[[V1:.*]] = tosa.reduce_sum %[[V0]] {axis = 3 : i32} : (tensor<1x2x1x3xf32>) -> tensor<1x2x1x1xf32>
// CHECK-NEXT: %[[V2:.*]] = "tosa.const"() <{values = dense<9.000000e+00> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
// CHECK-NEXT: %[[V3:.*]] = "tosa.const"() <{values = dense<9.000000e+00> : tensor<1x2x1x1xf32>}> : () -> tensor<1x2x1x1xf32>
// CHECK-NEXT: %[[V4:.*]] = arith.divf %[[V1]], %[[V3]] : tensor<1x2x1x1xf32>
// CHECK-NEXT: return %[[V4]] : tensor<1x2x1x1xf32>
func.func @global_average_pool(%x: tensor<1x2x3x3xf32>) -> tensor<1x2x1x1xf32> {
  %0 = bitmod_onnx.node "GlobalAveragePool"(%x) : (tensor<1x2x3x3xf32>) -> tensor<1x2x1x1xf32>
  return %0 : tensor<1x2x1x1xf32>
}
}
