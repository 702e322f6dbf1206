// RUN: bitmod-opt %s --bitmod-quantize="dtype=int8 group-size=128" | FileCheck %s

// Default INT8 second-level scales: i8 group scales plus f32 channel scales;
// K = 200 gives two groups of 128, the second zero padded. The 96x200 weight
// is large enough for its codes to go into a dense_resource blob.

// CHECK-LABEL: func @int8
// CHECK: bitmod.weights codes(dense_resource<{{.*}}> : tensor<24576xui8>) scales(dense_resource<{{.*}}> : tensor<96x2xi8>) channel_scales(dense_resource<{{.*}}> : tensor<96xf32>) : !bitmod.qweights<96x200, int8, group = 128>
// CHECK: bitmod.grouped_matmul %{{.*}}, %{{.*}}, bias %{{.*}} : tensor<1x3x200xf32>, !bitmod.qweights<96x200, int8, group = 128>, tensor<96xf32> -> tensor<1x3x96xf32>
func.func @int8(%x: tensor<1x3x200xf32>, %b: tensor<96xf32>) -> tensor<1x3x96xf32> {
  %w = arith.constant dense<0.5> : tensor<96x200xf32>
  %y = bitmod.linear %x, %w, bias %b : tensor<1x3x200xf32>, tensor<96x200xf32>, tensor<96xf32> -> tensor<1x3x96xf32>
  return %y : tensor<1x3x96xf32>
}
