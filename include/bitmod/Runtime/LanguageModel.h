//===- LanguageModel.h - Generation and perplexity in model.sim -*- C++ -*-===//
//
// model.sim --generate / --perplexity (docs/llm.md, "Generation and
// perplexity in model.sim"): the roles of a language model's tensors
// (input_ids, attention_mask, position_ids, logits, and the KV cache pairs
// present.N.key/value -> past_key_values.N.key/value of the decode entry),
// the static sliding KV cache between a prefill entry [1, P] and a decode
// entry [1, 1] with C cache slots, greedy generation and sliding-window
// perplexity, and the per-phase accelerator totals.
//
// Plain C++ (LLVM Support only, no MLIR): bitmod-compile runs the same
// binding on the lowered entries to report bad models at compile time.
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_RUNTIME_LANGUAGEMODEL_H
#define BITMOD_RUNTIME_LANGUAGEMODEL_H

#include "bitmod/Runtime/Runtime.h"
#include "bitmod/Sim/Energy.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace bitmod {
namespace rt {

class Session;

/// A model tensor by value (what bindLanguageModel looks at).
struct TensorDesc {
  std::string name;
  std::vector<int64_t> shape;
  ElemType elem = ElemType::F32;
};
struct EntryDesc {
  std::string name;
  std::vector<TensorDesc> inputs, outputs;
};
EntryDesc describeEntry(const EntryInfo &entry);

/// One KV cache tensor: decode output `present` feeds decode input `past`
/// of the next step, and the prefill output of the same name as `present`
/// fills the cache first.
struct CachePair {
  std::string present, past;
  int64_t prefillOutput = -1, decodeOutput = -1, decodeInput = -1;
  /// The sequence axis (where past has C slots and present C + 1).
  int64_t seqAxis = -1;
};

/// Where every role sits in the entries' tensor lists (-1: absent).
struct LanguageModelBinding {
  int64_t vocab = 0;
  /// Compiled prompt length P (the prefill entry's input_ids length).
  int64_t prefillLength = 0;
  /// Cache slots C of the decode entry (0 without decode entry).
  int64_t cacheSlots = 0;
  int64_t prefillIds = -1, prefillMask = -1, prefillPositions = -1,
          prefillLogits = -1;
  int64_t decodeIds = -1, decodeMask = -1, decodePositions = -1,
          decodeLogits = -1;
  std::vector<CachePair> cache;
};

/// Binds the prefill entry alone (perplexity): inputs input_ids [1, P]
/// (integer), optional attention_mask and position_ids [1, P]; output
/// `logits` [1, P, V] (or the first output) of f32, f16 or f64.
llvm::Expected<LanguageModelBinding> bindPrefill(const EntryDesc &prefill);

/// Binds both phases: bindPrefill, then the decode entry (input_ids and
/// optional position_ids [1, 1], attention_mask [1, C + 1], logits
/// [1, 1, V]) and its KV cache: every other decode input is a past tensor
/// and every decode output other than logits a present tensor; they pair by
/// Optimum naming (present.N.key/value -> past_key_values.N.key/value) or by
/// `feeds` (output=input), and each present is also a prefill output.
/// Unpaired names are one error listing all of them.
llvm::Expected<LanguageModelBinding>
bindLanguageModel(const EntryDesc &prefill, const EntryDesc &decode,
                  llvm::ArrayRef<std::pair<std::string, std::string>> feeds);

/// Accelerator totals of a Session at one point; phase figures are
/// differences of two snapshots.
struct AcceleratorTotals {
  uint64_t launches = 0, instructions = 0, cycles = 0, macs = 0, dramBytes = 0;
  sim::EnergyBreakdown energy;
};
AcceleratorTotals getAcceleratorTotals(const Session &session);
AcceleratorTotals operator-(const AcceleratorTotals &a,
                            const AcceleratorTotals &b);

/// One phase of a generation (prefill or one decode step).
struct PhaseStats {
  std::string name;
  /// Tokens the phase ran and the context (valid positions) it attended.
  int64_t tokens = 0, context = 0;
  AcceleratorTotals totals;
};

struct GenerationResult {
  std::vector<int64_t> tokens;
  std::vector<PhaseStats> phases;
  AcceleratorTotals total;
};

/// Greedy generation of `count` tokens after `prompt` (1 <= length <= P):
/// the prefill entry runs the prompt right-padded to P, its last valid
/// position's argmax is the first token; then count - 1 decode steps, each
/// feeding the previous token (see docs/llm.md for the cache). Errors: a
/// token outside [0, vocab), a prompt longer than P, prompt + count - 1 >
/// C + 1, generation without decode entry when count > 1.
llvm::Expected<GenerationResult>
generate(Session &session, const EntryInfo &prefill, const EntryInfo *decode,
         const LanguageModelBinding &binding, llvm::ArrayRef<int64_t> prompt,
         int64_t count);

struct PerplexityResult {
  double perplexity = 0, meanNLL = 0;
  int64_t tokensScored = 0, windows = 0, window = 0, stride = 0;
  AcceleratorTotals total;
};

/// Hugging Face's sliding-window perplexity over `tokens` with the prefill
/// entry: windows [begin, min(begin + window, n)) for begin = 0, stride,
/// ...; each scores only the targets after the previous window's end (the
/// first window from position 1); log-softmax in double. `window` 0 means
/// P; `stride` 0 means window / 2 (scripts/ort_perplexity.js's defaults).
llvm::Expected<PerplexityResult>
computePerplexity(Session &session, const EntryInfo &prefill,
                  const LanguageModelBinding &binding,
                  llvm::ArrayRef<int64_t> tokens, int64_t window,
                  int64_t stride);

/// Checks every id of `tokens` against [0, vocab); `what` names the source.
llvm::Error checkTokenIds(llvm::ArrayRef<int64_t> tokens, int64_t vocab,
                          llvm::StringRef what);

/// JSON of accelerator totals: launches, instructions, cycles, time_us,
/// macs, dram_bytes, energy_pj {...}.
llvm::json::Object totalsToJSON(const AcceleratorTotals &t,
                                double frequencyGHz);

} // namespace rt
} // namespace bitmod

#endif // BITMOD_RUNTIME_LANGUAGEMODEL_H
