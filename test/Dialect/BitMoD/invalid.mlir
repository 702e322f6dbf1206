// RUN: bitmod-opt %s -split-input-file -verify-diagnostics

func.func @linear_k_mismatch(%x: tensor<3x7xf32>, %w: tensor<4x8xf32>) {
  // expected-error @+1 {{input reduction dimension (7) does not match the weight's K (8)}}
  %y = bitmod.linear %x, %w : tensor<3x7xf32>, tensor<4x8xf32> -> tensor<3x4xf32>
  return
}

// -----

func.func @linear_weight_rank(%x: tensor<3x8xf32>, %w: tensor<2x4x8xf32>) {
  // expected-error @+1 {{weight must be 2-D [N, K], got rank 3}}
  %y = bitmod.linear %x, %w : tensor<3x8xf32>, tensor<2x4x8xf32> -> tensor<3x4xf32>
  return
}

// -----

func.func @linear_result_n(%x: tensor<3x8xf32>, %w: tensor<4x8xf32>) {
  // expected-error @+1 {{result channel dimension (5) does not match the weight's N (4)}}
  %y = bitmod.linear %x, %w : tensor<3x8xf32>, tensor<4x8xf32> -> tensor<3x5xf32>
  return
}

// -----

func.func @linear_result_rank(%x: tensor<2x3x8xf32>, %w: tensor<4x8xf32>) {
  // expected-error @+1 {{result rank (2) must equal the input rank (3)}}
  %y = bitmod.linear %x, %w : tensor<2x3x8xf32>, tensor<4x8xf32> -> tensor<6x4xf32>
  return
}

// -----

func.func @linear_batch_mismatch(%x: tensor<2x3x8xf32>, %w: tensor<4x8xf32>) {
  // expected-error @+1 {{result dimension 1 (5) does not match the input (3)}}
  %y = bitmod.linear %x, %w : tensor<2x3x8xf32>, tensor<4x8xf32> -> tensor<2x5x4xf32>
  return
}

// -----

func.func @linear_bias_size(%x: tensor<3x8xf32>, %w: tensor<4x8xf32>, %b: tensor<5xf32>) {
  // expected-error @+1 {{bias has 5 elements but the weight has N = 4}}
  %y = bitmod.linear %x, %w, bias %b : tensor<3x8xf32>, tensor<4x8xf32>, tensor<5xf32> -> tensor<3x4xf32>
  return
}

// -----

func.func @linear_bias_rank(%x: tensor<3x8xf32>, %w: tensor<4x8xf32>, %b: tensor<1x4xf32>) {
  // expected-error @+1 {{bias must be 1-D [N], got rank 2}}
  %y = bitmod.linear %x, %w, bias %b : tensor<3x8xf32>, tensor<4x8xf32>, tensor<1x4xf32> -> tensor<3x4xf32>
  return
}

// -----

func.func @linear_element_type(%x: tensor<3x8xf32>, %w: tensor<4x8xf16>) {
  // expected-error @+1 {{weight element type 'f16' differs from the input's 'f32'}}
  %y = bitmod.linear %x, %w : tensor<3x8xf32>, tensor<4x8xf16> -> tensor<3x4xf32>
  return
}

// -----

func.func @scalar_input(%x: tensor<f32>, %w: tensor<4x8xf32>) {
  // expected-error @+1 {{input must have rank >= 1, got a scalar tensor}}
  %y = bitmod.linear %x, %w : tensor<f32>, tensor<4x8xf32> -> tensor<4xf32>
  return
}

// -----

func.func @codes_size() {
  // expected-error @+1 {{codes has shape [16] but the weight type needs [32] (N x ceil(1 groups * 8 * 8 bits / 8) bytes)}}
  %w = bitmod.weights codes(dense<0> : tensor<16xui8>) scales(dense<1> : tensor<4x1xi8>) channel_scales(dense<1.0> : tensor<4xf32>) : !bitmod.qweights<4x8, int8, group = 8>
  return
}

// -----

func.func @codes_element_type() {
  // expected-error @+1 {{codes must hold 8-bit integers, got 'i32'}}
  %w = bitmod.weights codes(dense<0> : tensor<8xi32>) scales(dense<1> : tensor<4x1xi8>) channel_scales(dense<1.0> : tensor<4xf32>) : !bitmod.qweights<4x8, int8, group = 8>
  return
}

