// RUN: split-file %s %t
// RUN: bitmod-opt %t/fc.mlir --bitmod-quantize=dtype=bitmod3 --bitmod-tile --bitmod-bit-serial-schedule --bitmod-host-entry --bitmod-launch-to-runtime | FileCheck %s
// RUN: bitmod-opt %t/fc.mlir --bitmod-quantize=dtype=bitmod3 --bitmod-tile --bitmod-bit-serial-schedule --bitmod-host-to-emitc | FileCheck %s --check-prefix=EMITC
// RUN: not bitmod-opt %t/private.mlir --bitmod-quantize=dtype=bitmod3 --bitmod-tile --bitmod-bit-serial-schedule --bitmod-host-entry --bitmod-launch-to-runtime 2>&1 | FileCheck %s --check-prefix=PRIV
// RUN: not bitmod-opt %t/fc.mlir --bitmod-quantize=dtype=bitmod3 --bitmod-tile --bitmod-bit-serial-schedule --bitmod-launch-to-runtime 2>&1 | FileCheck %s --check-prefix=NOENTRY

// The launch becomes a call of a private declaration tagged with the layer;
// instructions and weights are gone (they are in the .bmod).
// CHECK: func.func private @__bitmod_rt_launch_fc(!emitc.ptr<!emitc.opaque<"void">>, tensor<8x300xf32>) -> tensor<8x40xf32> attributes {bitmod.rt_launch = "fc"}
// CHECK: func.func @bitmod_model_fc(%[[CTX:.*]]: !emitc.ptr<!emitc.opaque<"void">>, %{{.*}}: tensor<2400xf32>) -> tensor<320xf32>
// CHECK-NOT: bitmod.weights
// CHECK-NOT: bitmod_hw.
// CHECK: %[[C:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1], [2]] : tensor<2x4x300xf32> into tensor<8x300xf32>
// CHECK: call @__bitmod_rt_launch_fc(%[[CTX]], %[[C]]) : (!emitc.ptr<!emitc.opaque<"void">>, tensor<8x300xf32>) -> tensor<8x40xf32>
// CHECK-NOT: bitmod_hw.

// After the whole pipeline: the call takes the base buffers (the collapsed
// input is the entry argument itself), element counts, the layer name.
// EMITC: emitc.include "bitmod/Runtime/RuntimeABI.h"
// EMITC-NOT: bitmod_hw
// EMITC: emitc.global static @[[OUT:__bitmod_buf_[0-9]+]] : !emitc.array<8x40xf32>
// EMITC: emitc.func @bitmod_model_fc(%[[CTX:.*]]: !emitc.ptr<!emitc.opaque<"void">>, %[[X:.*]]: !emitc.array<2400xf32>, %{{.*}}: !emitc.array<320xf32>)
// EMITC-SAME: specifiers = ["extern \22C\22"]
// EMITC: %[[XE:.*]] = subscript %[[X]][%{{.*}}] : (!emitc.array<2400xf32>, !emitc.size_t) -> !emitc.lvalue<f32>
// EMITC: %[[XP:.*]] = apply "&"(%[[XE]]) : (!emitc.lvalue<f32>) -> !emitc.ptr<f32>
// EMITC: %[[YE:.*]] = subscript %{{.*}}[%{{.*}}, %{{.*}}] : (!emitc.array<8x40xf32>, !emitc.size_t, !emitc.size_t) -> !emitc.lvalue<f32>
// EMITC: %[[YP:.*]] = apply "&"(%[[YE]])
// EMITC: call_opaque "bitmod_rt_launch"(%[[CTX]], %[[XP]], %[[YP]]) {args = [0 : index, #emitc.opaque<"\22fc\22">, 1 : index, 2400, 2 : index, 320]}

// PRIV: error: bitmod_hw.launch @fc is not in a host model entry; run --bitmod-host-entry first (launches must be in public functions)
// NOENTRY: error: bitmod_hw.launch @fc is not in a host model entry

//--- fc.mlir
func.func @fc(%x: tensor<2x4x300xf32>) -> tensor<2x4x40xf32> {
  %w = arith.constant dense<0.5> : tensor<40x300xf32>
  %b = arith.constant dense<1.0> : tensor<40xf32>
  %y = bitmod.linear %x, %w, bias %b {name = "fc"} : tensor<2x4x300xf32>, tensor<40x300xf32>, tensor<40xf32> -> tensor<2x4x40xf32>
  return %y : tensor<2x4x40xf32>
}

//--- private.mlir
func.func private @fc(%x: tensor<8x300xf32>) -> tensor<8x40xf32> {
  %w = arith.constant dense<0.5> : tensor<40x300xf32>
  %y = bitmod.linear %x, %w {name = "fc"} : tensor<8x300xf32>, tensor<40x300xf32> -> tensor<8x40xf32>
  return %y : tensor<8x40xf32>
}
