// RUN: bitmod-opt --split-input-file --bitmod-onnx-to-tosa %s | FileCheck %s
//
// ONNX unsigned integers (ui8..ui64 in the reader) become signless: ordering
// ops run on sign-flipped values, Div and Cast use the unsigned arith ops,
// sign-agnostic ops lower unchanged; arguments and results are marked
// onnx.unsigned.

module attributes {bitmod_onnx.opset = 17 : i64} {
// CHECK-LABEL: func.func @max_u8(%arg0: tensor<4xi8> {onnx.unsigned}, %arg1: tensor<4xi8> {onnx.unsigned}) -> (tensor<4xi8> {onnx.unsigned})
// CHECK: %[[V0:.*]] = "tosa.const"() <{values = dense<-128> : tensor<4xi8>}> : () -> tensor<4xi8>
// CHECK-NEXT: %[[V1:.*]] = tosa.bitwise_xor %arg0, %[[V0]] : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
// CHECK-NEXT: %[[V2:.*]] = "tosa.const"() <{values = dense<-128> : tensor<4xi8>}> : () -> tensor<4xi8>
// CHECK-NEXT: %[[V3:.*]] = tosa.bitwise_xor %arg1, %[[V2]] : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
// CHECK-NEXT: %[[V4:.*]] = tosa.maximum %[[V1]], %[[V3]] : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
// CHECK-NEXT: %[[V5:.*]] = "tosa.const"() <{values = dense<-128> : tensor<4xi8>}> : () -> tensor<4xi8>
// CHECK-NEXT: %[[V6:.*]] = tosa.bitwise_xor %[[V4]], %[[V5]] : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
// CHECK-NEXT: return %[[V6]] : tensor<4xi8>
func.func @max_u8(%x: tensor<4xui8>, %y: tensor<4xui8>) -> tensor<4xui8> {
  %0 = bitmod_onnx.node "Max"(%x, %y) : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  return %0 : tensor<4xui8>
}
// CHECK-LABEL: func.func @div_u16(%arg0: tensor<4xi16> {onnx.unsigned}, %arg1: tensor<4xi16> {onnx.unsigned}) -> (tensor<4xi16> {onnx.unsigned})
// CHECK: %[[V0:.*]] = arith.divui %arg0, %arg1 : tensor<4xi16>
// CHECK-NEXT: return %[[V0]] : tensor<4xi16>
func.func @div_u16(%x: tensor<4xui16>, %y: tensor<4xui16>) -> tensor<4xui16> {
  %0 = bitmod_onnx.node "Div"(%x, %y) : (tensor<4xui16>, tensor<4xui16>) -> tensor<4xui16>
  return %0 : tensor<4xui16>
}
// CHECK-LABEL: func.func @cast_u8_to_f32(%arg0: tensor<4xi8> {onnx.unsigned}) -> tensor<4xf32>
// CHECK: %[[V0:.*]] = arith.uitofp %arg0 : tensor<4xi8> to tensor<4xf32>
// CHECK-NEXT: return %[[V0]] : tensor<4xf32>
func.func @cast_u8_to_f32(%x: tensor<4xui8>) -> tensor<4xf32> {
  %0 = bitmod_onnx.node "Cast"(%x) {attrs = {to = 1 : i64}} : (tensor<4xui8>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
// CHECK-LABEL: func.func @add_u32(%arg0: tensor<4xi32> {onnx.unsigned}) -> (tensor<4xi32> {onnx.unsigned})
// CHECK: %[[V0:.*]] = "tosa.const"() <{values = dense<[1, 2, 3, 4]> : tensor<4xi32>}> : () -> tensor<4xi32>
// CHECK-NEXT: %[[V1:.*]] = tosa.add %arg0, %[[V0]] : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
// CHECK-NEXT: return %[[V1]] : tensor<4xi32>
func.func @add_u32(%x: tensor<4xui32>) -> tensor<4xui32> {
  %c = bitmod_onnx.constant dense<[1, 2, 3, 4]> : tensor<4xui32>
  %0 = bitmod_onnx.node "Add"(%x, %c) : (tensor<4xui32>, tensor<4xui32>) -> tensor<4xui32>
  return %0 : tensor<4xui32>
}
}
