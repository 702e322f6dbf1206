// RUN: bitmod-opt %s --split-input-file --bitmod-host-entry --verify-diagnostics | FileCheck %s

// Inputs/results flattened to 1-D f32, ctx first, renamed, bitmod.io
// recorded in argument order with the ONNX names.
// CHECK-LABEL: func.func @bitmod_model_net(%arg0: !emitc.ptr<!emitc.opaque<"void">>, %arg1: tensor<24xf32> {onnx.name = "x"}, %arg2: tensor<1xf32>) -> (tensor<6xf32> {onnx.name = "y"})
// CHECK-SAME: bitmod.io = [{elem = "f32", kind = "input", name = "x", shape = [2, 3, 4]}, {elem = "f32", kind = "input", name = "in1", shape = []}, {elem = "f32", kind = "output", name = "y", shape = [2, 3]}]
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

// Non-f32 element types keep their type in the flat buffers and are named
// in bitmod.io: f16, f64, i1 (bool), i8, i16, i32, i64; a signless integer
// marked onnx.unsigned is u8..u64.
// CHECK-LABEL: func.func @bitmod_model_mixed(%arg0: !emitc.ptr<!emitc.opaque<"void">>, %arg1: tensor<4xf16>, %arg2: tensor<6xi64> {onnx.name = "ids"}, %arg3: tensor<1xf64>, %arg4: tensor<2xi8>, %arg5: tensor<2xi8> {onnx.unsigned}, %arg6: tensor<2xi16>, %arg7: tensor<2xi32>) -> (tensor<6xi1> {onnx.name = "mask"}, tensor<4xf16>)
// CHECK-SAME: bitmod.io = [{elem = "f16", kind = "input", name = "in0", shape = [4]}, {elem = "i64", kind = "input", name = "ids", shape = [2, 3]}, {elem = "f64", kind = "input", name = "in2", shape = []}, {elem = "i8", kind = "input", name = "in3", shape = [2]}, {elem = "u8", kind = "input", name = "in4", shape = [2]}, {elem = "i16", kind = "input", name = "in5", shape = [2]}, {elem = "i32", kind = "input", name = "in6", shape = [2]}, {elem = "bool", kind = "output", name = "mask", shape = [2, 3]}, {elem = "f16", kind = "output", name = "out1", shape = [4]}]
// CHECK: %[[IDS:.*]] = tensor.expand_shape %arg2 {{\[\[}}0, 1]] output_shape [2, 3] : tensor<6xi64> into tensor<2x3xi64>
// CHECK: %[[EQ:.*]] = tosa.equal %[[IDS]], %[[IDS]]
// CHECK: %[[M:.*]] = tensor.collapse_shape %[[EQ]] {{\[\[}}0, 1]] : tensor<2x3xi1> into tensor<6xi1>
// CHECK: return %[[M]], %arg1 : tensor<6xi1>, tensor<4xf16>
func.func @mixed(%h: tensor<4xf16>, %ids: tensor<2x3xi64> {onnx.name = "ids"}, %d: tensor<f64>, %a: tensor<2xi8>, %u: tensor<2xi8> {onnx.unsigned}, %s: tensor<2xi16>, %i: tensor<2xi32>) -> (tensor<2x3xi1> {onnx.name = "mask"}, tensor<4xf16>) {
  %m = tosa.equal %ids, %ids : (tensor<2x3xi64>, tensor<2x3xi64>) -> tensor<2x3xi1>
  return %m, %h : tensor<2x3xi1>, tensor<4xf16>
}

// -----

// expected-error @+1 {{host entry @half: input #0 ('x') has type 'tensor<4xbf16>'; graph inputs and outputs must be statically shaped tensors of f32, f16, f64, i1, i8, i16, i32 or i64 (signless; onnx.unsigned marks unsigned ones)}}
func.func @half(%x: tensor<4xbf16> {onnx.name = "x"}) -> tensor<4xbf16> {
  return %x : tensor<4xbf16>
}

// -----

// expected-error @+1 {{host entry @ids: output #0 ('out0') has type 'tensor<4xui32>'}}
func.func @ids(%x: tensor<4xf32>) -> tensor<4xui32> {
  %c = arith.constant dense<1> : tensor<4xui32>
  return %c : tensor<4xui32>
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

// -----

// Empty tensors travel as one-element buffers (C has no zero-length
// arrays): the body uses a tensor.empty for the input and returns one zero.
// CHECK-LABEL: func.func @bitmod_model_empty(%arg0: !emitc.ptr<!emitc.opaque<"void">>, %arg1: tensor<1xf32> {onnx.name = "x"}, %arg2: tensor<2xf32>) -> (tensor<1xf32>, tensor<2xf32>)
// CHECK-SAME: {elem = "f32", kind = "input", name = "x", shape = [0, 3]}
// CHECK-SAME: {elem = "f32", kind = "output", name = "out0", shape = [3, 0]}
// CHECK: %[[IN:.*]] = tensor.empty() : tensor<0x3xf32>
// CHECK: linalg.transpose ins(%[[IN]]
// CHECK: %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : tensor<1xf32>
// CHECK: return %[[ZERO]], %arg2
func.func @empty(%x: tensor<0x3xf32> {onnx.name = "x"}, %y: tensor<2xf32>) -> (tensor<3x0xf32>, tensor<2xf32>) {
  %0 = tensor.empty() : tensor<3x0xf32>
  %1 = linalg.transpose ins(%x : tensor<0x3xf32>) outs(%0 : tensor<3x0xf32>) permutation = [1, 0]
  return %1, %y : tensor<3x0xf32>, tensor<2xf32>
}
