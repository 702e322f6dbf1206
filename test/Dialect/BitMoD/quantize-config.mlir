// RUN: split-file %s %t
// RUN: bitmod-opt %t/model.mlir --bitmod-quantize="dtype-config=%t/layers.json group-size=8" | FileCheck %s
// RUN: not bitmod-opt %t/model.mlir --bitmod-quantize="dtype-config=%t/bad-dtype.json" 2>&1 | FileCheck %s --check-prefix=BADTYPE
// RUN: not bitmod-opt %t/model.mlir --bitmod-quantize="dtype-config=%t/bad-key.json" 2>&1 | FileCheck %s --check-prefix=BADKEY
// RUN: not bitmod-opt %t/model.mlir --bitmod-quantize="dtype-config=%t/missing.json" 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not bitmod-opt %t/model.mlir --bitmod-quantize="dtype=int7" 2>&1 | FileCheck %s --check-prefix=BADOPT

// Per-layer data types: the first matching pattern wins, fp16 keeps a layer
// in float, and unmatched layers get the default.
// CHECK: !bitmod.qweights<4x8, int6, group = 8>
// CHECK: !bitmod.qweights<4x8, bitmod4, group = 8>
// CHECK: bitmod.linear %{{.*}} {name = "lm_head"}

// BADTYPE: unknown data type 'int7'; valid data types: int3, int4
// BADKEY: unknown key 'layer' (expected 'default', 'layers')
// MISSING: cannot read dtype-config '{{.*}}missing.json'
// BADOPT: bitmod-quantize dtype option: unknown data type 'int7'

//--- layers.json
{"default": "bitmod4",
 "layers": [{"match": "mlp.*", "dtype": "int6"},
            {"match": "lm_head", "dtype": "fp16"},
            {"match": "mlp.up", "dtype": "int8"}]}
//--- bad-dtype.json
{"default": "int7"}
//--- bad-key.json
{"layer": []}
//--- model.mlir
func.func @model(%x: tensor<2x8xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>) {
  %w = arith.constant dense<0.25> : tensor<4x8xf32>
  %a = bitmod.linear %x, %w {name = "mlp.up"} : tensor<2x8xf32>, tensor<4x8xf32> -> tensor<2x4xf32>
  %b = bitmod.linear %x, %w {name = "attn.q"} : tensor<2x8xf32>, tensor<4x8xf32> -> tensor<2x4xf32>
  %c = bitmod.linear %x, %w {name = "lm_head"} : tensor<2x8xf32>, tensor<4x8xf32> -> tensor<2x4xf32>
  return %a, %b, %c : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>
}
