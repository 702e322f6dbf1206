// The binary and the listing describe the same program:
// `bitmod-sim --disasm` of the .bmod equals `--emit-asm`.
// RUN: bitmod-opt %s --bitmod-quantize="dtype=bitmod4" --bitmod-tile="accel-options=act_buffer_bytes=65536;wgt_buffer_bytes=32768" --bitmod-bit-serial-schedule -o %t.mlir
// RUN: bitmod-translate --emit-isa %t.mlir -o %t.bmod
// RUN: bitmod-translate --emit-asm %t.mlir -o %t.s
// RUN: bitmod-sim --disasm %t.bmod > %t.dis.s
// RUN: diff %t.s %t.dis.s
func.func @two(%x: tensor<96x1000xf32>) -> tensor<96x40xf32> {
  %w = arith.constant dense<0.25> : tensor<200x1000xf32>
  %y = bitmod.linear %x, %w {name = "proj"} : tensor<96x1000xf32>, tensor<200x1000xf32> -> tensor<96x200xf32>
  %w2 = arith.constant dense<0.5> : tensor<40x200xf32>
  %z = bitmod.linear %y, %w2 {name = "down"} : tensor<96x200xf32>, tensor<40x200xf32> -> tensor<96x40xf32>
  return %z : tensor<96x40xf32>
}
