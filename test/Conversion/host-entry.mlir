// RUN: bitmod-opt %s --split-input-file --bitmod-host-entry --verify-diagnostics | FileCheck %s

// Inputs/results flattened to 1-D f32, ctx first, renamed, bitmod.io
// recorded in argument order with the ONNX names.
// CHECK-LABEL: func.func @bitmod_model_net(%arg0: !emitc.ptr<!emitc.opaque<"void">>, %arg1: tensor<24xf32> {onnx.name = "x"}, %arg2: tensor<1xf32>) -> (tensor<6xf32> {onnx.name = "y"})
// CHECK-SAME: bitmod.io = [{kind = "input", name = "x", shape = [2, 3, 4]}, {kind = "input", name = "in1", shape = []}, {kind = "output", name = "y", shape = [2, 3]}]
// CHECK: %[[X:.*]] = tensor.expand_shape %arg1 {{\[\[}}0, 1, 2]] output_shape [2, 3, 4] : tensor<24xf32> into tensor<2x3x4xf32>
// CHECK: %[[S:.*]] = tensor.collapse_shape %arg2 [] : tensor<1xf32> into tensor<f32>
// CHECK: tosa.reduce_sum %[[X]]
// CHECK: %[[F:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1]] : tensor<2x3xf32> into tensor<6xf32>
// CHECK: return %[[F]] : tensor<6xf32>
// Private functions are not entries.
// CHECK: func.func private @helper(%arg0: tensor<2x2xf32>)
func.func @net(%x: tensor<2x3x4xf32> {onnx.name = "x"}, %s: tensor<f32>) -> (tensor<2x3xf32> {onnx.name = "y"}) {
  %r = tosa.reduce_sum %x {axis = 2 : i32} : (tensor<2x3x4xf32>) -> tensor<2x3x1xf32>
  %e = tosa.const_shape {values = dense<[2, 3]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %y = tosa.reshape %r, %e : (tensor<2x3x1xf32>, !tosa.shape<2>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
func.func private @helper(%a: tensor<2x2xf32>) -> tensor<2x2xf32> {
  return %a : tensor<2x2xf32>
}

// -----

// expected-error @+1 {{host entry @half: input #0 ('x') has type 'tensor<4xf16>'; graph inputs and outputs must be statically shaped f32 tensors}}
func.func @half(%x: tensor<4xf16> {onnx.name = "x"}) -> tensor<4xf16> {
  return %x : tensor<4xf16>
}

// -----

// expected-error @+1 {{host entry @ids: output #0 ('out0') has type 'tensor<4xi64>'}}
func.func @ids(%x: tensor<4xf32>) -> tensor<4xi64> {
  %c = "tosa.const"() <{values = dense<1> : tensor<4xi64>}> : () -> tensor<4xi64>
  return %c : tensor<4xi64>
}

// -----

// expected-error @+1 {{host entry @dyn: input #0 ('in0') has type 'tensor<?x4xf32>'}}
func.func @dyn(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  return %x : tensor<?x4xf32>
}

// -----

func.func @callee(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
func.func private @user(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{host entry @bitmod_model_callee is referenced here; model entries cannot be called}}
  %y = func.call @callee(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}
