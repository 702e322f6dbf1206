// RUN: bitmod-opt %s --bitmod-quantize="dtype=bitmod3" --bitmod-tile=arrangement=disc --bitmod-bit-serial-schedule -o %t.mlir
// RUN: bitmod-translate --emit-asm %t.mlir | FileCheck %s
// RUN: bitmod-translate --emit-isa %t.mlir -o %t.bmod
// RUN: bitmod-translate --emit-asm %t.mlir -o %t.s

// CHECK: ; BitMoD program: 11 instructions, 6096 weight bytes, 2 symbols
// CHECK: .symbol "fc.x" input f16 [8,384] dram=0x000001800 bytes=6144
// CHECK: .symbol "fc.y" output f32 [8,40] dram=0x000003000 bytes=1280
// CHECK: .layer "fc" first=0 count=10 gemm=8x40x384
// CHECK: .weights 6096
// CHECK: config {{.*}}dtype=bitmod3 group_size=128
// CHECK-NEXT: load.act
// CHECK-NEXT: load.wgt {{.*}}bytes=4864 pop_next=0 push_next=1
// CHECK-NEXT: matmul {{.*}}n=32 k_groups=3
// CHECK-NEXT: store
// CHECK-NEXT: load.wgt {{.*}}buf_offset=0x040000 bytes=1232
// CHECK-NEXT: matmul {{.*}}n=8 k_groups=3
// CHECK-NEXT: store
// CHECK-NEXT: sync
// CHECK-NEXT: sync
// CHECK-NEXT: halt
func.func @fc(%x: tensor<8x384xf32>) -> tensor<8x40xf32> {
  %w = arith.constant dense<0.5> : tensor<40x384xf32>
  %y = bitmod.linear %x, %w {name = "fc"} : tensor<8x384xf32>, tensor<40x384xf32> -> tensor<8x40xf32>
  return %y : tensor<8x40xf32>
}
