// RUN: bitmod-opt --split-input-file --bitmod-onnx-to-tosa %s | FileCheck %s
//
// MatMul and Gemm: a constant weight (also through Transpose/Reshape/Cast
// chains, folded on the host) makes a bitmod.linear with the weight in
// [N, K] layout; activation x activation is a host tosa.matmul. Einsum.

module attributes {bitmod_onnx.opset = 17 : i64} {
// CHECK-LABEL: func.func @matmul_constant_weight(%arg0: tensor<2x3xf32>) -> tensor<2x2xf32>
// CHECK: %[[V0:.*]] = "tosa.const"() <{values = dense<{{\[\[}}1.000000e+00, 3.000000e+00, 5.000000e+00], [2.000000e+00, 4.000000e+00, 6.000000e+00]]> : tensor<2x3xf32>}> : () -> tensor<2x3xf32>
// CHECK-NEXT: %[[V1:.*]] = bitmod.linear %arg0, %[[V0]] {name = "fc"} : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x2xf32>
// CHECK-NEXT: return %[[V1]] : tensor<2x2xf32>
func.func @matmul_constant_weight(%x: tensor<2x3xf32>) -> tensor<2x2xf32> {
  %w = bitmod_onnx.constant {name = "w"} dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf32>
  %0 = bitmod_onnx.node "MatMul"(%x, %w) {name = "fc"} : (tensor<2x3xf32>, tensor<3x2xf32>) -> tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}
// The weight reaches the MatMul through Transpose and Cast: still constant.
// CHECK-LABEL: func.func @matmul_weight_chain(%arg0: tensor<2x3xf32>) -> tensor<2x2xf32>
// CHECK: %[[V0:.*]] = "tosa.const"() <{values = dense<{{\[\[}}1.000000e+00, 3.000000e+00, 5.000000e+00], [2.000000e+00, 4.000000e+00, 6.000000e+00]]> : tensor<2x3xf32>}> : () -> tensor<2x3xf32>
// CHECK-NEXT: %[[V1:.*]] = bitmod.linear %arg0, %[[V0]] {name = "fc"} : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x2xf32>
// CHECK-NEXT: return %[[V1]] : tensor<2x2xf32>
func.func @matmul_weight_chain(%x: tensor<2x3xf32>) -> tensor<2x2xf32> {
  %w = bitmod_onnx.constant dense<[[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]]> : tensor<2x3xf16>
  %0 = bitmod_onnx.node "Transpose"(%w) {attrs = {perm = array<i64: 1, 0>}} : (tensor<2x3xf16>) -> tensor<3x2xf16>
  %1 = bitmod_onnx.node "Cast"(%0) {attrs = {to = 1 : i64}} : (tensor<3x2xf16>) -> tensor<3x2xf32>
  %2 = bitmod_onnx.node "MatMul"(%x, %1) {name = "fc"} : (tensor<2x3xf32>, tensor<3x2xf32>) -> tensor<2x2xf32>
  return %2 : tensor<2x2xf32>
}
// CHECK-LABEL: func.func @matmul_activations(%arg0: tensor<2x2x3xf32>, %arg1: tensor<3x4xf32>) -> tensor<2x2x4xf32>
// CHECK: %[[V0:.*]] = tosa.const_shape  {values = dense<[1, 3, 4]> : tensor<3xindex>} : () -> !tosa.shape<3>
// CHECK-NEXT: %[[V1:.*]] = tosa.reshape %arg1, %[[V0]] : (tensor<3x4xf32>, !tosa.shape<3>) -> tensor<1x3x4xf32>
// CHECK-NEXT: %[[V2:.*]] = tosa.const_shape  {values = dense<[2, 1, 1]> : tensor<3xindex>} : () -> !tosa.shape<3>
// CHECK-NEXT: %[[V3:.*]] = tosa.tile %[[V1]], %[[V2]] : (tensor<1x3x4xf32>, !tosa.shape<3>) -> tensor<2x3x4xf32>
// CHECK-NEXT: %[[V4:.*]] = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1xf32>}> : () -> tensor<1xf32>
// CHECK-NEXT: %[[V5:.*]] = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1xf32>}> : () -> tensor<1xf32>
// CHECK-NEXT: %[[V6:.*]] = tosa.matmul %arg0, %[[V3]], %[[V4]], %[[V5]] : (tensor<2x2x3xf32>, tensor<2x3x4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x2x4xf32>
// CHECK-NEXT: return %[[V6]] : tensor<2x2x4xf32>
func.func @matmul_activations(%x: tensor<2x2x3xf32>, %y: tensor<3x4xf32>) -> tensor<2x2x4xf32> {
  %0 = bitmod_onnx.node "MatMul"(%x, %y) : (tensor<2x2x3xf32>, tensor<3x4xf32>) -> tensor<2x2x4xf32>
  return %0 : tensor<2x2x4xf32>
}
// CHECK-LABEL: func.func @gemm_trans_b(%arg0: tensor<4x3xf32>) -> tensor<4x2xf32>
// CHECK: %[[V0:.*]] = "tosa.const"() <{values = dense<{{\[\[}}1.000000e+00, 2.000000e+00, 3.000000e+00], [4.000000e+00, 5.000000e+00, 6.000000e+00]]> : tensor<2x3xf32>}> : () -> tensor<2x3xf32>
// CHECK-NEXT: %[[V1:.*]] = "tosa.const"() <{values = dense<[5.000000e-01, -5.000000e-01]> : tensor<2xf32>}> : () -> tensor<2xf32>
// CHECK-NEXT: %[[V2:.*]] = bitmod.linear %arg0, %[[V0]], bias %[[V1]] {name = "g"} : tensor<4x3xf32>, tensor<2x3xf32>, tensor<2xf32> -> tensor<4x2xf32>
// CHECK-NEXT: return %[[V2]] : tensor<4x2xf32>
func.func @gemm_trans_b(%x: tensor<4x3xf32>) -> tensor<4x2xf32> {
  %w = bitmod_onnx.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %c = bitmod_onnx.constant dense<[0.5, -0.5]> : tensor<2xf32>
  %0 = bitmod_onnx.node "Gemm"(%x, %w, %c) {name = "g", attrs = {transB = 1 : i64}} : (tensor<4x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}
// CHECK-LABEL: func.func @einsum(%arg0: tensor<2x3xf32>, %arg1: tensor<3x4xf32>) -> tensor<2x4xf32>
// CHECK: %[[V0:.*]] = tensor.empty() : tensor<2x4xf32>
// CHECK-NEXT: %[[V1:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[V2:.*]] = linalg.fill ins(%[[V1]] : f32) outs(%[[V0]] : tensor<2x4xf32>) -> tensor<2x4xf32>
// CHECK-NEXT: %[[V3:.*]] = linalg.generic {indexing_maps = [#map, #map1, #map2], iterator_types = ["parallel", "reduction", "parallel"]} ins(%arg0, %arg1 : tensor<2x3xf32>, tensor<3x4xf32>) outs(%[[V2]] : tensor<2x4xf32>) {
// CHECK-NEXT: ^bb0(%[[V4:.*]]: f32, %[[V5:.*]]: f32, %[[V6:.*]]: f32):
// CHECK-NEXT: %[[V7:.*]] = arith.mulf %[[V4]], %[[V5]] : f32
// CHECK-NEXT: %[[V8:.*]] = arith.addf %[[V6]], %[[V7]] : f32
// CHECK-NEXT: linalg.yield %[[V8]] : f32
// CHECK-NEXT: } -> tensor<2x4xf32>
// CHECK-NEXT: return %[[V3]] : tensor<2x4xf32>
func.func @einsum(%x: tensor<2x3xf32>, %y: tensor<3x4xf32>) -> tensor<2x4xf32> {
  %0 = bitmod_onnx.node "Einsum"(%x, %y) {attrs = {equation = "ij,jk->ik"}} : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}
}
