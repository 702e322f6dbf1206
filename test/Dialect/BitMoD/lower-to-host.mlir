// RUN: bitmod-opt %s --bitmod-lower-to-host -split-input-file -verify-diagnostics | FileCheck %s

// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
// CHECK-DAG: #[[Y:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func @linear_bias
// CHECK: %[[INIT:.*]] = linalg.broadcast ins(%{{.*}} : tensor<4xf32>) outs(%{{.*}} : tensor<2x3x4xf32>) dimensions = [0, 1]
// CHECK: linalg.generic {indexing_maps = [#[[X]], #[[W]], #[[Y]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME: outs(%[[INIT]] : tensor<2x3x4xf32>)
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @linear_bias(%x: tensor<2x3x8xf32>, %w: tensor<4x8xf32>, %b: tensor<4xf32>) -> tensor<2x3x4xf32> {
  %y = bitmod.linear %x, %w, bias %b : tensor<2x3x8xf32>, tensor<4x8xf32>, tensor<4xf32> -> tensor<2x3x4xf32>
  return %y : tensor<2x3x4xf32>
}

// -----

// Dynamic token count: the output size comes from the input.
// CHECK-LABEL: func @dynamic
// CHECK: %[[D:.*]] = tensor.dim %{{.*}}, %c0 : tensor<?x8xf32>
// CHECK: tensor.empty(%[[D]]) : tensor<?x4xf32>
// CHECK: linalg.fill
func.func @dynamic(%x: tensor<?x8xf32>, %w: tensor<4x8xf32>) -> tensor<?x4xf32> {
  %y = bitmod.linear %x, %w : tensor<?x8xf32>, tensor<4x8xf32> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// INT8 codes 1 with group scale code 127 and channel scale 0.5 give 63.5.
// CHECK-LABEL: func @dequantize_constant
// CHECK: arith.constant dense<6.350000e+01> : tensor<4x8xf32>
func.func @dequantize_constant(%x: tensor<3x8xf32>) -> tensor<3x4xf32> {
  %w = bitmod.weights codes(dense<1> : tensor<32xui8>) scales(dense<127> : tensor<4x1xi8>) channel_scales(dense<0.5> : tensor<4xf32>) : !bitmod.qweights<4x8, int8, group = 8>
  %y = bitmod.grouped_matmul %x, %w : tensor<3x8xf32>, !bitmod.qweights<4x8, int8, group = 8> -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}

// -----

func.func @not_constant(%w: !bitmod.qweights<4x8, int8, group = 8>) -> tensor<4x8xf32> {
  // expected-error @+1 {{cannot lower bitmod.dequantize to the host: its weights are not a bitmod.weights constant}}
  %f = bitmod.dequantize %w : !bitmod.qweights<4x8, int8, group = 8> -> tensor<4x8xf32>
  return %f : tensor<4x8xf32>
}
