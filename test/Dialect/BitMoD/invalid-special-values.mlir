// RUN: bitmod-opt %s -split-input-file -verify-diagnostics

// 7 = 4 + 2 + 1 needs three bit-serial terms.
// expected-error @+1 {{special value 7 (entry 2) of 'bitmod3' is not representable by the term encoder: it needs 0 < |v| < 32 (5-bit fixed-point magnitude) and at most two one-bits (two bit-serial terms)}}
func.func private @f(!bitmod.qweights<4x8, bitmod3, group = 8, sv = [3, -3, 7, -7]>)

// -----

// expected-error @+1 {{special value 32 (entry 2) of 'bitmod4' is not representable by the term encoder}}
func.func private @f(!bitmod.qweights<4x8, bitmod4, group = 8, sv = [10, -10, 32, -32]>)

// -----

// expected-error @+1 {{special value 300 (entry 3) of 'bitmod4' is not representable by the term encoder}}
func.func private @f(!bitmod.qweights<4x8, bitmod4, group = 8, sv = [10, -10, 16, 300]>)

// -----

// expected-error @+1 {{special value 6 appears twice (entries 2 and 3) in the set of 'bitmod3'}}
func.func private @f(!bitmod.qweights<4x8, bitmod3, group = 8, sv = [3, -3, 6, 6]>)

// -----

// expected-error @+1 {{special value -4 (entry 1) is already a value of the basic fp3 set of 'bitmod3'}}
func.func private @f(!bitmod.qweights<4x8, bitmod3, group = 8, sv = [3, -4, 6, -6]>)

// -----

// 3 is a basic fp4 value (1.5 in the x2 scaling).
// expected-error @+1 {{special value 3 (entry 0) is already a value of the basic fp4 set of 'bitmod4'}}
func.func private @f(!bitmod.qweights<4x8, bitmod4, group = 8, sv = [3, -3, 6, -6]>)

// -----

// expected-error @+1 {{special value 0 (entry 0) is already a value of the basic fp3 set of 'fp3_er_pos'}}
func.func private @f(!bitmod.qweights<4x8, fp3_er_pos, group = 8, sv = [0, -3, 6, -6]>)

// -----

// expected-error @+1 {{special-value set for 'bitmod3' has 3 entries, expected 4 (er_pos, er_neg, ea_pos, ea_neg)}}
func.func private @f(!bitmod.qweights<4x8, bitmod3, group = 8, sv = [3, -3, 6]>)

// -----

// expected-error @+1 {{special-value set for 'bitmod4' has 5 entries, expected 4}}
func.func private @f(!bitmod.qweights<4x8, bitmod4, group = 8, sv = [5, -5, 10, -10, 16]>)

// -----

// expected-error @+1 {{data type 'int4' has no special values (only bitmod3/bitmod4 and the fp3_*/fp4_* extensions take a set)}}
func.func private @f(!bitmod.qweights<4x8, int4, group = 8, sv = [3, -3, 6, -6]>)

// -----

// expected-error @+1 {{expected 'scale_bits' or 'sv' (once), got 'sv'}}
func.func private @f(!bitmod.qweights<4x8, bitmod3, group = 8, sv = [3, -3, 6, -6], sv = [3, -3, 6, -6]>)

// -----

// expected-error @+1 {{expected 'scale_bits' or 'sv' (once), got 'special'}}
func.func private @f(!bitmod.qweights<4x8, bitmod3, group = 8, special = 3>)
