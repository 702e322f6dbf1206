// RUN: bitmod-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{unknown data type 'int7'; expected one of:}}
func.func private @f(!bitmod.qweights<4x8, int7, group = 8>)

// -----

// expected-error @+1 {{'fp16' is the unquantized type; quantized weights need a quantized data type}}
func.func private @f(!bitmod.qweights<4x8, fp16, group = 8>)

// -----

// expected-error @+1 {{data type 'mxfp4' requires group size 32, got 128}}
func.func private @f(!bitmod.qweights<4x256, mxfp4, group = 128>)

// -----

// expected-error @+1 {{invalid quantized weights:}}
func.func private @f(!bitmod.qweights<4x8, int8, group = 0>)

// -----

// expected-error @+1 {{invalid quantized weights:}}
func.func private @f(!bitmod.qweights<4x8, int8, group = 8, scale_bits = 3>)

// -----

// expected-error @+1 {{expected a 2-D shape NxK for quantized weights, got 3 dimension(s)}}
func.func private @f(!bitmod.qweights<2x4x8, int8, group = 8>)

// -----

// expected-error @+1 {{MX type 'mxint4' has 8-bit shared exponents; scale_bits must be 8, got 0}}
func.func private @f(!bitmod.qweights<4x64, mxint4, group = 32, scale_bits = 0>)

// -----

// expected-error @+1 {{expected ','}}
func.func private @f(!bitmod.qweights<4x8, int8>)

// -----

// The byte size of 2^62 x 2^62 weights overflows: refused with checked
// arithmetic (it used to wrap to 0 and verify).
// expected-error @+1 {{quantized weights 4611686018427387904x4611686018427387904 with group size 128 are too large: their size in bytes overflows a 64-bit integer}}
func.func private @f(!bitmod.qweights<4611686018427387904x4611686018427387904, int4, group = 128>)
