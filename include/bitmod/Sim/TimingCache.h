//===- TimingCache.h - Layer-by-layer timing with memoization ---*- C++ -*-===//
//
// Timing-only simulation of programs too long to simulate instruction by
// instruction in bounded time (a 7B LLM: 225 launches per token, 256 decode
// steps). Two facts make layer-level memoization exact:
//  * the timing model (Timing.h) reads every instruction field except the
//    DRAM addresses, the accelerator configuration and nothing else (no
//    data, no weight bytes);
//  * a layer (launch) of a scheduled program starts on an idle accelerator:
//    the schedule ends every launch with a barrier, so its timing is the
//    one it has as a program of its own, shifted to where the previous
//    layer ended (the same rule model.sim's runtime uses).
// So the timing of a layer is keyed by its instructions with the DRAM
// addresses cleared; the 32 decoder layers of a Llama model share seven
// keys per phase. test/e2e-timing/timing-cache.test checks that the result
// equals simulateTiming() on whole compiled programs.
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_SIM_TIMINGCACHE_H
#define BITMOD_SIM_TIMINGCACHE_H

#include "bitmod/Sim/Timing.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

namespace bitmod {
namespace sim {

/// Standalone timings of layers by their address-free instruction bytes.
struct LayerTimingCache {
  llvm::StringMap<TimingResult> entries;
  uint64_t hits = 0, misses = 0;
};

/// Timing of `repeat` back-to-back runs of `program` (e.g. decode steps),
/// layer by layer through `cache`: the totals, energy and activity equal
/// simulateTiming() on the program (repeated), and `layers` has one entry
/// per executed layer (repeat x program.layers, in order, with start/end on
/// the common timeline). `insts` stays empty (no per-instruction timings:
/// use simulateTiming for a trace). Every instruction except a final HALT
/// must belong to a layer, and the layers must be in program order. Errors:
/// a program without layers, an instruction outside every layer, a layer
/// whose own timing fails. peUtilization is the cycle-weighted mean.
llvm::Expected<TimingResult> simulateTimingByLayer(const isa::Program &program,
                                                   const arch::AccelConfig &cfg,
                                                   LayerTimingCache &cache,
                                                   uint64_t repeat = 1);

} // namespace sim
} // namespace bitmod

#endif // BITMOD_SIM_TIMINGCACHE_H
