//===- DramBound.h - DRAM traffic lower bound of a GEMM ---------*- C++ -*-===//
//
// The least DRAM traffic of Y[M, N] = X[M, K] W[N, K]^T over every
// single-level blocking that fits the accelerator's buffers
// (docs/simulator.md, "DRAM lower bound"):
//
//  * a blocking cuts M, N and K into Em, En, Ek blocks of Mb tokens, Nb
//    channels and Kb = kg * G elements (K padded to the group size G, kg >= 1
//    groups: the datapath's unit) and runs the block loops in one of the six
//    orders; one block of each operand is on chip at a time: X [Mb, Kb] and
//    Y [Mb, Nb] in the activation buffer, W [Nb, Kb] in the weight buffer;
//  * an operand block is read again whenever the block index it depends on
//    changes, so an operand is read (product of the extents of the loops up
//    to the innermost loop of extent > 1 it depends on) / (its own blocks)
//    times in full; Y partial sums that leave the chip (K not inside the
//    output's loops) are written and read back in the output format.
//
// Double buffering, instruction fields, lane multiples and the weight block
// layout are ignored (every real plan needs at least this much traffic
// under these rules), so the bound is optimistic for the planner. It is at
// least the compulsory traffic (one read of W and X, one write of Y).
// Schedules that keep more than one block of an operand (the act_resident
// ring that reuses whole weight columns across token blocks) can go below
// it; they are not single-level blockings.
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_SIM_DRAMBOUND_H
#define BITMOD_SIM_DRAMBOUND_H

#include "bitmod/Arch/AccelConfig.h"
#include "bitmod/Sim/CostModel.h"

#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>

namespace bitmod {
namespace sim {

struct DramLowerBound {
  uint64_t bytes = 0;           // least traffic over the blockings
  uint64_t compulsoryBytes = 0; // weightBytes + actBytes + outBytes
  uint64_t weightBytes = 0, actBytes = 0, outBytes = 0; // one pass each
  /// The blocking that attains the bound: loop order outer to inner
  /// ("mnk": token blocks outermost, K innermost) and block sizes.
  std::string order;
  uint64_t blockTokens = 0, blockChannels = 0, blockK = 0;
  /// Full reads of W and X, full writes of Y in that blocking.
  uint64_t weightPasses = 0, actPasses = 0, outPasses = 0;

  std::string toString() const;
};

/// The bound for `shape` with weights of `spec` (bits per weight incl.
/// scales, group size; groupSize 0 means one group of K), FP16 activations
/// and outputs of `outElemBytes` bytes. Errors for a zero dimension and when
/// not even one token x one channel x one group fits the buffers.
llvm::Expected<DramLowerBound> getDramLowerBound(const arch::AccelConfig &cfg,
                                                 const GemmShape &shape,
                                                 const WeightSpec &spec,
                                                 unsigned outElemBytes = 2);

} // namespace sim
} // namespace bitmod

#endif // BITMOD_SIM_DRAMBOUND_H
