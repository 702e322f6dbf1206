// RUN: bitmod-opt --split-input-file --verify-diagnostics --bitmod-onnx-to-tosa %s
//
// Refusals of --bitmod-onnx-to-tosa: the typed binder (wrong attribute kind,
// missing required operand), ops not defined at the model's opset, and
// attribute values or operand forms the lowering does not support. Each is
// reported at the node.

module attributes {bitmod_onnx.opset = 17 : i64} {
func.func @wrong_attribute_kind(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{Softmax node 'sm': attribute 'axis' must be an int, got 1.000000e+00 : f32}}
  %0 = bitmod_onnx.node "Softmax"(%x) {name = "sm", attrs = {axis = 1.0 : f32}} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}
}

// -----

module attributes {bitmod_onnx.opset = 17 : i64} {
func.func @wrong_ints_kind(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @+1 {{Transpose node 't': attribute 'perm' must be a list of ints (array<i64>), got "1,0"}}
  %0 = bitmod_onnx.node "Transpose"(%x) {name = "t", attrs = {perm = "1,0"}} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}
}

// -----

module attributes {bitmod_onnx.opset = 17 : i64} {
func.func @missing_operand(%x: tensor<5x3xf32>) -> tensor<3xf32> {
  %none = bitmod_onnx.none
  // expected-error @+1 {{Gather node 'g': missing required operand #1}}
  %0 = bitmod_onnx.node "Gather"(%x, %none) {name = "g"} : (tensor<5x3xf32>, none) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}
}

// -----

// LayerNormalization exists from opset 17 on.
module attributes {bitmod_onnx.opset = 13 : i64} {
func.func @op_not_in_opset(%x: tensor<2x4xf32>, %s: tensor<4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{unsupported ONNX operator LayerNormalization at opset 13}}
  %0 = bitmod_onnx.node "LayerNormalization"(%x, %s) : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}
}

// -----

module attributes {bitmod_onnx.opset = 17 : i64} {
func.func @pad_mode(%x: tensor<2x3xf32>) -> tensor<4x5xf32> {
  %p = bitmod_onnx.constant dense<1> : tensor<4xi64>
  // expected-error @+1 {{Pad: mode 'wrap' is not supported}}
  %0 = bitmod_onnx.node "Pad"(%x, %p) {attrs = {mode = "wrap"}} : (tensor<2x3xf32>, tensor<4xi64>) -> tensor<4x5xf32>
  return %0 : tensor<4x5xf32>
}
}

// -----

module attributes {bitmod_onnx.opset = 17 : i64} {
func.func @runtime_shape(%x: tensor<2x3xf32>, %s: tensor<2xi64>) -> tensor<3x2xf32> {
  // expected-error @+1 {{Reshape node 'Reshape->Reshape_out0': input '#1' (shape) must be a constant, but it depends on runtime values of graph input '#1'; bind it to fixed values with --bind-input #1=FILE.npy}}
  %0 = bitmod_onnx.node "Reshape"(%x, %s) : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}
}

// -----

module attributes {bitmod_onnx.opset = 17 : i64} {
func.func @dropout_training(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = bitmod_onnx.constant dense<0.5> : tensor<f32>
  %t = bitmod_onnx.constant dense<true> : tensor<i1>
  // expected-error @+1 {{Dropout: training mode (random masking) is not supported}}
  %0 = bitmod_onnx.node "Dropout"(%x, %r, %t) : (tensor<4xf32>, tensor<f32>, tensor<i1>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
}

// -----

module attributes {bitmod_onnx.opset = 17 : i64} {
func.func @unsigned_neg(%x: tensor<4xui8> {onnx.name = "x"}) -> tensor<4xui8> {
  // expected-error @+1 {{Neg: unsigned operand 'x' (uint8) is not supported by this op}}
  %0 = bitmod_onnx.node "Neg"(%x) : (tensor<4xui8>) -> tensor<4xui8>
  return %0 : tensor<4xui8>
}
}

// -----

module attributes {bitmod_onnx.opset = 17 : i64} {
func.func @resize_axes(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32> {
  %none = bitmod_onnx.none
  %s = bitmod_onnx.constant dense<[2.0, 2.0]> : tensor<2xf32>
  // expected-error @+1 {{Resize: the axes attribute is not supported}}
  %0 = bitmod_onnx.node "Resize"(%x, %none, %s) {attrs = {axes = array<i64: 2, 3>}} : (tensor<1x1x2x2xf32>, none, tensor<2xf32>) -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}
}

// -----

func.func @not_an_onnx_attribute(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'bitmod_onnx.node' op attribute 'alpha' is not an ONNX attribute}}
  %0 = bitmod_onnx.node "LeakyRelu"(%x) {attrs = {alpha = 1 : i32}} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

module {
func.func @missing_opset(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @-2 {{missing bitmod_onnx.opset}}
  %0 = bitmod_onnx.node "Relu"(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
}
