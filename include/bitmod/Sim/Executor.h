//===- Executor.h - Runs a BitMoD program -----------------------*- C++ -*-===//
//
// Executes an isa::Program: builds the DRAM image (weight blob + symbol
// regions), converts float inputs to the symbols' element types (f16 inputs
// round to nearest even, as the accelerator stores them), executes the
// instructions in program order on byte-accurate activation and weight
// buffers (MATMUL through the bit-exact Datapath), reads the outputs back
// as floats, and runs the cycle-level timing model (Timing.h).
//
// MATMUL accumulate semantics: out = fp32(old + y) where y is the datapath
// result of the block (FP32, channel scale applied); with out_fmt f16 the
// sum is then rounded to FP16.
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_SIM_EXECUTOR_H
#define BITMOD_SIM_EXECUTOR_H

#include "bitmod/Arch/AccelConfig.h"
#include "bitmod/ISA/Program.h"
#include "bitmod/Sim/Datapath.h"
#include "bitmod/Sim/Timing.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <vector>

namespace bitmod {
namespace sim {

struct ExecOptions {
  /// Skip all data movement and arithmetic; only the timing model runs
  /// (inputs are not needed).
  bool timingOnly = false;
  /// Run every MATMUL through the golden datapath (GoldenDatapath.h)
  /// instead of the fast one: same results bit for bit, much slower; for
  /// end-to-end checks of the fast model.
  bool golden = false;
};

struct ExecResult {
  /// Output symbols by name, row-major floats.
  llvm::StringMap<std::vector<float>> outputs;
  TimingResult timing;
  DatapathStats datapath;
  uint64_t instructionsExecuted = 0;
};

/// The accelerator configuration of a program: its embedded AccelConfig
/// JSON (defaults if empty), with the buffer sizes checked against the
/// program's.
llvm::Expected<arch::AccelConfig>
getProgramAccelConfig(const isa::Program &program);

/// Runs a verified program. Every input symbol needs an entry in `inputs`
/// with exactly its element count (unless timingOnly). Errors name the
/// instruction index and the problem (missing input, unsupported data type,
/// non-finite activation, ...).
llvm::Expected<ExecResult>
execute(const isa::Program &program, const arch::AccelConfig &cfg,
        const llvm::StringMap<std::vector<float>> &inputs,
        const ExecOptions &options = {});

} // namespace sim
} // namespace bitmod

#endif // BITMOD_SIM_EXECUTOR_H
