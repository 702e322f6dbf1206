// RUN: bitmod-opt %s -split-input-file -bitmod-map-attention="report-missed=true" -verify-diagnostics | FileCheck %s
// The attention matmuls as --bitmod-onnx-to-tosa imports them (zoo.py
// eager_attention): mapped to bitmod.kv_matmul on the K/V caches, GQA
// broadcast peeled off; anything else stays a host tosa.matmul with a
// remark under report-missed.

// GQA prefill: 4 query heads share 2 KV heads (repeat_kv = reshape, tile,
// reshape), scale, mask, Softmax.
// CHECK-LABEL: func.func @gqa_prefill
// CHECK-SAME: (%[[Q:.*]]: tensor<1x4x8x16xf32>, %[[K:.*]]: tensor<1x2x8x16xf32>, %[[V:.*]]: tensor<1x2x8x16xf32>
// CHECK: %[[S:.*]] = bitmod.kv_matmul key %[[Q]], %[[K]] {group_size = 16 : i64} : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x8xf32>
// CHECK: tosa.exp
// CHECK: bitmod.kv_matmul value %{{.*}}, %[[V]] {group_size = 8 : i64} : tensor<1x4x8x8xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
// CHECK-NOT: tosa.matmul
func.func @gqa_prefill(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %mask: tensor<1x1x8x8xf32>) -> tensor<1x4x8x16xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %sh5 = tosa.const_shape {values = dense<[1, 2, 1, 8, 16]> : tensor<5xindex>} : () -> !tosa.shape<5>
  %mul5 = tosa.const_shape {values = dense<[1, 1, 2, 1, 1]> : tensor<5xindex>} : () -> !tosa.shape<5>
  %sh4 = tosa.const_shape {values = dense<[1, 4, 8, 16]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %shq = tosa.const_shape {values = dense<[4, 8, 16]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %shk = tosa.const_shape {values = dense<[4, 16, 8]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %shs = tosa.const_shape {values = dense<[1, 4, 8, 8]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %shp = tosa.const_shape {values = dense<[4, 8, 8]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %k5 = tosa.reshape %k, %sh5 : (tensor<1x2x8x16xf32>, !tosa.shape<5>) -> tensor<1x2x1x8x16xf32>
  %kt = tosa.tile %k5, %mul5 : (tensor<1x2x1x8x16xf32>, !tosa.shape<5>) -> tensor<1x2x2x8x16xf32>
  %kr = tosa.reshape %kt, %sh4 : (tensor<1x2x2x8x16xf32>, !tosa.shape<4>) -> tensor<1x4x8x16xf32>
  %kT = tosa.transpose %kr {perms = array<i32: 0, 1, 3, 2>} : (tensor<1x4x8x16xf32>) -> tensor<1x4x16x8xf32>
  %q3 = tosa.reshape %q, %shq : (tensor<1x4x8x16xf32>, !tosa.shape<3>) -> tensor<4x8x16xf32>
  %k3 = tosa.reshape %kT, %shk : (tensor<1x4x16x8xf32>, !tosa.shape<3>) -> tensor<4x16x8xf32>
  %s3 = tosa.matmul %q3, %k3, %zp, %zp : (tensor<4x8x16xf32>, tensor<4x16x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4x8x8xf32>
  %s4 = tosa.reshape %s3, %shs : (tensor<4x8x8xf32>, !tosa.shape<4>) -> tensor<1x4x8x8xf32>
  %masked = tosa.add %s4, %mask : (tensor<1x4x8x8xf32>, tensor<1x1x8x8xf32>) -> tensor<1x4x8x8xf32>
  %max = tosa.reduce_max %masked {axis = 3 : i32} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x1xf32>
  %sub = tosa.sub %masked, %max : (tensor<1x4x8x8xf32>, tensor<1x4x8x1xf32>) -> tensor<1x4x8x8xf32>
  %e = tosa.exp %sub : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %sum = tosa.reduce_sum %e {axis = 3 : i32} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x1xf32>
  %rcp = tosa.reciprocal %sum : (tensor<1x4x8x1xf32>) -> tensor<1x4x8x1xf32>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %p = tosa.mul %e, %rcp, %shift : (tensor<1x4x8x8xf32>, tensor<1x4x8x1xf32>, tensor<1xi8>) -> tensor<1x4x8x8xf32>
  %v5 = tosa.reshape %v, %sh5 : (tensor<1x2x8x16xf32>, !tosa.shape<5>) -> tensor<1x2x1x8x16xf32>
  %vt = tosa.tile %v5, %mul5 : (tensor<1x2x1x8x16xf32>, !tosa.shape<5>) -> tensor<1x2x2x8x16xf32>
  %vr = tosa.reshape %vt, %sh4 : (tensor<1x2x2x8x16xf32>, !tosa.shape<4>) -> tensor<1x4x8x16xf32>
  %p3 = tosa.reshape %p, %shp : (tensor<1x4x8x8xf32>, !tosa.shape<3>) -> tensor<4x8x8xf32>
  %v3 = tosa.reshape %vr, %shq : (tensor<1x4x8x16xf32>, !tosa.shape<3>) -> tensor<4x8x16xf32>
  %o3 = tosa.matmul %p3, %v3, %zp, %zp : (tensor<4x8x8xf32>, tensor<4x8x16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4x8x16xf32>
  %o = tosa.reshape %o3, %sh4 : (tensor<4x8x16xf32>, !tosa.shape<4>) -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// -----

// Decode step, multi-head: K and V are the Concat of the past cache and the
// new entry; head_dim 64 and context 9 give G = 64 and G = 16.
// CHECK-LABEL: func.func @decode_concat
// CHECK: %[[KC:.*]] = tosa.concat %{{.*}}, %{{.*}} {axis = 2 : i32} : (tensor<1x2x8x64xf32>, tensor<1x2x1x64xf32>) -> tensor<1x2x9x64xf32>
// CHECK: %[[VC:.*]] = tosa.concat
// CHECK: bitmod.kv_matmul key %{{.*}}, %[[KC]] {group_size = 64 : i64} : tensor<1x2x1x64xf32>, tensor<1x2x9x64xf32> -> tensor<1x2x1x9xf32>
// CHECK: bitmod.kv_matmul value %{{.*}}, %[[VC]] {group_size = 16 : i64} : tensor<1x2x1x9xf32>, tensor<1x2x9x64xf32> -> tensor<1x2x1x64xf32>
// CHECK-NOT: tosa.matmul
func.func @decode_concat(%q: tensor<1x2x1x64xf32>, %pk: tensor<1x2x8x64xf32>, %k: tensor<1x2x1x64xf32>, %pv: tensor<1x2x8x64xf32>, %v: tensor<1x2x1x64xf32>) -> tensor<1x2x1x64xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %kc = tosa.concat %pk, %k {axis = 2 : i32} : (tensor<1x2x8x64xf32>, tensor<1x2x1x64xf32>) -> tensor<1x2x9x64xf32>
  %vc = tosa.concat %pv, %v {axis = 2 : i32} : (tensor<1x2x8x64xf32>, tensor<1x2x1x64xf32>) -> tensor<1x2x9x64xf32>
  %shq = tosa.const_shape {values = dense<[2, 1, 64]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %shk = tosa.const_shape {values = dense<[2, 64, 9]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %shp = tosa.const_shape {values = dense<[2, 1, 9]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %shv = tosa.const_shape {values = dense<[2, 9, 64]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %sho = tosa.const_shape {values = dense<[1, 2, 1, 64]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %kT = tosa.transpose %kc {perms = array<i32: 0, 1, 3, 2>} : (tensor<1x2x9x64xf32>) -> tensor<1x2x64x9xf32>
  %q3 = tosa.reshape %q, %shq : (tensor<1x2x1x64xf32>, !tosa.shape<3>) -> tensor<2x1x64xf32>
  %k3 = tosa.reshape %kT, %shk : (tensor<1x2x64x9xf32>, !tosa.shape<3>) -> tensor<2x64x9xf32>
  %s = tosa.matmul %q3, %k3, %zp, %zp : (tensor<2x1x64xf32>, tensor<2x64x9xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x1x9xf32>
  %e = tosa.exp %s : (tensor<2x1x9xf32>) -> tensor<2x1x9xf32>
  %v3 = tosa.reshape %vc, %shv : (tensor<1x2x9x64xf32>, !tosa.shape<3>) -> tensor<2x9x64xf32>
  %o3 = tosa.matmul %e, %v3, %zp, %zp : (tensor<2x1x9xf32>, tensor<2x9x64xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x1x64xf32>
  %o = tosa.reshape %o3, %sho : (tensor<2x1x64xf32>, !tosa.shape<4>) -> tensor<1x2x1x64xf32>
  return %o : tensor<1x2x1x64xf32>
}

// -----

// No Softmax between the two matmuls: both stay on the host.
// CHECK-LABEL: func.func @no_softmax
// CHECK-COUNT-2: tosa.matmul
// CHECK-NOT: bitmod.kv_matmul
func.func @no_softmax(%q: tensor<1x2x4x16xf32>, %k: tensor<1x2x4x16xf32>, %v: tensor<1x2x4x16xf32>) -> tensor<2x4x16xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %shq = tosa.const_shape {values = dense<[2, 4, 16]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %shk = tosa.const_shape {values = dense<[2, 16, 4]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %kT = tosa.transpose %k {perms = array<i32: 0, 1, 3, 2>} : (tensor<1x2x4x16xf32>) -> tensor<1x2x16x4xf32>
  %q3 = tosa.reshape %q, %shq : (tensor<1x2x4x16xf32>, !tosa.shape<3>) -> tensor<2x4x16xf32>
  %k3 = tosa.reshape %kT, %shk : (tensor<1x2x16x4xf32>, !tosa.shape<3>) -> tensor<2x16x4xf32>
  // expected-remark @+1 {{attention matmul left on the host: score matmul (Q K^T) whose result does not reach a value matmul through Softmax}}
  %s = tosa.matmul %q3, %k3, %zp, %zp : (tensor<2x4x16xf32>, tensor<2x16x4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x4x4xf32>
  %v3 = tosa.reshape %v, %shq : (tensor<1x2x4x16xf32>, !tosa.shape<3>) -> tensor<2x4x16xf32>
  // expected-remark @+1 {{attention matmul left on the host: its first operand is not a Softmax of the scores}}
  %o = tosa.matmul %s, %v3, %zp, %zp : (tensor<2x4x4xf32>, tensor<2x4x16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x4x16xf32>
  return %o : tensor<2x4x16xf32>
}

// -----

// A plain batched matmul of two activations and a second operand that is
// transposed some other way.
// CHECK-LABEL: func.func @not_kv
// CHECK-COUNT-2: tosa.matmul
func.func @not_kv(%a: tensor<2x4x8xf32>, %b: tensor<2x8x4xf32>, %c: tensor<1x2x4x8xf32>) -> (tensor<2x4x4xf32>, tensor<2x4x4xf32>) {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  // expected-remark @+1 {{attention matmul left on the host: the second operand is not a [B, heads, rows, cols] tensor flattened to the matmul batch}}
  %y = tosa.matmul %a, %b, %zp, %zp : (tensor<2x4x8xf32>, tensor<2x8x4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x4x4xf32>
  %t = tosa.transpose %c {perms = array<i32: 1, 0, 3, 2>} : (tensor<1x2x4x8xf32>) -> tensor<2x1x8x4xf32>
  %sh = tosa.const_shape {values = dense<[2, 8, 4]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %t3 = tosa.reshape %t, %sh : (tensor<2x1x8x4xf32>, !tosa.shape<3>) -> tensor<2x8x4xf32>
  // expected-remark @+1 {{attention matmul left on the host: the second operand's transpose moves the batch axis}}
  %z = tosa.matmul %a, %t3, %zp, %zp : (tensor<2x4x8xf32>, tensor<2x8x4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x4x4xf32>
  return %y, %z : tensor<2x4x4xf32>, tensor<2x4x4xf32>
}

// -----

// A value matmul with no score matmul behind its probabilities.
// CHECK-LABEL: func.func @value_only
// CHECK: tosa.matmul
func.func @value_only(%p: tensor<2x4x4xf32>, %v: tensor<1x2x4x16xf32>) -> tensor<2x4x16xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %sh = tosa.const_shape {values = dense<[2, 4, 16]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %v3 = tosa.reshape %v, %sh : (tensor<1x2x4x16xf32>, !tosa.shape<3>) -> tensor<2x4x16xf32>
  %e = tosa.exp %p : (tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  // expected-remark @+1 {{attention matmul left on the host: no score matmul (Q K^T) feeds its first operand}}
  %o = tosa.matmul %e, %v3, %zp, %zp : (tensor<2x4x4xf32>, tensor<2x4x16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x4x16xf32>
  return %o : tensor<2x4x16xf32>
}
