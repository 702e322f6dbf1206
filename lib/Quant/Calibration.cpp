//===- Calibration.cpp - Method dispatch, output error, RTN ---------------===//

#include "CalibrationInternal.h"

#include "bitmod/Support/Error.h"

#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/Threading.h"

#include <cmath>

using namespace bitmod;
using namespace bitmod::quant;
using llvm::Error;
using llvm::Expected;

std::string_view quant::getQuantMethodName(QuantMethod method) {
  switch (method) {
  case QuantMethod::RTN:
    return "rtn";
  case QuantMethod::AWQ:
    return "awq";
  case QuantMethod::GPTQ:
    return "gptq";
  }
  return "?";
}

std::optional<QuantMethod> quant::parseQuantMethod(std::string_view name) {
  for (QuantMethod m : {QuantMethod::RTN, QuantMethod::AWQ, QuantMethod::GPTQ})
    if (getQuantMethodName(m) == name)
      return m;
  return std::nullopt;
}

void detail::parallelChunks(int64_t n, int64_t chunk,
                            const std::function<void(int64_t, int64_t)> &body) {
  static llvm::DefaultThreadPool pool(llvm::hardware_concurrency());
  if (n <= chunk || pool.getMaxConcurrency() <= 1) {
    body(0, n);
    return;
  }
  llvm::ThreadPoolTaskGroup group(pool);
  for (int64_t b = 0; b < n; b += chunk) {
    int64_t e = std::min(n, b + chunk);
    group.async([&body, b, e] { body(b, e); });
  }
  group.wait();
}

/// f[0..K) += a * g[0..K) for 4 rows at once is the hot loop of the
/// quadratic forms: F = E_tile G, then sum(F .* E_tile).
BITMOD_CALIB_MULTIVERSION
static void quadTile(const float *const *e, int rows, const float *G, int64_t K,
                     int64_t j0, int64_t j1, float *f) {
  // f: [rows][j1 - j0]
  int64_t w = j1 - j0;
  for (int r = 0; r < rows; ++r)
    for (int64_t j = 0; j < w; ++j)
      f[r * w + j] = 0;
  for (int64_t i = 0; i < K; ++i) {
    const float *g = G + i * K + j0;
    for (int r = 0; r < rows; ++r) {
      float a = e[r][i];
      if (a == 0)
        continue;
      float *fr = f + r * w;
      for (int64_t j = 0; j < w; ++j)
        fr[j] += a * g[j];
    }
  }
}

double detail::sumQuadForms(const float *E, llvm::ArrayRef<int64_t> rows,
                            const float *G, int64_t K) {
  constexpr int kTile = 16;
  constexpr int64_t kCols = 512;
  int64_t numTiles = (static_cast<int64_t>(rows.size()) + kTile - 1) / kTile;
  std::vector<double> partial(numTiles, 0.0);
  parallelChunks(numTiles, 1, [&](int64_t t0, int64_t t1) {
    std::vector<float> f(kTile * kCols);
    for (int64_t t = t0; t < t1; ++t) {
      const float *e[kTile];
      int n = 0;
      for (int64_t r = t * kTile;
           r < std::min<int64_t>((t + 1) * kTile, rows.size()); ++r)
        e[n++] = E + rows[r] * K;
      double acc = 0;
      for (int64_t j0 = 0; j0 < K; j0 += kCols) {
        int64_t j1 = std::min(K, j0 + kCols);
        quadTile(e, n, G, K, j0, j1, f.data());
        for (int r = 0; r < n; ++r)
          for (int64_t j = j0; j < j1; ++j)
            acc += static_cast<double>(f[r * (j1 - j0) + j - j0]) * e[r][j];
      }
      partial[t] = acc;
    }
  });
  double sum = 0;
  for (double p : partial)
    sum += p;
  return sum;
}

