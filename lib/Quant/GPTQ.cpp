//===- GPTQ.cpp - Column-wise quantization with error compensation --------===//
//
// GPTQ (Frantar et al., 2023) on the layer's Gram matrix:
//   H = G / count (the factor 2 of the paper cancels); dead channels
//   (H_kk = 0) get H_kk = 1 and their weights are set to 0; optional
//   act-order permutes the columns by decreasing H_kk; H += lambda I with
//   lambda = dampening * mean(diag H); U = upper Cholesky factor of H^-1,
//   computed as J chol(J H J)^-1 J (J reverses the order), which is the same
//   matrix as chol(H^-1)^T without forming the inverse. Then, per row
//   (rows are independent), column by column in blocks:
//     q_i = Q(w_i); err = (w_i - q_i) / U_ii; w_j -= err U_ij (j > i in the
//     block); at the end of a block all later columns get the block's
//     errors at once (the lazy batch update).
// Group parameters (scale code, special value, zero point, MX exponent) are
// chosen when the group's first column is reached, from the current
// (error-compensated) weights, with the per-row second-level scale S fixed
// before the first column from the round-to-nearest quantization of the
// original row (a group whose scale outgrows 127 S is clamped, i.e. clipped).
// With act-order the groups are fixed before the first column from the
// original weights (GPTQ's static groups), since the stored groups stay
// consecutive along K. The codes then only pick the nearest value of the
// group's set, so the result is an ordinary PackedWeights.
//
//===----------------------------------------------------------------------===//

#include "CalibrationInternal.h"
#include "QuantizerInternal.h"

#include "bitmod/Support/Error.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace bitmod;
using namespace bitmod::quant;
using llvm::Error;
using llvm::Expected;

