// Weight formats the CONFIG instruction cannot state are refused by the
// tiler, naming the layer, not later by the instruction encoder (group size)
// or by model.sim at run time (float group scales).
// RUN: split-file %s %t
// RUN: bitmod-opt %t/group-size.mlir --bitmod-quantize="dtype=int8 group-size=4096" --bitmod-tile -verify-diagnostics
// RUN: bitmod-opt %t/float-scales.mlir --bitmod-quantize="dtype=bitmod3 group-size=128 scale-bits=0" --bitmod-tile -verify-diagnostics
// RUN: bitmod-opt %t/mx-scales.mlir --bitmod-quantize="dtype=mxfp4 scale-bits=0" --bitmod-tile | FileCheck %s --check-prefix=MX

//--- group-size.mlir
func.func @group4096(%x: tensor<4x4096xf32>) -> tensor<4x8xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4096xf32>
  // expected-error @+1 {{layer 'g' cannot be tiled: group size 4096 is outside the accelerator's [8, 4095] (the group_size field of CONFIG)}}
  %y = bitmod.linear %x, %w {name = "g"} : tensor<4x4096xf32>, tensor<8x4096xf32> -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

//--- float-scales.mlir
func.func @float_scales(%x: tensor<4x256xf32>) -> tensor<4x8xf32> {
  %w = arith.constant dense<0.5> : tensor<8x256xf32>
  // expected-error @+1 {{layer 'f' cannot be tiled: float group scales (scale-bits=0) are not a hardware format: the accelerator takes 4..8-bit integer group scales}}
  %y = bitmod.linear %x, %w {name = "f"} : tensor<4x256xf32>, tensor<8x256xf32> -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

//--- mx-scales.mlir
// MX types have 8-bit shared exponents whatever scale-bits says.
// MX: #bitmod_hw.tiling
func.func @mx(%x: tensor<4x256xf32>) -> tensor<4x8xf32> {
  %w = arith.constant dense<0.5> : tensor<8x256xf32>
  %y = bitmod.linear %x, %w {name = "m"} : tensor<4x256xf32>, tensor<8x256xf32> -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
