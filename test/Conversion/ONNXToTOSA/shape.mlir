// RUN: bitmod-opt --split-input-file --bitmod-onnx-to-tosa %s | FileCheck %s
//
// Constants, shapes and casts: Constant, Shape, Size, ConstantOfShape,
// Range, Cast, Identity, Dropout. Shape computations fold to constants.

module attributes {bitmod_onnx.opset = 17 : i64} {
// CHECK-LABEL: func.func @constant() -> tensor<2xf32>
// CHECK: %[[V0:.*]] = "tosa.const"() <{values = dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>}> : () -> tensor<2xf32>
// CHECK-NEXT: return %[[V0]] : tensor<2xf32>
func.func @constant() -> tensor<2xf32> {
  %0 = bitmod_onnx.node "Constant"() {attrs = {value = dense<[1.0, 2.0]> : tensor<2xf32>}} : () -> tensor<2xf32>
  return %0 : tensor<2xf32>
}
// CHECK-LABEL: func.func @constant_value_ints() -> tensor<3xi64>
// CHECK: %[[V0:.*]] = "tosa.const"() <{values = dense<[4, 5, 6]> : tensor<3xi64>}> : () -> tensor<3xi64>
// CHECK-NEXT: return %[[V0]] : tensor<3xi64>
func.func @constant_value_ints() -> tensor<3xi64> {
  %0 = bitmod_onnx.node "Constant"() {attrs = {value_ints = array<i64: 4, 5, 6>}} : () -> tensor<3xi64>
  return %0 : tensor<3xi64>
}
// CHECK-LABEL: func.func @shape(%arg0: tensor<2x3x4xf32>) -> tensor<2xi64>
// CHECK: %[[V0:.*]] = "tosa.const"() <{values = dense<[3, 4]> : tensor<2xi64>}> : () -> tensor<2xi64>
// CHECK-NEXT: return %[[V0]] : tensor<2xi64>
func.func @shape(%x: tensor<2x3x4xf32>) -> tensor<2xi64> {
  %0 = bitmod_onnx.node "Shape"(%x) {attrs = {start = 1 : i64}} : (tensor<2x3x4xf32>) -> tensor<2xi64>
  return %0 : tensor<2xi64>
}
// CHECK-LABEL: func.func @size(%arg0: tensor<2x3x4xf32>) -> tensor<i64>
// CHECK: %[[V0:.*]] = "tosa.const"() <{values = dense<24> : tensor<i64>}> : () -> tensor<i64>
// CHECK-NEXT: return %[[V0]] : tensor<i64>
func.func @size(%x: tensor<2x3x4xf32>) -> tensor<i64> {
  %0 = bitmod_onnx.node "Size"(%x) : (tensor<2x3x4xf32>) -> tensor<i64>
  return %0 : tensor<i64>
}
// CHECK-LABEL: func.func @constant_of_shape() -> tensor<2x3xi32>
// CHECK: %[[V0:.*]] = "tosa.const"() <{values = dense<7> : tensor<2x3xi32>}> : () -> tensor<2x3xi32>
// CHECK-NEXT: return %[[V0]] : tensor<2x3xi32>
func.func @constant_of_shape() -> tensor<2x3xi32> {
  %s = bitmod_onnx.constant dense<[2, 3]> : tensor<2xi64>
  %0 = bitmod_onnx.node "ConstantOfShape"(%s) {attrs = {value = dense<7> : tensor<1xi32>}} : (tensor<2xi64>) -> tensor<2x3xi32>
  return %0 : tensor<2x3xi32>
}
// CHECK-LABEL: func.func @range() -> tensor<4xi64>
// CHECK: %[[V0:.*]] = "tosa.const"() <{values = dense<[1, 3, 5, 7]> : tensor<4xi64>}> : () -> tensor<4xi64>
// CHECK-NEXT: return %[[V0]] : tensor<4xi64>
func.func @range() -> tensor<4xi64> {
  %a = bitmod_onnx.constant dense<1> : tensor<i64>
  %l = bitmod_onnx.constant dense<9> : tensor<i64>
  %d = bitmod_onnx.constant dense<2> : tensor<i64>
  %0 = bitmod_onnx.node "Range"(%a, %l, %d) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<4xi64>
  return %0 : tensor<4xi64>
}
// CHECK-LABEL: func.func @range_float() -> tensor<3xf32>
// CHECK: %[[V0:.*]] = "tosa.const"() <{values = dense<[5.000000e-01, 1.000000e+00, 1.500000e+00]> : tensor<3xf32>}> : () -> tensor<3xf32>
// CHECK-NEXT: return %[[V0]] : tensor<3xf32>
func.func @range_float() -> tensor<3xf32> {
  %a = bitmod_onnx.constant dense<0.5> : tensor<f32>
  %l = bitmod_onnx.constant dense<2.0> : tensor<f32>
  %d = bitmod_onnx.constant dense<0.5> : tensor<f32>
  %0 = bitmod_onnx.node "Range"(%a, %l, %d) : (tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}
// Shape -> Gather -> Unsqueeze -> Concat -> Reshape: all folded, one reshape.
// CHECK-LABEL: func.func @shape_chain(%arg0: tensor<2x3x4xf32>) -> tensor<2x12xf32>
// CHECK: %[[V0:.*]] = tosa.const_shape  {values = dense<[2, 12]> : tensor<2xindex>} : () -> !tosa.shape<2>
// CHECK-NEXT: %[[V1:.*]] = tosa.reshape %arg0, %[[V0]] : (tensor<2x3x4xf32>, !tosa.shape<2>) -> tensor<2x12xf32>
// CHECK-NEXT: return %[[V1]] : tensor<2x12xf32>
func.func @shape_chain(%x: tensor<2x3x4xf32>) -> tensor<2x12xf32> {
  %i = bitmod_onnx.constant dense<0> : tensor<i64>
  %ax = bitmod_onnx.constant dense<[0]> : tensor<1xi64>
  %m = bitmod_onnx.constant dense<[-1]> : tensor<1xi64>
  %0 = bitmod_onnx.node "Shape"(%x) : (tensor<2x3x4xf32>) -> tensor<3xi64>
  %1 = bitmod_onnx.node "Gather"(%0, %i) : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %2 = bitmod_onnx.node "Unsqueeze"(%1, %ax) : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %3 = bitmod_onnx.node "Concat"(%2, %m) {attrs = {axis = 0 : i64}} : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %4 = bitmod_onnx.node "Reshape"(%x, %3) : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<2x12xf32>
  return %4 : tensor<2x12xf32>
}
// CHECK-LABEL: func.func @cast(%arg0: tensor<4xf32>) -> tensor<4xi32>
// CHECK: %[[V0:.*]] = arith.fptosi %arg0 : tensor<4xf32> to tensor<4xi32>
// CHECK-NEXT: return %[[V0]] : tensor<4xi32>
func.func @cast(%x: tensor<4xf32>) -> tensor<4xi32> {
  %0 = bitmod_onnx.node "Cast"(%x) {attrs = {to = 6 : i64}} : (tensor<4xf32>) -> tensor<4xi32>
  return %0 : tensor<4xi32>
}
// CHECK-LABEL: func.func @cast_f16(%arg0: tensor<4xf32>) -> tensor<4xf16>
// CHECK: %[[V0:.*]] = tosa.cast %arg0 : (tensor<4xf32>) -> tensor<4xf16>
// CHECK-NEXT: return %[[V0]] : tensor<4xf16>
func.func @cast_f16(%x: tensor<4xf32>) -> tensor<4xf16> {
  %0 = bitmod_onnx.node "Cast"(%x) {attrs = {to = 10 : i64}} : (tensor<4xf32>) -> tensor<4xf16>
  return %0 : tensor<4xf16>
}
// CHECK-LABEL: func.func @identity_dropout(%arg0: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xi1>)
// CHECK: %[[V0:.*]] = "tosa.const"() <{values = dense<true> : tensor<4xi1>}> : () -> tensor<4xi1>
// CHECK-NEXT: return %arg0, %[[V0]] : tensor<4xf32>, tensor<4xi1>
func.func @identity_dropout(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xi1>) {
  %0 = bitmod_onnx.node "Identity"(%x) : (tensor<4xf32>) -> tensor<4xf32>
  %1:2 = bitmod_onnx.node "Dropout"(%0) : (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xi1>)
  return %1#0, %1#1 : tensor<4xf32>, tensor<4xi1>
}
}
