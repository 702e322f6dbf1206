// RUN: bitmod-opt %s | FileCheck %s
// Round trip: print, parse the printed form again, and compare.
// RUN: bitmod-opt %s | bitmod-opt | FileCheck %s
// RUN: bitmod-opt %s --mlir-print-op-generic | bitmod-opt | FileCheck %s

// CHECK-LABEL: func @linear
// CHECK: bitmod.linear %{{.*}}, %{{.*}} {name = "fc"} : tensor<2x3x8xf32>, tensor<4x8xf32> -> tensor<2x3x4xf32>
func.func @linear(%x: tensor<2x3x8xf32>, %w: tensor<4x8xf32>) -> tensor<2x3x4xf32> {
  %y = bitmod.linear %x, %w {name = "fc"} : tensor<2x3x8xf32>, tensor<4x8xf32> -> tensor<2x3x4xf32>
  return %y : tensor<2x3x4xf32>
}

// CHECK-LABEL: func @linear_bias_dynamic
// CHECK: bitmod.linear %{{.*}}, %{{.*}}, bias %{{.*}} : tensor<?x8xf32>, tensor<4x8xf32>, tensor<4xf32> -> tensor<?x4xf32>
func.func @linear_bias_dynamic(%x: tensor<?x8xf32>, %w: tensor<4x8xf32>, %b: tensor<4xf32>) -> tensor<?x4xf32> {
  %y = bitmod.linear %x, %w, bias %b : tensor<?x8xf32>, tensor<4x8xf32>, tensor<4xf32> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// CHECK-LABEL: func @int8_weights
// CHECK: %[[W:.*]] = bitmod.weights codes(dense<1> : tensor<32xui8>) scales(dense<127> : tensor<4x1xi8>) channel_scales(dense<5.000000e-01> : tensor<4xf32>) : !bitmod.qweights<4x8, int8, group = 8>
// CHECK: bitmod.grouped_matmul %{{.*}}, %[[W]] : tensor<3x8xf32>, !bitmod.qweights<4x8, int8, group = 8> -> tensor<3x4xf32>
// CHECK: bitmod.dequantize %[[W]] : !bitmod.qweights<4x8, int8, group = 8> -> tensor<4x8xf32>
func.func @int8_weights(%x: tensor<3x8xf32>) -> (tensor<3x4xf32>, tensor<4x8xf32>) {
  %w = bitmod.weights codes(dense<1> : tensor<32xui8>) scales(dense<127> : tensor<4x1xi8>) channel_scales(dense<0.5> : tensor<4xf32>) : !bitmod.qweights<4x8, int8, group = 8>
  %y = bitmod.grouped_matmul %x, %w : tensor<3x8xf32>, !bitmod.qweights<4x8, int8, group = 8> -> tensor<3x4xf32>
  %f = bitmod.dequantize %w : !bitmod.qweights<4x8, int8, group = 8> -> tensor<4x8xf32>
  return %y, %f : tensor<3x4xf32>, tensor<4x8xf32>
}

// bitmod3 packs 8 codes of 3 bits into 3 bytes per group of 8 and one byte
// of 2-bit selectors per channel.
// CHECK-LABEL: func @bitmod3_weights
// CHECK: bitmod.weights {{.*}} selectors(dense<[0, 1, 2, 3]> : tensor<4xui8>) : !bitmod.qweights<4x8, bitmod3, group = 8>
// CHECK: bitmod.grouped_matmul %{{.*}}, %{{.*}}, bias %{{.*}} {name = "q"}
func.func @bitmod3_weights(%x: tensor<1x2x8xf32>, %b: tensor<4xf32>) -> tensor<1x2x4xf32> {
  %w = bitmod.weights codes(dense<0> : tensor<12xui8>) scales(dense<1> : tensor<4x1xi8>) channel_scales(dense<1.0> : tensor<4xf32>) selectors(dense<[0, 1, 2, 3]> : tensor<4xui8>) : !bitmod.qweights<4x8, bitmod3, group = 8>
  %y = bitmod.grouped_matmul %x, %w, bias %b {name = "q"} : tensor<1x2x8xf32>, !bitmod.qweights<4x8, bitmod3, group = 8>, tensor<4xf32> -> tensor<1x2x4xf32>
  return %y : tensor<1x2x4xf32>
}

// K = 12 is not a multiple of the group size: two groups, the last padded.
// CHECK-LABEL: func @asym_padded
// CHECK: zero_points(dense<8> : tensor<2x2xui8>) : !bitmod.qweights<2x12, int4_asym, group = 8>
func.func @asym_padded() -> !bitmod.qweights<2x12, int4_asym, group = 8> {
  %w = bitmod.weights codes(dense<0> : tensor<16xui8>) scales(dense<3> : tensor<2x2xi8>) channel_scales(dense<1.0> : tensor<2xf32>) zero_points(dense<8> : tensor<2x2xui8>) : !bitmod.qweights<2x12, int4_asym, group = 8>
  return %w : !bitmod.qweights<2x12, int4_asym, group = 8>
}

// Float group scales: no channel scales.
// CHECK-LABEL: func @float_scales
// CHECK: !bitmod.qweights<2x8, int8, group = 8, scale_bits = 0>
func.func @float_scales() -> !bitmod.qweights<2x8, int8, group = 8, scale_bits = 0> {
  %w = bitmod.weights codes(dense<0> : tensor<16xui8>) scales(dense<0.25> : tensor<2x1xf32>) : !bitmod.qweights<2x8, int8, group = 8, scale_bits = 0>
  return %w : !bitmod.qweights<2x8, int8, group = 8, scale_bits = 0>
}

// MX: shared exponents in `scales`, group 32, no channel scales.
// CHECK-LABEL: func @mx
// CHECK: scales(dense<-2> : tensor<2x2xi8>) : !bitmod.qweights<2x64, mxfp4, group = 32>
func.func @mx() -> !bitmod.qweights<2x64, mxfp4, group = 32> {
  %w = bitmod.weights codes(dense<0> : tensor<64xui8>) scales(dense<-2> : tensor<2x2xi8>) : !bitmod.qweights<2x64, mxfp4, group = 32>
  return %w : !bitmod.qweights<2x64, mxfp4, group = 32>
}

// Large payloads live in dense_resource blobs.
// CHECK-LABEL: func @resource
// CHECK: codes(dense_resource<blob_codes> : tensor<4xui8>)
func.func @resource() -> !bitmod.qweights<1x8, int4, group = 8> {
  %w = bitmod.weights codes(dense_resource<blob_codes> : tensor<4xui8>) scales(dense<1> : tensor<1x1xi8>) channel_scales(dense<1.0> : tensor<1xf32>) : !bitmod.qweights<1x8, int4, group = 8>
  return %w : !bitmod.qweights<1x8, int4, group = 8>
}

{-#
  dialect_resources: {
    builtin: {
      blob_codes: "0x0400000001234567"
    }
  }
#-}

// CHECK-LABEL: func @kv_matmul
// CHECK: bitmod.kv_matmul key %{{.*}}, %{{.*}} {group_size = 16 : i64} : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x8xf32>
// CHECK: bitmod.kv_matmul value %{{.*}}, %{{.*}} {group_size = 8 : i64, name = "pv"} : tensor<1x4x8x8xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
func.func @kv_matmul(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %s = bitmod.kv_matmul key %q, %k {group_size = 16} : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x8xf32>
  %o = bitmod.kv_matmul value %s, %v {group_size = 8, name = "pv"} : tensor<1x4x8x8xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}
