// Diagnostics without a location (bad pass options) name the tool instead
// of reading `<unknown>:0: error:`; located ones keep the file position.
// RUN: not bitmod-opt %s --bitmod-quantize="dtype=int7" 2>&1 | FileCheck %s --check-prefix=OPTION
// RUN: not bitmod-opt %s --bitmod-quantize="dtype-config=%t.missing.json" 2>&1 | FileCheck %s --check-prefix=FILE
// RUN: not bitmod-opt %s --bitmod-tile="accel=%t.missing.json" 2>&1 | FileCheck %s --check-prefix=LOCATED

// OPTION-NOT: <unknown>
// OPTION: bitmod-opt: error: bitmod-quantize dtype option: unknown data type 'int7'
// FILE-NOT: <unknown>
// FILE: bitmod-opt: error: cannot read dtype-config '{{.*}}missing.json'
// LOCATED: opt-unlocated-errors.mlir:{{[0-9]+}}:{{[0-9]+}}: error: cannot load accelerator description
func.func @f(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  return %x : tensor<2x8xf32>
}
