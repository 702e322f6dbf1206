// RUN: bitmod-opt %s --bitmod-concat-to-tensor | FileCheck %s
// RUN: bitmod-opt %s --bitmod-concat-to-tensor --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map unknown-type-conversion=identity-layout-map allow-unknown-ops" | FileCheck %s --check-prefix=BUF

// tosa.concat becomes one tensor.concat (not tosa-to-tensor's chain of
// tensor.insert_slice, whose one-shot-bufferize analysis is super-quadratic
// in its length), which bufferizes to one allocation and a copy per operand.
// CHECK-LABEL: func.func @static
// CHECK-NOT: tosa.concat
// CHECK: %[[C:.*]] = tensor.concat dim(3) %arg0, %arg1, %arg0 : (tensor<1x2x2x1xf32>, tensor<1x2x2x3xf32>, tensor<1x2x2x1xf32>) -> tensor<1x2x2x5xf32>
// CHECK: return %[[C]]
// BUF-LABEL: func.func @static
// BUF-NOT: tensor.
// BUF: %[[A:.*]] = memref.alloc() {{.*}} : memref<1x2x2x5xf32>
// BUF: %[[V0:.*]] = memref.subview %[[A]][0, 0, 0, 0] [1, 2, 2, 1]
// BUF: memref.copy %arg0, %[[V0]]
// BUF: %[[V1:.*]] = memref.subview %[[A]][0, 0, 0, 1] [1, 2, 2, 3]
// BUF: memref.copy %arg1, %[[V1]]
// BUF: %[[V2:.*]] = memref.subview %[[A]][0, 0, 0, 4] [1, 2, 2, 1]
// BUF: memref.copy %arg0, %[[V2]]
// BUF: return %[[A]]
func.func @static(%a: tensor<1x2x2x1xf32>, %b: tensor<1x2x2x3xf32>) -> tensor<1x2x2x5xf32> {
  %0 = tosa.concat %a, %b, %a {axis = 3 : i32} : (tensor<1x2x2x1xf32>, tensor<1x2x2x3xf32>, tensor<1x2x2x1xf32>) -> tensor<1x2x2x5xf32>
  return %0 : tensor<1x2x2x5xf32>
}

// A result type more static than the one tensor.concat infers: tensor.cast.
// CHECK-LABEL: func.func @dynamic
// CHECK: %[[C:.*]] = tensor.concat dim(0) %arg0, %arg1 : (tensor<?x4xi8>, tensor<2x4xi8>) -> tensor<?x4xi8>
// CHECK: %[[R:.*]] = tensor.cast %[[C]] : tensor<?x4xi8> to tensor<4x4xi8>
// CHECK: return %[[R]]
func.func @dynamic(%a: tensor<?x4xi8>, %b: tensor<2x4xi8>) -> tensor<4x4xi8> {
  %0 = tosa.concat %a, %b {axis = 0 : i32} : (tensor<?x4xi8>, tensor<2x4xi8>) -> tensor<4x4xi8>
  return %0 : tensor<4x4xi8>
}

// Unranked operands are left to tosa-to-tensor.
// CHECK-LABEL: func.func @unranked
// CHECK: tosa.concat
func.func @unranked(%a: tensor<*xf32>, %b: tensor<2x4xf32>) -> tensor<*xf32> {
  %0 = tosa.concat %a, %b {axis = 0 : i32} : (tensor<*xf32>, tensor<2x4xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}
