// RUN: bitmod-opt %s | FileCheck %s
// RUN: bitmod-opt %s | bitmod-opt | FileCheck %s

// The special-value set is printed only when it is not the paper's; an
// explicit paper set is the same type as none.

// CHECK-LABEL: func.func private @paper(!bitmod.qweights<4x8, bitmod3, group = 8>, !bitmod.qweights<4x8, bitmod4, group = 8>, !bitmod.qweights<4x8, bitmod3, group = 8>)
func.func private @paper(!bitmod.qweights<4x8, bitmod3, group = 8>,
                         !bitmod.qweights<4x8, bitmod4, group = 8, sv = [10, -10, 16, -16]>,
                         !bitmod.qweights<4x8, bitmod3, group = 8, sv = [3, -3, 6, -6]>)

// CHECK-LABEL: func.func private @custom(!bitmod.qweights<4x8, bitmod3, group = 8, sv = [3, -3, 8, -8]>, !bitmod.qweights<4x8, bitmod4, group = 8, scale_bits = 0, sv = [5, -5, 24, -24]>, !bitmod.qweights<4x8, fp3_ea_pos, group = 8, sv = [3, -3, 5, -6]>)
func.func private @custom(!bitmod.qweights<4x8, bitmod3, group = 8, sv = [3, -3, 8, -8]>,
                          !bitmod.qweights<4x8, bitmod4, group = 8, sv = [5, -5, 24, -24], scale_bits = 0>,
                          !bitmod.qweights<4x8, fp3_ea_pos, group = 8, sv = [3, -3, 5, -6]>)

// The order of the entries is the selector order: a permutation of the
// paper's set is a different type.
// CHECK-LABEL: func.func private @permuted(!bitmod.qweights<4x8, bitmod3, group = 8, sv = [-3, 3, 6, -6]>)
func.func private @permuted(!bitmod.qweights<4x8, bitmod3, group = 8, sv = [-3, 3, 6, -6]>)
