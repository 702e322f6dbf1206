//===- CostModel.h - Per-GEMM cost: planned estimate and analytic formula -===//
//
// Cycles, DRAM traffic, SRAM accesses and energy of one GEMM
// Y[M, N] = X[M, K] * W[N, K]^T on BitMoD or a baseline.
//
// estimate() is the planned cost: the plan search of Planner.h (the one
// --bitmod-tile runs) schedules the GEMM on the accelerator -- BitMoD or a
// bit-parallel baseline under its own lanes, widths and per-channel scales
// -- and the timing model simulates the chosen plan; cycles, DRAM traffic
// and energy are the simulated ones (docs/simulator.md, "Planned
// estimate").
//
// estimateAnalytic() is the closed-form formula the comparison used before
// (kept as a documented ablation, docs/results.md) and the source of the
// per-MATMUL pieces (group/pass cycles, fill, drain, port widths) the timing
// model uses. docs/simulator.md ("Cost model") derives every formula:
//
//  groupCycles  = max(ceil(G / dp) * terms, scaleBits, tileRows)   (BitMoD)
//  passCycles   = ceil(Kpad / G) * groupCycles        (BitMoD, Kpad = K
//                 padded to G)   |   K / macsPerPE    (baselines)
//  passes       = ceil(M / tokenLanes) * ceil(N / channelLanes)
//  compute      = passes * passCycles + fill + drain
//  fill (BitMoD)  = (gridRows - 1) + (gridCols - 1) + 1 (term decoder)
//  drain (BitMoD) = scaleBits + tileRows + 1 (dequant, column drain, scale)
//  fill/drain (bit-parallel baselines) = tokenLanes + channelLanes - 2 /
//                                       tokenLanes
//  dram         = ceil(dramBytes / dramBytesPerCycle)
//  total        = max(compute, dram) + firstLoad + lastStore
//  firstLoad    = latency + ceil((T0 * Kc * 2 + C0 * Kc * bpw / 8) / bw)
//  lastStore    = latency + ceil(T0 * C0 * 2 / bw)
// with T0 = min(M, tokenLanes), C0 = min(N, channelLanes), Kc the K chunk
// (G for BitMoD, min(K, 128) for baselines).
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_SIM_COSTMODEL_H
#define BITMOD_SIM_COSTMODEL_H

#include "bitmod/Arch/AccelConfig.h"
#include "bitmod/Quant/DataType.h"
#include "bitmod/Sim/Energy.h"

#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>

namespace bitmod {
namespace sim {

/// Y[M, N] = X[M, K] * W[N, K]^T: M tokens, N output channels, K reduction.
struct GemmShape {
  uint64_t M = 0, N = 0, K = 0;
};

/// How the "weight" operand of a GEMM is stored and processed.
struct WeightSpec {
  /// DRAM/SRAM bits per weight including group scale, selector, zero point
  /// (BitMoD bitmod3 at G=128: 3 + 10/128).
  double bitsPerWeight = 16;
  /// BitMoD: terms (cycles per dp weights); baselines: 1.
  unsigned termsPerWeight = 1;
  /// BitMoD group size (K is padded to it); 0 for per-channel baselines.
  unsigned groupSize = 0;
  /// BitMoD: the data type (the planner needs its weight-block layout);
  /// set by getBitMoDWeightSpec / getBitMoDAttentionSpec.
  std::optional<quant::DataType> dtype;
};

/// BitMoD weight spec for a data type (terms from Datapath.h, bits =
/// code bits + (scaleBits + selector/zero-point bits) / G; MX: 8-bit
/// shared exponent per 32). Errors for fp16 and G == 0.
llvm::Expected<WeightSpec> getBitMoDWeightSpec(const arch::AccelConfig &cfg,
                                               quant::DataType type,
                                               unsigned groupSize);
/// BitMoD activation-activation operand (attention K / V): INT8 per group
/// of G along K (paper IV-B: K and V quantized to INT8), 4 Booth terms,
/// 8 + scaleBits/G bits per element.
WeightSpec getBitMoDAttentionSpec(const arch::AccelConfig &cfg,
                                  unsigned groupSize);
/// Baseline spec: bit-parallel, 1 term, per channel.
WeightSpec getBaselineWeightSpec(double bitsPerWeight);

/// Loop order of the buffer blocking.
enum class BlockingOrder : uint8_t {
  ActResident, // X block [Mb, K] held in the act buffer, W streamed
  WgtResident, // W block [Nb, K] held in the weight buffer, X streamed
  Streamed,    // neither fits: both re-streamed per pass
  OutBlock,    // planned only: output tile on chip, K split into chunks
};
llvm::StringRef getBlockingOrderName(BlockingOrder o);

struct BlockingPlan {
  BlockingOrder order = BlockingOrder::ActResident;
  arch::ArrayArrangement arrangement = arch::ArrayArrangement::Discriminative;
  arch::ArrayShape shape;
  uint64_t blockTokens = 0;   // Mb (multiple of tokenLanes, or M)
  uint64_t blockChannels = 0; // Nb (multiple of channelLanes, or N)
  uint64_t chunkK = 0;        // K elements per streamed chunk
  uint64_t outerIterations = 0;
};

struct GemmCost {
  AcceleratorKind kind = AcceleratorKind::BitMoD;
  GemmShape shape;
  WeightSpec spec;
  BlockingPlan plan;
  uint64_t macs = 0;
  uint64_t passes = 0;      // output tiles of tokenLanes x channelLanes
  uint64_t passCycles = 0;  // cycles per pass (full K)
  uint64_t groupCycles = 0; // BitMoD only
  uint64_t fillCycles = 0, drainCycles = 0;
  uint64_t computeCycles = 0;
  uint64_t dramCycles = 0;
  uint64_t firstLoadCycles = 0, lastStoreCycles = 0;
  uint64_t totalCycles = 0;
  uint64_t weightBytes = 0; // one copy of W (packed)
  uint64_t actBytes = 0;    // one copy of X (FP16)
  uint64_t outBytes = 0;    // Y (FP16)
  uint64_t dramReadBytes = 0, dramWriteBytes = 0, dramBytes = 0;
  uint64_t sramAccesses = 0;
  uint64_t peActiveCycles = 0;
  ActivityCounts activity;
  EnergyBreakdown energy;

