//===- AWQ.cpp - Activation-aware scaling and clipping search -------------===//
//
// llm-awq's two searches on the layer's calibration statistics:
//  1. scale: s = max(mean|x|^alpha, 1e-4), s /= sqrt(max s * min s), for
//     alpha on a grid; the weight quantized is W diag(s) (float32 products)
//     and the activations are multiplied by 1/s. The alpha with the smallest
//     output error tr(E G E^T), E = W - Q(W diag s) diag(s)^-1, wins
//     (alpha = 0 is round-to-nearest, so the search never loses to it on the
//     calibration data).
//  2. clip: per group of W diag(s), the weights are clamped to
//     +-r * absmax(group) before quantization for r on a grid; the r with the
//     smallest group output error e^T G'_gg e (G' the Gram matrix of x / s,
//     e the group's error against the unclipped weights) wins. Clamping the
//     weights is exactly quantizing with the clipped range: the quantizer
//     then chooses the special value (bitmod), the zero point (asym) and
//     the second-level INT8 scales against the quantized scale as always.
//     The clipped result is kept only if its total output error is lower.
//
//===----------------------------------------------------------------------===//

#include "CalibrationInternal.h"

#include "bitmod/Support/Error.h"

#include <algorithm>
#include <cmath>

using namespace bitmod;
using namespace bitmod::quant;
using llvm::Error;
using llvm::Expected;

namespace {

/// The AWQ scale of every input channel for `alpha` (float32).
std::vector<float> getAWQScales(const std::vector<double> &meanAbs,
                                double alpha) {
  size_t K = meanAbs.size();
  std::vector<double> s(K);
  for (size_t k = 0; k < K; ++k)
    s[k] = std::max(std::pow(meanAbs[k], alpha), 1e-4);
  auto [mn, mx] = std::minmax_element(s.begin(), s.end());
  double norm = std::sqrt(*mn * *mx);
  std::vector<float> out(K);
  for (size_t k = 0; k < K; ++k)
    out[k] = static_cast<float>(s[k] / norm);
  return out;
}

std::vector<float> scaleColumns(llvm::ArrayRef<float> w, int64_t N, int64_t K,
                                const std::vector<float> &s) {
  std::vector<float> out(N * K);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k)
      out[n * K + k] = w[n * K + k] * s[k];
  return out;
}

/// Output error of the effective weight Q diag(1/s) on `rows` (sum, not
/// divided by the count; 1/s rounded to float32 as the compiled model's
/// activation multiply uses it).
double scaledError(llvm::ArrayRef<float> w, const std::vector<float> &q,
                   const std::vector<float> &s, int64_t K,
                   llvm::ArrayRef<int64_t> rows, const std::vector<float> &G,
                   bool qHasAllRows) {
  std::vector<float> E(rows.size() * K);
  for (auto [i, n] : llvm::enumerate(rows))
    for (int64_t k = 0; k < K; ++k) {
      float qv = q[(qHasAllRows ? n : static_cast<int64_t>(i)) * K + k];
      E[i * K + k] = w[n * K + k] - qv * (1.0f / s[k]);
    }
  std::vector<int64_t> local(rows.size());
  for (size_t i = 0; i < rows.size(); ++i)
    local[i] = static_cast<int64_t>(i);
  return detail::sumQuadForms(E.data(), local, G.data(), K);
}

Expected<std::vector<float>> fakeQuantRows(const std::vector<float> &w,
                                           int64_t rows, int64_t K,
                                           const QuantConfig &config) {
  Expected<PackedWeights> p = quantize(w, rows, K, config);
  if (!p)
    return p.takeError();
  return dequantize(*p);
}

} // namespace

