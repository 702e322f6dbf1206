// RUN: bitmod-opt %s --split-input-file --bitmod-runtime-to-emitc -verify-diagnostics

// Still in tensor (result) form: prepare-host-buffers has not run.
func.func private @__bitmod_rt_launch_fc(!emitc.ptr<!emitc.opaque<"void">>, tensor<8x300xf32>) -> tensor<8x40xf32> attributes {bitmod.rt_launch = "fc"}
func.func @bitmod_model_fc(%ctx: !emitc.ptr<!emitc.opaque<"void">>, %x: tensor<8x300xf32>) -> tensor<8x40xf32> {
  // expected-error @+1 {{runtime launch call is not in out-parameter form; run --bitmod-prepare-host-buffers first}}
  %y = call @__bitmod_rt_launch_fc(%ctx, %x) : (!emitc.ptr<!emitc.opaque<"void">>, tensor<8x300xf32>) -> tensor<8x40xf32>
  return %y : tensor<8x40xf32>
}

// -----

func.func private @__bitmod_rt_launch_fc(!emitc.ptr<!emitc.opaque<"void">>, memref<?x300xf32>, memref<8x40xf32>) attributes {bitmod.rt_launch = "fc"}
func.func @dynamic(%ctx: !emitc.ptr<!emitc.opaque<"void">>, %x: memref<?x300xf32>, %y: memref<8x40xf32>) {
  // expected-error @+1 {{runtime launch buffers must be static identity-layout f32 memrefs of rank >= 1, got 'memref<?x300xf32>'}}
  call @__bitmod_rt_launch_fc(%ctx, %x, %y) : (!emitc.ptr<!emitc.opaque<"void">>, memref<?x300xf32>, memref<8x40xf32>) -> ()
  return
}

// -----

func.func private @__bitmod_rt_launch_fc(!emitc.ptr<!emitc.opaque<"void">>, memref<8x300xf32>, memref<f32>) attributes {bitmod.rt_launch = "fc"}
func.func @rank0(%ctx: !emitc.ptr<!emitc.opaque<"void">>, %x: memref<8x300xf32>, %y: memref<f32>) {
  // expected-error @+1 {{runtime launch buffers must be static identity-layout f32 memrefs of rank >= 1, got 'memref<f32>'}}
  call @__bitmod_rt_launch_fc(%ctx, %x, %y) : (!emitc.ptr<!emitc.opaque<"void">>, memref<8x300xf32>, memref<f32>) -> ()
  return
}

// -----

func.func private @__bitmod_rt_launch_fc(!emitc.ptr<!emitc.opaque<"void">>, memref<8x300xf32, strided<[600, 1]>>, memref<8x40xf32>) attributes {bitmod.rt_launch = "fc"}
func.func @strided(%ctx: !emitc.ptr<!emitc.opaque<"void">>, %x: memref<8x300xf32, strided<[600, 1]>>, %y: memref<8x40xf32>) {
  // expected-error @+1 {{runtime launch buffers must be static identity-layout f32 memrefs of rank >= 1, got 'memref<8x300xf32, strided<[600, 1]>>'}}
  call @__bitmod_rt_launch_fc(%ctx, %x, %y) : (!emitc.ptr<!emitc.opaque<"void">>, memref<8x300xf32, strided<[600, 1]>>, memref<8x40xf32>) -> ()
  return
}

// -----

func.func private @__bitmod_rt_launch_fc(!emitc.ptr<!emitc.opaque<"void">>, memref<8x300xf16>, memref<8x40xf32>) attributes {bitmod.rt_launch = "fc"}
func.func @half(%ctx: !emitc.ptr<!emitc.opaque<"void">>, %x: memref<8x300xf16>, %y: memref<8x40xf32>) {
  // expected-error @+1 {{runtime launch buffers must be static identity-layout f32 memrefs of rank >= 1, got 'memref<8x300xf16>'}}
  call @__bitmod_rt_launch_fc(%ctx, %x, %y) : (!emitc.ptr<!emitc.opaque<"void">>, memref<8x300xf16>, memref<8x40xf32>) -> ()
  return
}

// -----

// A use other than a call (here a function reference) cannot be lowered.
// expected-error @+1 {{runtime launch declaration still in use}}
func.func private @__bitmod_rt_launch_fc(!emitc.ptr<!emitc.opaque<"void">>, memref<8x300xf32>, memref<8x40xf32>) attributes {bitmod.rt_launch = "fc"}
func.func @reference() {
  %f = func.constant @__bitmod_rt_launch_fc : (!emitc.ptr<!emitc.opaque<"void">>, memref<8x300xf32>, memref<8x40xf32>) -> ()
  return
}