namespace {

/// A value set of one candidate with its codes, built by decoding every
/// code (so it follows DataType.cpp, whatever its special values are).
struct Candidate {
  std::vector<float> values; // ascending
  std::vector<float> mids;
  std::vector<uint32_t> codes;
  float qmax = 0;
  uint32_t zeroCode = 0;
};

struct Codec {
  DataType dtype;
  bool asym = false;
  bool mx = false;
  unsigned levels = 0; // asym: 2^N - 1
  int mxElemExp = 0;
  std::vector<Candidate> cands;
};

Codec buildCodec(DataType dtype) {
  Codec c;
  c.dtype = dtype;
  c.asym = isAsymmetric(dtype);
  c.mx = isMXType(dtype);
  unsigned bits = getCodeBits(dtype);
  if (c.asym) {
    c.levels = (1u << bits) - 1;
    return c;
  }
  bool symInt = (isIntegerType(dtype) && !c.asym) || dtype == DataType::mxint4;
  unsigned numCands = hasSelector(dtype) ? 4 : 1;
  for (unsigned sel = 0; sel < numCands; ++sel) {
    std::vector<std::pair<double, uint32_t>> vc;
    for (uint32_t code = 0; code < (1u << bits); ++code) {
      if (symInt && code == (1u << (bits - 1)))
        continue; // 100..0 is never produced
      double v = decodeCode(dtype, code, sel);
      if (std::none_of(vc.begin(), vc.end(),
                       [&](const auto &p) { return p.first == v; }))
        vc.push_back({v, code});
    }
    std::sort(vc.begin(), vc.end());
    Candidate cand;
    for (auto [v, code] : vc) {
      cand.values.push_back(static_cast<float>(v));
      cand.codes.push_back(code);
      cand.qmax = std::max(cand.qmax, static_cast<float>(std::fabs(v)));
      if (v == 0)
        cand.zeroCode = code;
    }
    for (size_t i = 0; i + 1 < cand.values.size(); ++i)
      cand.mids.push_back((cand.values[i] + cand.values[i + 1]) / 2);
    c.cands.push_back(std::move(cand));
  }
  if (c.mx)
    c.mxElemExp = static_cast<int>(std::floor(std::log2(c.cands[0].qmax)));
  return c;
}

/// The parameters of one group.
struct GroupParams {
  float e = 0;       // effective scale (0: zero group)
  int scaleCode = 0; // q (scaleBits > 0)
  unsigned sel = 0;  // candidate
  unsigned zp = 0;   // asym
  int mxExp = -128;  // MX
};

inline size_t nearestIndex(const Candidate &c, float x) {
  size_t idx = 0;
  for (float m : c.mids)
    idx += m < x;
  return idx;
}

/// Quantizes w with the group's parameters: the value and the code.
inline float quantizeValue(const Codec &codec, const GroupParams &p, float w,
                           uint32_t &code) {
  if (codec.asym) {
    if (p.e == 0) {
      code = p.zp;
      return 0;
    }
    double c = detail::roundHalfDown(w / p.e) + p.zp;
    c = std::clamp(c, 0.0, static_cast<double>(codec.levels));
    code = static_cast<uint32_t>(c);
    return static_cast<float>(static_cast<int>(code) - static_cast<int>(p.zp)) *
           p.e;
  }
  const Candidate &cand = codec.cands[p.sel];
  if (p.e == 0) {
    code = cand.zeroCode;
    return 0;
  }
  size_t idx = nearestIndex(cand, w / p.e);
  code = cand.codes[idx];
  return cand.values[idx] * p.e;
}

/// Effective scale from a float scale s and the row's second level S.
inline void secondLevel(float s, float S, unsigned scaleBits, float &e,
                        int &q) {
  if (!scaleBits) {
    e = s;
    q = 0;
    return;
  }
  if (S == 0 || s == 0) {
    e = 0;
    q = 0;
    return;
  }
  double qs = (1 << (scaleBits - 1)) - 1;
  q = static_cast<int>(
      std::clamp(detail::roundHalfDown(s / S), 1.0, static_cast<double>(qs)));
  e = static_cast<float>(q) * S;
}

/// Chooses the parameters of a group from its current values w[0..width).
GroupParams chooseParams(const Codec &codec, const float *w, int64_t width,
                         float S, unsigned scaleBits) {
  GroupParams p;
  float absmax = 0, mn = std::numeric_limits<float>::infinity(), mx = -mn;
  for (int64_t i = 0; i < width; ++i) {
    absmax = std::max(absmax, std::fabs(w[i]));
    mn = std::min(mn, w[i]);
    mx = std::max(mx, w[i]);
  }
  if (absmax == 0)
    return p;
  if (codec.mx) {
    int exponent;
    std::frexp(absmax, &exponent); // absmax = m 2^exponent, m in [0.5, 1)
    int X = std::clamp(exponent - 1 - codec.mxElemExp, -127, 127);
    p.mxExp = X;
    p.e = std::ldexp(1.0f, X);
    return p;
  }
  if (codec.asym) {
    float range = mx - mn;
    if (range == 0)
      range = absmax;
    secondLevel(range / static_cast<float>(codec.levels), S, scaleBits, p.e,
                p.scaleCode);
    if (p.e != 0)
      p.zp = static_cast<unsigned>(std::clamp(detail::roundHalfDown(-mn / p.e),
                                              0.0, double(codec.levels)));
    return p;
  }
  double bestErr = std::numeric_limits<double>::infinity();
  for (unsigned c = 0; c < codec.cands.size(); ++c) {
    GroupParams cp;
    cp.sel = c;
    secondLevel(absmax / codec.cands[c].qmax, S, scaleBits, cp.e, cp.scaleCode);
    if (cp.e == 0)
      return GroupParams();
    double err = 0;
    for (int64_t i = 0; i < width; ++i) {
      uint32_t code;
      double d = double(w[i]) - quantizeValue(codec, cp, w[i], code);
      err += d * d;
    }
    if (err < bestErr) {
      bestErr = err;
      p = cp;
    }
  }
  return p;
}

/// The parameters of group (n, g) of a packed result.
GroupParams paramsFromPacked(const PackedWeights &pw, int64_t n, int64_t g) {
  GroupParams p;
  p.e = pw.getEffectiveScale(n, g);
  p.sel = pw.getSelector(n, g);
  p.zp = pw.getZeroPoint(n, g);
  int64_t idx = n * pw.getNumGroups() + g;
  if (!pw.groupScaleCodes.empty())
    p.scaleCode = pw.groupScaleCodes[idx];
  if (!pw.sharedExponents.empty())
    p.mxExp = pw.sharedExponents[idx];
  return p;
}

BITMOD_CALIB_MULTIVERSION
double dot(const double *a, const double *b, int64_t n) {
  double acc[4] = {0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int l = 0; l < 4; ++l)
      acc[l] += a[i + l] * b[i + l];
  double s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
  for (; i < n; ++i)
    s += a[i] * b[i];
  return s;
}

BITMOD_CALIB_MULTIVERSION
void axpy(double *y, double a, const double *x, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    y[i] -= a * x[i];
}

/// In-place lower Cholesky factor of A [K, K] (row-major; the upper triangle
/// is left as is). False if A is not positive definite.
bool cholesky(std::vector<double> &A, int64_t K) {
  for (int64_t j = 0; j < K; ++j) {
    double *Lj = &A[j * K];
    double d = Lj[j] - dot(Lj, Lj, j);
    if (!(d > 0) || !std::isfinite(d))
      return false;
    Lj[j] = std::sqrt(d);
    double inv = 1.0 / Lj[j];
    detail::parallelChunks(K - j - 1, 256, [&](int64_t b, int64_t e) {
      for (int64_t i = j + 1 + b; i < j + 1 + e; ++i) {
        double *Li = &A[i * K];
        Li[j] = (Li[j] - dot(Li, Lj, j)) * inv;
      }
    });
  }
  return true;
}

/// M = L^-1 for lower-triangular L (column c by forward substitution).
/// Written transposed, Mt[c][i] = M[i][c], so each solve is contiguous.
std::vector<double> invertLower(const std::vector<double> &L, int64_t K) {
  std::vector<double> Mt(K * K, 0.0);
  detail::parallelChunks(K, 16, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      double *m = &Mt[c * K];
      m[c] = 1.0 / L[c * K + c];
      for (int64_t i = c + 1; i < K; ++i)
        m[i] = -dot(&L[i * K + c], &m[c], i - c) / L[i * K + i];
    }
  });
  return Mt;
}

} // namespace

