// RUN: rm -rf %t && split-file %s %t
// RUN: %python %t/gen.py %t/stats
// RUN: bitmod-opt %t/model.mlir --bitmod-quantize="dtype=bitmod3 group-size=8 method=awq calib-stats=%t/stats" | FileCheck %s --check-prefix=AWQ
// RUN: bitmod-opt %t/model.mlir --bitmod-quantize="dtype=int3_asym group-size=8 method=gptq calib-stats=%t/stats gptq-act-order=true" | FileCheck %s --check-prefix=GPTQ
// RUN: bitmod-opt %t/model.mlir --bitmod-quantize="dtype=bitmod3 group-size=8 method=rtn" | FileCheck %s --check-prefix=RTN
// RUN: not bitmod-opt %t/model.mlir --bitmod-quantize="method=gptq" 2>&1 | FileCheck %s --check-prefix=NOSTATS
// RUN: not bitmod-opt %t/model.mlir --bitmod-quantize="method=omniquant" 2>&1 | FileCheck %s --check-prefix=BADMETHOD
// RUN: not bitmod-opt %t/model.mlir --bitmod-quantize="method=awq calib-stats=%t/missing" 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not bitmod-opt %t/other.mlir --bitmod-quantize="method=gptq calib-stats=%t/stats" 2>&1 | FileCheck %s --check-prefix=NOLAYER

// AWQ keeps its activation scale 1/s as a host multiply of the linear's
// input along K in front of the grouped matmul; GPTQ (and rtn) only choose
// the packed weights.
// AWQ: %[[S:.*]] = arith.constant dense<{{.*}}> : tensor<16xf32>
// AWQ: %[[E:.*]] = tensor.empty(%{{.*}}) : tensor<?x16xf32>
// AWQ: %[[X:.*]] = linalg.generic {{.*}} ins(%arg0, %[[S]] : tensor<?x16xf32>, tensor<16xf32>) outs(%[[E]] : tensor<?x16xf32>)
// AWQ: arith.mulf
// AWQ: bitmod.grouped_matmul %[[X]], %{{.*}} {name = "fc"} : tensor<?x16xf32>, !bitmod.qweights<4x16, bitmod3, group = 8>

// GPTQ-NOT: linalg.generic
// GPTQ: bitmod.grouped_matmul %arg0, %{{.*}} {name = "fc"} : tensor<?x16xf32>, !bitmod.qweights<4x16, int3_asym, group = 8>
// RTN-NOT: linalg.generic
// RTN: bitmod.grouped_matmul %arg0

// NOSTATS: method 'gptq' needs calibration statistics (calib-stats=DIR)
// BADMETHOD: unknown method 'omniquant'; valid methods: rtn, awq, gptq
// MISSING: cannot read calibration statistics '{{.*}}missing{{/|\\}}stats.json'
// NOLAYER: 'bitmod.linear' op cannot quantize to bitmod3: no calibration statistics for layer 'proj' in

//--- gen.py
import sys
import numpy as np
from bitmod.calib_ref import write_stats
rng = np.random.default_rng(3)
x = rng.standard_normal((64, 16)).astype(np.float32)
x[:, 2] *= 30.0  # a salient input channel
x[:, 9] *= 10.0
write_stats(sys.argv[1], {"fc": x})
//--- model.mlir
func.func @model(%x: tensor<?x16xf32>) -> tensor<?x4xf32> {
  %w = arith.constant dense<[[0.0, 0.03, -0.027, -0.089, -0.045, -0.099, 0.006, 0.134, -0.049, -0.062, 0.049, 0.036, 0.011, -0.093, -0.003, 0.07], [-0.134, -0.046, -0.19, -0.129, -0.184, -0.024, -0.127, 0.027, 0.016, -0.019, -0.252, -0.054, -0.005, 0.011, -0.153, -0.048], [-0.098, -0.081, 0.106, -0.081, -0.003, 0.088, -0.058, -0.011, 0.011, 0.006, -0.123, 0.008, 0.136, -0.155, 0.086, 0.012], [-0.064, 0.2, 0.076, -0.12, 0.007, 0.058, -0.019, 0.068, -0.007, 0.067, 0.144, -0.068, 0.02, -0.046, 0.013, -0.119]]> : tensor<4x16xf32>
  %y = bitmod.linear %x, %w {name = "fc"} : tensor<?x16xf32>, tensor<4x16xf32> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}
//--- other.mlir
func.func @model(%x: tensor<2x16xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense<0.5> : tensor<4x16xf32>
  %y = bitmod.linear %x, %w {name = "proj"} : tensor<2x16xf32>, tensor<4x16xf32> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}
