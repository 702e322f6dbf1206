// RUN: bitmod-opt --split-input-file --bitmod-onnx-to-tosa %s | FileCheck %s
//
// Layout and shape ops: Transpose, Reshape, Flatten, Squeeze, Unsqueeze,
// Concat, Split, Slice, Expand, Tile, Pad, DepthToSpace. Constant inputs are
// folded; activations become tosa/tensor ops.

module attributes {bitmod_onnx.opset = 17 : i64} {
// CHECK-LABEL: func.func @transpose(%arg0: tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
// CHECK: %[[V0:.*]] = tosa.transpose %arg0 {perms = array<i32: 2, 0, 1>} : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
// CHECK-NEXT: return %[[V0]] : tensor<4x2x3xf32>
func.func @transpose(%x: tensor<2x3x4xf32>) -> tensor<4x2x3xf32> {
  %0 = bitmod_onnx.node "Transpose"(%x) {attrs = {perm = array<i64: 2, 0, 1>}} : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
  return %0 : tensor<4x2x3xf32>
}
// CHECK-LABEL: func.func @reshape(%arg0: tensor<2x3x4xf32>) -> tensor<6x4xf32>
// CHECK: %[[V0:.*]] = tosa.const_shape  {values = dense<[6, 4]> : tensor<2xindex>} : () -> !tosa.shape<2>
// CHECK-NEXT: %[[V1:.*]] = tosa.reshape %arg0, %[[V0]] : (tensor<2x3x4xf32>, !tosa.shape<2>) -> tensor<6x4xf32>
// CHECK-NEXT: return %[[V1]] : tensor<6x4xf32>
func.func @reshape(%x: tensor<2x3x4xf32>) -> tensor<6x4xf32> {
  %s = bitmod_onnx.constant dense<[-1, 4]> : tensor<2xi64>
  %0 = bitmod_onnx.node "Reshape"(%x, %s) : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<6x4xf32>
  return %0 : tensor<6x4xf32>
}
// CHECK-LABEL: func.func @flatten(%arg0: tensor<2x3x4xf32>) -> tensor<2x12xf32>
// CHECK: %[[V0:.*]] = tosa.const_shape  {values = dense<[2, 12]> : tensor<2xindex>} : () -> !tosa.shape<2>
// CHECK-NEXT: %[[V1:.*]] = tosa.reshape %arg0, %[[V0]] : (tensor<2x3x4xf32>, !tosa.shape<2>) -> tensor<2x12xf32>
// CHECK-NEXT: return %[[V1]] : tensor<2x12xf32>
func.func @flatten(%x: tensor<2x3x4xf32>) -> tensor<2x12xf32> {
  %0 = bitmod_onnx.node "Flatten"(%x) {attrs = {axis = 1 : i64}} : (tensor<2x3x4xf32>) -> tensor<2x12xf32>
  return %0 : tensor<2x12xf32>
}
// CHECK-LABEL: func.func @squeeze(%arg0: tensor<2x1x4xf32>) -> tensor<2x4xf32>
// CHECK: %[[V0:.*]] = tosa.const_shape  {values = dense<[2, 4]> : tensor<2xindex>} : () -> !tosa.shape<2>
// CHECK-NEXT: %[[V1:.*]] = tosa.reshape %arg0, %[[V0]] : (tensor<2x1x4xf32>, !tosa.shape<2>) -> tensor<2x4xf32>
// CHECK-NEXT: return %[[V1]] : tensor<2x4xf32>
func.func @squeeze(%x: tensor<2x1x4xf32>) -> tensor<2x4xf32> {
  %a = bitmod_onnx.constant dense<[1]> : tensor<1xi64>
  %0 = bitmod_onnx.node "Squeeze"(%x, %a) : (tensor<2x1x4xf32>, tensor<1xi64>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}
// CHECK-LABEL: func.func @unsqueeze(%arg0: tensor<2x4xf32>) -> tensor<1x2x4x1xf32>
// CHECK: %[[V0:.*]] = tosa.const_shape  {values = dense<[1, 2, 4, 1]> : tensor<4xindex>} : () -> !tosa.shape<4>
// CHECK-NEXT: %[[V1:.*]] = tosa.reshape %arg0, %[[V0]] : (tensor<2x4xf32>, !tosa.shape<4>) -> tensor<1x2x4x1xf32>
// CHECK-NEXT: return %[[V1]] : tensor<1x2x4x1xf32>
func.func @unsqueeze(%x: tensor<2x4xf32>) -> tensor<1x2x4x1xf32> {
  %a = bitmod_onnx.constant dense<[0, -1]> : tensor<2xi64>
  %0 = bitmod_onnx.node "Unsqueeze"(%x, %a) : (tensor<2x4xf32>, tensor<2xi64>) -> tensor<1x2x4x1xf32>
  return %0 : tensor<1x2x4x1xf32>
}
// A constant input folds: the result is a constant.
// CHECK-LABEL: func.func @unsqueeze_const() -> tensor<1x3xi64>
// CHECK: %[[V0:.*]] = "tosa.const"() <{values = dense<{{\[\[}}1, 2, 3]]> : tensor<1x3xi64>}> : () -> tensor<1x3xi64>
// CHECK-NEXT: return %[[V0]] : tensor<1x3xi64>
func.func @unsqueeze_const() -> tensor<1x3xi64> {
  %c = bitmod_onnx.constant dense<[1, 2, 3]> : tensor<3xi64>
  %a = bitmod_onnx.constant dense<[0]> : tensor<1xi64>
  %0 = bitmod_onnx.node "Unsqueeze"(%c, %a) : (tensor<3xi64>, tensor<1xi64>) -> tensor<1x3xi64>
  return %0 : tensor<1x3xi64>
}
// CHECK-LABEL: func.func @concat(%arg0: tensor<2x3xf32>, %arg1: tensor<2x1xf32>) -> tensor<2x4xf32>
// CHECK: %[[V0:.*]] = tosa.concat %arg0, %arg1 {axis = 1 : i32} : (tensor<2x3xf32>, tensor<2x1xf32>) -> tensor<2x4xf32>
// CHECK-NEXT: return %[[V0]] : tensor<2x4xf32>
func.func @concat(%x: tensor<2x3xf32>, %y: tensor<2x1xf32>) -> tensor<2x4xf32> {
  %0 = bitmod_onnx.node "Concat"(%x, %y) {attrs = {axis = -1 : i64}} : (tensor<2x3xf32>, tensor<2x1xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}
// CHECK-LABEL: func.func @split(%arg0: tensor<2x6xf32>) -> (tensor<2x2xf32>, tensor<2x4xf32>)
// CHECK: %[[V1:.*]] = tosa.const_shape  {values = dense<0> : tensor<2xindex>} : () -> !tosa.shape<2>
// CHECK-NEXT: %[[V0:.*]] = tosa.const_shape  {values = dense<2> : tensor<2xindex>} : () -> !tosa.shape<2>
// CHECK-NEXT: %[[V2:.*]] = tosa.slice %arg0, %[[V1]], %[[V0]] : (tensor<2x6xf32>, !tosa.shape<2>, !tosa.shape<2>) -> tensor<2x2xf32>
// CHECK-NEXT: %[[V4:.*]] = tosa.const_shape  {values = dense<[0, 2]> : tensor<2xindex>} : () -> !tosa.shape<2>
// CHECK-NEXT: %[[V3:.*]] = tosa.const_shape  {values = dense<[2, 4]> : tensor<2xindex>} : () -> !tosa.shape<2>
// CHECK-NEXT: %[[V5:.*]] = tosa.slice %arg0, %[[V4]], %[[V3]] : (tensor<2x6xf32>, !tosa.shape<2>, !tosa.shape<2>) -> tensor<2x4xf32>
// CHECK-NEXT: return %[[V2]], %[[V5]] : tensor<2x2xf32>, tensor<2x4xf32>
func.func @split(%x: tensor<2x6xf32>) -> (tensor<2x2xf32>, tensor<2x4xf32>) {
  %s = bitmod_onnx.constant dense<[2, 4]> : tensor<2xi64>
  %0:2 = bitmod_onnx.node "Split"(%x, %s) {attrs = {axis = 1 : i64}} : (tensor<2x6xf32>, tensor<2xi64>) -> (tensor<2x2xf32>, tensor<2x4xf32>)
  return %0#0, %0#1 : tensor<2x2xf32>, tensor<2x4xf32>
}
// CHECK-LABEL: func.func @slice(%arg0: tensor<4x6xf32>) -> tensor<2x3xf32>
// CHECK: %[[V0:.*]] = tensor.extract_slice %arg0[1, 0] [2, 3] [1, 2] : tensor<4x6xf32> to tensor<2x3xf32>
// CHECK-NEXT: return %[[V0]] : tensor<2x3xf32>
func.func @slice(%x: tensor<4x6xf32>) -> tensor<2x3xf32> {
  %st = bitmod_onnx.constant dense<[1, 0]> : tensor<2xi64>
  %en = bitmod_onnx.constant dense<[3, 6]> : tensor<2xi64>
  %ax = bitmod_onnx.constant dense<[0, 1]> : tensor<2xi64>
  %sp = bitmod_onnx.constant dense<[1, 2]> : tensor<2xi64>
  %0 = bitmod_onnx.node "Slice"(%x, %st, %en, %ax, %sp) : (tensor<4x6xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}
// Negative step: reverse, then a unit-stride slice.
// CHECK-LABEL: func.func @slice_negative_step(%arg0: tensor<5xf32>) -> tensor<3xf32>
// CHECK: %[[V0:.*]] = tosa.reverse %arg0 {axis = 0 : i32} : (tensor<5xf32>) -> tensor<5xf32>
// CHECK-NEXT: %[[V2:.*]] = tosa.const_shape  {values = dense<0> : tensor<1xindex>} : () -> !tosa.shape<1>
// CHECK-NEXT: %[[V1:.*]] = tosa.const_shape  {values = dense<3> : tensor<1xindex>} : () -> !tosa.shape<1>
// CHECK-NEXT: %[[V3:.*]] = tosa.slice %[[V0]], %[[V2]], %[[V1]] : (tensor<5xf32>, !tosa.shape<1>, !tosa.shape<1>) -> tensor<3xf32>
// CHECK-NEXT: return %[[V3]] : tensor<3xf32>
func.func @slice_negative_step(%x: tensor<5xf32>) -> tensor<3xf32> {
  %st = bitmod_onnx.constant dense<[-1]> : tensor<1xi64>
  %en = bitmod_onnx.constant dense<[-4]> : tensor<1xi64>
  %none = bitmod_onnx.none
  %sp = bitmod_onnx.constant dense<[-1]> : tensor<1xi64>
  %0 = bitmod_onnx.node "Slice"(%x, %st, %en, %none, %sp) : (tensor<5xf32>, tensor<1xi64>, tensor<1xi64>, none, tensor<1xi64>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}
// CHECK-LABEL: func.func @expand(%arg0: tensor<3x1xf32>) -> tensor<2x3x4xf32>
// CHECK: %[[V0:.*]] = tosa.const_shape  {values = dense<[1, 3, 1]> : tensor<3xindex>} : () -> !tosa.shape<3>
// CHECK-NEXT: %[[V1:.*]] = tosa.reshape %arg0, %[[V0]] : (tensor<3x1xf32>, !tosa.shape<3>) -> tensor<1x3x1xf32>
// CHECK-NEXT: %[[V2:.*]] = tosa.const_shape  {values = dense<[2, 1, 4]> : tensor<3xindex>} : () -> !tosa.shape<3>
// CHECK-NEXT: %[[V3:.*]] = tosa.tile %[[V1]], %[[V2]] : (tensor<1x3x1xf32>, !tosa.shape<3>) -> tensor<2x3x4xf32>
// CHECK-NEXT: return %[[V3]] : tensor<2x3x4xf32>
func.func @expand(%x: tensor<3x1xf32>) -> tensor<2x3x4xf32> {
  %s = bitmod_onnx.constant dense<[2, 1, 4]> : tensor<3xi64>
  %0 = bitmod_onnx.node "Expand"(%x, %s) : (tensor<3x1xf32>, tensor<3xi64>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}
// CHECK-LABEL: func.func @tile(%arg0: tensor<2x3xf32>) -> tensor<4x3xf32>
// CHECK: %[[V0:.*]] = tosa.const_shape  {values = dense<[2, 1]> : tensor<2xindex>} : () -> !tosa.shape<2>
// CHECK-NEXT: %[[V1:.*]] = tosa.tile %arg0, %[[V0]] : (tensor<2x3xf32>, !tosa.shape<2>) -> tensor<4x3xf32>
// CHECK-NEXT: return %[[V1]] : tensor<4x3xf32>
func.func @tile(%x: tensor<2x3xf32>) -> tensor<4x3xf32> {
  %r = bitmod_onnx.constant dense<[2, 1]> : tensor<2xi64>
  %0 = bitmod_onnx.node "Tile"(%x, %r) : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}
// CHECK-LABEL: func.func @pad_constant(%arg0: tensor<2x3xf32>) -> tensor<3x5xf32>
// CHECK: %[[V0:.*]] = "tosa.const"() <{values = dense<2.500000e+00> : tensor<1xf32>}> : () -> tensor<1xf32>
// CHECK-NEXT: %[[V1:.*]] = tosa.const_shape  {values = dense<[1, 0, 1, 1]> : tensor<4xindex>} : () -> !tosa.shape<4>
// CHECK-NEXT: %[[V2:.*]] = tosa.pad %arg0, %[[V1]], %[[V0]] : (tensor<2x3xf32>, !tosa.shape<4>, tensor<1xf32>) -> tensor<3x5xf32>
// CHECK-NEXT: return %[[V2]] : tensor<3x5xf32>
func.func @pad_constant(%x: tensor<2x3xf32>) -> tensor<3x5xf32> {
  %p = bitmod_onnx.constant dense<[1, 1, 0, 1]> : tensor<4xi64>
  %v = bitmod_onnx.constant dense<2.5> : tensor<f32>
  %0 = bitmod_onnx.node "Pad"(%x, %p, %v) : (tensor<2x3xf32>, tensor<4xi64>, tensor<f32>) -> tensor<3x5xf32>
  return %0 : tensor<3x5xf32>
}
// CHECK-LABEL: func.func @depth_to_space(%arg0: tensor<1x4x2x2xf32>) -> tensor<1x1x4x4xf32>
// CHECK: %[[V0:.*]] = tosa.const_shape  {values = dense<[1, 2, 2, 1, 2, 2]> : tensor<6xindex>} : () -> !tosa.shape<6>
// CHECK-NEXT: %[[V1:.*]] = tosa.reshape %arg0, %[[V0]] : (tensor<1x4x2x2xf32>, !tosa.shape<6>) -> tensor<1x2x2x1x2x2xf32>
// CHECK-NEXT: %[[V2:.*]] = tosa.transpose %[[V1]] {perms = array<i32: 0, 3, 4, 1, 5, 2>} : (tensor<1x2x2x1x2x2xf32>) -> tensor<1x1x2x2x2x2xf32>
// CHECK-NEXT: %[[V3:.*]] = tosa.const_shape  {values = dense<[1, 1, 4, 4]> : tensor<4xindex>} : () -> !tosa.shape<4>
// CHECK-NEXT: %[[V4:.*]] = tosa.reshape %[[V2]], %[[V3]] : (tensor<1x1x2x2x2x2xf32>, !tosa.shape<4>) -> tensor<1x1x4x4xf32>
// CHECK-NEXT: return %[[V4]] : tensor<1x1x4x4xf32>
func.func @depth_to_space(%x: tensor<1x4x2x2xf32>) -> tensor<1x1x4x4xf32> {
  %0 = bitmod_onnx.node "DepthToSpace"(%x) {attrs = {blocksize = 2 : i64, mode = "DCR"}} : (tensor<1x4x2x2xf32>) -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}
}

// -----

// Opset 1..9 forms: Reshape-1 and Slice-1 take attributes.
module attributes {bitmod_onnx.opset = 4 : i64} {
// CHECK-LABEL: func.func @reshape_v1(%arg0: tensor<2x3xf32>) -> tensor<3x2xf32>
// CHECK: %[[V0:.*]] = tosa.const_shape  {values = dense<[3, 2]> : tensor<2xindex>} : () -> !tosa.shape<2>
// CHECK-NEXT: %[[V1:.*]] = tosa.reshape %arg0, %[[V0]] : (tensor<2x3xf32>, !tosa.shape<2>) -> tensor<3x2xf32>
// CHECK-NEXT: return %[[V1]] : tensor<3x2xf32>
func.func @reshape_v1(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  %0 = bitmod_onnx.node "Reshape"(%x) {attrs = {shape = array<i64: 3, 2>}} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}
// CHECK-LABEL: func.func @slice_v1(%arg0: tensor<4x6xf32>) -> tensor<2x6xf32>
// CHECK: %[[V1:.*]] = tosa.const_shape  {values = dense<[1, 0]> : tensor<2xindex>} : () -> !tosa.shape<2>
// CHECK-NEXT: %[[V0:.*]] = tosa.const_shape  {values = dense<[2, 6]> : tensor<2xindex>} : () -> !tosa.shape<2>
// CHECK-NEXT: %[[V2:.*]] = tosa.slice %arg0, %[[V1]], %[[V0]] : (tensor<4x6xf32>, !tosa.shape<2>, !tosa.shape<2>) -> tensor<2x6xf32>
// CHECK-NEXT: return %[[V2]] : tensor<2x6xf32>
func.func @slice_v1(%x: tensor<4x6xf32>) -> tensor<2x6xf32> {
  %0 = bitmod_onnx.node "Slice"(%x) {attrs = {starts = array<i64: 1>, ends = array<i64: 3>, axes = array<i64: 0>}} : (tensor<4x6xf32>) -> tensor<2x6xf32>
  return %0 : tensor<2x6xf32>
}
// CHECK-LABEL: func.func @pad_v2(%arg0: tensor<2xf32>) -> tensor<4xf32>
// CHECK: %[[V0:.*]] = "tosa.const"() <{values = dense<1.000000e+00> : tensor<1xf32>}> : () -> tensor<1xf32>
// CHECK-NEXT: %[[V1:.*]] = tosa.const_shape  {values = dense<1> : tensor<2xindex>} : () -> !tosa.shape<2>
// CHECK-NEXT: %[[V2:.*]] = tosa.pad %arg0, %[[V1]], %[[V0]] : (tensor<2xf32>, !tosa.shape<2>, tensor<1xf32>) -> tensor<4xf32>
// CHECK-NEXT: return %[[V2]] : tensor<4xf32>
func.func @pad_v2(%x: tensor<2xf32>) -> tensor<4xf32> {
  %0 = bitmod_onnx.node "Pad"(%x) {attrs = {pads = array<i64: 1, 1>, value = 1.0 : f32}} : (tensor<2xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
}
