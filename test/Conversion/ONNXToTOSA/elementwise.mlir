// RUN: bitmod-opt --split-input-file --bitmod-onnx-to-tosa %s | FileCheck %s
//
// Elementwise ops: binary arithmetic (numpy broadcasting), comparisons,
// unary math, activations, Clip (attribute and input forms), Mod, BitShift.

module attributes {bitmod_onnx.opset = 17 : i64} {
// CHECK-LABEL: func.func @add_broadcast(%arg0: tensor<2x3xf32>, %arg1: tensor<3xf32>) -> tensor<2x3xf32>
// CHECK: %[[V0:.*]] = tosa.const_shape  {values = dense<[1, 3]> : tensor<2xindex>} : () -> !tosa.shape<2>
// CHECK-NEXT: %[[V1:.*]] = tosa.reshape %arg1, %[[V0]] : (tensor<3xf32>, !tosa.shape<2>) -> tensor<1x3xf32>
// CHECK-NEXT: %[[V2:.*]] = tosa.add %arg0, %[[V1]] : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT: return %[[V2]] : tensor<2x3xf32>
func.func @add_broadcast(%x: tensor<2x3xf32>, %y: tensor<3xf32>) -> tensor<2x3xf32> {
  %0 = bitmod_onnx.node "Add"(%x, %y) : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}
// CHECK-LABEL: func.func @mul(%arg0: tensor<2x3xf32>, %arg1: tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: %[[V0:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK-NEXT: %[[V1:.*]] = tosa.mul %arg0, %arg1, %[[V0]] : (tensor<2x3xf32>, tensor<2x3xf32>, tensor<1xi8>) -> tensor<2x3xf32>
// CHECK-NEXT: return %[[V1]] : tensor<2x3xf32>
func.func @mul(%x: tensor<2x3xf32>, %y: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = bitmod_onnx.node "Mul"(%x, %y) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}
// CHECK-LABEL: func.func @div(%arg0: tensor<2x3xf32>, %arg1: tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: %[[V0:.*]] = arith.divf %arg0, %arg1 : tensor<2x3xf32>
// CHECK-NEXT: return %[[V0]] : tensor<2x3xf32>
func.func @div(%x: tensor<2x3xf32>, %y: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = bitmod_onnx.node "Div"(%x, %y) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}
// CHECK-LABEL: func.func @div_int(%arg0: tensor<4xi64>, %arg1: tensor<4xi64>) -> tensor<4xi64>
// CHECK: %[[V0:.*]] = arith.divsi %arg0, %arg1 : tensor<4xi64>
// CHECK-NEXT: return %[[V0]] : tensor<4xi64>
func.func @div_int(%x: tensor<4xi64>, %y: tensor<4xi64>) -> tensor<4xi64> {
  %0 = bitmod_onnx.node "Div"(%x, %y) : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  return %0 : tensor<4xi64>
}
// Small constant operands fold on the host.
// CHECK-LABEL: func.func @sub_fold() -> tensor<2xi64>
// CHECK: %[[V0:.*]] = "tosa.const"() <{values = dense<[4, 6]> : tensor<2xi64>}> : () -> tensor<2xi64>
// CHECK-NEXT: return %[[V0]] : tensor<2xi64>
func.func @sub_fold() -> tensor<2xi64> {
  %a = bitmod_onnx.constant dense<[5, 7]> : tensor<2xi64>
  %b = bitmod_onnx.constant dense<1> : tensor<i64>
  %0 = bitmod_onnx.node "Sub"(%a, %b) : (tensor<2xi64>, tensor<i64>) -> tensor<2xi64>
  return %0 : tensor<2xi64>
}
// CHECK-LABEL: func.func @pow_square(%arg0: tensor<4xf32>) -> tensor<4xf32>
// CHECK: %[[V0:.*]] = "tosa.const"() <{values = dense<2.000000e+00> : tensor<f32>}> : () -> tensor<f32>
// CHECK-NEXT: %[[V1:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK-NEXT: %[[V2:.*]] = tosa.mul %arg0, %arg0, %[[V1]] : (tensor<4xf32>, tensor<4xf32>, tensor<1xi8>) -> tensor<4xf32>
// CHECK-NEXT: return %[[V2]] : tensor<4xf32>
func.func @pow_square(%x: tensor<4xf32>) -> tensor<4xf32> {
  %e = bitmod_onnx.constant dense<2.0> : tensor<f32>
  %0 = bitmod_onnx.node "Pow"(%x, %e) : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
// CHECK-LABEL: func.func @max_variadic(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>, %arg2: tensor<4xf32>) -> tensor<4xf32>
// CHECK: %[[V0:.*]] = tosa.maximum %arg0, %arg1 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
// CHECK-NEXT: %[[V1:.*]] = tosa.maximum %[[V0]], %arg2 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
// CHECK-NEXT: return %[[V1]] : tensor<4xf32>
func.func @max_variadic(%x: tensor<4xf32>, %y: tensor<4xf32>, %z: tensor<4xf32>) -> tensor<4xf32> {
  %0 = bitmod_onnx.node "Max"(%x, %y, %z) : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
// CHECK-LABEL: func.func @less(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>) -> tensor<4xi1>
// CHECK: %[[V0:.*]] = tosa.greater %arg1, %arg0 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
// CHECK-NEXT: return %[[V0]] : tensor<4xi1>
func.func @less(%x: tensor<4xf32>, %y: tensor<4xf32>) -> tensor<4xi1> {
  %0 = bitmod_onnx.node "Less"(%x, %y) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  return %0 : tensor<4xi1>
}
// CHECK-LABEL: func.func @not(%arg0: tensor<4xi1>) -> tensor<4xi1>
// CHECK: %[[V0:.*]] = tosa.logical_not %arg0 : (tensor<4xi1>) -> tensor<4xi1>
// CHECK-NEXT: return %[[V0]] : tensor<4xi1>
func.func @not(%x: tensor<4xi1>) -> tensor<4xi1> {
  %0 = bitmod_onnx.node "Not"(%x) : (tensor<4xi1>) -> tensor<4xi1>
  return %0 : tensor<4xi1>
}
// CHECK-LABEL: func.func @sqrt(%arg0: tensor<4xf32>) -> tensor<4xf32>
// CHECK: %[[V0:.*]] = math.sqrt %arg0 : tensor<4xf32>
// CHECK-NEXT: return %[[V0]] : tensor<4xf32>
func.func @sqrt(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = bitmod_onnx.node "Sqrt"(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
// CHECK-LABEL: func.func @sigmoid(%arg0: tensor<4xf32>) -> tensor<4xf32>
// CHECK: %[[V0:.*]] = tosa.sigmoid %arg0 : (tensor<4xf32>) -> tensor<4xf32>
// CHECK-NEXT: return %[[V0]] : tensor<4xf32>
func.func @sigmoid(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = bitmod_onnx.node "Sigmoid"(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
// CHECK-LABEL: func.func @relu(%arg0: tensor<4xf32>) -> tensor<4xf32>
// CHECK: %[[V0:.*]] = tosa.clamp %arg0 {max_val = 0x7F800000 : f32, min_val = 0.000000e+00 : f32} : (tensor<4xf32>) -> tensor<4xf32>
// CHECK-NEXT: return %[[V0]] : tensor<4xf32>
func.func @relu(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = bitmod_onnx.node "Relu"(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
// CHECK-LABEL: func.func @leaky_relu(%arg0: tensor<4xf32>) -> tensor<4xf32>
// CHECK: %[[V0:.*]] = "tosa.const"() <{values = dense<1.250000e-01> : tensor<1xf32>}> : () -> tensor<1xf32>
// CHECK-NEXT: %[[V1:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK-NEXT: %[[V2:.*]] = tosa.mul %arg0, %[[V0]], %[[V1]] : (tensor<4xf32>, tensor<1xf32>, tensor<1xi8>) -> tensor<4xf32>
// CHECK-NEXT: %[[V3:.*]] = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1xf32>}> : () -> tensor<1xf32>
// CHECK-NEXT: %[[V4:.*]] = tosa.greater %arg0, %[[V3]] : (tensor<4xf32>, tensor<1xf32>) -> tensor<4xi1>
// CHECK-NEXT: %[[V5:.*]] = tosa.select %[[V4]], %arg0, %[[V2]] : (tensor<4xi1>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
// CHECK-NEXT: return %[[V5]] : tensor<4xf32>
func.func @leaky_relu(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = bitmod_onnx.node "LeakyRelu"(%x) {attrs = {alpha = 0.125 : f32}} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
// CHECK-LABEL: func.func @gelu(%arg0: tensor<4xf32>) -> tensor<4xf32>
// CHECK: %[[V0:.*]] = "tosa.const"() <{values = dense<0.707106769> : tensor<1xf32>}> : () -> tensor<1xf32>
// CHECK-NEXT: %[[V1:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK-NEXT: %[[V2:.*]] = tosa.mul %arg0, %[[V0]], %[[V1]] : (tensor<4xf32>, tensor<1xf32>, tensor<1xi8>) -> tensor<4xf32>
// CHECK-NEXT: %[[V3:.*]] = tosa.erf %[[V2]] : (tensor<4xf32>) -> tensor<4xf32>
// CHECK-NEXT: %[[V4:.*]] = "tosa.const"() <{values = dense<1.000000e+00> : tensor<1xf32>}> : () -> tensor<1xf32>
// CHECK-NEXT: %[[V5:.*]] = tosa.add %[[V3]], %[[V4]] : (tensor<4xf32>, tensor<1xf32>) -> tensor<4xf32>
// CHECK-NEXT: %[[V6:.*]] = "tosa.const"() <{values = dense<5.000000e-01> : tensor<1xf32>}> : () -> tensor<1xf32>
// CHECK-NEXT: %[[V7:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK-NEXT: %[[V8:.*]] = tosa.mul %arg0, %[[V6]], %[[V7]] : (tensor<4xf32>, tensor<1xf32>, tensor<1xi8>) -> tensor<4xf32>
// CHECK-NEXT: %[[V9:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK-NEXT: %[[V10:.*]] = tosa.mul %[[V8]], %[[V5]], %[[V9]] : (tensor<4xf32>, tensor<4xf32>, tensor<1xi8>) -> tensor<4xf32>
// CHECK-NEXT: return %[[V10]] : tensor<4xf32>
func.func @gelu(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = bitmod_onnx.node "Gelu"(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
// CHECK-LABEL: func.func @clip(%arg0: tensor<4xf32>) -> tensor<4xf32>
// CHECK: %[[V0:.*]] = tosa.clamp %arg0 {max_val = 6.000000e+00 : f32, min_val = 0.000000e+00 : f32} : (tensor<4xf32>) -> tensor<4xf32>
// CHECK-NEXT: return %[[V0]] : tensor<4xf32>
func.func @clip(%x: tensor<4xf32>) -> tensor<4xf32> {
  %lo = bitmod_onnx.constant dense<0.0> : tensor<f32>
  %hi = bitmod_onnx.constant dense<6.0> : tensor<f32>
  %0 = bitmod_onnx.node "Clip"(%x, %lo, %hi) : (tensor<4xf32>, tensor<f32>, tensor<f32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
// CHECK-LABEL: func.func @clip_runtime_max(%arg0: tensor<4xf32>, %arg1: tensor<f32>) -> tensor<4xf32>
// CHECK: %[[V0:.*]] = tosa.clamp %arg0 {max_val = 0x7F800000 : f32, min_val = 0xFF800000 : f32} : (tensor<4xf32>) -> tensor<4xf32>
// CHECK-NEXT: %[[V1:.*]] = tosa.const_shape  {values = dense<1> : tensor<1xindex>} : () -> !tosa.shape<1>
// CHECK-NEXT: %[[V2:.*]] = tosa.reshape %arg1, %[[V1]] : (tensor<f32>, !tosa.shape<1>) -> tensor<1xf32>
// CHECK-NEXT: %[[V3:.*]] = tosa.minimum %[[V0]], %[[V2]] : (tensor<4xf32>, tensor<1xf32>) -> tensor<4xf32>
// CHECK-NEXT: return %[[V3]] : tensor<4xf32>
func.func @clip_runtime_max(%x: tensor<4xf32>, %hi: tensor<f32>) -> tensor<4xf32> {
  %none = bitmod_onnx.none
  %0 = bitmod_onnx.node "Clip"(%x, %none, %hi) : (tensor<4xf32>, none, tensor<f32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
// CHECK-LABEL: func.func @mod_fmod(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>) -> tensor<4xf32>
// CHECK: %[[V0:.*]] = arith.remf %arg0, %arg1 : tensor<4xf32>
// CHECK-NEXT: return %[[V0]] : tensor<4xf32>
func.func @mod_fmod(%x: tensor<4xf32>, %y: tensor<4xf32>) -> tensor<4xf32> {
  %0 = bitmod_onnx.node "Mod"(%x, %y) {attrs = {fmod = 1 : i64}} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
// CHECK-LABEL: func.func @softsign(%arg0: tensor<4xf32>) -> tensor<4xf32>
// CHECK: %[[V0:.*]] = tosa.abs %arg0 : (tensor<4xf32>) -> tensor<4xf32>
// CHECK-NEXT: %[[V1:.*]] = "tosa.const"() <{values = dense<1.000000e+00> : tensor<1xf32>}> : () -> tensor<1xf32>
// CHECK-NEXT: %[[V2:.*]] = tosa.add %[[V0]], %[[V1]] : (tensor<4xf32>, tensor<1xf32>) -> tensor<4xf32>
// CHECK-NEXT: %[[V3:.*]] = arith.divf %arg0, %[[V2]] : tensor<4xf32>
// CHECK-NEXT: return %[[V3]] : tensor<4xf32>
func.func @softsign(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = bitmod_onnx.node "Softsign"(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
// CHECK-LABEL: func.func @sign(%arg0: tensor<4xf32>) -> tensor<4xf32>
// CHECK: %[[V0:.*]] = "tosa.const"() <{values = dense<0.000000e+00> : tensor<4xf32>}> : () -> tensor<4xf32>
// CHECK-NEXT: %[[V1:.*]] = tosa.greater %arg0, %[[V0]] : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
// CHECK-NEXT: %[[V2:.*]] = tosa.greater %[[V0]], %arg0 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
// CHECK-NEXT: %[[V3:.*]] = "tosa.const"() <{values = dense<-1.000000e+00> : tensor<4xf32>}> : () -> tensor<4xf32>
// CHECK-NEXT: %[[V4:.*]] = tosa.select %[[V2]], %[[V3]], %arg0 : (tensor<4xi1>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
// CHECK-NEXT: %[[V5:.*]] = "tosa.const"() <{values = dense<1.000000e+00> : tensor<4xf32>}> : () -> tensor<4xf32>
// CHECK-NEXT: %[[V6:.*]] = tosa.select %[[V1]], %[[V5]], %[[V4]] : (tensor<4xi1>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
// CHECK-NEXT: return %[[V6]] : tensor<4xf32>
func.func @sign(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = bitmod_onnx.node "Sign"(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
}

// -----

// Clip-6: the bounds are attributes.
module attributes {bitmod_onnx.opset = 6 : i64} {
// CHECK-LABEL: func.func @clip_v6(%arg0: tensor<4xf32>) -> tensor<4xf32>
// CHECK: %[[V0:.*]] = tosa.clamp %arg0 {max_val = 1.000000e+00 : f32, min_val = -1.000000e+00 : f32} : (tensor<4xf32>) -> tensor<4xf32>
// CHECK-NEXT: return %[[V0]] : tensor<4xf32>
func.func @clip_v6(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = bitmod_onnx.node "Clip"(%x) {attrs = {min = -1.0 : f32, max = 1.0 : f32}} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
}
