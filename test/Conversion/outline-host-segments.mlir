// RUN: bitmod-opt %s --split-input-file --bitmod-outline-host-segments=max-loops=1 | FileCheck %s
// RUN: bitmod-opt %s --split-input-file --bitmod-outline-host-segments | FileCheck %s --check-prefix=DEFAULT

// Three loops, one per segment. The constants and the global are cloned
// into each part that uses them; the argument and the context are passed.

memref.global "private" @buf : memref<8xf32> = uninitialized

// CHECK-LABEL: func.func private @entry_part0(
// CHECK-SAME:    %[[A:.*]]: memref<8xf32>)
// CHECK-DAG:     %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG:     %[[G:.*]] = memref.get_global @buf
// CHECK:         scf.for %[[I:.*]] = %[[C0]]
// CHECK:           memref.load %[[A]][%[[I]]]
// CHECK:           memref.store {{.*}}, %[[G]][%[[I]]]
// CHECK:         return
// CHECK-LABEL: func.func private @entry_part1(
// CHECK-SAME:    %{{.*}}: !emitc.ptr<!emitc.opaque<"void">>)
// CHECK:         scf.for
// CHECK:           func.call @use_ctx
// CHECK-LABEL: func.func private @entry_part2(
// CHECK-SAME:    %{{.*}}: memref<8xf32>)
// CHECK:         scf.for
// CHECK-LABEL: func.func @entry(
// CHECK-SAME:    %[[CTX:.*]]: !emitc.ptr<!emitc.opaque<"void">>, %[[ARG:.*]]: memref<8xf32>)
// CHECK-NEXT:    call @entry_part0(%[[ARG]])
// CHECK-NEXT:    call @entry_part1(%[[CTX]])
// CHECK-NEXT:    call @entry_part2(%[[ARG]])
// CHECK-NEXT:    return

// DEFAULT-NOT: _part
func.func private @use_ctx(!emitc.ptr<!emitc.opaque<"void">>, index)
func.func @entry(%ctx: !emitc.ptr<!emitc.opaque<"void">>, %a: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %g = memref.get_global @buf : memref<8xf32>
  scf.for %i = %c0 to %c8 step %c1 {
    %v = memref.load %a[%i] : memref<8xf32>
    memref.store %v, %g[%i] : memref<8xf32>
  }
  scf.for %i = %c0 to %c8 step %c1 {
    func.call @use_ctx(%ctx, %i) : (!emitc.ptr<!emitc.opaque<"void">>, index) -> ()
  }
  scf.for %i = %c0 to %c8 step %c1 {
    %v = memref.load %g[%i] : memref<8xf32>
    memref.store %v, %a[%i] : memref<8xf32>
  }
  return
}

// -----

// A value one segment computes and a later one uses (a load, which is not
// rematerializable) keeps its users with it: no cut between the second and
// the third loop.

// CHECK-LABEL: func.func private @carry_part0(
// CHECK:         scf.for
// CHECK-NOT:     scf.for
// CHECK:         return
// CHECK-LABEL: func.func private @carry_part1(
// CHECK:         %[[S:.*]] = memref.load
// CHECK:         scf.for
// CHECK:           memref.store %[[S]]
// CHECK:         scf.for
// CHECK:           memref.store %[[S]]
// CHECK-LABEL: func.func @carry(
// CHECK-NEXT:    call @carry_part0
// CHECK-NEXT:    call @carry_part1
// CHECK-NEXT:    return
func.func @carry(%a: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  scf.for %i = %c0 to %c8 step %c1 {
    %v = memref.load %a[%i] : memref<8xf32>
    memref.store %v, %a[%c0] : memref<8xf32>
  }
  %s = memref.load %a[%c0] : memref<8xf32>
  scf.for %i = %c0 to %c8 step %c1 {
    memref.store %s, %a[%i] : memref<8xf32>
  }
  scf.for %i = %c0 to %c8 step %c1 {
    memref.store %s, %a[%i] : memref<8xf32>
  }
  return
}

// -----

// A memref with a layout cannot be passed: the segment that needs it stays
// inline (here the whole function, whose loops all use it).

// CHECK-LABEL: func.func @strided(
// CHECK-NOT:     call
// CHECK:         scf.for
// CHECK:         scf.for
// CHECK-NOT:   _part
func.func @strided(%a: memref<8xf32, strided<[2]>>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %f = arith.constant 1.0 : f32
  scf.for %i = %c0 to %c8 step %c1 {
    memref.store %f, %a[%i] : memref<8xf32, strided<[2]>>
  }
  scf.for %i = %c0 to %c8 step %c1 {
    memref.store %f, %a[%i] : memref<8xf32, strided<[2]>>
  }
  return
}

// -----

// A value the function returns keeps the ops from its definition on inline;
// the loops before it are outlined.

// CHECK-LABEL: func.func private @result_part0(
// CHECK:         scf.for
// CHECK-LABEL: func.func @result(
// CHECK:         call @result_part0
// CHECK:         %[[R:.*]] = memref.load
// CHECK:         scf.for
// CHECK:         return %[[R]] : f32
func.func @result(%a: memref<8xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %f = arith.constant 1.0 : f32
  scf.for %i = %c0 to %c8 step %c1 {
    memref.store %f, %a[%i] : memref<8xf32>
  }
  %r = memref.load %a[%c0] : memref<8xf32>
  scf.for %i = %c0 to %c8 step %c1 {
    memref.store %f, %a[%i] : memref<8xf32>
  }
  return %r : f32
}
