// RUN: bitmod-opt %s --bitmod-accel-pipeline="dtype=int8 group-size=128" | FileCheck %s
// RUN: bitmod-opt %s --bitmod-quantize="dtype=int8 group-size=128" --bitmod-tile --bitmod-bit-serial-schedule > %t.expected
// RUN: bitmod-opt %s --bitmod-accel-pipeline="dtype=int8 group-size=128" > %t.actual
// RUN: diff %t.expected %t.actual
// RUN: not bitmod-opt %s --bitmod-accel-pipeline="dtype=int7" 2>&1 | FileCheck %s --check-prefix=BAD

// The named pipeline is exactly quantize + tile + schedule.
// CHECK: bitmod_hw.launch @fc
// CHECK: bitmod_hw.config dtype int8 group_size 128
// CHECK-NOT: bitmod.linear
// BAD: unknown data type 'int7'
func.func @mlp(%x: tensor<8x384xf32>) -> tensor<8x40xf32> {
  %w = arith.constant dense<0.125> : tensor<40x384xf32>
  %y = bitmod.linear %x, %w {name = "fc"} : tensor<8x384xf32>, tensor<40x384xf32> -> tensor<8x40xf32>
  return %y : tensor<8x40xf32>
}