// -----

func.func @scales_shape() {
  // expected-error @+1 {{scales has shape [4, 2] but the weight type needs [4, 1] (one integer scale per group)}}
  %w = bitmod.weights codes(dense<0> : tensor<32xui8>) scales(dense<1> : tensor<4x2xi8>) channel_scales(dense<1.0> : tensor<4xf32>) : !bitmod.qweights<4x8, int8, group = 8>
  return
}

// -----

func.func @float_scales_type() {
  // expected-error @+1 {{with scale_bits = 0 the scales must be tensor<4x1xf32>, got 'tensor<4x1xi8>'}}
  %w = bitmod.weights codes(dense<0> : tensor<32xui8>) scales(dense<1> : tensor<4x1xi8>) : !bitmod.qweights<4x8, int8, group = 8, scale_bits = 0>
  return
}

// -----

func.func @missing_channel_scales() {
  // expected-error @+1 {{integer group scales need channel_scales}}
  %w = bitmod.weights codes(dense<0> : tensor<32xui8>) scales(dense<1> : tensor<4x1xi8>) : !bitmod.qweights<4x8, int8, group = 8>
  return
}

// -----

func.func @extra_channel_scales() {
  // expected-error @+1 {{channel_scales are only stored with integer group scales (scale_bits > 0, not MX)}}
  %w = bitmod.weights codes(dense<0> : tensor<64xui8>) scales(dense<1> : tensor<2x2xi8>) channel_scales(dense<1.0> : tensor<2xf32>) : !bitmod.qweights<2x64, mxfp4, group = 32>
  return
}

// -----

func.func @channel_scales_shape() {
  // expected-error @+1 {{channel_scales must be tensor<4xf32>, got 'tensor<2xf32>'}}
  %w = bitmod.weights codes(dense<0> : tensor<32xui8>) scales(dense<1> : tensor<4x1xi8>) channel_scales(dense<1.0> : tensor<2xf32>) : !bitmod.qweights<4x8, int8, group = 8>
  return
}

// -----

func.func @missing_selectors() {
  // expected-error @+1 {{data type 'bitmod3' needs per-group special-value selectors}}
  %w = bitmod.weights codes(dense<0> : tensor<12xui8>) scales(dense<1> : tensor<4x1xi8>) channel_scales(dense<1.0> : tensor<4xf32>) : !bitmod.qweights<4x8, bitmod3, group = 8>
  return
}

// -----

func.func @selectors_size() {
  // expected-error @+1 {{selectors has shape [2] but the weight type needs [4] (2-bit selectors, 4 per byte, per channel)}}
  %w = bitmod.weights codes(dense<0> : tensor<12xui8>) scales(dense<1> : tensor<4x1xi8>) channel_scales(dense<1.0> : tensor<4xf32>) selectors(dense<0> : tensor<2xui8>) : !bitmod.qweights<4x8, bitmod3, group = 8>
  return
}

// -----

func.func @unexpected_selectors() {
  // expected-error @+1 {{data type 'fp3_ea_pos' has no special-value selectors}}
  %w = bitmod.weights codes(dense<0> : tensor<12xui8>) scales(dense<1> : tensor<4x1xi8>) channel_scales(dense<1.0> : tensor<4xf32>) selectors(dense<0> : tensor<4xui8>) : !bitmod.qweights<4x8, fp3_ea_pos, group = 8>
  return
}

// -----

func.func @missing_zero_points() {
  // expected-error @+1 {{asymmetric data type 'int4_asym' needs per-group zero points}}
  %w = bitmod.weights codes(dense<0> : tensor<8xui8>) scales(dense<1> : tensor<2x1xi8>) channel_scales(dense<1.0> : tensor<2xf32>) : !bitmod.qweights<2x8, int4_asym, group = 8>
  return
}

// -----

