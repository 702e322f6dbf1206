// RUN: split-file %s %t
// RUN: bitmod-opt %t/launches.mlir --bitmod-runtime-to-emitc | FileCheck %s
// RUN: bitmod-opt %t/launches.mlir --bitmod-runtime-to-emitc --convert-to-emitc --reconcile-unrealized-casts \
// RUN:   | bitmod-translate --mlir-to-cpp | FileCheck %s --check-prefix=CPP
// RUN: bitmod-opt %t/no-launch.mlir --bitmod-runtime-to-emitc | FileCheck %s --check-prefix=NONE

// A launch in out-parameter form (after --bitmod-prepare-host-buffers)
// becomes bitmod_rt_launch(ctx, "layer", &x[0]...[0], n_x, &y[0]...[0], n_y):
// one subscript index per dimension, element counts, the layer name as a C
// string literal. The declaration is erased; the runtime header is included
// once, however many launches there are.
// CHECK-LABEL: module {
// CHECK-NEXT: emitc.include "bitmod/Runtime/RuntimeABI.h"
// CHECK-NOT: emitc.include
// CHECK-NOT: __bitmod_rt_launch
// CHECK: func.func @bitmod_model_m(%[[CTX:.*]]: !emitc.ptr<!emitc.opaque<"void">>, %[[X:.*]]: memref<8x300xf32>, %[[Y:.*]]: memref<2x4x40xf32>, %[[V:.*]]: memref<4xf32>)
// CHECK: %[[ZERO:.*]] = "emitc.constant"() <{value = 0 : index}> : () -> !emitc.size_t
// CHECK: %[[XA:.*]] = builtin.unrealized_conversion_cast %[[X]] : memref<8x300xf32> to !emitc.array<8x300xf32>
// CHECK: %[[XE:.*]] = emitc.subscript %[[XA]][%[[ZERO]], %[[ZERO]]] : (!emitc.array<8x300xf32>, !emitc.size_t, !emitc.size_t) -> !emitc.lvalue<f32>
// CHECK: %[[XP:.*]] = emitc.apply "&"(%[[XE]]) : (!emitc.lvalue<f32>) -> !emitc.ptr<f32>
// CHECK: %[[YA:.*]] = builtin.unrealized_conversion_cast %[[Y]] : memref<2x4x40xf32> to !emitc.array<2x4x40xf32>
// CHECK: %[[YE:.*]] = emitc.subscript %[[YA]][%[[ZERO]], %[[ZERO]], %[[ZERO]]]
// CHECK: %[[YP:.*]] = emitc.apply "&"(%[[YE]])
// CHECK: emitc.call_opaque "bitmod_rt_launch"(%[[CTX]], %[[XP]], %[[YP]]) {args = [0 : index, #emitc.opaque<"\22fc\22">, 1 : index, 2400, 2 : index, 320]} : (!emitc.ptr<!emitc.opaque<"void">>, !emitc.ptr<f32>, !emitc.ptr<f32>) -> ()
// CHECK: emitc.call_opaque "bitmod_rt_launch"(%[[CTX]], %{{.*}}, %{{.*}}) {args = [0 : index, #emitc.opaque<"\22a\\\22b\\\\c\22">, 1 : index, 4, 2 : index, 4]}
// CHECK: emitc.call_opaque "bitmod_rt_launch"(%[[CTX]], %{{.*}}, %{{.*}}) {args = [0 : index, #emitc.opaque<"\22a\\\22b\\\\c\22">, 1 : index, 4, 2 : index, 4]}
// CHECK-NOT: call @
// CHECK: return

// The C++ the host code compiles to: quotes and backslashes of the layer
// name are escaped.
// CPP: #include "bitmod/Runtime/RuntimeABI.h"
// CPP: void bitmod_model_m(void* [[CTX:v[0-9]+]], float [[X:v[0-9]+]][8][300], float [[Y:v[0-9]+]][2][4][40], float [[V:v[0-9]+]][4]) {
// CPP: float* [[XP:v[0-9]+]] = &[[X]][[[Z:v[0-9]+]]][[[Z]]];
// CPP: float* [[YP:v[0-9]+]] = &[[Y]][[[Z]]][[[Z]]][[[Z]]];
// CPP: bitmod_rt_launch([[CTX]], "fc", [[XP]], 2400, [[YP]], 320);
// CPP: bitmod_rt_launch([[CTX]], "a\"b\\c", {{v[0-9]+}}, 4, {{v[0-9]+}}, 4);
// CPP: bitmod_rt_launch([[CTX]], "a\"b\\c", {{v[0-9]+}}, 4, {{v[0-9]+}}, 4);

//--- launches.mlir
func.func private @__bitmod_rt_launch_fc(!emitc.ptr<!emitc.opaque<"void">>, memref<8x300xf32>, memref<2x4x40xf32>) attributes {bitmod.rt_launch = "fc"}
func.func private @__bitmod_rt_launch_q(!emitc.ptr<!emitc.opaque<"void">>, memref<4xf32>, memref<4xf32>) attributes {bitmod.rt_launch = "a\"b\\c"}
func.func @bitmod_model_m(%ctx: !emitc.ptr<!emitc.opaque<"void">>, %x: memref<8x300xf32>, %y: memref<2x4x40xf32>, %v: memref<4xf32>) {
  call @__bitmod_rt_launch_fc(%ctx, %x, %y) : (!emitc.ptr<!emitc.opaque<"void">>, memref<8x300xf32>, memref<2x4x40xf32>) -> ()
  call @__bitmod_rt_launch_q(%ctx, %v, %v) : (!emitc.ptr<!emitc.opaque<"void">>, memref<4xf32>, memref<4xf32>) -> ()
  call @__bitmod_rt_launch_q(%ctx, %v, %v) : (!emitc.ptr<!emitc.opaque<"void">>, memref<4xf32>, memref<4xf32>) -> ()
  return
}

// Without a launch the module is unchanged: no runtime include; other
// calls and declarations stay.
// NONE-LABEL: module {
// NONE-NOT: emitc.include
// NONE: func.func private @helper(memref<4xf32>)
// NONE: call @helper(%{{.*}}) : (memref<4xf32>) -> ()

//--- no-launch.mlir
func.func private @helper(memref<4xf32>)
func.func @host_only(%v: memref<4xf32>) {
  call @helper(%v) : (memref<4xf32>) -> ()
  return
}
