// RUN: bitmod-opt %s --split-input-file --bitmod-quantize="dtype=int8" --bitmod-tile="accel-options=act_buffer_bytes=4096;wgt_buffer_bytes=4096" -verify-diagnostics

func.func @too_big(%x: tensor<4x1024xf32>) -> tensor<4x64xf32> {
  %w = arith.constant dense<0.5> : tensor<64x1024xf32>
  // expected-error @+1 {{layer 'big' [M=4, N=64, K=1024] does not fit the accelerator}}
  %y = bitmod.linear %x, %w {name = "big"} : tensor<4x1024xf32>, tensor<64x1024xf32> -> tensor<4x64xf32>
  return %y : tensor<4x64xf32>
}
