// Allocations sized by the input are checked against the memory limit
// (--max-memory, default 16 GiB) before they are made: a splat weight is
// not expanded to 256 GiB (that ended in `LLVM ERROR: out of memory`).
// RUN: split-file %s %t
// RUN: bitmod-opt %t/huge.mlir --bitmod-quantize -verify-diagnostics
// RUN: bitmod-opt %t/limit.mlir --max-memory=1M --bitmod-quantize -verify-diagnostics
// RUN: bitmod-opt %t/limit.mlir --max-memory=8M --bitmod-quantize | FileCheck %s --check-prefix=FITS
// RUN: bitmod-opt %t/dequant.mlir --max-memory=1536K --bitmod-quantize="dtype=int8" --bitmod-lower-to-host -verify-diagnostics
// RUN: not bitmod-opt %t/limit.mlir --max-memory=lots 2>&1 | FileCheck %s --check-prefix=BADOPT

// FITS: bitmod.weights
// BADOPT: for the --max-memory option: 'lots' is not a memory size (e.g. 512M, 16G, 1T)

//--- huge.mlir
func.func @huge_splat(%x: tensor<1x1048576xf32>) -> tensor<1x65536xf32> {
  %w = arith.constant dense<1.0> : tensor<65536x1048576xf32>
  // expected-error @+1 {{'bitmod.linear' op the splat weight of shape [65536x1048576] needs 256 GiB, over the memory limit of 16 GiB (--max-memory)}}
  %y = bitmod.linear %x, %w {name = "huge"} : tensor<1x1048576xf32>, tensor<65536x1048576xf32> -> tensor<1x65536xf32>
  return %y : tensor<1x65536xf32>
}

//--- limit.mlir
func.func @splat(%x: tensor<1x1024xf32>) -> tensor<1x1024xf32> {
  %w = arith.constant dense<1.0> : tensor<1024x1024xf32>
  // expected-error @+1 {{the splat weight of shape [1024x1024] needs 4 MiB, over the memory limit of 1 MiB (--max-memory)}}
  %y = bitmod.linear %x, %w {name = "fc"} : tensor<1x1024xf32>, tensor<1024x1024xf32> -> tensor<1x1024xf32>
  return %y : tensor<1x1024xf32>
}

//--- dequant.mlir
// A 1 MiB f16 splat fits 1.5 MiB; its host dequantization (computed in f32)
// needs 2 MiB.
func.func @dequant(%x: tensor<1x1024xf16>) -> tensor<1x512xf16> {
  %w = arith.constant dense<1.0> : tensor<512x1024xf16>
  // expected-error @+1 {{'bitmod.weights' op the dequantized weights of shape [512x1024] needs 2 MiB, over the memory limit of 1.5 MiB (--max-memory)}}
  %y = bitmod.linear %x, %w {name = "h"} : tensor<1x1024xf16>, tensor<512x1024xf16> -> tensor<1x512xf16>
  return %y : tensor<1x512xf16>
}