func.func @unexpected_zero_points() {
  // expected-error @+1 {{symmetric data type 'int4' has no zero points}}
  %w = bitmod.weights codes(dense<0> : tensor<8xui8>) scales(dense<1> : tensor<2x1xi8>) channel_scales(dense<1.0> : tensor<2xf32>) zero_points(dense<0> : tensor<2x1xui8>) : !bitmod.qweights<2x8, int4, group = 8>
  return
}

// -----

func.func @grouped_matmul_k(%x: tensor<3x16xf32>, %w: !bitmod.qweights<4x8, int8, group = 8>) {
  // expected-error @+1 {{input reduction dimension (16) does not match the weight's K (8)}}
  %y = bitmod.grouped_matmul %x, %w : tensor<3x16xf32>, !bitmod.qweights<4x8, int8, group = 8> -> tensor<3x4xf32>
  return
}

// -----

func.func @grouped_matmul_n(%x: tensor<3x8xf32>, %w: !bitmod.qweights<4x8, int8, group = 8>) {
  // expected-error @+1 {{result channel dimension (8) does not match the weight's N (4)}}
  %y = bitmod.grouped_matmul %x, %w : tensor<3x8xf32>, !bitmod.qweights<4x8, int8, group = 8> -> tensor<3x8xf32>
  return
}

// -----

func.func @dequantize_shape(%w: !bitmod.qweights<4x8, int8, group = 8>) {
  // expected-error @+1 {{result must be 4x8 like the quantized weights, got 'tensor<8x4xf32>'}}
  %f = bitmod.dequantize %w : !bitmod.qweights<4x8, int8, group = 8> -> tensor<8x4xf32>
  return
}

// -----

func.func @kv_matmul_rank(%q: tensor<4x8x16xf32>, %k: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{lhs must be 4-D [B, heads, rows, cols], got rank 3}}
  %s = bitmod.kv_matmul key %q, %k {group_size = 16} : tensor<4x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @kv_matmul_dynamic(%q: tensor<1x4x?x16xf32>, %k: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{lhs must have a static shape, got 'tensor<1x4x?x16xf32>'}}
  %s = bitmod.kv_matmul key %q, %k {group_size = 16} : tensor<1x4x?x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @kv_matmul_heads(%q: tensor<1x3x8x16xf32>, %k: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{query heads (3) must be a multiple of the kv heads (2)}}
  %s = bitmod.kv_matmul key %q, %k {group_size = 16} : tensor<1x3x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x3x8x8xf32>
  return
}

// -----

func.func @kv_matmul_batch(%q: tensor<2x4x8x16xf32>, %k: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{kv batch (1) differs from the lhs batch (2)}}
  %s = bitmod.kv_matmul key %q, %k {group_size = 16} : tensor<2x4x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<2x4x8x8xf32>
  return
}

// -----

func.func @kv_matmul_key_reduction(%q: tensor<1x4x8x32xf32>, %k: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{lhs reduction dimension (32) does not match the key's head dimension (16)}}
  %s = bitmod.kv_matmul key %q, %k {group_size = 16} : tensor<1x4x8x32xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @kv_matmul_value_reduction(%p: tensor<1x4x8x9xf32>, %v: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{lhs reduction dimension (9) does not match the value's context length (8)}}
  %o = bitmod.kv_matmul value %p, %v {group_size = 8} : tensor<1x4x8x9xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @kv_matmul_result(%p: tensor<1x4x8x8xf32>, %v: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{result must be 'tensor<1x4x8x16xf32>', got 'tensor<1x4x8x8xf32>'}}
  %o = bitmod.kv_matmul value %p, %v {group_size = 8} : tensor<1x4x8x8xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @kv_matmul_group(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{group_size (12) must be a multiple of 8}}
  %s = bitmod.kv_matmul key %q, %k {group_size = 12} : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @kv_matmul_group_zero(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{attribute 'group_size' failed to satisfy constraint}}
  %s = bitmod.kv_matmul key %q, %k {group_size = 0} : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @kv_matmul_elem(%q: tensor<1x4x8x16xf16>, %k: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{lhs, kv and result must have one element type, got 'f16', 'f32', 'f32'}}
  %s = bitmod.kv_matmul key %q, %k {group_size = 16} : tensor<1x4x8x16xf16>, tensor<1x2x8x16xf32> -> tensor<1x4x8x8xf32>
  return
}
