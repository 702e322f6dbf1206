// RUN: bitmod-opt %s --split-input-file --bitmod-finalize-host-cpp | FileCheck %s
// RUN: bitmod-opt %s --split-input-file --bitmod-finalize-host-cpp | bitmod-translate --split-input-file --mlir-to-cpp | FileCheck %s --check-prefix=CPP

// The C headers the lowered host code uses come first; model entries (the
// functions with `bitmod.io`) get C linkage, other functions do not; the
// accelerator description (`bitmod_hw.*`, already in the .bmod) is dropped
// and other module attributes stay.
// CHECK-LABEL: module attributes {bitmod.kept = "yes"} {
// CHECK-NEXT: emitc.include <"math.h">
// CHECK-NEXT: emitc.include <"stddef.h">
// CHECK-NEXT: emitc.include <"stdint.h">
// CHECK-NEXT: emitc.include "bitmod/Runtime/RuntimeABI.h"
// CHECK: emitc.func @bitmod_model_m(%{{.*}}: !emitc.ptr<!emitc.opaque<"void">>, %{{.*}}: !emitc.array<4xf32>) attributes {bitmod.io = [], specifiers = ["extern \22C\22"]}
// CHECK: emitc.func @helper() {
// CHECK-NOT: bitmod_hw.
// CPP: #include <math.h>
// CPP-NEXT: #include <stddef.h>
// CPP-NEXT: #include <stdint.h>
// CPP-NEXT: #include "bitmod/Runtime/RuntimeABI.h"
// CPP: extern "C" void bitmod_model_m(void* {{v[0-9]+}}, float {{v[0-9]+}}[4]) {
// CPP: {{^}}void helper() {
module attributes {bitmod_hw.accel = {pes = 1024 : i64}, bitmod_hw.memory = [], bitmod.kept = "yes"} {
  emitc.include "bitmod/Runtime/RuntimeABI.h"
  emitc.func @bitmod_model_m(%ctx: !emitc.ptr<!emitc.opaque<"void">>, %x: !emitc.array<4xf32>) attributes {bitmod.io = []} {
    emitc.return
  }
  emitc.func @helper() {
    emitc.return
  }
}

// -----

// A header that is already included is not included again.
// CHECK-LABEL: module {
// CHECK-NEXT: emitc.include <"stddef.h">
// CHECK-NEXT: emitc.include <"stdint.h">
// CHECK-NEXT: emitc.include <"math.h">
// CHECK-NOT: emitc.include
// CHECK: emitc.func @f()
// CPP: #include <stddef.h>
// CPP-NEXT: #include <stdint.h>
// CPP-NEXT: #include <math.h>
// CPP-NEXT: void f() {
module {
  emitc.include <"math.h">
  emitc.func @f() {
    emitc.return
  }
}
