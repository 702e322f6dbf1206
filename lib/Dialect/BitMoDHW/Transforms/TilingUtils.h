//===- TilingUtils.h - Shared blocking arithmetic of the HW passes -*- C++
//-*-===//
//
// Private to the bitmod_hw passes: the GEMM view of a grouped matmul, shared
// by --bitmod-tile (which chooses the blocking) and
// --bitmod-bit-serial-schedule (which re-checks and emits it). The buffer
// layouts, schedules and plan search are the MLIR-free planner
// (bitmod/Sim/Planner.h).
//
//===----------------------------------------------------------------------===//

#ifndef LIB_DIALECT_BITMODHW_TRANSFORMS_TILINGUTILS_H
#define LIB_DIALECT_BITMODHW_TRANSFORMS_TILINGUTILS_H

#include "bitmod/Arch/AccelConfig.h"
#include "bitmod/Dialect/BitMoD/IR/BitMoDOps.h"
#include "bitmod/Dialect/BitMoDHW/IR/BitMoDHWOps.h"
#include "bitmod/ISA/Instruction.h"
#include "bitmod/Sim/CostModel.h"
#include "bitmod/Sim/Planner.h"

#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace mlir {
namespace bitmod {
namespace hw {

/// Y[M, N] = X[M, K] W[N, K]^T of one grouped matmul (the planner's GEMM,
/// Planner.h).
using GemmInfo = ::bitmod::sim::PlanGemm;
using Blocking = ::bitmod::sim::PlanBlocking;
using BufferPlan = ::bitmod::sim::BufferPlan;
using PlanCost = ::bitmod::sim::PlanCost;
using ::bitmod::sim::planBuffers;
using ::bitmod::sim::simulatePlan;

/// The GEMM of `op` (input leading dims flattened). Fails with a message for
/// dynamic shapes and for data types the datapath cannot run (fp16).
llvm::Expected<GemmInfo> getGemmInfo(GroupedMatmulOp op, StringRef name,
                                     const ::bitmod::arch::AccelConfig &cfg);

/// Lanes of an arrangement.
::bitmod::arch::ArrayShape getShape(const ::bitmod::arch::AccelConfig &cfg,
                                    Arrangement arrangement);

/// The planner's arrangement and loop order of the dialect's enums, and
/// back.
::bitmod::arch::ArrayArrangement toArrayArrangement(Arrangement a);
Arrangement toHWArrangement(::bitmod::arch::ArrayArrangement a);
::bitmod::sim::PlanOrder toPlanOrder(BlockingOrder o);
BlockingOrder toHWOrder(::bitmod::sim::PlanOrder o);

inline uint64_t alignTo16(uint64_t v) { return (v + 15) / 16 * 16; }
inline uint64_t ceilDiv(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

} // namespace hw
} // namespace bitmod
} // namespace mlir

#endif // LIB_DIALECT_BITMODHW_TRANSFORMS_TILINGUTILS_H