Expected<CalibratedWeights> quant::quantizeAWQ(llvm::ArrayRef<float> weights,
                                               int64_t N, int64_t K,
                                               const QuantConfig &config,
                                               const LayerStats &stats,
                                               const AWQOptions &options) {
  if (Error e = detail::checkCalibInputs(weights, N, K, config, stats))
    return std::move(e);
  Expected<BlobLayout> layout = getBlobLayout(N, K, config);
  if (!layout)
    return layout.takeError();
  double count = static_cast<double>(stats.count);
  std::vector<float> G(stats.gram.begin(), stats.gram.end());
  std::vector<double> meanAbs = stats.getMeanAbs();

  // Round-to-nearest (alpha = 0) is the baseline of both searches.
  Expected<PackedWeights> rtn = quantize(weights, N, K, config);
  if (!rtn)
    return rtn.takeError();
  // Every error is evaluated on (a stride of) the rows, scaled to N.
  std::vector<float> ones(K, 1.0f);
  std::vector<int64_t> searchRows = detail::strideRows(N, options.searchRows);
  const std::vector<int64_t> &evalRows = searchRows;
  double rowScale = double(N) / searchRows.size();
  std::vector<float> rtnDeq = dequantize(*rtn);
  double rtnError = scaledError(weights, rtnDeq, ones, K, evalRows, G, true);

  // 1. Scale search.
  QuantConfig searchConfig = config;
  double bestAlpha = 0;
  std::vector<float> bestScale = ones;
  if (options.searchScale && options.scaleGrid > 1) {
    double bestSearchErr = rtnError;
    for (unsigned i = 1; i < options.scaleGrid; ++i) {
      double alpha = static_cast<double>(i) / options.scaleGrid;
      std::vector<float> s = getAWQScales(meanAbs, alpha);
      std::vector<float> ws(searchRows.size() * K);
      for (auto [r, n] : llvm::enumerate(searchRows))
        for (int64_t k = 0; k < K; ++k)
          ws[r * K + k] = weights[n * K + k] * s[k];
      if (config.granularity == Granularity::PerTensor) {
        std::vector<float> full = scaleColumns(weights, N, K, s);
        Expected<TensorRange> range =
            computeTensorRange(full, N, K, config.tensorName);
        if (!range)
          return range.takeError();
        searchConfig.tensorRange = *range;
      }
      auto q = fakeQuantRows(ws, searchRows.size(), K, searchConfig);
      if (!q)
        return q.takeError();
      double err = scaledError(weights, *q, s, K, searchRows, G, false);
      if (err < bestSearchErr) {
        bestSearchErr = err;
        bestAlpha = alpha;
        bestScale = std::move(s);
      }
    }
  }

  std::vector<float> ws = scaleColumns(weights, N, K, bestScale);
  QuantConfig finalConfig = config;
  if (config.granularity == Granularity::PerTensor) {
    Expected<TensorRange> range =
        computeTensorRange(ws, N, K, config.tensorName);
    if (!range)
      return range.takeError();
    finalConfig.tensorRange = *range;
  }
  Expected<PackedWeights> best = quantize(ws, N, K, finalConfig);
  if (!best)
    return best.takeError();
  double bestError = bestAlpha == 0
                         ? rtnError
                         : scaledError(weights, dequantize(*best), bestScale, K,
                                       evalRows, G, true);

  // 2. Clip search per group (not for per-tensor scales, fp16 or MX, whose
  // power-of-two scale a clip below 1/2 cannot move).
  unsigned maxStep =
      static_cast<unsigned>(std::floor(options.maxShrink * options.clipGrid));
  if (options.searchClip && options.clipGrid > 0 && maxStep > 0 &&
      config.granularity != Granularity::PerTensor &&
      config.dtype != DataType::fp16) {
    int64_t Gs = layout->groupSize, numGroups = layout->numGroups;
    // G' = diag(1/s) G diag(1/s), diagonal blocks only: [g][Gs][Gs].
    std::vector<float> blocks(numGroups * Gs * Gs, 0.0f);
    for (int64_t g = 0; g < numGroups; ++g)
      for (int64_t i = 0; i < Gs && g * Gs + i < K; ++i)
        for (int64_t j = 0; j < Gs && g * Gs + j < K; ++j) {
          int64_t a = g * Gs + i, b = g * Gs + j;
          blocks[(g * Gs + i) * Gs + j] = static_cast<float>(
              stats.gram[a * K + b] / (double(bestScale[a]) * bestScale[b]));
        }
    std::vector<float> absmax(N * numGroups, 0.0f);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t k = 0; k < K; ++k)
        absmax[n * numGroups + k / Gs] =
            std::max(absmax[n * numGroups + k / Gs], std::fabs(ws[n * K + k]));
    std::vector<double> bestGroupErr(N * numGroups,
                                     std::numeric_limits<double>::infinity());
    std::vector<float> bestRatio(N * numGroups, 1.0f);
    std::vector<float> clipped(N * K);
    for (unsigned step = 0; step <= maxStep; ++step) {
      float ratio = static_cast<float>(1.0 - double(step) / options.clipGrid);
      for (int64_t n = 0; n < N; ++n)
        for (int64_t k = 0; k < K; ++k) {
          float m = ratio * absmax[n * numGroups + k / Gs];
          clipped[n * K + k] = std::clamp(ws[n * K + k], -m, m);
        }
      auto q = fakeQuantRows(clipped, N, K, config);
      if (!q)
        return q.takeError();
      detail::parallelChunks(N, 16, [&](int64_t n0, int64_t n1) {
        std::vector<double> e(Gs);
        for (int64_t n = n0; n < n1; ++n)
          for (int64_t g = 0; g < numGroups; ++g) {
            int64_t width = std::min(Gs, K - g * Gs);
            for (int64_t i = 0; i < width; ++i)
              e[i] = double(ws[n * K + g * Gs + i]) - (*q)[n * K + g * Gs + i];
            const float *B = &blocks[g * Gs * Gs];
            double err = 0;
            for (int64_t i = 0; i < width; ++i) {
              if (e[i] == 0)
                continue;
              double row = 0;
              for (int64_t j = 0; j < width; ++j)
                row += double(B[i * Gs + j]) * e[j];
              err += e[i] * row;
            }
            if (err < bestGroupErr[n * numGroups + g]) {
              bestGroupErr[n * numGroups + g] = err;
              bestRatio[n * numGroups + g] = ratio;
            }
          }
      });
    }
    for (int64_t n = 0; n < N; ++n)
      for (int64_t k = 0; k < K; ++k) {
        float m =
            bestRatio[n * numGroups + k / Gs] * absmax[n * numGroups + k / Gs];
        clipped[n * K + k] = std::clamp(ws[n * K + k], -m, m);
      }
    Expected<PackedWeights> clippedPacked = quantize(clipped, N, K, config);
    if (!clippedPacked)
      return clippedPacked.takeError();
    double clippedError = scaledError(weights, dequantize(*clippedPacked),
                                      bestScale, K, evalRows, G, true);
    if (clippedError < bestError) {
      bestError = clippedError;
      *best = std::move(*clippedPacked);
    }
  }

  CalibratedWeights result;
  result.packed = std::move(*best);
  result.alpha = bestAlpha;
  result.error = bestError * rowScale / count;
  result.rtnError = rtnError * rowScale / count;
  if (bestAlpha != 0) {
    result.inputScale.resize(K);
    for (int64_t k = 0; k < K; ++k)
      result.inputScale[k] = 1.0f / bestScale[k];
  }
  return result;
}
