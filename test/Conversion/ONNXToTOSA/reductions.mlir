// RUN: bitmod-opt --split-input-file --bitmod-onnx-to-tosa %s | FileCheck %s
//
// Reductions, Softmax/LogSoftmax (2-D coercion before opset 13), ArgMax,
// Hardmax.

module attributes {bitmod_onnx.opset = 17 : i64} {
// CHECK-LABEL: func.func @softmax(%arg0: tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
// CHECK: %[[V0:.*]] = tosa.reduce_max %arg0 {axis = 2 : i32} : (tensor<2x3x4xf32>) -> tensor<2x3x1xf32>
// CHECK-NEXT: %[[V1:.*]] = tosa.sub %arg0, %[[V0]] : (tensor<2x3x4xf32>, tensor<2x3x1xf32>) -> tensor<2x3x4xf32>
// CHECK-NEXT: %[[V2:.*]] = tosa.exp %[[V1]] : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
// CHECK-NEXT: %[[V3:.*]] = tosa.reduce_sum %[[V2]] {axis = 2 : i32} : (tensor<2x3x4xf32>) -> tensor<2x3x1xf32>
// CHECK-NEXT: %[[V4:.*]] = tosa.const_shape  {values = dense<[1, 1, 4]> : tensor<3xindex>} : () -> !tosa.shape<3>
// CHECK-NEXT: %[[V5:.*]] = tosa.tile %[[V3]], %[[V4]] : (tensor<2x3x1xf32>, !tosa.shape<3>) -> tensor<2x3x4xf32>
// CHECK-NEXT: %[[V6:.*]] = arith.divf %[[V2]], %[[V5]] : tensor<2x3x4xf32>
// CHECK-NEXT: return %[[V6]] : tensor<2x3x4xf32>
func.func @softmax(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %0 = bitmod_onnx.node "Softmax"(%x) : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}
// CHECK-LABEL: func.func @log_softmax(%arg0: tensor<2x4xf32>) -> tensor<2x4xf32>
// CHECK: %[[V0:.*]] = tosa.reduce_max %arg0 {axis = 1 : i32} : (tensor<2x4xf32>) -> tensor<2x1xf32>
// CHECK-NEXT: %[[V1:.*]] = tosa.sub %arg0, %[[V0]] : (tensor<2x4xf32>, tensor<2x1xf32>) -> tensor<2x4xf32>
// CHECK-NEXT: %[[V2:.*]] = tosa.exp %[[V1]] : (tensor<2x4xf32>) -> tensor<2x4xf32>
// CHECK-NEXT: %[[V3:.*]] = tosa.reduce_sum %[[V2]] {axis = 1 : i32} : (tensor<2x4xf32>) -> tensor<2x1xf32>
// CHECK-NEXT: %[[V4:.*]] = tosa.log %[[V3]] : (tensor<2x1xf32>) -> tensor<2x1xf32>
// CHECK-NEXT: %[[V5:.*]] = tosa.sub %[[V1]], %[[V4]] : (tensor<2x4xf32>, tensor<2x1xf32>) -> tensor<2x4xf32>
// CHECK-NEXT: return %[[V5]] : tensor<2x4xf32>
func.func @log_softmax(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %0 = bitmod_onnx.node "LogSoftmax"(%x) {attrs = {axis = 1 : i64}} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}
// CHECK-LABEL: func.func @reduce_mean_keepdims(%arg0: tensor<2x3x4xf32>) -> tensor<2x1x4xf32>
// CHECK: %[[V0:.*]] = tosa.reduce_sum %arg0 {axis = 1 : i32} : (tensor<2x3x4xf32>) -> tensor<2x1x4xf32>
// CHECK-NEXT: %[[V1:.*]] = "tosa.const"() <{values = dense<3.000000e+00> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
// CHECK-NEXT: %[[V2:.*]] = "tosa.const"() <{values = dense<3.000000e+00> : tensor<2x1x4xf32>}> : () -> tensor<2x1x4xf32>
// CHECK-NEXT: %[[V3:.*]] = arith.divf %[[V0]], %[[V2]] : tensor<2x1x4xf32>
// CHECK-NEXT: return %[[V3]] : tensor<2x1x4xf32>
func.func @reduce_mean_keepdims(%x: tensor<2x3x4xf32>) -> tensor<2x1x4xf32> {
  %a = bitmod_onnx.constant dense<[1]> : tensor<1xi64>
  %0 = bitmod_onnx.node "ReduceMean"(%x, %a) : (tensor<2x3x4xf32>, tensor<1xi64>) -> tensor<2x1x4xf32>
  return %0 : tensor<2x1x4xf32>
}
// CHECK-LABEL: func.func @reduce_max_attr_axes(%arg0: tensor<2x3xf32>) -> tensor<2xf32>
// CHECK: %[[V0:.*]] = tosa.reduce_max %arg0 {axis = 1 : i32} : (tensor<2x3xf32>) -> tensor<2x1xf32>
// CHECK-NEXT: %[[V1:.*]] = tosa.const_shape  {values = dense<2> : tensor<1xindex>} : () -> !tosa.shape<1>
// CHECK-NEXT: %[[V2:.*]] = tosa.reshape %[[V0]], %[[V1]] : (tensor<2x1xf32>, !tosa.shape<1>) -> tensor<2xf32>
// CHECK-NEXT: return %[[V2]] : tensor<2xf32>
func.func @reduce_max_attr_axes(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  %0 = bitmod_onnx.node "ReduceMax"(%x) {attrs = {axes = array<i64: 1>, keepdims = 0 : i64}} : (tensor<2x3xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}
// CHECK-LABEL: func.func @reduce_sum_all(%arg0: tensor<2x3xf32>) -> tensor<1x1xf32>
// CHECK: %[[V0:.*]] = tosa.reduce_sum %arg0 {axis = 0 : i32} : (tensor<2x3xf32>) -> tensor<1x3xf32>
// CHECK-NEXT: %[[V1:.*]] = tosa.reduce_sum %[[V0]] {axis = 1 : i32} : (tensor<1x3xf32>) -> tensor<1x1xf32>
// CHECK-NEXT: return %[[V1]] : tensor<1x1xf32>
func.func @reduce_sum_all(%x: tensor<2x3xf32>) -> tensor<1x1xf32> {
  %0 = bitmod_onnx.node "ReduceSum"(%x) : (tensor<2x3xf32>) -> tensor<1x1xf32>
  return %0 : tensor<1x1xf32>
}
// CHECK-LABEL: func.func @argmax(%arg0: tensor<2x3xf32>) -> tensor<2x1xi64>
// CHECK: %[[V0:.*]] = tensor.empty() : tensor<2xf32>
// CHECK-NEXT: %[[V1:.*]] = arith.constant 0xFF800000 : f32
// CHECK-NEXT: %[[V2:.*]] = linalg.fill ins(%[[V1]] : f32) outs(%[[V0]] : tensor<2xf32>) -> tensor<2xf32>
// CHECK-NEXT: %[[V3:.*]] = tensor.empty() : tensor<2xi64>
// CHECK-NEXT: %[[V4:.*]] = arith.constant 0 : i64
// CHECK-NEXT: %[[V5:.*]] = linalg.fill ins(%[[V4]] : i64) outs(%[[V3]] : tensor<2xi64>) -> tensor<2xi64>
// CHECK-NEXT: %[[V6:.*]]:2 = linalg.generic {indexing_maps = [#map, #map1, #map1], iterator_types = ["parallel", "reduction"]} ins(%arg0 : tensor<2x3xf32>) outs(%[[V2]], %[[V5]] : tensor<2xf32>, tensor<2xi64>) {
// CHECK-NEXT: ^bb0(%[[V7:.*]]: f32, %[[V8:.*]]: f32, %[[V9:.*]]: i64):
// CHECK-NEXT: %[[V10:.*]] = arith.cmpf ogt, %[[V7]], %[[V8]] : f32
// CHECK-NEXT: %[[V11:.*]] = linalg.index 1 : index
// CHECK-NEXT: %[[V12:.*]] = arith.index_cast %[[V11]] : index to i64
// CHECK-NEXT: %[[V13:.*]] = arith.select %[[V10]], %[[V7]], %[[V8]] : f32
// CHECK-NEXT: %[[V14:.*]] = arith.select %[[V10]], %[[V12]], %[[V9]] : i64
// CHECK-NEXT: linalg.yield %[[V13]], %[[V14]] : f32, i64
// CHECK-NEXT: } -> (tensor<2xf32>, tensor<2xi64>)
// CHECK-NEXT: %[[V15:.*]] = tosa.const_shape  {values = dense<[2, 1]> : tensor<2xindex>} : () -> !tosa.shape<2>
// CHECK-NEXT: %[[V16:.*]] = tosa.reshape %[[V6]]#1, %[[V15]] : (tensor<2xi64>, !tosa.shape<2>) -> tensor<2x1xi64>
// CHECK-NEXT: return %[[V16]] : tensor<2x1xi64>
func.func @argmax(%x: tensor<2x3xf32>) -> tensor<2x1xi64> {
  %0 = bitmod_onnx.node "ArgMax"(%x) {attrs = {axis = 1 : i64}} : (tensor<2x3xf32>) -> tensor<2x1xi64>
  return %0 : tensor<2x1xi64>
}
// CHECK-LABEL: func.func @hardmax(%arg0: tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: %[[V0:.*]] = tensor.empty() : tensor<2xf32>
// CHECK-NEXT: %[[V1:.*]] = arith.constant 0xFF800000 : f32
// CHECK-NEXT: %[[V2:.*]] = linalg.fill ins(%[[V1]] : f32) outs(%[[V0]] : tensor<2xf32>) -> tensor<2xf32>
// CHECK-NEXT: %[[V3:.*]] = tensor.empty() : tensor<2xi64>
// CHECK-NEXT: %[[V4:.*]] = arith.constant 0 : i64
// CHECK-NEXT: %[[V5:.*]] = linalg.fill ins(%[[V4]] : i64) outs(%[[V3]] : tensor<2xi64>) -> tensor<2xi64>
// CHECK-NEXT: %[[V6:.*]]:2 = linalg.generic {indexing_maps = [#map, #map1, #map1], iterator_types = ["parallel", "reduction"]} ins(%arg0 : tensor<2x3xf32>) outs(%[[V2]], %[[V5]] : tensor<2xf32>, tensor<2xi64>) {
// CHECK-NEXT: ^bb0(%[[V7:.*]]: f32, %[[V8:.*]]: f32, %[[V9:.*]]: i64):
// CHECK-NEXT: %[[V10:.*]] = arith.cmpf ogt, %[[V7]], %[[V8]] : f32
// CHECK-NEXT: %[[V11:.*]] = linalg.index 1 : index
// CHECK-NEXT: %[[V12:.*]] = arith.index_cast %[[V11]] : index to i64
// CHECK-NEXT: %[[V13:.*]] = arith.select %[[V10]], %[[V7]], %[[V8]] : f32
// CHECK-NEXT: %[[V14:.*]] = arith.select %[[V10]], %[[V12]], %[[V9]] : i64
// CHECK-NEXT: linalg.yield %[[V13]], %[[V14]] : f32, i64
// CHECK-NEXT: } -> (tensor<2xf32>, tensor<2xi64>)
// CHECK-NEXT: %[[V15:.*]] = tensor.empty() : tensor<2x3xf32>
// CHECK-NEXT: %[[V16:.*]] = linalg.generic {indexing_maps = [#map1, #map], iterator_types = ["parallel", "parallel"]} ins(%[[V6]]#1 : tensor<2xi64>) outs(%[[V15]] : tensor<2x3xf32>) {
// CHECK-NEXT: ^bb0(%[[V7]]: i64, %[[V8]]: f32):
// CHECK-NEXT: %[[V10]] = linalg.index 1 : index
// CHECK-NEXT: %[[V11]] = arith.index_cast %[[V10]] : index to i64
// CHECK-NEXT: %[[V12]] = arith.cmpi eq, %[[V11]], %[[V7]] : i64
// CHECK-NEXT: %[[V18:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT: %[[V17:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[V13]] = arith.select %[[V12]], %[[V18]], %[[V17]] : f32
// CHECK-NEXT: linalg.yield %[[V13]] : f32
// CHECK-NEXT: } -> tensor<2x3xf32>
// CHECK-NEXT: return %[[V16]] : tensor<2x3xf32>
func.func @hardmax(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = bitmod_onnx.node "Hardmax"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}
}

// -----

// Softmax-1/11: coerced to 2-D at axis (default 1), reduced over axis 1.
module attributes {bitmod_onnx.opset = 11 : i64} {
// CHECK-LABEL: func.func @softmax_v1(%arg0: tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
// CHECK: %[[V0:.*]] = tosa.const_shape  {values = dense<[2, 12]> : tensor<2xindex>} : () -> !tosa.shape<2>
// CHECK-NEXT: %[[V1:.*]] = tosa.reshape %arg0, %[[V0]] : (tensor<2x3x4xf32>, !tosa.shape<2>) -> tensor<2x12xf32>
// CHECK-NEXT: %[[V2:.*]] = tosa.reduce_max %[[V1]] {axis = 1 : i32} : (tensor<2x12xf32>) -> tensor<2x1xf32>
// CHECK-NEXT: %[[V3:.*]] = tosa.sub %[[V1]], %[[V2]] : (tensor<2x12xf32>, tensor<2x1xf32>) -> tensor<2x12xf32>
// CHECK-NEXT: %[[V4:.*]] = tosa.exp %[[V3]] : (tensor<2x12xf32>) -> tensor<2x12xf32>
// CHECK-NEXT: %[[V5:.*]] = tosa.reduce_sum %[[V4]] {axis = 1 : i32} : (tensor<2x12xf32>) -> tensor<2x1xf32>
// CHECK-NEXT: %[[V6:.*]] = tosa.const_shape  {values = dense<[1, 12]> : tensor<2xindex>} : () -> !tosa.shape<2>
// CHECK-NEXT: %[[V7:.*]] = tosa.tile %[[V5]], %[[V6]] : (tensor<2x1xf32>, !tosa.shape<2>) -> tensor<2x12xf32>
// CHECK-NEXT: %[[V8:.*]] = arith.divf %[[V4]], %[[V7]] : tensor<2x12xf32>
// CHECK-NEXT: %[[V9:.*]] = tosa.const_shape  {values = dense<[2, 3, 4]> : tensor<3xindex>} : () -> !tosa.shape<3>
// CHECK-NEXT: %[[V10:.*]] = tosa.reshape %[[V8]], %[[V9]] : (tensor<2x12xf32>, !tosa.shape<3>) -> tensor<2x3x4xf32>
// CHECK-NEXT: return %[[V10]] : tensor<2x3x4xf32>
func.func @softmax_v1(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %0 = bitmod_onnx.node "Softmax"(%x) : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}
}

// -----

// f16 sums and means accumulate in f32 and round once: an f16 accumulator
// overflows at 65504 (a 7B model's RMSNorm sums 4096 squares of ~10) and
// loses the small terms long before.
module attributes {bitmod_onnx.opset = 17 : i64} {
// CHECK-LABEL: func.func @reduce_mean_f16(
// CHECK: %[[W:.*]] = tosa.cast %arg0 : (tensor<2x4096xf16>) -> tensor<2x4096xf32>
// CHECK-NEXT: %[[S:.*]] = tosa.reduce_sum %[[W]] {axis = 1 : i32} : (tensor<2x4096xf32>) -> tensor<2x1xf32>
// CHECK: %[[M:.*]] = arith.divf %[[S]], %{{.*}} : tensor<2x1xf32>
// CHECK-NEXT: %[[R:.*]] = tosa.cast %[[M]] : (tensor<2x1xf32>) -> tensor<2x1xf16>
// CHECK-NEXT: return %[[R]]
func.func @reduce_mean_f16(%x: tensor<2x4096xf16>) -> tensor<2x1xf16> {
  %a = bitmod_onnx.constant dense<[1]> : tensor<1xi64>
  %0 = bitmod_onnx.node "ReduceMean"(%x, %a) : (tensor<2x4096xf16>, tensor<1xi64>) -> tensor<2x1xf16>
  return %0 : tensor<2x1xf16>
}
// CHECK-LABEL: func.func @reduce_sum_f16(
// CHECK: %[[W:.*]] = tosa.cast %arg0 : (tensor<2x4096xf16>) -> tensor<2x4096xf32>
// CHECK-NEXT: %[[S:.*]] = tosa.reduce_sum %[[W]] {axis = 1 : i32} : (tensor<2x4096xf32>) -> tensor<2x1xf32>
// CHECK-NEXT: %[[R:.*]] = tosa.cast %[[S]] : (tensor<2x1xf32>) -> tensor<2x1xf16>
// CHECK-NEXT: return %[[R]]
func.func @reduce_sum_f16(%x: tensor<2x4096xf16>) -> tensor<2x1xf16> {
  %a = bitmod_onnx.constant dense<[1]> : tensor<1xi64>
  %0 = bitmod_onnx.node "ReduceSum"(%x, %a) : (tensor<2x4096xf16>, tensor<1xi64>) -> tensor<2x1xf16>
  return %0 : tensor<2x1xf16>
}
}
