//===- Planner.h - GEMM plan search on the timing model ---------*- C++ -*-===//
//
// The scheduler of one GEMM Y[M, N] = X[M, K] W[N, K]^T on any accelerator
// of the comparison (BitMoD or a bit-parallel baseline): buffer layouts of
// a blocking (loop order act-resident, weight-resident or out_block K-split,
// block sizes along M, N and K), the launch's instruction sequence with its
// dependencies and tokens, and the plan search that simulates every
// candidate with the cycle-level timing model (Timing.h) and keeps the
// fewest cycles, then the least energy within a tie window.
//
// --bitmod-tile and --bitmod-bit-serial-schedule run BitMoD plans through
// it; sim::estimate (CostModel.h) runs it for every accelerator, so the
// baselines are scheduled by the same planner under their own PE counts,
// arrangements, weight widths and per-channel scales (docs/simulator.md,
// "Planned estimate"). MLIR-free.
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_SIM_PLANNER_H
#define BITMOD_SIM_PLANNER_H

#include "bitmod/Arch/AccelConfig.h"
#include "bitmod/ISA/Instruction.h"
#include "bitmod/Sim/CostModel.h"
#include "bitmod/Sim/Energy.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Error.h"

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace bitmod {
namespace sim {

/// One GEMM as the planner sees it. On BitMoD, G is the quantization group
/// and `config` the CONFIG the launch runs under; on a baseline the weights
/// are per channel and G is only the K granularity of the streamed chunks
/// (the largest power of two up to 128 dividing K).
struct PlanGemm {
  std::string name;
  AcceleratorKind kind = AcceleratorKind::BitMoD;
  uint64_t M = 0, N = 0, K = 0;
  unsigned G = 0;
  uint64_t numGroups = 0;
  isa::ConfigFields config; // lanes filled per arrangement
  WeightSpec spec;
  unsigned outElem = 4; // bytes per output element (f32 or f16)
  /// Baselines: bytes of one per-channel scale (FP16 for ANT/OliVe, 0 for
  /// FP16 weights), loaded with a channel block's first K chunk.
  unsigned channelScaleBytes = 0;
};

/// Whether two GEMMs get the same plans: every field searchPlans reads is
/// equal (the name is not one). The tiling pass plans each distinct GEMM
/// of a model once (an LLM repeats a handful of shapes 32 times).
bool isSamePlanGemm(const PlanGemm &a, const PlanGemm &b);

/// The planner's view of an estimate() request: BitMoD needs spec.dtype
/// (set by getBitMoDWeightSpec / getBitMoDAttentionSpec); errors otherwise.
llvm::Expected<PlanGemm> getPlanGemm(const arch::AccelConfig &cfg,
                                     AcceleratorKind kind,
                                     const GemmShape &shape,
                                     const WeightSpec &spec,
                                     unsigned outElem = 2);

enum class PlanOrder : uint8_t { ActResident, WgtResident, OutBlock };
llvm::StringRef getPlanOrderName(PlanOrder o); // act_resident, ...

struct PlanBlocking {
  arch::ArrayArrangement arrangement = arch::ArrayArrangement::Discriminative;
  PlanOrder order = PlanOrder::ActResident;
  uint64_t blockTokens = 0, blockChannels = 0, blockGroups = 0;
};

/// Lanes of an accelerator's arrangement (getAcceleratorShape).
arch::ArrayShape getPlanShape(const arch::AccelConfig &cfg, const PlanGemm &g,
                              arch::ArrayArrangement arrangement);

/// Bytes of the weight block of channels [n0, n0 + n) x groups
/// [g0, g0 + kGroups): BitMoD the ISA weight-block layout, baselines the
/// codes at spec.bitsPerWeight plus (first K chunk) the channel scales, 16
/// byte aligned.
llvm::Expected<uint64_t> getPlanBlockBytes(const PlanGemm &g, uint64_t n,
                                           uint64_t g0, uint64_t kGroups);

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
llvm::Expected<BufferPlan> planBuffers(const PlanGemm &g, const PlanBlocking &b,
                                       const arch::AccelConfig &cfg);

/// One instruction of a launch with its data dependencies.
struct PlannedInst {
  isa::Instruction inst;
  /// LOAD_WGT: the weight block {n0, n, g0, kGroups}.
  std::optional<std::array<int64_t, 4>> block;
  uint64_t cycles = 0;
  llvm::SmallVector<int, 3> deps; // instructions that must complete first
};

/// The instruction list of one launch (docs/hw-dialect.md, "Loop orders").
class LaunchSchedule {
public:
  /// `p` must come from planBuffers(g, b, cfg); all three are referenced.
  LaunchSchedule(const PlanGemm &g, const PlanBlocking &b, const BufferPlan &p,
                 const arch::AccelConfig &cfg);

  /// Bytes of the launch's weight blob (the blocks in load order).
  uint64_t getBlobBytes() const { return blobBytes; }

  /// Builds the instructions for DRAM addresses of the weight blob part,
  /// the input and the output; tokens are derived from the dependencies.
  void build(uint64_t weightBase, uint64_t xAddr, uint64_t yAddr);

  std::vector<PlannedInst> insts;

private:
  struct BlockRef {
    uint64_t n0, n, g0, kGroups;
    uint64_t offset; // in the launch's part of the blob
    uint64_t bytes;
  };
  int add(PlannedInst s) {
    insts.push_back(std::move(s));
    return int(insts.size()) - 1;
  }
  uint64_t dmaCycles(uint64_t bytes) const;
  int addConfig();
  int addLoadAct(uint64_t m0, uint64_t rows, uint64_t k0, uint64_t kElems,
                 uint64_t buf);
  int addLoadWgt(const BlockRef &r, uint64_t buf);
  int addMatmul(uint64_t act, uint64_t wgt, uint64_t out, uint64_t m,
                const BlockRef &r, bool accumulate);
  int addStore(uint64_t m0, uint64_t rows, uint64_t n0, uint64_t n,
               uint64_t buf);
  void addBarrier(int lastStore);
  void assignTokens();

  const PlanGemm &g;
  const PlanBlocking &b;
  const BufferPlan &p;
  const arch::AccelConfig &cfg;
  arch::ArrayShape shape;
  std::vector<BlockRef> blocks;
  uint64_t blobBytes = 0;
  uint64_t weightBase = 0, xAddr = 0, yAddr = 0;
};

/// Cycles, traffic and energy of a blocking, from the cycle-level timing
/// model run on the launch's instruction sequence.
struct PlanCost {
  uint64_t cycles = 0;
  uint64_t dramBytes = 0;
  uint64_t dramReadBytes = 0, dramWriteBytes = 0;
  double energyPJ = 0;
  uint64_t numInsts = 0;
  ActivityCounts activity;
  EnergyBreakdown energy;
};

/// Schedules `b` (buffers `p`) and simulates it.
llvm::Expected<PlanCost> simulatePlan(const PlanGemm &g, const PlanBlocking &b,
                                      const BufferPlan &p,
                                      const arch::AccelConfig &cfg);

/// A candidate plan with its simulated cost.
struct PlanCandidate {
  PlanBlocking b;
  PlanCost cost;
};
std::string describePlan(const PlanCandidate &c);

/// Plans whose cycles are within this fraction of the fastest plan's count
/// as equally fast and are ranked by energy (docs/hw-dialect.md).
constexpr double kPlanTieWindow = 0.015;

/// Every candidate blocking in the allowed arrangements, simulated and
/// sorted best first: fewest cycles, then (within kPlanTieWindow of the
/// best cycles) least energy. Empty when nothing fits; `lastError` then says
/// why. With `prune`, candidates whose lower bound (MATMUL issue cycles,
/// DRAM bus cycles of their traffic) lies beyond the tie window of the
/// fastest plan simulated so far are not simulated: the best plan is the
/// same, the list holds fewer rejected plans (sim::estimate prunes,
/// --bitmod-tile does not, so print-plan and candidate=N see them all).
std::vector<PlanCandidate> searchPlans(
    const PlanGemm &g, llvm::ArrayRef<arch::ArrayArrangement> arrangements,
    const arch::AccelConfig &cfg, std::string &lastError, bool prune = false);

} // namespace sim
} // namespace bitmod

#endif // BITMOD_SIM_PLANNER_H
