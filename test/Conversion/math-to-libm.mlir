// RUN: bitmod-opt %s --bitmod-math-to-libm | FileCheck %s

// CHECK-LABEL: func.func @f
// CHECK: emitc.call_opaque "erff"(%arg0) : (f32) -> f32
// CHECK: emitc.call_opaque "tanhf"(%arg0) : (f32) -> f32
// CHECK: %[[S:.*]] = emitc.call_opaque "sqrtf"(%arg0) : (f32) -> f32
// CHECK: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: arith.divf %[[ONE]], %[[S]] : f32
// CHECK: emitc.call_opaque "log"(%arg1) : (f64) -> f64
// CHECK: emitc.call_opaque "powf"(%arg0, %arg0) : (f32, f32) -> f32
// f16 (and bf16) is computed in f32: widened, called, rounded once.
// CHECK: %[[W:.*]] = arith.extf %arg2 : f16 to f32
// CHECK: %[[E:.*]] = emitc.call_opaque "erff"(%[[W]]) : (f32) -> f32
// CHECK: arith.truncf %[[E]] : f32 to f16
func.func @f(%a: f32, %b: f64, %h: f16) -> (f32, f32, f32, f64, f32, f16) {
  %0 = math.erf %a : f32
  %1 = math.tanh %a : f32
  %2 = math.rsqrt %a : f32
  %3 = math.log %b : f64
  %4 = math.powf %a, %a : f32
  %5 = math.erf %h : f16
  return %0, %1, %2, %3, %4, %5 : f32, f32, f32, f64, f32, f16
}

// Integer powers become an inline square-and-multiply loop over the
// exponent's bits; negative exponents are selected separately.
// CHECK-LABEL: func.func @ipow
// CHECK-NOT: math.ipowi
// CHECK: %[[LOOP:.*]]:2 = scf.for %{{.*}} = %c0 to %c31 step %c1 iter_args
// CHECK: arith.shrui %arg1
// CHECK: arith.muli
// CHECK: scf.yield
// CHECK: %[[NEG:.*]] = arith.cmpi slt, %arg1
// CHECK: arith.select %[[NEG]], %{{.*}}, %[[LOOP]]#0 : i32
func.func @ipow(%x: i32, %e: i32) -> i32 {
  %0 = math.ipowi %x, %e : i32
  return %0 : i32
}

// arith.remf (ONNX Mod, fmod = 1) is C fmod.
// CHECK-LABEL: func.func @remf
// CHECK: emitc.call_opaque "fmodf"(%arg0, %arg1) : (f32, f32) -> f32
// CHECK: emitc.call_opaque "fmod"(%arg2, %arg3) : (f64, f64) -> f64
// CHECK: emitc.call_opaque "sinhf"(%arg0) : (f32) -> f32
// CHECK: emitc.call_opaque "nearbyintf"(%arg0) : (f32) -> f32
func.func @remf(%a: f32, %b: f32, %c: f64, %d: f64) -> (f32, f64, f32, f32) {
  %0 = arith.remf %a, %b : f32
  %1 = arith.remf %c, %d : f64
  %2 = math.sinh %a : f32
  %3 = math.roundeven %a : f32
  return %0, %1, %2, %3 : f32, f64, f32, f32
}
