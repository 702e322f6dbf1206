//===- Trace.h - Chrome trace-event export of a timing run ------*- C++ -*-===//
//
// Writes a TimingResult as Chrome trace-event JSON (the format Perfetto and
// chrome://tracing open): one process "bitmod", one thread (track) per
// queue (load, compute, store), one complete event ("ph": "X") per
// instruction with its index, layer and byte/MAC counts as args. Timestamps
// are microseconds at the configured clock (1 cycle = 1 ns at 1 GHz).
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_SIM_TRACE_H
#define BITMOD_SIM_TRACE_H

#include "bitmod/Arch/AccelConfig.h"
#include "bitmod/ISA/Program.h"
#include "bitmod/Sim/Timing.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

namespace bitmod {
namespace sim {

llvm::json::Value buildChromeTrace(const isa::Program &program,
                                   const TimingResult &timing,
                                   const arch::AccelConfig &cfg);
void writeChromeTrace(const isa::Program &program, const TimingResult &timing,
                      const arch::AccelConfig &cfg, llvm::raw_ostream &os);

} // namespace sim
} // namespace bitmod

#endif // BITMOD_SIM_TRACE_H