  GemmCost &operator+=(const GemmCost &o); // sums counters (not shape/plan)
  std::string toString() const;
};

//--- Formula pieces (shared with the scheduler and the timing simulator) ---

/// BitMoD cycles per group: max(ceil(G/dp) * terms, scaleBits, tileRows).
uint64_t getGroupCycles(const arch::AccelConfig &cfg, unsigned groupSize,
                        unsigned terms);
/// Cycles for one output tile over the full K.
uint64_t getPassCycles(const arch::AccelConfig &cfg, AcceleratorKind kind,
                       uint64_t K, const WeightSpec &spec);
uint64_t getFillCycles(const arch::AccelConfig &cfg, AcceleratorKind kind,
                       arch::ArrayArrangement arrangement);
uint64_t getDrainCycles(const arch::AccelConfig &cfg, AcceleratorKind kind,
                        arch::ArrayArrangement arrangement);
/// ceil(bytes / dramBytesPerCycle) (no latency).
uint64_t getDramTransferCycles(const arch::AccelConfig &cfg, uint64_t bytes);
/// Bytes of N x K weights at spec.bitsPerWeight (K padded to G).
uint64_t getWeightBytes(const WeightSpec &spec, uint64_t N, uint64_t K);
/// Buffer port widths of an accelerator in an arrangement (REFERENCE.md):
/// weight dp * ceil(w/4)*4 * channelLanes, activation dp * 16 * tokenLanes,
/// both halved for bit-serial BitMoD (w = 4 for BitMoD, the spec's
/// discriminative width for baselines).
unsigned getWgtPortBits(const arch::AccelConfig &cfg, AcceleratorKind kind,
                        arch::ArrayArrangement arrangement);
unsigned getActPortBits(const arch::AccelConfig &cfg, AcceleratorKind kind,
                        arch::ArrayArrangement arrangement);

/// The blocking estimate() uses for a concrete arrangement (minimal DRAM
/// traffic among the orders that fit the buffers; ties: ActResident).
BlockingPlan planBlocking(const arch::AccelConfig &cfg, AcceleratorKind kind,
                          const GemmShape &shape, const WeightSpec &spec,
                          arch::ArrayArrangement arrangement);

//--- Estimates ---------------------------------------------------------------

/// Planned cost with a given arrangement (Auto: the search covers both):
/// the best plan of searchPlans() simulated by the timing model.
/// totalCycles, dram*Bytes, activity and energy are the simulated plan's;
/// computeCycles, dramCycles, fill/drain and passes stay the analytic bounds
/// of estimateAnalytic(). A BitMoD spec without a dtype (hand-built) falls
/// back to estimateAnalytic(). Errors: zero dimension, invalid config, G == 0
/// with terms > 1 on BitMoD, a GEMM no plan fits.
/// `outElemBytes` is the output format (2: FP16, 4: F32) the plan stores.
llvm::Expected<GemmCost>
estimate(const arch::AccelConfig &cfg, AcceleratorKind kind,
         const GemmShape &shape, const WeightSpec &spec,
         arch::ArrayArrangement arrangement = arch::ArrayArrangement::Auto,
         unsigned outElemBytes = 2);

/// The analytic formula (ablation): Auto evaluates both arrangements and
/// keeps the lower totalCycles (ties: Discriminative).
llvm::Expected<GemmCost> estimateAnalytic(
    const arch::AccelConfig &cfg, AcceleratorKind kind, const GemmShape &shape,
    const WeightSpec &spec,
    arch::ArrayArrangement arrangement = arch::ArrayArrangement::Auto);

/// Convenience: BitMoD with a data type (spec from getBitMoDWeightSpec), or
/// for baselines the dtype's code bits as bits per weight. With
/// activationActivation the W operand is a runtime activation (attention):
/// BitMoD uses getBitMoDAttentionSpec, baselines their attention bits.
/// `analytic` evaluates estimateAnalytic() instead of the planned cost (the
/// closed form: fast enough for sweeps of many points).
llvm::Expected<GemmCost>
estimate(const arch::AccelConfig &cfg, AcceleratorKind kind,
         const GemmShape &shape, quant::DataType type, unsigned groupSize,
         bool activationActivation = false,
         arch::ArrayArrangement arrangement = arch::ArrayArrangement::Auto,
         bool analytic = false);

/// The arrangement estimateAnalytic() picks under Auto.
arch::ArrayArrangement selectArrangement(const arch::AccelConfig &cfg,
                                         AcceleratorKind kind,
                                         const GemmShape &shape,
                                         const WeightSpec &spec);

} // namespace sim
} // namespace bitmod

#endif // BITMOD_SIM_COSTMODEL_H
