//===- Calibration.h - Calibration-aware weight quantization ----*- C++ -*-===//
//
// Calibration statistics of a linear layer y = x W^T (W[N, K]) and the two
// calibration-aware quantizers built on them, AWQ (activation-aware scaling
// and clipping) and GPTQ (column-wise quantization with error
// compensation). Both produce ordinary PackedWeights in the storage layout
// of Quantizer.h: they only choose the weights (and AWQ a per-input-channel
// activation scale), so they run on the same hardware. Plain C++ (LLVM
// Support only). docs/numerics.md, "Calibration-aware quantization", is the
// long form.
//
// Statistics per layer (accumulated in double, streaming: memory K + K^2
// doubles, independent of the number of samples):
//   count          number of activation rows (tokens) seen
//   sumAbs[k]      sum over rows of |x_k|          (AWQ: mean|x| =
//   sumAbs/count) gram[i * K + j] sum over rows of x_i x_j       (G = X^T X;
//   GPTQ: H = 2G/count)
// The output error of a weight estimate Wq on the calibration inputs is
// ||(W - Wq) X^T||_F^2 / count = tr(E G E^T) / count, E = W - Wq.
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_QUANT_CALIBRATION_H
#define BITMOD_QUANT_CALIBRATION_H

#include "bitmod/Quant/Quantizer.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bitmod {
namespace quant {

/// Streaming statistics of the inputs of one linear layer.
struct LayerStats {
  std::string name;
  int64_t K = 0;
  int64_t count = 0;
  std::vector<double> sumAbs; // [K]
  std::vector<double> gram;   // [K, K] row-major, symmetric

  LayerStats() = default;
  LayerStats(std::string name, int64_t K);

  /// Adds `rows` activation rows x[rows, K] (row-major). A NaN/Inf
  /// activation is an error naming the layer, the row and the channel.
  llvm::Error accumulate(llvm::ArrayRef<float> x, int64_t rows);
  /// Adds another layer's statistics (same K).
  llvm::Error merge(const LayerStats &other);
  /// mean |x_k| (0 when count == 0).
  std::vector<double> getMeanAbs() const;
  /// Checks sizes, finiteness, count > 0 (an empty calibration set is an
  /// error) and gram diagonal >= 0; errors name the layer and `where`.
  llvm::Error validate(llvm::StringRef where) const;
};

/// Statistics of every calibrated layer of a model.
struct CalibStats {
  std::vector<LayerStats> layers;
  const LayerStats *lookup(llvm::StringRef name) const;
  LayerStats *lookup(llvm::StringRef name);
};

/// Writes the statistics directory (format "bitmod-calib-stats" version 1):
///   DIR/stats.json  {"format": "bitmod-calib-stats", "version": 1,
///                    "layers": [{"name": N, "k": K, "count": C,
///                                "sum_abs": "layer0.sum_abs.npy",
///                                "gram": "layer0.gram.npy"}, ...]}
///   DIR/layer<i>.sum_abs.npy  float64 [K]
///   DIR/layer<i>.gram.npy     float64 [K, K]
/// The directory is created if needed.
llvm::Error writeCalibStats(llvm::StringRef dir, const CalibStats &stats);
/// Reads and validates a statistics directory: wrong format/version, a
/// missing file, a wrong dtype or shape, NaN/Inf, a negative Gram diagonal,
/// or count <= 0 are errors naming the file and layer.
llvm::Expected<CalibStats> readCalibStats(llvm::StringRef dir);

enum class QuantMethod : uint8_t { RTN = 0, AWQ, GPTQ };
std::string_view getQuantMethodName(QuantMethod method);
std::optional<QuantMethod> parseQuantMethod(std::string_view name);

/// AWQ search parameters (defaults from llm-awq: a grid of 20 for both).
struct AWQOptions {
  /// alpha in {0, 1/n, ..., (n-1)/n}; s = max(mean|x|^alpha, 1e-4), then
  /// s /= sqrt(max(s) min(s)). alpha = 0 is round-to-nearest.
  unsigned scaleGrid = 20;
  /// Clip ratios r = 1 - i/clipGrid for i = 0 .. floor(maxShrink*clipGrid).
  unsigned clipGrid = 20;
  double maxShrink = 0.5;
  bool searchScale = true;
  bool searchClip = true;
  /// The alpha search, the clip-vs-no-clip decision and the reported
  /// errors use at most this many output rows, evenly strided (row
  /// floor(i * N / searchRows), errors scaled by N / rows); 0 = all. The
  /// per-group clip search uses every row.
  unsigned searchRows = 512;
};

/// GPTQ parameters (defaults of the GPTQ reference code).
struct GPTQOptions {
  /// lambda = dampening * mean(diag H) is added to diag H. If H + lambda I
  /// is still not positive definite, lambda is multiplied by 10 (up to 6
  /// times; CalibratedWeights::note says so) before giving up.
  double dampening = 0.01;
  /// Columns per lazy block update (rounded up to a multiple of the group).
  unsigned blockSize = 128;
  /// Quantize columns in order of decreasing diag(H). The group parameters
  /// are then fixed from the original weights before the first column
  /// (GPTQ's static groups; the storage groups stay consecutive along K).
  bool actOrder = false;
};

struct CalibratedWeights {
  PackedWeights packed;
  /// Per-input-channel factor the activations are multiplied by before the
  /// packed matmul (AWQ: 1/s); empty when none is needed. The effective
  /// weight is dequantize(packed)[n, k] * inputScale[k].
  std::vector<float> inputScale;
  /// The chosen alpha (AWQ).
  double alpha = 0;
  /// Output error tr(E G E^T) / count of the result and of round-to-nearest
  /// (exact for N <= 512 rows, else estimated on 512 strided rows; AWQ:
  /// AWQOptions::searchRows).
  double error = 0;
  double rtnError = 0;
  /// Fallbacks taken (raised dampening, dead input channels), or "".
  std::string note;
};

/// Round-to-nearest (quantize()) with the errors filled in.
llvm::Expected<CalibratedWeights> quantizeRTN(llvm::ArrayRef<float> weights,
                                              int64_t N, int64_t K,
                                              const QuantConfig &config,
                                              const LayerStats &stats);
llvm::Expected<CalibratedWeights> quantizeAWQ(llvm::ArrayRef<float> weights,
                                              int64_t N, int64_t K,
                                              const QuantConfig &config,
                                              const LayerStats &stats,
                                              const AWQOptions &options = {});
llvm::Expected<CalibratedWeights> quantizeGPTQ(llvm::ArrayRef<float> weights,
                                               int64_t N, int64_t K,
                                               const QuantConfig &config,
                                               const LayerStats &stats,
                                               const GPTQOptions &options = {});
/// Dispatches on `method`.
llvm::Expected<CalibratedWeights>
quantizeCalibrated(QuantMethod method, llvm::ArrayRef<float> weights, int64_t N,
                   int64_t K, const QuantConfig &config,
                   const LayerStats &stats, const AWQOptions &awq = {},
                   const GPTQOptions &gptq = {});

/// The effective weight of a result (dequantized, times inputScale).
std::vector<float> getEffectiveWeights(const CalibratedWeights &result);

/// tr(E G E^T) / count with E = W - Wq, both [N, K] (multithreaded).
double getOutputError(llvm::ArrayRef<float> weights,
                      llvm::ArrayRef<float> estimate, int64_t N, int64_t K,
                      const LayerStats &stats);

} // namespace quant
} // namespace bitmod

#endif // BITMOD_QUANT_CALIBRATION_H
