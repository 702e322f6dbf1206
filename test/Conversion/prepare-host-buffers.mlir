// RUN: bitmod-opt %s --split-input-file --bitmod-prepare-host-buffers="max-inline-bytes=16" --verify-diagnostics | FileCheck %s

// dense_resource constants up to the limit become dense literals; static
// allocations become private module buffers; copies become loops.
// CHECK: memref.global "private" constant @w : memref<2x2xf32> = dense<{{\[\[}}1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00]]>
// CHECK: memref.global "private" @__bitmod_buf_0 : memref<2x2xf32> = uninitialized
// CHECK-LABEL: func.func @f(
// CHECK: %[[B:.*]] = memref.get_global @__bitmod_buf_0 : memref<2x2xf32>
// CHECK: scf.for
// CHECK: scf.for
// CHECK: memref.load
// CHECK: memref.store %{{.*}}, %[[B]]
// CHECK-NOT: memref.copy
// CHECK-NOT: memref.alloc
memref.global "private" constant @w : memref<2x2xf32> = dense_resource<w_blob> {alignment = 64 : i64}
func.func @f(%out: memref<2x2xf32>) {
  %w = memref.get_global @w : memref<2x2xf32>
  %a = memref.alloc() : memref<2x2xf32>
  memref.copy %w, %a : memref<2x2xf32> to memref<2x2xf32>
  memref.copy %a, %out : memref<2x2xf32> to memref<2x2xf32>
  return
}
{-#
  dialect_resources: {
    builtin: {
      w_blob: "0x040000000000803F000000400000404000008040"
    }
  }
#-}

// -----

// expected-error @+1 {{constant @big has 20 bytes, more than max-inline-bytes=16; raise the limit (host constants are C++ array initializers)}}
memref.global "private" constant @big : memref<5xf32> = dense_resource<big_blob>
{-#
  dialect_resources: {
    builtin: {
      big_blob: "0x040000000000803F000000400000404000008040000080BF"
    }
  }
#-}

// -----

func.func @dyn(%n: index) {
  // expected-error @+1 {{host lowering supports static identity-layout buffers only, got 'memref<?xf32>'}}
  %a = memref.alloc(%n) : memref<?xf32>
  return
}

// -----

func.func @loop(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    // expected-error @+1 {{buffer allocated inside a loop or region; host lowering gives every allocation one static buffer}}
    %a = memref.alloc() : memref<4xf32>
  }
  return
}

// -----

// Rank-0 buffers and constants become one-element arrays read through a
// rank-0 collapse_shape (LLVM 22's memref-to-emitc crashes on uninitialized
// rank-0 globals and does not convert loads/stores of the others).
// CHECK: memref.global "private" constant @half : memref<1xf32> = dense<5.000000e-01>
// CHECK: memref.global "private" @__bitmod_buf_0 : memref<1xf32> = uninitialized
// CHECK-LABEL: func.func @scalar(
// CHECK: %[[H:.*]] = memref.get_global @half : memref<1xf32>
// CHECK: memref.collapse_shape %[[H]] [] : memref<1xf32> into memref<f32>
// CHECK: %[[B:.*]] = memref.get_global @__bitmod_buf_0 : memref<1xf32>
// CHECK: memref.collapse_shape %[[B]] [] : memref<1xf32> into memref<f32>
memref.global "private" constant @half : memref<f32> = dense<0.5>
func.func @scalar(%x: memref<f32>, %out: memref<f32>) {
  %h = memref.get_global @half : memref<f32>
  %v = memref.load %h[] : memref<f32>
  memref.store %v, %out[] : memref<f32>
  %a = memref.alloc() : memref<f32>
  memref.copy %x, %a : memref<f32> to memref<f32>
  memref.copy %a, %out : memref<f32> to memref<f32>
  return
}
