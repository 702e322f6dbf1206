// RUN: bitmod-opt --split-input-file --bitmod-onnx-to-tosa %s | FileCheck %s
//
// Indexing and selection: Gather, Where, Trilu, GatherElements, CumSum,
// TopK (K as attribute before opset 10, as input since).

module attributes {bitmod_onnx.opset = 17 : i64} {
// CHECK-LABEL: func.func @gather_constant_indices(%arg0: tensor<5x3xf32>) -> tensor<2x3xf32>
// CHECK: %[[V0:.*]] = tosa.const_shape  {values = dense<[1, 5, 3]> : tensor<3xindex>} : () -> !tosa.shape<3>
// CHECK-NEXT: %[[V1:.*]] = tosa.reshape %arg0, %[[V0]] : (tensor<5x3xf32>, !tosa.shape<3>) -> tensor<1x5x3xf32>
// CHECK-NEXT: %[[V2:.*]] = "tosa.const"() <{values = dense<{{\[\[}}4, 0]]> : tensor<1x2xi32>}> : () -> tensor<1x2xi32>
// CHECK-NEXT: %[[V3:.*]] = tosa.gather %[[V1]], %[[V2]] : (tensor<1x5x3xf32>, tensor<1x2xi32>) -> tensor<1x2x3xf32>
// CHECK-NEXT: %[[V4:.*]] = tosa.const_shape  {values = dense<[2, 3]> : tensor<2xindex>} : () -> !tosa.shape<2>
// CHECK-NEXT: %[[V5:.*]] = tosa.reshape %[[V3]], %[[V4]] : (tensor<1x2x3xf32>, !tosa.shape<2>) -> tensor<2x3xf32>
// CHECK-NEXT: return %[[V5]] : tensor<2x3xf32>
func.func @gather_constant_indices(%x: tensor<5x3xf32>) -> tensor<2x3xf32> {
  %i = bitmod_onnx.constant dense<[4, -5]> : tensor<2xi64>
  %0 = bitmod_onnx.node "Gather"(%x, %i) {attrs = {axis = 0 : i64}} : (tensor<5x3xf32>, tensor<2xi64>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}
// CHECK-LABEL: func.func @gather_runtime_indices(%arg0: tensor<5x3xf32>, %arg1: tensor<2xi64>) -> tensor<5x2xf32>
// CHECK: %[[V0:.*]] = tosa.const_shape  {values = dense<[5, 3, 1]> : tensor<3xindex>} : () -> !tosa.shape<3>
// CHECK-NEXT: %[[V1:.*]] = tosa.reshape %arg0, %[[V0]] : (tensor<5x3xf32>, !tosa.shape<3>) -> tensor<5x3x1xf32>
// CHECK-NEXT: %[[V2:.*]] = tosa.cast %arg1 : (tensor<2xi64>) -> tensor<2xi32>
// CHECK-NEXT: %[[V3:.*]] = tosa.const_shape  {values = dense<[1, 2]> : tensor<2xindex>} : () -> !tosa.shape<2>
// CHECK-NEXT: %[[V4:.*]] = tosa.reshape %[[V2]], %[[V3]] : (tensor<2xi32>, !tosa.shape<2>) -> tensor<1x2xi32>
// CHECK-NEXT: %[[V5:.*]] = "tosa.const"() <{values = dense<0> : tensor<1x1xi32>}> : () -> tensor<1x1xi32>
// CHECK-NEXT: %[[V6:.*]] = tosa.greater %[[V5]], %[[V4]] : (tensor<1x1xi32>, tensor<1x2xi32>) -> tensor<1x2xi1>
// CHECK-NEXT: %[[V7:.*]] = "tosa.const"() <{values = dense<3> : tensor<1x1xi32>}> : () -> tensor<1x1xi32>
// CHECK-NEXT: %[[V8:.*]] = tosa.add %[[V4]], %[[V7]] : (tensor<1x2xi32>, tensor<1x1xi32>) -> tensor<1x2xi32>
// CHECK-NEXT: %[[V9:.*]] = tosa.select %[[V6]], %[[V8]], %[[V4]] : (tensor<1x2xi1>, tensor<1x2xi32>, tensor<1x2xi32>) -> tensor<1x2xi32>
// CHECK-NEXT: %[[V10:.*]] = tosa.const_shape  {values = dense<[5, 1]> : tensor<2xindex>} : () -> !tosa.shape<2>
// CHECK-NEXT: %[[V11:.*]] = tosa.tile %[[V9]], %[[V10]] : (tensor<1x2xi32>, !tosa.shape<2>) -> tensor<5x2xi32>
// CHECK-NEXT: %[[V12:.*]] = tosa.gather %[[V1]], %[[V11]] : (tensor<5x3x1xf32>, tensor<5x2xi32>) -> tensor<5x2x1xf32>
// CHECK-NEXT: %[[V13:.*]] = tosa.const_shape  {values = dense<[5, 2]> : tensor<2xindex>} : () -> !tosa.shape<2>
// CHECK-NEXT: %[[V14:.*]] = tosa.reshape %[[V12]], %[[V13]] : (tensor<5x2x1xf32>, !tosa.shape<2>) -> tensor<5x2xf32>
// CHECK-NEXT: return %[[V14]] : tensor<5x2xf32>
func.func @gather_runtime_indices(%x: tensor<5x3xf32>, %i: tensor<2xi64>) -> tensor<5x2xf32> {
  %0 = bitmod_onnx.node "Gather"(%x, %i) {attrs = {axis = 1 : i64}} : (tensor<5x3xf32>, tensor<2xi64>) -> tensor<5x2xf32>
  return %0 : tensor<5x2xf32>
}
// CHECK-LABEL: func.func @gather_scalar_index(%arg0: tensor<5x3xf32>) -> tensor<3xf32>
// CHECK: %[[V0:.*]] = tosa.const_shape  {values = dense<[1, 5, 3]> : tensor<3xindex>} : () -> !tosa.shape<3>
// CHECK-NEXT: %[[V1:.*]] = tosa.reshape %arg0, %[[V0]] : (tensor<5x3xf32>, !tosa.shape<3>) -> tensor<1x5x3xf32>
// CHECK-NEXT: %[[V2:.*]] = "tosa.const"() <{values = dense<2> : tensor<1x1xi32>}> : () -> tensor<1x1xi32>
// CHECK-NEXT: %[[V3:.*]] = tosa.gather %[[V1]], %[[V2]] : (tensor<1x5x3xf32>, tensor<1x1xi32>) -> tensor<1x1x3xf32>
// CHECK-NEXT: %[[V4:.*]] = tosa.const_shape  {values = dense<3> : tensor<1xindex>} : () -> !tosa.shape<1>
// CHECK-NEXT: %[[V5:.*]] = tosa.reshape %[[V3]], %[[V4]] : (tensor<1x1x3xf32>, !tosa.shape<1>) -> tensor<3xf32>
// CHECK-NEXT: return %[[V5]] : tensor<3xf32>
func.func @gather_scalar_index(%x: tensor<5x3xf32>) -> tensor<3xf32> {
  %i = bitmod_onnx.constant dense<2> : tensor<i64>
  %0 = bitmod_onnx.node "Gather"(%x, %i) : (tensor<5x3xf32>, tensor<i64>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}
// CHECK-LABEL: func.func @where(%arg0: tensor<2x3xi1>, %arg1: tensor<2x3xf32>, %arg2: tensor<3xf32>) -> tensor<2x3xf32>
// CHECK: %[[V0:.*]] = tosa.const_shape  {values = dense<[1, 3]> : tensor<2xindex>} : () -> !tosa.shape<2>
// CHECK-NEXT: %[[V1:.*]] = tosa.reshape %arg2, %[[V0]] : (tensor<3xf32>, !tosa.shape<2>) -> tensor<1x3xf32>
// CHECK-NEXT: %[[V2:.*]] = tosa.select %arg0, %arg1, %[[V1]] : (tensor<2x3xi1>, tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT: return %[[V2]] : tensor<2x3xf32>
func.func @where(%c: tensor<2x3xi1>, %x: tensor<2x3xf32>, %y: tensor<3xf32>) -> tensor<2x3xf32> {
  %0 = bitmod_onnx.node "Where"(%c, %x, %y) : (tensor<2x3xi1>, tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}
// CHECK-LABEL: func.func @trilu_lower(%arg0: tensor<3x3xf32>) -> tensor<3x3xf32>
// CHECK: %[[V0:.*]] = tensor.empty() : tensor<3x3xf32>
// CHECK-NEXT: %[[V1:.*]] = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]} ins(%arg0 : tensor<3x3xf32>) outs(%[[V0]] : tensor<3x3xf32>) {
// CHECK-NEXT: ^bb0(%[[V2:.*]]: f32, %[[V3:.*]]: f32):
// CHECK-NEXT: %[[V4:.*]] = linalg.index 0 : index
// CHECK-NEXT: %[[V5:.*]] = linalg.index 1 : index
// CHECK-NEXT: %[[V6:.*]] = arith.subi %[[V5]], %[[V4]] : index
// CHECK-NEXT: %[[V7:.*]] = arith.constant 0 : index
// CHECK-NEXT: %[[V8:.*]] = arith.cmpi sle, %[[V6]], %[[V7]] : index
// CHECK-NEXT: %[[V9:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[V10:.*]] = arith.select %[[V8]], %[[V2]], %[[V9]] : f32
// CHECK-NEXT: linalg.yield %[[V10]] : f32
// CHECK-NEXT: } -> tensor<3x3xf32>
// CHECK-NEXT: return %[[V1]] : tensor<3x3xf32>
func.func @trilu_lower(%x: tensor<3x3xf32>) -> tensor<3x3xf32> {
  %0 = bitmod_onnx.node "Trilu"(%x) {attrs = {upper = 0 : i64}} : (tensor<3x3xf32>) -> tensor<3x3xf32>
  return %0 : tensor<3x3xf32>
}
// CHECK-LABEL: func.func @gather_elements(%arg0: tensor<3x3xf32>, %arg1: tensor<2x3xi64>) -> tensor<2x3xf32>
// CHECK: %[[V0:.*]] = tensor.empty() : tensor<2x3xf32>
// CHECK-NEXT: %[[V1:.*]] = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]} ins(%arg1 : tensor<2x3xi64>) outs(%[[V0]] : tensor<2x3xf32>) {
// CHECK-NEXT: ^bb0(%[[V2:.*]]: i64, %[[V3:.*]]: f32):
// CHECK-NEXT: %[[V4:.*]] = linalg.index 0 : index
// CHECK-NEXT: %[[V5:.*]] = linalg.index 1 : index
// CHECK-NEXT: %[[V6:.*]] = arith.index_cast %[[V2]] : i64 to index
// CHECK-NEXT: %[[V7:.*]] = arith.constant 0 : index
// CHECK-NEXT: %[[V8:.*]] = arith.cmpi slt, %[[V6]], %[[V7]] : index
// CHECK-NEXT: %[[V9:.*]] = arith.constant 3 : index
// CHECK-NEXT: %[[V10:.*]] = arith.addi %[[V6]], %[[V9]] : index
// CHECK-NEXT: %[[V11:.*]] = arith.select %[[V8]], %[[V10]], %[[V6]] : index
// CHECK-NEXT: %[[V12:.*]] = tensor.extract %arg0[%[[V11]], %[[V5]]] : tensor<3x3xf32>
// CHECK-NEXT: linalg.yield %[[V12]] : f32
// CHECK-NEXT: } -> tensor<2x3xf32>
// CHECK-NEXT: return %[[V1]] : tensor<2x3xf32>
func.func @gather_elements(%x: tensor<3x3xf32>, %i: tensor<2x3xi64>) -> tensor<2x3xf32> {
  %0 = bitmod_onnx.node "GatherElements"(%x, %i) {attrs = {axis = 0 : i64}} : (tensor<3x3xf32>, tensor<2x3xi64>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}
// CHECK-LABEL: func.func @cumsum(%arg0: tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: %[[V0:.*]] = tensor.empty() : tensor<2x3xf32>
// CHECK-NEXT: %[[V1:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[V2:.*]] = linalg.fill ins(%[[V1]] : f32) outs(%[[V0]] : tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT: %[[V3:.*]] = linalg.generic {indexing_maps = [#map1, #map2], iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg0 : tensor<2x3xf32>) outs(%[[V2]] : tensor<2x3xf32>) {
// CHECK-NEXT: ^bb0(%[[V4:.*]]: f32, %[[V5:.*]]: f32):
// CHECK-NEXT: %[[V6:.*]] = linalg.index 2 : index
// CHECK-NEXT: %[[V7:.*]] = linalg.index 1 : index
// CHECK-NEXT: %[[V8:.*]] = arith.cmpi ule, %[[V6]], %[[V7]] : index
// CHECK-NEXT: %[[V9:.*]] = arith.addf %[[V5]], %[[V4]] : f32
// CHECK-NEXT: %[[V10:.*]] = arith.select %[[V8]], %[[V9]], %[[V5]] : f32
// CHECK-NEXT: linalg.yield %[[V10]] : f32
// CHECK-NEXT: } -> tensor<2x3xf32>
// CHECK-NEXT: return %[[V3]] : tensor<2x3xf32>
func.func @cumsum(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %a = bitmod_onnx.constant dense<1> : tensor<i64>
  %0 = bitmod_onnx.node "CumSum"(%x, %a) : (tensor<2x3xf32>, tensor<i64>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}
// CHECK-LABEL: func.func @topk(%arg0: tensor<2x4xf32>) -> (tensor<2x1xf32>, tensor<2x1xi64>)
// CHECK: %[[V0:.*]] = tensor.empty() : tensor<2x4xi1>
// CHECK-NEXT: %[[V1:.*]] = arith.constant false
// CHECK-NEXT: %[[V2:.*]] = linalg.fill ins(%[[V1]] : i1) outs(%[[V0]] : tensor<2x4xi1>) -> tensor<2x4xi1>
// CHECK-NEXT: %[[V3:.*]] = tensor.empty() : tensor<2xf32>
// CHECK-NEXT: %[[V4:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[V5:.*]] = linalg.fill ins(%[[V4]] : f32) outs(%[[V3]] : tensor<2xf32>) -> tensor<2xf32>
// CHECK-NEXT: %[[V6:.*]] = tensor.empty() : tensor<2xi64>
// CHECK-NEXT: %[[V7:.*]] = arith.constant -1 : i64
// CHECK-NEXT: %[[V8:.*]] = linalg.fill ins(%[[V7]] : i64) outs(%[[V6]] : tensor<2xi64>) -> tensor<2xi64>
// CHECK-NEXT: %[[V9:.*]]:2 = linalg.generic {indexing_maps = [#map, #map, #map3, #map3], iterator_types = ["parallel", "reduction"]} ins(%arg0, %[[V2]] : tensor<2x4xf32>, tensor<2x4xi1>) outs(%[[V5]], %[[V8]] : tensor<2xf32>, tensor<2xi64>) {
// CHECK-NEXT: ^bb0(%[[V10:.*]]: f32, %[[V11:.*]]: i1, %[[V12:.*]]: f32, %[[V13:.*]]: i64):
// CHECK-NEXT: %[[V14:.*]] = arith.cmpf ogt, %[[V10]], %[[V12]] : f32
// CHECK-NEXT: %[[V15:.*]] = arith.constant 0 : i64
// CHECK-NEXT: %[[V16:.*]] = arith.cmpi slt, %[[V13]], %[[V15]] : i64
// CHECK-NEXT: %[[V17:.*]] = arith.ori %[[V16]], %[[V14]] : i1
// CHECK-NEXT: %[[V18:.*]] = arith.constant true
// CHECK-NEXT: %[[V19:.*]] = arith.xori %[[V11]], %[[V18]] : i1
// CHECK-NEXT: %[[V20:.*]] = arith.andi %[[V19]], %[[V17]] : i1
// CHECK-NEXT: %[[V21:.*]] = linalg.index 1 : index
// CHECK-NEXT: %[[V22:.*]] = arith.index_cast %[[V21]] : index to i64
// CHECK-NEXT: %[[V23:.*]] = arith.select %[[V20]], %[[V10]], %[[V12]] : f32
// CHECK-NEXT: %[[V24:.*]] = arith.select %[[V20]], %[[V22]], %[[V13]] : i64
// CHECK-NEXT: linalg.yield %[[V23]], %[[V24]] : f32, i64
// CHECK-NEXT: } -> (tensor<2xf32>, tensor<2xi64>)
// CHECK-NEXT: %[[V25:.*]] = tosa.const_shape  {values = dense<[2, 1]> : tensor<2xindex>} : () -> !tosa.shape<2>
// CHECK-NEXT: %[[V26:.*]] = tosa.reshape %[[V9]]#0, %[[V25]] : (tensor<2xf32>, !tosa.shape<2>) -> tensor<2x1xf32>
// CHECK-NEXT: %[[V27:.*]] = tosa.const_shape  {values = dense<[2, 1]> : tensor<2xindex>} : () -> !tosa.shape<2>
// CHECK-NEXT: %[[V28:.*]] = tosa.reshape %[[V9]]#1, %[[V27]] : (tensor<2xi64>, !tosa.shape<2>) -> tensor<2x1xi64>
// CHECK-NEXT: return %[[V26]], %[[V28]] : tensor<2x1xf32>, tensor<2x1xi64>
func.func @topk(%x: tensor<2x4xf32>) -> (tensor<2x1xf32>, tensor<2x1xi64>) {
  %k = bitmod_onnx.constant dense<[1]> : tensor<1xi64>
  %0:2 = bitmod_onnx.node "TopK"(%x, %k) : (tensor<2x4xf32>, tensor<1xi64>) -> (tensor<2x1xf32>, tensor<2x1xi64>)
  return %0#0, %0#1 : tensor<2x1xf32>, tensor<2x1xi64>
}
}

// -----

module attributes {bitmod_onnx.opset = 9 : i64} {
// CHECK-LABEL: func.func @topk_v1(%arg0: tensor<2x4xf32>) -> (tensor<2x1xf32>, tensor<2x1xi64>)
// CHECK: %[[V0:.*]] = tensor.empty() : tensor<2x4xi1>
// CHECK-NEXT: %[[V1:.*]] = arith.constant false
// CHECK-NEXT: %[[V2:.*]] = linalg.fill ins(%[[V1]] : i1) outs(%[[V0]] : tensor<2x4xi1>) -> tensor<2x4xi1>
// CHECK-NEXT: %[[V3:.*]] = tensor.empty() : tensor<2xf32>
// CHECK-NEXT: %[[V4:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[V5:.*]] = linalg.fill ins(%[[V4]] : f32) outs(%[[V3]] : tensor<2xf32>) -> tensor<2xf32>
// CHECK-NEXT: %[[V6:.*]] = tensor.empty() : tensor<2xi64>
// CHECK-NEXT: %[[V7:.*]] = arith.constant -1 : i64
// CHECK-NEXT: %[[V8:.*]] = linalg.fill ins(%[[V7]] : i64) outs(%[[V6]] : tensor<2xi64>) -> tensor<2xi64>
// CHECK-NEXT: %[[V9:.*]]:2 = linalg.generic {indexing_maps = [#map, #map, #map1, #map1], iterator_types = ["parallel", "reduction"]} ins(%arg0, %[[V2]] : tensor<2x4xf32>, tensor<2x4xi1>) outs(%[[V5]], %[[V8]] : tensor<2xf32>, tensor<2xi64>) {
// CHECK-NEXT: ^bb0(%[[V10:.*]]: f32, %[[V11:.*]]: i1, %[[V12:.*]]: f32, %[[V13:.*]]: i64):
// CHECK-NEXT: %[[V14:.*]] = arith.cmpf ogt, %[[V10]], %[[V12]] : f32
// CHECK-NEXT: %[[V15:.*]] = arith.constant 0 : i64
// CHECK-NEXT: %[[V16:.*]] = arith.cmpi slt, %[[V13]], %[[V15]] : i64
// CHECK-NEXT: %[[V17:.*]] = arith.ori %[[V16]], %[[V14]] : i1
// CHECK-NEXT: %[[V18:.*]] = arith.constant true
// CHECK-NEXT: %[[V19:.*]] = arith.xori %[[V11]], %[[V18]] : i1
// CHECK-NEXT: %[[V20:.*]] = arith.andi %[[V19]], %[[V17]] : i1
// CHECK-NEXT: %[[V21:.*]] = linalg.index 1 : index
// CHECK-NEXT: %[[V22:.*]] = arith.index_cast %[[V21]] : index to i64
// CHECK-NEXT: %[[V23:.*]] = arith.select %[[V20]], %[[V10]], %[[V12]] : f32
// CHECK-NEXT: %[[V24:.*]] = arith.select %[[V20]], %[[V22]], %[[V13]] : i64
// CHECK-NEXT: linalg.yield %[[V23]], %[[V24]] : f32, i64
// CHECK-NEXT: } -> (tensor<2xf32>, tensor<2xi64>)
// CHECK-NEXT: %[[V25:.*]] = tosa.const_shape  {values = dense<[2, 1]> : tensor<2xindex>} : () -> !tosa.shape<2>
// CHECK-NEXT: %[[V26:.*]] = tosa.reshape %[[V9]]#0, %[[V25]] : (tensor<2xf32>, !tosa.shape<2>) -> tensor<2x1xf32>
// CHECK-NEXT: %[[V27:.*]] = tosa.const_shape  {values = dense<[2, 1]> : tensor<2xindex>} : () -> !tosa.shape<2>
// CHECK-NEXT: %[[V28:.*]] = tosa.reshape %[[V9]]#1, %[[V27]] : (tensor<2xi64>, !tosa.shape<2>) -> tensor<2x1xi64>
// CHECK-NEXT: return %[[V26]], %[[V28]] : tensor<2x1xf32>, tensor<2x1xi64>
func.func @topk_v1(%x: tensor<2x4xf32>) -> (tensor<2x1xf32>, tensor<2x1xi64>) {
  %0:2 = bitmod_onnx.node "TopK"(%x) {attrs = {k = 1 : i64}} : (tensor<2x4xf32>) -> (tensor<2x1xf32>, tensor<2x1xi64>)
  return %0#0, %0#1 : tensor<2x1xf32>, tensor<2x1xi64>
}
}
