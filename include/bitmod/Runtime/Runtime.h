//===- Runtime.h - BitMoD model runtime (model-facing API) ------*- C++ -*-===//
//
// What a compiled model (`model.sim`, built by bitmod-compile) links
// against. The generated host code calls `bitmod_rt_launch` for every
// accelerator launch; the generated main() describes the model's entry
// point and I/O and hands control to `bitmod::rt::modelMain`, which parses
// the command line, reads the inputs, runs the model, writes the outputs
// and the simulation report.
//
// This header is deliberately plain C++ (no LLVM/MLIR headers) so generated
// code compiles quickly; the library behind it is BitMoDRuntime
// (lib/Runtime), see bitmod/Runtime/Session.h for the C++ API.
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_RUNTIME_RUNTIME_H
#define BITMOD_RUNTIME_RUNTIME_H

#include <cstddef>
#include <cstdint>

extern "C" {
/// Runs accelerator layer `layer` (a LayerRange of the embedded program,
/// with input symbol `<layer>.x` and output symbol `<layer>.y`) on `input`
/// and writes its result to `output` (row-major float32). Cycles, energy
/// and activity accumulate in `ctx` (a bitmod::rt::Session). Any error
/// (unknown layer, element-count mismatch, simulator error) prints a
/// message and exits with status 1: generated code cannot recover.
void bitmod_rt_launch(void *ctx, const char *layer, const float *input,
                      int64_t inputElements, float *output,
                      int64_t outputElements);
}

namespace bitmod {
namespace rt {

/// Element type of a model input or output (the `elem` of the entry's
/// `bitmod.io` descriptor). Buffers hold one C element per tensor element:
/// float, _Float16 (passed as its uint16_t bits), double, int8_t, uint8_t,
/// int16_t, int32_t, int64_t, bool (one byte, 0 or 1), uint16_t, uint32_t
/// or uint64_t.
enum class ElemType : int32_t {
  F32 = 0,
  F16,
  F64,
  I8,
  U8,
  I16,
  I32,
  I64,
  Bool,
  U16,
  U32,
  U64,
};

/// One model input or output: name (the ONNX name), static shape and
/// element type (F32 when omitted).
struct TensorInfo {
  const char *name;
  int64_t rank;
  const int64_t *shape;
  ElemType elem = ElemType::F32;
};

/// One public function of the model (a `bitmod_model_<name>` entry).
struct EntryInfo {
  /// The entry (function) name: the graph's, or "prefill" / "decode" for a
  /// two-phase language model.
  const char *name;
  int64_t numInputs;
  const TensorInfo *inputs;
  int64_t numOutputs;
  const TensorInfo *outputs;
  /// Calls the generated entry: buffers = inputs then outputs, each a
  /// contiguous row-major array of its shape and element type.
  void (*run)(void *ctx, void *const *buffers);
};

/// A KV-cache feed: decode output `output` (present) becomes decode input
/// `input` (past) of the next step (bitmod-compile --feed out=in).
struct FeedInfo {
  const char *output;
  const char *input;
};

/// Everything the generated main() knows about the model.
struct ModelInfo {
  /// The model name, for messages and the report.
  const char *name;
  /// The entries in module order (at least one).
  int64_t numEntries;
  const EntryInfo *entries;
  /// Explicit KV-cache pairs (in addition to the Optimum naming).
  int64_t numFeeds = 0;
  const FeedInfo *feeds = nullptr;
  /// The embedded .bmod image (nullptr/0 when every op runs on the host).
  const unsigned char *program;
  uint64_t programSize;
};

/// model.sim's main:
///   model.sim [--entry E] --input name=file(.npy|.pb) ... [--output-dir D]
///             [--report r.json] [--trace t.json] [--compare fp16,ant,olive]
///             [--print-io]
///   model.sim --generate N --input input_ids=prompt.npy [--output-dir D] ...
///   model.sim --perplexity tokens.npy [--window T] [--stride S] ...
/// (docs/driver.md, docs/llm.md).
/// Returns the process exit status (0 ok, 1 error with a message on
/// stderr).
int modelMain(int argc, char **argv, const ModelInfo &model);

} // namespace rt
} // namespace bitmod

#endif // BITMOD_RUNTIME_RUNTIME_H
