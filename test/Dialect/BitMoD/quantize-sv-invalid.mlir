// Bad special-value options of --bitmod-quantize: each names the problem.
// RUN: not bitmod-opt %s --bitmod-quantize="dtype=bitmod3 sv=3,-3,7,-7" 2>&1 | FileCheck %s --check-prefix=ENCODE
// RUN: not bitmod-opt %s --bitmod-quantize="dtype=bitmod3 sv=3,-3,6,3" 2>&1 | FileCheck %s --check-prefix=DUP
// RUN: not bitmod-opt %s --bitmod-quantize="dtype=bitmod4 sv=3,-3,6,-6" 2>&1 | FileCheck %s --check-prefix=BASIC
// RUN: not bitmod-opt %s --bitmod-quantize="dtype=bitmod3 sv=3,-3" 2>&1 | FileCheck %s --check-prefix=LENGTH
// RUN: not bitmod-opt %s --bitmod-quantize="dtype=bitmod3 sv=3,-3,x,6" 2>&1 | FileCheck %s --check-prefix=SYNTAX
// RUN: not bitmod-opt %s --bitmod-quantize="dtype=int8 sv=3,-3,6,-6" 2>&1 | FileCheck %s --check-prefix=NOSV
// RUN: not bitmod-opt %s --bitmod-quantize="dtype=bitmod3 sv-search=tensor" 2>&1 | FileCheck %s --check-prefix=MODE
// RUN: not bitmod-opt %s --bitmod-quantize="dtype=bitmod3 sv-search=layer sv=3,-3,8,-8" 2>&1 | FileCheck %s --check-prefix=BOTH

// ENCODE: error: bitmod-quantize sv option: special value 7 (entry 2) of 'bitmod3' is not representable by the term encoder
// DUP: error: bitmod-quantize sv option: special value 3 appears twice (entries 0 and 3) in the set of 'bitmod3'
// BASIC: error: bitmod-quantize sv option: special value 3 (entry 0) is already a value of the basic fp4 set of 'bitmod4'
// LENGTH: error: bitmod-quantize sv option: special-value set for 'bitmod3' has 2 entries, expected 4
// SYNTAX: error: bitmod-quantize sv option: special-value set '3,-3,x,6': 'x' is not an integer
// NOSV: error: bitmod-quantize sv option: data type 'int8' has no special values
// MODE: error: bitmod-quantize: unknown sv-search 'tensor'; valid: none, layer, model
// BOTH: error: bitmod-quantize: the sv and sv-search options exclude each other
func.func @f(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  return %x : tensor<2x8xf32>
}
