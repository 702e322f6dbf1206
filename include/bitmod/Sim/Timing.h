//===- Timing.h - Cycle-level timing of an instruction stream ---*- C++ -*-===//
//
// Cycle-level model of the three instruction queues (docs/isa.md, "Timing
// model"): every queue runs its instructions in order, one at a time; an
// instruction starts when its queue is free and every token it pops has been
// pushed (a push happens when the pushing instruction ends). Instructions
// are scheduled in time order across queues (list scheduling), so shared
// resources are arbitrated first-come first-served:
//  * DRAM: one bus of dramBytesPerCycle (limited by the buffer port width
//    if narrower); a transfer holds the bus for ceil(bytes / rate) cycles and
//    ends dramLatencyCycles later. The DMA engines keep several requests in
//    flight: a load/store queue issues its next transfer when the bus is
//    free, so the latency is paid once per dependency chain, not per
//    transfer. Tokens are pushed at completion (end).
//  * PE array: a MATMUL issues for passes * kGroups * groupCycles cycles
//    (passes = ceil(m / tokenLanes) * ceil(n / channelLanes)) and completes
//    fill + drain cycles later (CostModel getGroupCycles/getFillCycles/
//    getDrainCycles). Back-to-back MATMULs stream through the pipeline: the
//    next one issues when the previous one stops issuing, so fill/drain are
//    paid once per uninterrupted run, as in the analytic model. An
//    accumulating MATMUL (acc=1) additionally waits until its first old
//    output read (after fill + one pass) cannot precede the completion of
//    the MATMULs in flight; other compute instructions (CONFIG, SYNC, HALT)
//    wait for every MATMUL to complete.
// Buffer accesses are counted at the CostModel port widths for energy.
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_SIM_TIMING_H
#define BITMOD_SIM_TIMING_H

#include "bitmod/Arch/AccelConfig.h"
#include "bitmod/ISA/Program.h"
#include "bitmod/Sim/Energy.h"

#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace bitmod {
namespace sim {

struct InstTiming {
  uint64_t start = 0, end = 0; // cycles; end is exclusive (completion)
  /// When the queue could issue its next instruction (DMA: bus released,
  /// MATMUL: last pass issued; else end).
  uint64_t issueEnd = 0;
  isa::Queue queue = isa::Queue::Compute;
  uint64_t dramBytes = 0; // LOAD_*/STORE
  uint64_t macs = 0;      // MATMUL: m * n * kGroups * G
  int32_t layer = -1;     // index into Program::layers, -1 if none
};

struct LayerTiming {
  std::string name;
  uint64_t start = 0, end = 0;
  uint64_t cycles = 0; // end - start
  uint64_t macs = 0;
  uint64_t dramReadBytes = 0, dramWriteBytes = 0;
  uint64_t peBusyCycles = 0; // MATMUL issue cycles (fill/drain excluded)
  ActivityCounts activity;
  EnergyBreakdown energy;
  uint64_t gemmM = 0, gemmN = 0, gemmK = 0;
};

struct TimingResult {
  uint64_t totalCycles = 0;
  std::vector<InstTiming> insts; // one per instruction
  std::vector<LayerTiming> layers;
  /// Per queue, sum of issueEnd - start (DMA latency and MATMUL fill/drain
  /// overlap with the next instruction and are not counted).
  uint64_t queueBusyCycles[isa::kNumQueues] = {0, 0, 0};
  uint64_t dramBusyCycles = 0;
  uint64_t macs = 0;
  /// Useful PE term-steps / (PEs x totalCycles).
  double peUtilization = 0;
  ActivityCounts activity;
  EnergyBreakdown energy;
};

/// Pipeline view of one MATMUL: the array accepts the next MATMUL after
/// `issueCycles`; results are complete `fillCycles + drainCycles` later.
struct MatMulPipeline {
  uint64_t issueCycles = 0; // passes * kGroups * groupCycles
  uint64_t passCycles = 0;  // kGroups * groupCycles (one output tile)
  uint64_t fillCycles = 0, drainCycles = 0;
  /// Start to completion of a MATMUL that runs alone.
  uint64_t getLatency() const { return issueCycles + fillCycles + drainCycles; }
};

/// The machine a program is timed on: BitMoD (default), or a bit-parallel
/// baseline of the comparison (Baselines.h) running the same instruction
/// stream under its own lanes (CONFIG lanes must be one of its
/// arrangements), 1 MAC per PE per cycle per K element (a MATMUL of kGroups
/// chunks of G elements is kGroups * G cycles per pass), its fill/drain and
/// buffer port widths, and its PE energy; weight-buffer reads are counted
/// at bitsPerWeight.
struct TimingTarget {
  AcceleratorKind kind = AcceleratorKind::BitMoD;
  double bitsPerWeight = 16; // baselines only
};

/// Pipeline of one MATMUL under `config` (the CONFIG in effect).
llvm::Expected<MatMulPipeline>
getMatMulPipeline(const arch::AccelConfig &cfg, const isa::ConfigFields &config,
                  const isa::MatMulFields &mm,
                  const TimingTarget &target = TimingTarget());
/// Cycles of one MATMUL alone under `config`: passes * kGroups * groupCycles
/// + fill + drain (= MatMulPipeline::getLatency()).
llvm::Expected<uint64_t> getMatMulCycles(const arch::AccelConfig &cfg,
                                         const isa::ConfigFields &config,
                                         const isa::MatMulFields &mm);
/// Bus cycles of a DMA of `bytes` (without latency).
uint64_t getDmaBusCycles(const arch::AccelConfig &cfg, uint64_t bytes,
                         unsigned portBits);
/// The arrangement of `cfg` a CONFIG's lanes select, or an error naming the
/// supported shapes.
llvm::Expected<arch::ArrayArrangement>
getConfigArrangement(const arch::AccelConfig &cfg,
                     const isa::ConfigFields &config,
                     AcceleratorKind kind = AcceleratorKind::BitMoD);

/// Simulates the timing of a verified program. `initialArrangement` is the
/// array arrangement in effect before the first CONFIG (it sets the buffer
/// port widths, hence the energy, of the instructions that run before it;
/// TimingCache.h passes the previous layer's).
llvm::Expected<TimingResult>
simulateTiming(const isa::Program &program, const arch::AccelConfig &cfg,
               const TimingTarget &target = TimingTarget(),
               arch::ArrayArrangement initialArrangement =
                   arch::ArrayArrangement::Discriminative);

} // namespace sim
} // namespace bitmod

#endif // BITMOD_SIM_TIMING_H
