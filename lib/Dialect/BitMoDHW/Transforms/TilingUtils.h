//===- TilingUtils.h - Shared blocking arithmetic of the HW passes -*- C++
//-*-===//
//
// Private to the bitmod_hw passes: the GEMM view of a grouped matmul and the
// buffer layout of a blocking, shared by --bitmod-tile (which chooses the
// blocking) and --bitmod-bit-serial-schedule (which re-checks and emits it).
//
//===----------------------------------------------------------------------===//

#ifndef LIB_DIALECT_BITMODHW_TRANSFORMS_TILINGUTILS_H
#define LIB_DIALECT_BITMODHW_TRANSFORMS_TILINGUTILS_H

#include "bitmod/Arch/AccelConfig.h"
#include "bitmod/Dialect/BitMoD/IR/BitMoDOps.h"
#include "bitmod/Dialect/BitMoDHW/IR/BitMoDHWOps.h"
#include "bitmod/ISA/Instruction.h"
#include "bitmod/Sim/CostModel.h"

#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace mlir {
namespace bitmod {
namespace hw {

/// Y[M, N] = X[M, K] W[N, K]^T of one grouped matmul.
struct GemmInfo {
  std::string name;
  uint64_t M = 0, N = 0, K = 0;
  unsigned G = 0;
  uint64_t numGroups = 0;
  ::bitmod::isa::ConfigFields config; // lanes filled by setArrangement()
  ::bitmod::sim::WeightSpec spec;
  unsigned outElem = 4; // bytes per output element (f32 or f16)
};

/// The GEMM of `op` (input leading dims flattened). Fails with a message for
/// dynamic shapes and for data types the datapath cannot run (fp16).
llvm::Expected<GemmInfo> getGemmInfo(GroupedMatmulOp op, StringRef name,
                                     const ::bitmod::arch::AccelConfig &cfg);

/// Lanes of an arrangement.
::bitmod::arch::ArrayShape getShape(const ::bitmod::arch::AccelConfig &cfg,
                                    Arrangement arrangement);

struct Blocking {
  Arrangement arrangement = Arrangement::disc;
  BlockingOrder order = BlockingOrder::act_resident;
  uint64_t blockTokens = 0, blockChannels = 0, blockGroups = 0;
};

/// Buffer addresses of a blocking (bytes).
struct BufferPlan {
  // Activation buffer.
  uint64_t xPitch = 0;     // row pitch of an X chunk (block_groups groups)
  uint64_t xSlotBytes = 0; // one X slot (block_tokens rows of one chunk)
  /// act_resident: a ring of X chunk slots, at least the chunks of one token
  /// block, plus spare slots (as many as fit, up to the number of chunks) so
  /// the next token block is prefetched; wgt_resident and out_block: 2
  /// (double buffer).
  unsigned numXSlots = 1;
  uint64_t outPitch = 0;
  uint64_t outSlotBytes = 0;
  uint64_t outBase = 0; // first of the output slots
  /// Two output slots (the store of tile t overlaps tile t+1), or for an
  /// out_block tile that only fits once, one: its store and the first K
  /// chunk of the next tile then run in row pieces of tokenLanes rows, so
  /// the array waits for one piece's store only.
  unsigned numOutSlots = 2;
  uint64_t actBytesUsed = 0;
  // Weight buffer.
  /// act_resident: a ring of numWgtSlots weight slots of this size (at
  /// least 2, as many blocks as fit up to the number of loads); out_block:
  /// two slots.
  uint64_t wgtSlotBytes = 0;
  unsigned numWgtSlots = 2;
  /// wgt_resident: offset of the weight block of every K block.
  std::vector<uint64_t> wgtBlockOffsets;
  std::vector<uint64_t> wgtBlockBytes; // per K block (full channel block)
  /// wgt_resident: 2 when two channel blocks fit, so the next one loads
  /// while the current one computes (copy c % 2 at c * wgtCopyBytes).
  unsigned numWgtCopies = 1;
  uint64_t wgtCopyBytes = 0;
  uint64_t wgtBytesUsed = 0;
};

/// The token blocks of an act_resident schedule as (first row, rows): as
/// many blocks as ceil(M / block_tokens), with the token-lane tiles spread
/// evenly (no short tail block that would be DRAM bound).
std::vector<std::pair<uint64_t, uint64_t>>
getTokenBlocks(uint64_t M, uint64_t blockTokens, uint64_t tokenLanes);

/// Checks `b` against the buffers and the instruction fields and computes
/// its buffer layout; the error says what does not fit.
llvm::Expected<BufferPlan> planBuffers(const GemmInfo &g, const Blocking &b,
                                       const ::bitmod::arch::AccelConfig &cfg);

/// Cycles and traffic of a blocking, from the cycle-level timing model run
/// on the launch's instruction sequence (Schedule.cpp).
struct PlanCost {
  uint64_t cycles = 0;
  uint64_t dramBytes = 0;
  double energyPJ = 0;
  uint64_t numInsts = 0;
};

/// Schedules `b` (buffers `p`) as --bitmod-bit-serial-schedule does and
/// simulates it.
llvm::Expected<PlanCost> simulatePlan(const GemmInfo &g, const Blocking &b,
                                      const BufferPlan &p,
                                      const ::bitmod::arch::AccelConfig &cfg);

inline uint64_t alignTo16(uint64_t v) { return (v + 15) / 16 * 16; }
inline uint64_t ceilDiv(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

} // namespace hw
} // namespace bitmod
} // namespace mlir

#endif // LIB_DIALECT_BITMODHW_TRANSFORMS_TILINGUTILS_H
