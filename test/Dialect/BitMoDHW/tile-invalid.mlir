// RUN: bitmod-opt %s --split-input-file --bitmod-quantize="dtype=int8 group-size=1024" --bitmod-tile="accel-options=act_buffer_bytes=1024;wgt_buffer_bytes=1024" -verify-diagnostics

// Even split along K, one group of one channel (1,056 bytes with its scale)
// exceeds half the 1 KiB weight buffer.

func.func @too_big(%x: tensor<4x1024xf32>) -> tensor<4x64xf32> {
  %w = arith.constant dense<0.5> : tensor<64x1024xf32>
  // expected-error @+1 {{layer 'big' [M=4, N=64, K=1024] does not fit the accelerator}}
  %y = bitmod.linear %x, %w {name = "big"} : tensor<4x1024xf32>, tensor<64x1024xf32> -> tensor<4x64xf32>
  return %y : tensor<4x64xf32>
}