Error detail::checkCalibInputs(llvm::ArrayRef<float> weights, int64_t N,
                               int64_t K, const QuantConfig &config,
                               const LayerStats &stats) {
  if (N <= 0 || K <= 0 || static_cast<int64_t>(weights.size()) != N * K)
    return makeError("tensor '" + config.tensorName +
                     "': " + llvm::Twine(weights.size()) +
                     " weights do not form [N, K] = [" + llvm::Twine(N) + ", " +
                     llvm::Twine(K) + "]");
  if (stats.K != K)
    return makeError("tensor '" + config.tensorName +
                     "': calibration statistics of layer '" + stats.name +
                     "' have K = " + llvm::Twine(stats.K) +
                     ", the weight has K = " + llvm::Twine(K));
  return stats.validate("calibration statistics");
}

double quant::getOutputError(llvm::ArrayRef<float> weights,
                             llvm::ArrayRef<float> estimate, int64_t N,
                             int64_t K, const LayerStats &stats) {
  std::vector<float> E(N * K);
  for (int64_t i = 0; i < N * K; ++i)
    E[i] = weights[i] - estimate[i];
  std::vector<float> G(stats.gram.begin(), stats.gram.end());
  std::vector<int64_t> rows(N);
  for (int64_t n = 0; n < N; ++n)
    rows[n] = n;
  return detail::sumQuadForms(E.data(), rows, G.data(), K) /
         static_cast<double>(std::max<int64_t>(1, stats.count));
}

std::vector<int64_t> detail::strideRows(int64_t N, unsigned maxRows) {
  int64_t n = maxRows && N > maxRows ? maxRows : N;
  std::vector<int64_t> rows(n);
  for (int64_t i = 0; i < n; ++i)
    rows[i] = n == N ? i : i * N / n;
  return rows;
}

double detail::estimateOutputError(llvm::ArrayRef<float> weights,
                                   llvm::ArrayRef<float> estimate, int64_t N,
                                   int64_t K, const LayerStats &stats,
                                   unsigned maxRows) {
  std::vector<int64_t> rows = strideRows(N, maxRows);
  std::vector<float> E(rows.size() * K);
  for (auto [i, n] : llvm::enumerate(rows))
    for (int64_t k = 0; k < K; ++k)
      E[i * K + k] = weights[n * K + k] - estimate[n * K + k];
  std::vector<int64_t> local(rows.size());
  for (size_t i = 0; i < rows.size(); ++i)
    local[i] = static_cast<int64_t>(i);
  std::vector<float> G(stats.gram.begin(), stats.gram.end());
  double err = detail::sumQuadForms(E.data(), local, G.data(), K);
  return err * (double(N) / rows.size()) /
         static_cast<double>(std::max<int64_t>(1, stats.count));
}

std::vector<float> quant::getEffectiveWeights(const CalibratedWeights &r) {
  std::vector<float> w = dequantize(r.packed);
  if (!r.inputScale.empty())
    for (int64_t n = 0; n < r.packed.rows; ++n)
      for (int64_t k = 0; k < r.packed.cols; ++k)
        w[n * r.packed.cols + k] *= r.inputScale[k];
  return w;
}

Expected<CalibratedWeights> quant::quantizeRTN(llvm::ArrayRef<float> weights,
                                               int64_t N, int64_t K,
                                               const QuantConfig &config,
                                               const LayerStats &stats) {
  if (Error e = detail::checkCalibInputs(weights, N, K, config, stats))
    return std::move(e);
  Expected<PackedWeights> packed = quantize(weights, N, K, config);
  if (!packed)
    return packed.takeError();
  CalibratedWeights r;
  r.packed = std::move(*packed);
  r.error = r.rtnError = detail::estimateOutputError(
      weights, dequantize(r.packed), N, K, stats, detail::kErrorRows);
  return r;
}

Expected<CalibratedWeights>
quant::quantizeCalibrated(QuantMethod method, llvm::ArrayRef<float> weights,
                          int64_t N, int64_t K, const QuantConfig &config,
                          const LayerStats &stats, const AWQOptions &awq,
                          const GPTQOptions &gptq) {
  switch (method) {
  case QuantMethod::RTN:
    return quantizeRTN(weights, N, K, config, stats);
  case QuantMethod::AWQ:
    return quantizeAWQ(weights, N, K, config, stats, awq);
  case QuantMethod::GPTQ:
    return quantizeGPTQ(weights, N, K, config, stats, gptq);
  }
  return makeError("unknown quantization method");
}
