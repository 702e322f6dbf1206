//===- SpecialValues.h - Programmable special-value sets --------*- C++ -*-===//
//
// The special values of the BitMoD types (paper III-A, IV-A) are the 4-entry
// SV register file of the PE, programmed by every CONFIG instruction. This
// header checks user-given sets against what the term encoder can decode,
// parses and prints them, and searches the set that minimizes the weight
// error of one layer or of a whole model. Plain C++ (LLVM Support only).
//
// Admissible special value v (docs/numerics.md, "Special-value sets"):
//  * an integer of the DataType.h scaling with 0 < |v| < 32 (the PE's 5-bit
//    fixed-point magnitude) and at most two one-bits in |v| (the term
//    encoder emits two bit-serial terms per fp3/fp4 weight; a third term
//    would change the cycle count of every weight, so it is refused);
//  * not a value of the type's basic set (fp3 {0, ±1, ±2, ±4}, fp4 {0, ±1,
//    ±2, ±3, ±4, ±6, ±8, ±12}): the negative-zero code would duplicate a
//    level;
//  * the four entries are pairwise distinct.
// The same rules hold for the fixed extensions (fp3_er_pos, ...), which read
// their own entry of the set.
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_QUANT_SPECIALVALUES_H
#define BITMOD_QUANT_SPECIALVALUES_H

#include "bitmod/Quant/DataType.h"
#include "bitmod/Quant/Quantizer.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bitmod {
namespace quant {

/// Number of entries of a special-value set.
constexpr unsigned kNumSpecialValues = 4;
/// Largest admissible magnitude + 1 (5-bit fixed-point magnitude).
constexpr int kSpecialValueLimit = 32;

/// True if the term encoder decodes `v` in at most two terms (0 < |v| < 32,
/// at most two one-bits).
bool isEncodableSpecialValue(int64_t v);

/// Checks a set for `type`: the type has special values, exactly 4 entries,
/// each encodable, not in the basic set, no duplicates. Errors name the
/// offending value and entry.
llvm::Error checkSpecialValues(DataType type, llvm::ArrayRef<int64_t> values);
llvm::Error checkSpecialValues(DataType type, const SpecialValueSet &sv);

/// Parses "3,-3,6,-6" (also with brackets or spaces) and checks it.
llvm::Expected<SpecialValueSet> parseSpecialValues(DataType type,
                                                   llvm::StringRef text);
/// "3,-3,6,-6".
std::string formatSpecialValues(const SpecialValueSet &sv);

/// The candidate sets of the search for `type` (bitmod3/bitmod4): every
/// {+a, -a, +b, -b} with admissible magnitudes a < b (the paper's structure:
/// a symmetric pair in selector slots 0/1 and one in 2/3); the paper's set
/// is among them. fp3: 66 sets, fp4: 28 sets.
std::vector<SpecialValueSet> getSearchCandidates(DataType type);

enum class SVSearchMode : uint8_t { None = 0, Layer, Model };
std::optional<SVSearchMode> parseSVSearchMode(llvm::StringRef text);

/// One weight tensor of a search: row-major [N, K].
struct SVSearchTensor {
  WeightSpan weights;
  int64_t N = 0;
  int64_t K = 0;
  std::string name;
};

struct SVSearchResult {
  SpecialValueSet sv{};
  /// Sum of squared weight errors of the chosen set and of the paper's set
  /// over all tensors (exact: the full tensors quantized with each).
  double sumSquaredError = 0;
  double paperSumSquaredError = 0;
  int64_t count = 0;
  unsigned numCandidates = 0;
};

/// Chooses the set of getSearchCandidates(config.dtype) with the smallest
/// weight squared error summed over `tensors` (one tensor: per-layer
/// search; all of a model's: per-model). The per-group selector choice of
/// the quantizer is inside every evaluation. Stage 1 ranks all candidates
/// on a row sample of every tensor (max(16, N/256) evenly spaced rows; rows
/// are independent, so each sampled row's error is exact); stage 2 quantizes the full tensors with the best
/// ranked set and with the paper's set and keeps the better one, so the
/// result never has a higher error than the paper's set. `config` is the
/// quantization config (dtype bitmod3/bitmod4; specialValues is ignored);
/// config.numThreads workers run the candidates and the row blocks. With
/// `packed`, the quantized tensors of the chosen set (identical to
/// quantize() with result.sv) are returned there, one per tensor, so the
/// caller need not quantize again.
llvm::Expected<SVSearchResult>
searchSpecialValues(llvm::ArrayRef<SVSearchTensor> tensors,
                    const QuantConfig &config,
                    std::vector<PackedWeights> *packed = nullptr);

/// Sum of squared errors of quantize(weights, config) against the weights
/// (row blocks on config.numThreads workers).
llvm::Expected<double> getQuantizationSSE(WeightSpan weights, int64_t N,
                                          int64_t K, const QuantConfig &config);

} // namespace quant
} // namespace bitmod

#endif // BITMOD_QUANT_SPECIALVALUES_H
