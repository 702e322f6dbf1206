// RUN: bitmod-opt --split-input-file --bitmod-onnx-to-tosa %s | FileCheck %s
//
// Resize (nearest / linear) and ConvTranspose.

module attributes {bitmod_onnx.opset = 17 : i64} {
// CHECK-LABEL: func.func @resize_nearest_x2(%arg0: tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32>
// CHECK: %[[V0:.*]] = tosa.const_shape  {values = dense<[1, 1, 2, 1, 2, 1]> : tensor<6xindex>} : () -> !tosa.shape<6>
// CHECK-NEXT: %[[V1:.*]] = tosa.reshape %arg0, %[[V0]] : (tensor<1x1x2x2xf32>, !tosa.shape<6>) -> tensor<1x1x2x1x2x1xf32>
// CHECK-NEXT: %[[V2:.*]] = tosa.const_shape  {values = dense<[1, 1, 1, 2, 1, 2]> : tensor<6xindex>} : () -> !tosa.shape<6>
// CHECK-NEXT: %[[V3:.*]] = tosa.tile %[[V1]], %[[V2]] : (tensor<1x1x2x1x2x1xf32>, !tosa.shape<6>) -> tensor<1x1x2x2x2x2xf32>
// CHECK-NEXT: %[[V4:.*]] = tosa.const_shape  {values = dense<[1, 1, 4, 4]> : tensor<4xindex>} : () -> !tosa.shape<4>
// CHECK-NEXT: %[[V5:.*]] = tosa.reshape %[[V3]], %[[V4]] : (tensor<1x1x2x2x2x2xf32>, !tosa.shape<4>) -> tensor<1x1x4x4xf32>
// CHECK-NEXT: return %[[V5]] : tensor<1x1x4x4xf32>
func.func @resize_nearest_x2(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32> {
  %none = bitmod_onnx.none
  %s = bitmod_onnx.constant dense<[1.0, 1.0, 2.0, 2.0]> : tensor<4xf32>
  %0 = bitmod_onnx.node "Resize"(%x, %none, %s) {attrs = {mode = "nearest"}} : (tensor<1x1x2x2xf32>, none, tensor<4xf32>) -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}
// CHECK-LABEL: func.func @resize_linear(%arg0: tensor<1x1x1x2xf32>) -> tensor<1x1x1x4xf32>
// CHECK: %[[V0:.*]] = "tosa.const"() <{values = dense<[0, 0, 0, 1]> : tensor<4xi32>}> : () -> tensor<4xi32>
// CHECK-NEXT: %[[V1:.*]] = "tosa.const"() <{values = dense<1> : tensor<4xi32>}> : () -> tensor<4xi32>
// CHECK-NEXT: %[[V2:.*]] = "tosa.const"() <{values = dense<[1.000000e+00, 7.500000e-01, 2.500000e-01, 1.000000e+00]> : tensor<4xf32>}> : () -> tensor<4xf32>
// CHECK-NEXT: %[[V3:.*]] = "tosa.const"() <{values = dense<[0.000000e+00, 2.500000e-01, 7.500000e-01, 0.000000e+00]> : tensor<4xf32>}> : () -> tensor<4xf32>
// CHECK-NEXT: %[[V4:.*]] = tensor.empty() : tensor<1x1x1x4xf32>
// CHECK-NEXT: %[[V5:.*]] = linalg.generic {indexing_maps = [#map, #map, #map, #map, #map1], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[V0]], %[[V1]], %[[V2]], %[[V3]] : tensor<4xi32>, tensor<4xi32>, tensor<4xf32>, tensor<4xf32>) outs(%[[V4]] : tensor<1x1x1x4xf32>) {
// CHECK-NEXT: ^bb0(%[[V6:.*]]: i32, %[[V7:.*]]: i32, %[[V8:.*]]: f32, %[[V9:.*]]: f32, %[[V10:.*]]: f32):
// CHECK-NEXT: %[[V11:.*]] = linalg.index 0 : index
// CHECK-NEXT: %[[V12:.*]] = linalg.index 1 : index
// CHECK-NEXT: %[[V13:.*]] = linalg.index 2 : index
// CHECK-NEXT: %[[V14:.*]] = linalg.index 3 : index
// CHECK-NEXT: %[[V15:.*]] = arith.index_cast %[[V6]] : i32 to index
// CHECK-NEXT: %[[V16:.*]] = tensor.extract %arg0[%[[V11]], %[[V12]], %[[V13]], %[[V15]]] : tensor<1x1x1x2xf32>
// CHECK-NEXT: %[[V17:.*]] = arith.mulf %[[V16]], %[[V8]] : f32
// CHECK-NEXT: %[[V18:.*]] = arith.index_cast %[[V7]] : i32 to index
// CHECK-NEXT: %[[V19:.*]] = tensor.extract %arg0[%[[V11]], %[[V12]], %[[V13]], %[[V18]]] : tensor<1x1x1x2xf32>
// CHECK-NEXT: %[[V20:.*]] = arith.mulf %[[V19]], %[[V9]] : f32
// CHECK-NEXT: %[[V21:.*]] = arith.addf %[[V17]], %[[V20]] : f32
// CHECK-NEXT: linalg.yield %[[V21]] : f32
// CHECK-NEXT: } -> tensor<1x1x1x4xf32>
// CHECK-NEXT: return %[[V5]] : tensor<1x1x1x4xf32>
func.func @resize_linear(%x: tensor<1x1x1x2xf32>) -> tensor<1x1x1x4xf32> {
  %none = bitmod_onnx.none
  %sz = bitmod_onnx.constant dense<[1, 1, 1, 4]> : tensor<4xi64>
  %0 = bitmod_onnx.node "Resize"(%x, %none, %none, %sz) {attrs = {mode = "linear"}} : (tensor<1x1x1x2xf32>, none, none, tensor<4xi64>) -> tensor<1x1x1x4xf32>
  return %0 : tensor<1x1x1x4xf32>
}
// CHECK-LABEL: func.func @conv_transpose(%arg0: tensor<1x1x2x2xf32>) -> tensor<1x1x3x3xf32>
// CHECK: %[[V0:.*]] = tosa.transpose %arg0 {perms = array<i32: 0, 2, 3, 1>} : (tensor<1x1x2x2xf32>) -> tensor<1x2x2x1xf32>
// CHECK-NEXT: %[[V1:.*]] = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1xf32>}> : () -> tensor<1xf32>
// CHECK-NEXT: %[[V2:.*]] = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1xf32>}> : () -> tensor<1xf32>
// CHECK-NEXT: %[[V3:.*]] = "tosa.const"() <{values = dense<1.000000e+00> : tensor<1x2x2x1xf32>}> : () -> tensor<1x2x2x1xf32>
// CHECK-NEXT: %[[V4:.*]] = tosa.conv2d %[[V0]], %[[V3]], %[[V1]], %[[V2]], %[[V2]] {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x2x2x1xf32>, tensor<1x2x2x1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x3x3x1xf32>
// CHECK-NEXT: %[[V5:.*]] = tosa.transpose %[[V4]] {perms = array<i32: 0, 3, 1, 2>} : (tensor<1x3x3x1xf32>) -> tensor<1x1x3x3xf32>
// CHECK-NEXT: return %[[V5]] : tensor<1x1x3x3xf32>
func.func @conv_transpose(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x3x3xf32> {
  %w = bitmod_onnx.constant dense<1.0> : tensor<1x1x2x2xf32>
  %0 = bitmod_onnx.node "ConvTranspose"(%x, %w) : (tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>) -> tensor<1x1x3x3xf32>
  return %0 : tensor<1x1x3x3xf32>
}
}