Expected<CalibratedWeights> quant::quantizeGPTQ(llvm::ArrayRef<float> weights,
                                                int64_t N, int64_t K,
                                                const QuantConfig &config,
                                                const LayerStats &stats,
                                                const GPTQOptions &options) {
  if (Error e = detail::checkCalibInputs(weights, N, K, config, stats))
    return std::move(e);
  if (config.dtype == DataType::fp16)
    return makeError("tensor '" + config.tensorName +
                     "': gptq needs a quantization grid; fp16 has none "
                     "(use method rtn)");
  if (config.granularity == Granularity::PerTensor)
    return makeError("tensor '" + config.tensorName +
                     "': gptq does not support per-tensor granularity");
  if (!(options.dampening > 0) || !std::isfinite(options.dampening))
    return makeError("gptq dampening must be positive, got " +
                     llvm::formatv("{0}", options.dampening));
  for (int64_t i = 0; i < N * K; ++i)
    if (!std::isfinite(weights[i]))
      return makeError("tensor '" + config.tensorName +
                       "': non-finite weight " +
                       llvm::formatv("{0}", weights[i]) + " at [" +
                       llvm::Twine(i / K) + ", " + llvm::Twine(i % K) + "]");
  CalibratedWeights result;
  double count = static_cast<double>(stats.count);

  // Hessian, dead channels.
  std::vector<double> H(K * K);
  for (int64_t i = 0; i < K * K; ++i)
    H[i] = stats.gram[i] / count;
  std::vector<float> W(weights.begin(), weights.end());
  int64_t numDead = 0;
  for (int64_t k = 0; k < K; ++k)
    if (H[k * K + k] == 0) {
      H[k * K + k] = 1;
      ++numDead;
      for (int64_t n = 0; n < N; ++n)
        W[n * K + k] = 0;
    }
  if (numDead)
    result.note = std::to_string(numDead) +
                  " dead input channel(s) (zero activations): weights set "
                  "to 0";

  // Round-to-nearest of the (dead-zeroed) weights: the second-level scales,
  // the static groups for act-order, and the packed container.
  Expected<PackedWeights> rtn = quantize(W, N, K, config);
  if (!rtn)
    return rtn.takeError();
  result.rtnError = detail::estimateOutputError(weights, dequantize(*rtn), N, K,
                                                stats, detail::kErrorRows);

  std::vector<int64_t> perm(K);
  std::iota(perm.begin(), perm.end(), 0);
  if (options.actOrder)
    std::stable_sort(perm.begin(), perm.end(), [&](int64_t a, int64_t b) {
      return H[a * K + a] > H[b * K + b];
    });

  // U = upper Cholesky factor of (H_perm + lambda I)^-1 via the reversed
  // matrix: B = J Hp J, B = L L^T, U = J L^-1 J.
  double meanDiag = 0;
  for (int64_t k = 0; k < K; ++k)
    meanDiag += H[k * K + k];
  meanDiag /= K;
  double lambda = options.dampening * meanDiag;
  std::vector<double> B(K * K);
  bool ok = false;
  for (int attempt = 0; attempt <= 6 && !ok; ++attempt) {
    for (int64_t i = 0; i < K; ++i)
      for (int64_t j = 0; j <= i; ++j) {
        int64_t a = perm[K - 1 - i], b = perm[K - 1 - j];
        B[i * K + j] = H[a * K + b] + (i == j ? lambda : 0.0);
      }
    ok = cholesky(B, K);
    if (!ok) {
      lambda *= 10;
      if (!result.note.empty())
        result.note += "; ";
      result.note += "Hessian not positive definite: dampening raised to " +
                     llvm::formatv("{0:e3}", lambda / meanDiag).str();
    }
  }
  if (!ok)
    return makeError("tensor '" + config.tensorName +
                     "': the Hessian of the calibration statistics of layer '" +
                     stats.name + "' is not positive definite even with " +
                     "dampening " + llvm::formatv("{0:e3}", lambda / meanDiag) +
                     " (use method rtn or awq)");
  std::vector<double> Mt = invertLower(B, K);
  B.clear();
  B.shrink_to_fit();
  // U[i][j] = M[K-1-i][K-1-j] = Mt[K-1-j][K-1-i]: row i of U, j >= i.
  std::vector<double> U(K * K, 0.0);
  for (int64_t i = 0; i < K; ++i)
    for (int64_t j = i; j < K; ++j)
      U[i * K + j] = Mt[(K - 1 - j) * K + (K - 1 - i)];
  Mt.clear();
  Mt.shrink_to_fit();

  Codec codec = buildCodec(config.dtype);
  PackedWeights &pw = *rtn;
  const BlobLayout &layout = pw.layout;
  int64_t Gs = layout.groupSize, numGroups = layout.numGroups;
  unsigned scaleBits = codec.mx ? 0 : pw.scaleBits;
  int64_t block = options.blockSize ? options.blockSize : 128;
  block = Gs <= block ? (block + Gs - 1) / Gs * Gs : Gs;

  std::vector<GroupParams> params(N * numGroups);
  if (options.actOrder)
    for (int64_t n = 0; n < N; ++n)
      for (int64_t g = 0; g < numGroups; ++g)
        params[n * numGroups + g] = paramsFromPacked(pw, n, g);
  std::vector<uint32_t> codes(N * K);
  std::vector<float> Q(N * K);

  constexpr int64_t kTile = 8;
  detail::parallelChunks(N, kTile, [&](int64_t r0, int64_t r1) {
    int64_t T = r1 - r0;
    std::vector<double> Wt(T * K);
    std::vector<float> groupBuf(Gs);
    std::vector<double> err(T * block);
    for (int64_t t = 0; t < T; ++t)
      for (int64_t i = 0; i < K; ++i)
        Wt[t * K + i] = W[(r0 + t) * K + perm[i]];
    for (int64_t b0 = 0; b0 < K; b0 += block) {
      int64_t b1 = std::min(K, b0 + block);
      for (int64_t i = b0; i < b1; ++i) {
        int64_t col = perm[i];
        int64_t g = col / Gs;
        if (!options.actOrder && i % Gs == 0) {
          int64_t width = std::min(Gs, K - i);
          for (int64_t t = 0; t < T; ++t) {
            for (int64_t j = 0; j < width; ++j)
              groupBuf[j] = static_cast<float>(Wt[t * K + i + j]);
            float S = pw.channelScales.empty() ? 0 : pw.channelScales[r0 + t];
            params[(r0 + t) * numGroups + g] =
                chooseParams(codec, groupBuf.data(), width, S, scaleBits);
          }
        }
        double d = U[i * K + i];
        for (int64_t t = 0; t < T; ++t) {
          int64_t n = r0 + t;
          float w = static_cast<float>(Wt[t * K + i]);
          uint32_t code;
          float q = quantizeValue(codec, params[n * numGroups + g], w, code);
          codes[n * K + col] = code;
          Q[n * K + col] = q;
          double e = (Wt[t * K + i] - q) / d;
          err[t * block + (i - b0)] = e;
          axpy(&Wt[t * K + i + 1], e, &U[i * K + i + 1], b1 - i - 1);
        }
      }
      if (b1 < K)
        for (int64_t t = 0; t < T; ++t)
          for (int64_t i = b0; i < b1; ++i)
            axpy(&Wt[t * K + b1], err[t * block + (i - b0)], &U[i * K + b1],
                 K - b1);
    }
  });

  // Pack: overwrite the codes and group parameters of the RTN container.
  unsigned bits = layout.codeBits;
  std::fill(pw.codes.begin(), pw.codes.end(), 0);
  std::fill(pw.selectors.begin(), pw.selectors.end(), 0);
  auto putCode = [&](int64_t n, int64_t k, uint32_t code) {
    uint8_t *row = &pw.codes[n * layout.rowCodeBytes];
    uint64_t bit = static_cast<uint64_t>(k) * bits;
    for (unsigned b = 0; b < bits; ++b, ++bit)
      if (code >> b & 1)
        row[bit / 8] |= static_cast<uint8_t>(1u << (bit % 8));
  };
  for (int64_t n = 0; n < N; ++n)
    for (int64_t g = 0; g < numGroups; ++g) {
      const GroupParams &p = params[n * numGroups + g];
      int64_t idx = n * numGroups + g;
      if (!pw.groupScaleCodes.empty())
        pw.groupScaleCodes[idx] = static_cast<int8_t>(p.scaleCode);
      if (!pw.groupScales.empty())
        pw.groupScales[idx] = p.e;
      if (!pw.zeroPoints.empty())
        pw.zeroPoints[idx] = static_cast<uint8_t>(p.zp);
      if (!pw.sharedExponents.empty())
        pw.sharedExponents[idx] = static_cast<int8_t>(p.mxExp);
      if (!pw.selectors.empty())
        pw.selectors[n * layout.rowSelectorBytes + g / 4] |=
            static_cast<uint8_t>(p.sel << (2 * (g % 4)));
      for (int64_t k = g * Gs; k < (g + 1) * Gs; ++k) {
        uint32_t code;
        if (k < K)
          code = codes[n * K + k];
        else
          quantizeValue(codec, p, 0.0f, code); // padding: the code of 0
        putCode(n, k, code);
      }
    }
  result.packed = std::move(pw);
  result.error =
      detail::estimateOutputError(weights, Q, N, K, stats, detail::kErrorRows);
  return result;
}
