// RUN: bitmod-opt %s | FileCheck %s
// Every data type spelling parses and prints back.

// CHECK: test.dtypes = [#bitmod.dtype<int3>, #bitmod.dtype<int4>, #bitmod.dtype<int5>, #bitmod.dtype<int6>, #bitmod.dtype<int8>, #bitmod.dtype<int3_asym>, #bitmod.dtype<int4_asym>
// CHECK-SAME: #bitmod.dtype<fp3>, #bitmod.dtype<fp4>, #bitmod.dtype<fp3_er_pos>, #bitmod.dtype<fp3_er_neg>, #bitmod.dtype<fp3_ea_pos>, #bitmod.dtype<fp3_ea_neg>
// CHECK-SAME: #bitmod.dtype<fp4_er_pos>, #bitmod.dtype<fp4_er_neg>, #bitmod.dtype<fp4_ea_pos>, #bitmod.dtype<fp4_ea_neg>, #bitmod.dtype<bitmod3>, #bitmod.dtype<bitmod4>
// CHECK-SAME: #bitmod.dtype<flint4>, #bitmod.dtype<mxfp3>, #bitmod.dtype<mxfp4>, #bitmod.dtype<mxint4>, #bitmod.dtype<fp5_e2m2>, #bitmod.dtype<fp5_e3m1>, #bitmod.dtype<fp6_e2m3>, #bitmod.dtype<fp6_e3m2>, #bitmod.dtype<fp16>]
module attributes {test.dtypes = [#bitmod.dtype<int3>, #bitmod.dtype<int4>, #bitmod.dtype<int5>, #bitmod.dtype<int6>, #bitmod.dtype<int8>, #bitmod.dtype<int3_asym>, #bitmod.dtype<int4_asym>, #bitmod.dtype<fp3>, #bitmod.dtype<fp4>, #bitmod.dtype<fp3_er_pos>, #bitmod.dtype<fp3_er_neg>, #bitmod.dtype<fp3_ea_pos>, #bitmod.dtype<fp3_ea_neg>, #bitmod.dtype<fp4_er_pos>, #bitmod.dtype<fp4_er_neg>, #bitmod.dtype<fp4_ea_pos>, #bitmod.dtype<fp4_ea_neg>, #bitmod.dtype<bitmod3>, #bitmod.dtype<bitmod4>, #bitmod.dtype<flint4>, #bitmod.dtype<mxfp3>, #bitmod.dtype<mxfp4>, #bitmod.dtype<mxint4>, #bitmod.dtype<fp5_e2m2>, #bitmod.dtype<fp5_e3m1>, #bitmod.dtype<fp6_e2m3>, #bitmod.dtype<fp6_e3m2>, #bitmod.dtype<fp16>]} {
}
