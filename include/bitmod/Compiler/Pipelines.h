//===- Pipelines.h - BitMoD pass pipelines ----------------------*- C++ -*-===//
//
// The pass lists of the compiler, defined once: bitmod-compile runs them and
// bitmod-opt registers them as --bitmod-accel-pipeline and
// --bitmod-host-to-emitc.
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_COMPILER_PIPELINES_H
#define BITMOD_COMPILER_PIPELINES_H

#include <cstdint>
#include <string>

namespace mlir {
class DialectRegistry;
class OpPassManager;
namespace bitmod {

/// Options of the accelerator mapping (--bitmod-quantize, --bitmod-tile).
struct AccelPipelineOptions {
  /// Weight data type of every linear layer (see --bitmod-quantize).
  std::string dtype = "bitmod3";
  /// Weights per quantization group along K.
  unsigned groupSize = 128;
  /// Bits of the group scales.
  unsigned scaleBits = 8;
  /// JSON file with per-layer data types (overrides `dtype`).
  std::string dtypeConfig;
  /// Quantization method (rtn, awq, gptq) and, for awq/gptq, the
  /// calibration statistics directory.
  std::string method = "rtn";
  std::string calibStats;
  /// Special-value set ("3,-3,8,-8"; empty: the paper's) and search mode
  /// ("none", "layer", "model") of --bitmod-quantize.
  std::string sv;
  std::string svSearch = "none";
  /// Accelerator description JSON (bitmod/Arch/AccelConfig.h); empty: the
  /// paper defaults.
  std::string accel;
};

/// Options of the host lowering to EmitC.
struct HostToEmitCOptions {
  /// Constants up to this many bytes become C++ array initializers.
  uint64_t maxInlineBytes = uint64_t(64) << 20;
};

/// bitmod.linear -> bitmod_hw.launch: --bitmod-quantize, --bitmod-tile and
/// --bitmod-bit-serial-schedule.
void populateAccelPipeline(OpPassManager &pm,
                           const AccelPipelineOptions &options);

/// Every op stays on the host in float32 (--bitmod-lower-to-host), the
/// reference build of `bitmod-compile --dtype=none`.
void populateLowerToHostPipeline(OpPassManager &pm);

/// Host ops + bitmod_hw.launch (or host ops only) -> EmitC, printed to C++
/// with mlir::emitc::translateToCpp (or --mlir-to-cpp). docs/host-lowering.md
/// gives the order and the reasons behind each BitMoD step.
void populateHostToEmitCPipeline(OpPassManager &pm,
                                 const HostToEmitCOptions &options = {});

/// Registers `bitmod-accel-pipeline` and `bitmod-host-to-emitc`.
void registerBitMoDPipelines();

/// Registers every upstream and BitMoD pass and the two pipelines: the pass
/// registry of bitmod-opt, and the pass names bitmod-compile's
/// --mlir-print-ir-{before,after}=<pass> accept.
void registerAllBitMoDPasses();

/// Adds every upstream dialect and extension and the BitMoD dialects: what
/// imported models and the pipelines use.
void registerAllBitMoDDialects(DialectRegistry &registry);

} // namespace bitmod
} // namespace mlir

#endif // BITMOD_COMPILER_PIPELINES_H
