// RUN: bitmod-opt --split-input-file --bitmod-onnx-to-tosa %s | FileCheck %s
//
// LayerNormalization, InstanceNormalization, BatchNormalization (inference:
// folded into one scale and shift when the statistics are constant).

module attributes {bitmod_onnx.opset = 17 : i64} {
// CHECK-LABEL: func.func @layer_norm(%arg0: tensor<2x4xf32>) -> tensor<2x4xf32>
// CHECK: %[[V0:.*]] = "tosa.const"() <{values = dense<5.000000e-01> : tensor<4xf32>}> : () -> tensor<4xf32>
// CHECK-NEXT: %[[V1:.*]] = "tosa.const"() <{values = dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]> : tensor<4xf32>}> : () -> tensor<4xf32>
// CHECK-NEXT: %[[V2:.*]] = tosa.reduce_sum %arg0 {axis = 1 : i32} : (tensor<2x4xf32>) -> tensor<2x1xf32>
// CHECK-NEXT: %[[V3:.*]] = "tosa.const"() <{values = dense<4.000000e+00> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>
// CHECK-NEXT: %[[V4:.*]] = "tosa.const"() <{values = dense<4.000000e+00> : tensor<2x1xf32>}> : () -> tensor<2x1xf32>
// CHECK-NEXT: %[[V5:.*]] = arith.divf %[[V2]], %[[V4]] : tensor<2x1xf32>
// CHECK-NEXT: %[[V6:.*]] = tosa.sub %arg0, %[[V5]] : (tensor<2x4xf32>, tensor<2x1xf32>) -> tensor<2x4xf32>
// CHECK-NEXT: %[[V7:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK-NEXT: %[[V8:.*]] = tosa.mul %[[V6]], %[[V6]], %[[V7]] : (tensor<2x4xf32>, tensor<2x4xf32>, tensor<1xi8>) -> tensor<2x4xf32>
// CHECK-NEXT: %[[V9:.*]] = tosa.reduce_sum %[[V8]] {axis = 1 : i32} : (tensor<2x4xf32>) -> tensor<2x1xf32>
// CHECK-NEXT: %[[V10:.*]] = "tosa.const"() <{values = dense<4.000000e+00> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>
// CHECK-NEXT: %[[V11:.*]] = "tosa.const"() <{values = dense<4.000000e+00> : tensor<2x1xf32>}> : () -> tensor<2x1xf32>
// CHECK-NEXT: %[[V12:.*]] = arith.divf %[[V9]], %[[V11]] : tensor<2x1xf32>
// CHECK-NEXT: %[[V13:.*]] = "tosa.const"() <{values = dense<9.99999974E-6> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>
// CHECK-NEXT: %[[V14:.*]] = tosa.add %[[V12]], %[[V13]] : (tensor<2x1xf32>, tensor<1x1xf32>) -> tensor<2x1xf32>
// CHECK-NEXT: %[[V15:.*]] = tosa.rsqrt %[[V14]] : (tensor<2x1xf32>) -> tensor<2x1xf32>
// CHECK-NEXT: %[[V16:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK-NEXT: %[[V17:.*]] = tosa.mul %[[V6]], %[[V15]], %[[V16]] : (tensor<2x4xf32>, tensor<2x1xf32>, tensor<1xi8>) -> tensor<2x4xf32>
// CHECK-NEXT: %[[V18:.*]] = tosa.const_shape  {values = dense<[1, 4]> : tensor<2xindex>} : () -> !tosa.shape<2>
// CHECK-NEXT: %[[V19:.*]] = tosa.reshape %[[V1]], %[[V18]] : (tensor<4xf32>, !tosa.shape<2>) -> tensor<1x4xf32>
// CHECK-NEXT: %[[V20:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK-NEXT: %[[V21:.*]] = tosa.mul %[[V17]], %[[V19]], %[[V20]] : (tensor<2x4xf32>, tensor<1x4xf32>, tensor<1xi8>) -> tensor<2x4xf32>
// CHECK-NEXT: %[[V22:.*]] = tosa.const_shape  {values = dense<[1, 4]> : tensor<2xindex>} : () -> !tosa.shape<2>
// CHECK-NEXT: %[[V23:.*]] = tosa.reshape %[[V0]], %[[V22]] : (tensor<4xf32>, !tosa.shape<2>) -> tensor<1x4xf32>
// CHECK-NEXT: %[[V24:.*]] = tosa.add %[[V21]], %[[V23]] : (tensor<2x4xf32>, tensor<1x4xf32>) -> tensor<2x4xf32>
// CHECK-NEXT: return %[[V24]] : tensor<2x4xf32>
func.func @layer_norm(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %s = bitmod_onnx.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %b = bitmod_onnx.constant dense<0.5> : tensor<4xf32>
  %0 = bitmod_onnx.node "LayerNormalization"(%x, %s, %b) {attrs = {axis = -1 : i64, epsilon = 1.0e-05 : f32}} : (tensor<2x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}
// CHECK-LABEL: func.func @layer_norm_no_bias(%arg0: tensor<2x3x4xf32>, %arg1: tensor<3x4xf32>) -> tensor<2x3x4xf32>
// CHECK: %[[V0:.*]] = tosa.reduce_sum %arg0 {axis = 1 : i32} : (tensor<2x3x4xf32>) -> tensor<2x1x4xf32>
// CHECK-NEXT: %[[V1:.*]] = tosa.reduce_sum %[[V0]] {axis = 2 : i32} : (tensor<2x1x4xf32>) -> tensor<2x1x1xf32>
// CHECK-NEXT: %[[V2:.*]] = "tosa.const"() <{values = dense<1.200000e+01> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
// CHECK-NEXT: %[[V3:.*]] = "tosa.const"() <{values = dense<1.200000e+01> : tensor<2x1x1xf32>}> : () -> tensor<2x1x1xf32>
// CHECK-NEXT: %[[V4:.*]] = arith.divf %[[V1]], %[[V3]] : tensor<2x1x1xf32>
// CHECK-NEXT: %[[V5:.*]] = tosa.sub %arg0, %[[V4]] : (tensor<2x3x4xf32>, tensor<2x1x1xf32>) -> tensor<2x3x4xf32>
// CHECK-NEXT: %[[V6:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK-NEXT: %[[V7:.*]] = tosa.mul %[[V5]], %[[V5]], %[[V6]] : (tensor<2x3x4xf32>, tensor<2x3x4xf32>, tensor<1xi8>) -> tensor<2x3x4xf32>
// CHECK-NEXT: %[[V8:.*]] = tosa.reduce_sum %[[V7]] {axis = 1 : i32} : (tensor<2x3x4xf32>) -> tensor<2x1x4xf32>
// CHECK-NEXT: %[[V9:.*]] = tosa.reduce_sum %[[V8]] {axis = 2 : i32} : (tensor<2x1x4xf32>) -> tensor<2x1x1xf32>
// CHECK-NEXT: %[[V10:.*]] = "tosa.const"() <{values = dense<1.200000e+01> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
// CHECK-NEXT: %[[V11:.*]] = "tosa.const"() <{values = dense<1.200000e+01> : tensor<2x1x1xf32>}> : () -> tensor<2x1x1xf32>
// CHECK-NEXT: %[[V12:.*]] = arith.divf %[[V9]], %[[V11]] : tensor<2x1x1xf32>
// CHECK-NEXT: %[[V13:.*]] = "tosa.const"() <{values = dense<9.99999974E-6> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
// CHECK-NEXT: %[[V14:.*]] = tosa.add %[[V12]], %[[V13]] : (tensor<2x1x1xf32>, tensor<1x1x1xf32>) -> tensor<2x1x1xf32>
// CHECK-NEXT: %[[V15:.*]] = tosa.rsqrt %[[V14]] : (tensor<2x1x1xf32>) -> tensor<2x1x1xf32>
// CHECK-NEXT: %[[V16:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK-NEXT: %[[V17:.*]] = tosa.mul %[[V5]], %[[V15]], %[[V16]] : (tensor<2x3x4xf32>, tensor<2x1x1xf32>, tensor<1xi8>) -> tensor<2x3x4xf32>
// CHECK-NEXT: %[[V18:.*]] = tosa.const_shape  {values = dense<[1, 3, 4]> : tensor<3xindex>} : () -> !tosa.shape<3>
// CHECK-NEXT: %[[V19:.*]] = tosa.reshape %arg1, %[[V18]] : (tensor<3x4xf32>, !tosa.shape<3>) -> tensor<1x3x4xf32>
// CHECK-NEXT: %[[V20:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK-NEXT: %[[V21:.*]] = tosa.mul %[[V17]], %[[V19]], %[[V20]] : (tensor<2x3x4xf32>, tensor<1x3x4xf32>, tensor<1xi8>) -> tensor<2x3x4xf32>
// CHECK-NEXT: return %[[V21]] : tensor<2x3x4xf32>
func.func @layer_norm_no_bias(%x: tensor<2x3x4xf32>, %s: tensor<3x4xf32>) -> tensor<2x3x4xf32> {
  %0 = bitmod_onnx.node "LayerNormalization"(%x, %s) {attrs = {axis = 1 : i64}} : (tensor<2x3x4xf32>, tensor<3x4xf32>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}
// CHECK-LABEL: func.func @batch_norm(%arg0: tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
// CHECK: %[[V1:.*]] = "tosa.const"() <{values = dense<{{\[\[}}{{\[\[}}5.000000e-01]], {{\[\[}}2.000000e+00]]]]> : tensor<1x2x1x1xf32>}> : () -> tensor<1x2x1x1xf32>
// CHECK-NEXT: %[[V2:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK-NEXT: %[[V3:.*]] = tosa.mul %arg0, %[[V1]], %[[V2]] : (tensor<1x2x3x3xf32>, tensor<1x2x1x1xf32>, tensor<1xi8>) -> tensor<1x2x3x3xf32>
// CHECK-NEXT: %[[V0:.*]] = "tosa.const"() <{values = dense<{{\[\[}}{{\[\[}}-2.500000e-01]], {{\[\[}}2.000000e+00]]]]> : tensor<1x2x1x1xf32>}> : () -> tensor<1x2x1x1xf32>
// CHECK-NEXT: %[[V4:.*]] = tosa.add %[[V3]], %[[V0]] : (tensor<1x2x3x3xf32>, tensor<1x2x1x1xf32>) -> tensor<1x2x3x3xf32>
// CHECK-NEXT: return %[[V4]] : tensor<1x2x3x3xf32>
func.func @batch_norm(%x: tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32> {
  %s = bitmod_onnx.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %b = bitmod_onnx.constant dense<[0.0, 1.0]> : tensor<2xf32>
  %m = bitmod_onnx.constant dense<[0.5, -0.5]> : tensor<2xf32>
  %v = bitmod_onnx.constant dense<[4.0, 1.0]> : tensor<2xf32>
  %0 = bitmod_onnx.node "BatchNormalization"(%x, %s, %b, %m, %v) {attrs = {epsilon = 0.0 : f32}} : (tensor<1x2x3x3xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x3x3xf32>
  return %0 : tensor<1x2x3x3xf32>
}
// CHECK-LABEL: func.func @instance_norm(%arg0: tensor<1x2x4xf32>) -> tensor<1x2x4xf32>
// CHECK: %[[V0:.*]] = "tosa.const"() <{values = dense<[0.000000e+00, 1.000000e+00]> : tensor<2xf32>}> : () -> tensor<2xf32>
// CHECK-NEXT: %[[V1:.*]] = "tosa.const"() <{values = dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>}> : () -> tensor<2xf32>
// CHECK-NEXT: %[[V2:.*]] = tosa.reduce_sum %arg0 {axis = 2 : i32} : (tensor<1x2x4xf32>) -> tensor<1x2x1xf32>
// CHECK-NEXT: %[[V3:.*]] = "tosa.const"() <{values = dense<4.000000e+00> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
// CHECK-NEXT: %[[V4:.*]] = "tosa.const"() <{values = dense<4.000000e+00> : tensor<1x2x1xf32>}> : () -> tensor<1x2x1xf32>
// CHECK-NEXT: %[[V5:.*]] = arith.divf %[[V2]], %[[V4]] : tensor<1x2x1xf32>
// CHECK-NEXT: %[[V6:.*]] = tosa.sub %arg0, %[[V5]] : (tensor<1x2x4xf32>, tensor<1x2x1xf32>) -> tensor<1x2x4xf32>
// CHECK-NEXT: %[[V7:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK-NEXT: %[[V8:.*]] = tosa.mul %[[V6]], %[[V6]], %[[V7]] : (tensor<1x2x4xf32>, tensor<1x2x4xf32>, tensor<1xi8>) -> tensor<1x2x4xf32>
// CHECK-NEXT: %[[V9:.*]] = tosa.reduce_sum %[[V8]] {axis = 2 : i32} : (tensor<1x2x4xf32>) -> tensor<1x2x1xf32>
// CHECK-NEXT: %[[V10:.*]] = "tosa.const"() <{values = dense<4.000000e+00> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
// CHECK-NEXT: %[[V11:.*]] = "tosa.const"() <{values = dense<4.000000e+00> : tensor<1x2x1xf32>}> : () -> tensor<1x2x1xf32>
// CHECK-NEXT: %[[V12:.*]] = arith.divf %[[V9]], %[[V11]] : tensor<1x2x1xf32>
// CHECK-NEXT: %[[V13:.*]] = "tosa.const"() <{values = dense<9.99999974E-6> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
// CHECK-NEXT: %[[V14:.*]] = tosa.add %[[V12]], %[[V13]] : (tensor<1x2x1xf32>, tensor<1x1x1xf32>) -> tensor<1x2x1xf32>
// CHECK-NEXT: %[[V15:.*]] = tosa.rsqrt %[[V14]] : (tensor<1x2x1xf32>) -> tensor<1x2x1xf32>
// CHECK-NEXT: %[[V18:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK-NEXT: %[[V19:.*]] = tosa.mul %[[V6]], %[[V15]], %[[V18]] : (tensor<1x2x4xf32>, tensor<1x2x1xf32>, tensor<1xi8>) -> tensor<1x2x4xf32>
// CHECK-NEXT: %[[V16:.*]] = tosa.const_shape  {values = dense<[1, 2, 1]> : tensor<3xindex>} : () -> !tosa.shape<3>
// CHECK-NEXT: %[[V17:.*]] = tosa.reshape %[[V1]], %[[V16]] : (tensor<2xf32>, !tosa.shape<3>) -> tensor<1x2x1xf32>
// CHECK-NEXT: %[[V20:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK-NEXT: %[[V21:.*]] = tosa.mul %[[V19]], %[[V17]], %[[V20]] : (tensor<1x2x4xf32>, tensor<1x2x1xf32>, tensor<1xi8>) -> tensor<1x2x4xf32>
// CHECK-NEXT: %[[V22:.*]] = tosa.const_shape  {values = dense<[1, 2, 1]> : tensor<3xindex>} : () -> !tosa.shape<3>
// CHECK-NEXT: %[[V23:.*]] = tosa.reshape %[[V0]], %[[V22]] : (tensor<2xf32>, !tosa.shape<3>) -> tensor<1x2x1xf32>
// CHECK-NEXT: %[[V24:.*]] = tosa.add %[[V21]], %[[V23]] : (tensor<1x2x4xf32>, tensor<1x2x1xf32>) -> tensor<1x2x4xf32>
// CHECK-NEXT: return %[[V24]] : tensor<1x2x4xf32>
func.func @instance_norm(%x: tensor<1x2x4xf32>) -> tensor<1x2x4xf32> {
  %s = bitmod_onnx.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %b = bitmod_onnx.constant dense<[0.0, 1.0]> : tensor<2xf32>
  %0 = bitmod_onnx.node "InstanceNormalization"(%x, %s, %b) : (tensor<1x2x4xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4xf32>
  return %0 : tensor<1x2x4xf32>
}
}
