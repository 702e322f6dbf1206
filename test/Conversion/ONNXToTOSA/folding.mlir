// RUN: bitmod-opt --split-input-file --bitmod-onnx-to-tosa %s | FileCheck %s
//
// The constant folder (ConstantFolding.cpp): nodes whose inputs are all
// constants are evaluated at import with numpy broadcasting, f32 arithmetic
// in f32, ONNX integer Div (truncation) and Mod (fmod = 0: the divisor's
// sign). The exporter's mask/shape chains fold to one constant.

module attributes {bitmod_onnx.opset = 17 : i64} {
// The torch.onnx.export chain feeding Expand's shape (repeat_kv):
// ConstantOfShape -> Mul -> Equal -> Where -> Expand shape.
// CHECK-LABEL: func.func @expand_shape_chain(%arg0: tensor<1x2x1x4xf32>) -> tensor<1x2x3x4xf32>
// CHECK-NOT: bitmod_onnx
// CHECK-NOT: tosa.select
// CHECK: tosa.const_shape {{.*}}dense<[1, 1, 3, 1]>
// CHECK: tosa.tile
func.func @expand_shape_chain(%x: tensor<1x2x1x4xf32>) -> tensor<1x2x3x4xf32> {
  %len = bitmod_onnx.constant {name = "len"} dense<4> : tensor<1xi64>
  %m1 = bitmod_onnx.constant {name = "m1"} dense<-1> : tensor<i64>
  %want = bitmod_onnx.constant {name = "want"} dense<[1, 2, 3, 4]> : tensor<4xi64>
  %ones = bitmod_onnx.node "ConstantOfShape"(%len) {attrs = {value = dense<1> : tensor<1xi64>}} : (tensor<1xi64>) -> tensor<4xi64>
  %neg = bitmod_onnx.node "Mul"(%ones, %m1) : (tensor<4xi64>, tensor<i64>) -> tensor<4xi64>
  %eq = bitmod_onnx.node "Equal"(%want, %neg) : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi1>
  %shape = bitmod_onnx.node "Where"(%eq, %ones, %want) : (tensor<4xi1>, tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  %y = bitmod_onnx.node "Expand"(%x, %shape) : (tensor<1x2x1x4xf32>, tensor<4xi64>) -> tensor<1x2x3x4xf32>
  return %y : tensor<1x2x3x4xf32>
}

// Integer Div truncates toward zero, Mod (fmod = 0) takes the divisor's
// sign, fmod = 1 the dividend's.
// CHECK-LABEL: func.func @int_div_mod() -> (tensor<4xi64>, tensor<4xi64>, tensor<4xi64>)
// CHECK-NEXT: dense<[-3, -3, 3, 3]> : tensor<4xi64>
// CHECK-NEXT: dense<[1, -1, -1, -1]> : tensor<4xi64>
// CHECK-NEXT: dense<[-1, 1, 1, -1]> : tensor<4xi64>
func.func @int_div_mod() -> (tensor<4xi64>, tensor<4xi64>, tensor<4xi64>) {
  %a = bitmod_onnx.constant {name = "a"} dense<[-7, 7, 7, -7]> : tensor<4xi64>
  %b = bitmod_onnx.constant {name = "b"} dense<[2, -2, 2, -2]> : tensor<4xi64>
  %b2 = bitmod_onnx.constant {name = "b2"} dense<[2, -2, -2, -2]> : tensor<4xi64>
  %d = bitmod_onnx.node "Div"(%a, %b) : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  %m = bitmod_onnx.node "Mod"(%a, %b2) : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  %f = bitmod_onnx.node "Mod"(%a, %b) {attrs = {fmod = 1 : i64}} : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  return %d, %m, %f : tensor<4xi64>, tensor<4xi64>, tensor<4xi64>
}

// f32 arithmetic is done in f32 (0.1f + 0.2f is the float nearest 0.3;
// 1/3 the f32 quotient).
// CHECK-LABEL: func.func @f32_arith() -> (tensor<2xf32>, tensor<2xf32>)
// CHECK-NEXT: dense<[3.000000e-01, 2.000000e+00]> : tensor<2xf32>
// CHECK-NEXT: dense<[0.333333343, 5.000000e-01]> : tensor<2xf32>
func.func @f32_arith() -> (tensor<2xf32>, tensor<2xf32>) {
  %a = bitmod_onnx.constant {name = "a"} dense<[0.1, 1.0]> : tensor<2xf32>
  %b = bitmod_onnx.constant {name = "b"} dense<[0.2, 1.0]> : tensor<2xf32>
  %one = bitmod_onnx.constant {name = "one"} dense<1.0> : tensor<f32>
  %den = bitmod_onnx.constant {name = "den"} dense<[3.0, 2.0]> : tensor<2xf32>
  %s = bitmod_onnx.node "Add"(%a, %b) : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  %q = bitmod_onnx.node "Div"(%one, %den) : (tensor<f32>, tensor<2xf32>) -> tensor<2xf32>
  return %s, %q : tensor<2xf32>, tensor<2xf32>
}

// A causal mask from constants: Trilu of a finfo.min fill, Where on a
// comparison, Sin/Cos of positions, reductions, Not/And/Or.
// CHECK-LABEL: func.func @mask_and_math()
// CHECK-DAG: dense<{{\[}}[0.000000e+00, -3.40282347E+38, -3.40282347E+38], [0.000000e+00, 0.000000e+00, -3.40282347E+38], [0.000000e+00, 0.000000e+00, 0.000000e+00]]> : tensor<3x3xf32>
// CHECK-DAG: dense<[0.000000e+00, 0.841470957, 0.909297406]> : tensor<3xf32>
// CHECK-DAG: dense<[1.000000e+00, 0.540302277, -0.416146845]> : tensor<3xf32>
// CHECK-DAG: dense<[6, 12]> : tensor<2xi64>
// CHECK-DAG: dense<[2.000000e+00, 3.000000e+00]> : tensor<2xf32>
// CHECK-DAG: dense<[false, true, false]> : tensor<3xi1>
// CHECK-NOT: tosa.sin
// CHECK-NOT: linalg.generic
func.func @mask_and_math() -> (tensor<3x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<2xi64>, tensor<2xf32>, tensor<3xi1>) {
  %shape = bitmod_onnx.constant {name = "shape"} dense<3> : tensor<2xi64>
  %k = bitmod_onnx.constant {name = "k"} dense<1> : tensor<1xi64>
  %full = bitmod_onnx.node "ConstantOfShape"(%shape) {attrs = {value = dense<-3.40282347E+38> : tensor<1xf32>}} : (tensor<2xi64>) -> tensor<3x3xf32>
  %mask = bitmod_onnx.node "Trilu"(%full, %k) : (tensor<3x3xf32>, tensor<1xi64>) -> tensor<3x3xf32>
  %pos = bitmod_onnx.constant {name = "pos"} dense<[0.0, 1.0, 2.0]> : tensor<3xf32>
  %sin = bitmod_onnx.node "Sin"(%pos) : (tensor<3xf32>) -> tensor<3xf32>
  %cos = bitmod_onnx.node "Cos"(%pos) : (tensor<3xf32>) -> tensor<3xf32>
  %m = bitmod_onnx.constant {name = "m"} dense<[[1, 2, 3], [3, 4, 1]]> : tensor<2x3xi64>
  %prod = bitmod_onnx.node "ReduceProd"(%m) {attrs = {axes = array<i64: 1>, keepdims = 0 : i64}} : (tensor<2x3xi64>) -> tensor<2xi64>
  %mf = bitmod_onnx.node "Cast"(%m) {attrs = {to = 1 : i64}} : (tensor<2x3xi64>) -> tensor<2x3xf32>
  %mean = bitmod_onnx.node "ReduceMean"(%mf) {attrs = {axes = array<i64: 0>, keepdims = 0 : i64}} : (tensor<2x3xf32>) -> tensor<3xf32>
  %two = bitmod_onnx.constant {name = "two"} dense<[0, 1]> : tensor<2xi64>
  %g = bitmod_onnx.node "Gather"(%mean, %two) : (tensor<3xf32>, tensor<2xi64>) -> tensor<2xf32>
  %p = bitmod_onnx.constant {name = "p"} dense<[true, false, true]> : tensor<3xi1>
  %q = bitmod_onnx.constant {name = "q"} dense<[true, true, false]> : tensor<3xi1>
  %np = bitmod_onnx.node "Not"(%p) : (tensor<3xi1>) -> tensor<3xi1>
  %a = bitmod_onnx.node "And"(%np, %q) : (tensor<3xi1>, tensor<3xi1>) -> tensor<3xi1>
  return %mask, %sin, %cos, %prod, %g, %a : tensor<3x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<2xi64>, tensor<2xf32>, tensor<3xi1>
}
}
