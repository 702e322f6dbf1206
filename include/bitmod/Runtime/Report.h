//===- Report.h - Simulation report JSON ------------------------*- C++ -*-===//
//
// The report written by `bitmod-sim --report` and `model.sim --report`:
// totals and per-layer cycles, MACs, PE utilization, queue busy cycles, DRAM
// bytes, SRAM accesses and energy, plus the optional baseline comparison
// (`--compare fp16,ant,olive`). One implementation for both tools so their
// reports have the same structure (docs/isa.md, docs/driver.md).
//
// Plain C++ (no MLIR).
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_RUNTIME_REPORT_H
#define BITMOD_RUNTIME_REPORT_H

#include "bitmod/Arch/AccelConfig.h"
#include "bitmod/ISA/Program.h"
#include "bitmod/Sim/Energy.h"
#include "bitmod/Sim/Timing.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <functional>
#include <string>
#include <vector>

namespace bitmod {
namespace rt {

/// Parses "fp16,ant,olive" (also "bitmod"); an error names the bad entry.
llvm::Expected<std::vector<sim::AcceleratorKind>>
parseCompareList(llvm::StringRef list);

/// What the report describes. `timing.layers[i]` is an execution of
/// `program.layers[layerIndex[i]]` (empty `layerIndex` = identity, the
/// bitmod-sim case where every layer runs once in program order).
struct ReportInput {
  const isa::Program *program = nullptr;
  const arch::AccelConfig *cfg = nullptr;
  const sim::TimingResult *timing = nullptr;
  llvm::ArrayRef<size_t> layerIndex;
  /// Name of the program (file) the report is about.
  std::string programName;
  /// Instructions executed (or in the program).
  uint64_t instructions = 0;
  bool timingOnly = false;
  /// Bits per weight of a baseline for a layer with M tokens; default:
  /// sim::getBaselineBitsPerWeight(kind, /*generative=*/M == 1, nullopt).
  std::function<double(sim::AcceleratorKind, uint64_t gemmM)>
      baselineBitsPerWeight;
};

/// Energy breakdown as {dram, act_buffer, wgt_buffer, core, total} (pJ).
llvm::json::Object energyToJSON(const sim::EnergyBreakdown &e);

/// The `compare` object: the analytic BitMoD estimate and each baseline,
/// summed over the executed layers with a GEMM shape.
llvm::Expected<llvm::json::Object>
buildCompare(const ReportInput &in, llvm::ArrayRef<sim::AcceleratorKind> kinds);

/// The whole report; `compare` is added when `kinds` is not empty.
llvm::Expected<llvm::json::Object>
buildReport(const ReportInput &in, llvm::ArrayRef<sim::AcceleratorKind> kinds);

/// The one-line summary both tools print ("N instructions, C cycles ...").
std::string formatSummary(const ReportInput &in);

/// Pretty-prints JSON with a 2-space indent and a final newline.
std::string formatJSON(llvm::json::Value value);

} // namespace rt
} // namespace bitmod

#endif // BITMOD_RUNTIME_REPORT_H
