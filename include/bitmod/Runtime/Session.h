//===- Session.h - BitMoD model runtime session -----------------*- C++ -*-===//
//
// The state behind the `ctx` pointer of bitmod_rt_launch: the embedded
// program, one compact single-layer program per launched layer (cached),
// and the timing/energy of every launch so far, merged into one
// TimingResult in execution order (plus a program view of the executed
// instructions for the Chrome trace). Also the tensor file readers of
// model.sim (.npy, ONNX TensorProto .pb).
//
// Plain C++ (LLVM Support only, no MLIR).
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_RUNTIME_SESSION_H
#define BITMOD_RUNTIME_SESSION_H

#include "bitmod/Arch/AccelConfig.h"
#include "bitmod/ISA/Program.h"
#include "bitmod/Runtime/Report.h"
#include "bitmod/Runtime/Runtime.h"
#include "bitmod/Sim/Timing.h"
#include "bitmod/Support/Npy.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bitmod {
namespace rt {

/// The single-layer program of `program.layers[layer]`: its instructions
/// (plus HALT), only the weight bytes it loads, and its `<layer>.x` /
/// `<layer>.y` symbols, rebased into a compact DRAM image. Errors when the
/// layer has no such symbols or a DMA leaves them.
llvm::Expected<isa::Program> extractLayerProgram(const isa::Program &program,
                                                 size_t layer);

class Session {
public:
  /// A session without accelerator program (host-only models).
  Session();
  /// Parses and verifies an embedded .bmod image.
  static llvm::Expected<std::unique_ptr<Session>>
  create(llvm::ArrayRef<uint8_t> bmod);

  /// Runs one launch of `layer` (functional + timing).
  llvm::Error launch(llvm::StringRef layer, const float *input,
                     int64_t inputElements, float *output,
                     int64_t outputElements);

  bool hasProgram() const { return program.has_value(); }
  const isa::Program &getProgram() const { return *program; }
  const arch::AccelConfig &getConfig() const { return cfg; }
  /// Merged timing of all launches, in execution order.
  const sim::TimingResult &getTiming() const { return timing; }
  /// Executed instructions (and one LayerRange per launch), aligned with
  /// getTiming().insts/layers: what the Chrome trace shows.
  const isa::Program &getExecutedProgram() const { return executed; }
  /// Per launch, the index of its layer in getProgram().layers.
  llvm::ArrayRef<size_t> getLaunchLayers() const { return launchLayers; }
  uint64_t getNumLaunches() const { return launchLayers.size(); }
  uint64_t getInstructionsExecuted() const { return instructionsExecuted; }
  /// A ReportInput describing everything run so far.
  ReportInput getReportInput(llvm::StringRef programName) const;

private:
  std::optional<isa::Program> program;
  arch::AccelConfig cfg;
  llvm::StringMap<size_t> layerByName;
  std::vector<std::optional<isa::Program>> layerPrograms;
  isa::Program executed;
  sim::TimingResult timing;
  std::vector<size_t> launchLayers;
  double usefulPESteps = 0;
  uint64_t instructionsExecuted = 0;
};

/// "[1,16,256]".
std::string formatShape(llvm::ArrayRef<int64_t> shape);
/// The .npy dtype holding a model element type.
support::NpyDType getNpyType(ElemType type);
/// The `bitmod.io` name of an element type ("f32", "i64", "bool", ...).
llvm::StringRef getElemName(ElemType type);
/// The element type of a `bitmod.io` name.
std::optional<ElemType> parseElemName(llvm::StringRef name);

/// Parses a serialized onnx.TensorProto (dims, data_type, raw_data or the
/// typed *_data fields). Numeric types only; external data and strings are
/// errors. `name` is used in messages.
llvm::Expected<support::NpyArray>
parseTensorProto(llvm::ArrayRef<uint8_t> bytes, llvm::StringRef name);
/// Reads a tensor from a `.npy` or `.pb` (TensorProto) file, by extension.
llvm::Expected<support::NpyArray> readTensorFile(llvm::StringRef path);

} // namespace rt
} // namespace bitmod

#endif // BITMOD_RUNTIME_SESSION_H
