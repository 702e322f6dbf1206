//===- Quantizer.cpp - BitMoD weight quantization and packing -------------===//
//
// See Quantizer.h and docs/numerics.md for the numerics contract.
//
//===----------------------------------------------------------------------===//

#include "bitmod/Quant/Quantizer.h"
#include "bitmod/Support/Half.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/Threading.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>

using namespace bitmod;
using namespace bitmod::quant;
using llvm::Expected;

namespace {

llvm::Error makeError(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

/// ceil(x - 0.5) in double: nearest integer, exact halves go down.
inline double roundHalfDown(double x) { return std::ceil(x - 0.5); }

/// A sorted value set with its midpoints and the code of every value.
struct ValueTable {
  std::vector<float> values;
  std::vector<float> mids;
  std::vector<uint32_t> codes;
  float qmax = 0;
  uint32_t zeroCode = 0;
};

/// How the elements of a type are quantized.
enum class Kind { Table, SymInt, AsymInt, FP16 };

/// Precomputed per-dtype quantization parameters.
struct TypeInfo {
  DataType dtype;
  Kind kind = Kind::Table;
  unsigned bits = 0;
  /// Candidate tables (4 for bitmod, else 1). Empty for integer kinds.
  std::vector<ValueTable> tables;
  /// SymInt: largest magnitude; AsymInt: 2^N - 1.
  int intMax = 0;
  /// Float qmax per candidate (SymInt: intMax; AsymInt: levels).
  std::vector<float> qmax;
  /// MX: floor(log2(qmax_elem)).
  int mxElemExp = 0;
};

ValueTable buildTable(DataType dtype, unsigned selector) {
  unsigned bits = getCodeBits(dtype);
  std::vector<std::pair<float, uint32_t>> entries;
  for (uint32_t code = 0; code < (1u << bits); ++code) {
    float v = static_cast<float>(decodeCode(dtype, code, selector));
    bool dup = llvm::any_of(entries, [v](auto &e) { return e.first == v; });
    if (!dup)
      entries.push_back({v, code}); // First code wins: +0 is code 0.
  }
  std::sort(entries.begin(), entries.end());
  ValueTable t;
  for (auto &[v, c] : entries) {
    t.values.push_back(v);
    t.codes.push_back(c);
    t.qmax = std::max(t.qmax, std::fabs(v));
    if (v == 0.0f)
      t.zeroCode = c;
  }
  for (size_t i = 0; i + 1 < t.values.size(); ++i)
    t.mids.push_back((t.values[i] + t.values[i + 1]) * 0.5f);
  return t;
}

TypeInfo buildTypeInfo(DataType dtype) {
  TypeInfo info;
  info.dtype = dtype;
  info.bits = getCodeBits(dtype);
  if (dtype == DataType::fp16) {
    info.kind = Kind::FP16;
    info.qmax = {1.0f};
    return info;
  }
  if (isAsymmetric(dtype)) {
    info.kind = Kind::AsymInt;
    info.intMax = (1 << info.bits) - 1;
    info.qmax = {static_cast<float>(info.intMax)};
    return info;
  }
  if (isIntegerType(dtype) || dtype == DataType::mxint4) {
    info.kind = Kind::SymInt;
    info.intMax = (1 << (info.bits - 1)) - 1;
    info.qmax = {static_cast<float>(info.intMax)};
  } else if (hasSelector(dtype)) {
    for (unsigned sel = 0; sel < 4; ++sel) {
      info.tables.push_back(buildTable(dtype, sel));
      info.qmax.push_back(info.tables.back().qmax);
    }
  } else {
    info.tables.push_back(buildTable(dtype, 0));
    info.qmax.push_back(info.tables.back().qmax);
  }
  if (isMXType(dtype)) {
    int e;
    std::frexp(info.qmax[0], &e);
    info.mxElemExp = e - 1;
  }
  return info;
}

const TypeInfo &getTypeInfo(DataType dtype) {
  static const std::vector<TypeInfo> infos = [] {
    std::vector<TypeInfo> v;
    for (unsigned i = 0; i < kNumDataTypes; ++i)
      v.push_back(buildTypeInfo(static_cast<DataType>(i)));
    return v;
  }();
  return infos[static_cast<unsigned>(dtype)];
}

/// Writes `count` codes of `bits` bits LSB-first into `out` (zeroed bytes
/// are not required: every byte of the row is written).
void packRow(const uint32_t *codes, int64_t count, unsigned bits, uint8_t *out,
             int64_t rowBytes) {
  if (bits == 8) {
    for (int64_t i = 0; i < count; ++i)
      out[i] = static_cast<uint8_t>(codes[i]);
    return;
  }
  if (bits == 4) {
    int64_t i = 0;
    for (; i + 1 < count; i += 2)
      out[i / 2] = static_cast<uint8_t>((codes[i] & 0xf) | (codes[i + 1] << 4));
    if (i < count)
      out[i / 2] = static_cast<uint8_t>(codes[i] & 0xf);
    return;
  }
  uint64_t acc = 0;
  unsigned nacc = 0;
  int64_t pos = 0;
  uint32_t mask = bits >= 32 ? ~0u : ((1u << bits) - 1);
  for (int64_t i = 0; i < count; ++i) {
    acc |= static_cast<uint64_t>(codes[i] & mask) << nacc;
    nacc += bits;
    while (nacc >= 8) {
      out[pos++] = static_cast<uint8_t>(acc);
      acc >>= 8;
      nacc -= 8;
    }
  }
  if (nacc)
    out[pos++] = static_cast<uint8_t>(acc);
  for (; pos < rowBytes; ++pos)
    out[pos] = 0;
}

uint32_t extractCode(const uint8_t *row, int64_t k, unsigned bits) {
  uint64_t bit = static_cast<uint64_t>(k) * bits;
  uint64_t byte = bit / 8;
  unsigned shift = bit % 8;
  uint32_t v = 0;
  unsigned needed = shift + bits; // bytes touched: ceil(needed / 8)
  for (unsigned i = 0; i * 8 < needed; ++i)
    v |= static_cast<uint32_t>(row[byte + i]) << (8 * i);
  return (v >> shift) & (bits >= 32 ? ~0u : ((1u << bits) - 1));
}

constexpr int64_t kChunk = 256;

/// Quantizes `len` elements against a table with scale e > 0. Writes the
/// value indices and returns the squared error sum (double).
double quantizeTable(const float *w, int64_t len, float e, const ValueTable &t,
                     uint8_t *idx) {
  const float *mids = t.mids.data();
  const size_t numMids = t.mids.size();
  double err = 0;
  float x[kChunk];
  uint8_t cnt[kChunk];
  for (int64_t base = 0; base < len; base += kChunk) {
    int64_t n = std::min(kChunk, len - base);
    for (int64_t i = 0; i < n; ++i) {
      x[i] = w[base + i] / e;
      cnt[i] = 0;
    }
    for (size_t j = 0; j < numMids; ++j) {
      float m = mids[j];
      for (int64_t i = 0; i < n; ++i)
        cnt[i] += x[i] > m ? 1 : 0;
    }
    double lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
      for (int l = 0; l < 8; ++l) {
        double d = static_cast<double>(w[base + i + l]) -
                   static_cast<double>(t.values[cnt[i + l]] * e);
        lanes[l] += d * d;
      }
    for (; i < n; ++i) {
      double d = static_cast<double>(w[base + i]) -
                 static_cast<double>(t.values[cnt[i]] * e);
      lanes[0] += d * d;
    }
    for (double l : lanes)
      err += l;
    std::memcpy(idx + base, cnt, n);
  }
  return err;
}

/// Per-row task state.
struct RowContext {
  const TypeInfo &info;
  const QuantConfig &config;
  const BlobLayout &layout;
  int64_t K;
  /// PerTensor: shared range.
  std::optional<TensorRange> tensorRange;
  std::vector<uint32_t> rowCodes;
  std::vector<uint8_t> idx;
  std::vector<float> absmax, gmin, gmax;
  std::vector<float> floatScale; // [numGroups * numCandidates]

  RowContext(const TypeInfo &info, const QuantConfig &config,
             const BlobLayout &layout, int64_t K)
      : info(info), config(config), layout(layout), K(K),
        rowCodes(layout.paddedK),
        idx(layout.groupSize * std::max<size_t>(1, info.qmax.size())),
        absmax(layout.numGroups), gmin(layout.numGroups),
        gmax(layout.numGroups),
        floatScale(layout.numGroups * std::max<size_t>(1, info.qmax.size())) {}
};

/// Returns the first non-finite column of the row, or -1.
int64_t findNonFinite(const float *w, int64_t K) {
  for (int64_t k = 0; k < K; ++k)
    if (!std::isfinite(w[k]))
      return k;
  return -1;
}

/// Quantizes one row. Returns false (and the bad column) on NaN/Inf.
bool quantizeRow(RowContext &ctx, const float *w, int64_t n, PackedWeights &out,
                 int64_t &badCol) {
  const TypeInfo &info = ctx.info;
  const BlobLayout &layout = ctx.layout;
  const int64_t K = ctx.K;
  const int64_t G = layout.groupSize;
  const int64_t numGroups = layout.numGroups;
  const unsigned scaleBits = out.scaleBits;
  uint32_t *codes = ctx.rowCodes.data();

  badCol = findNonFinite(w, K);
  if (badCol >= 0)
    return false;

  if (info.kind == Kind::FP16) {
    for (int64_t k = 0; k < K; ++k) {
      float v = std::clamp(w[k], -65504.0f, 65504.0f);
      codes[k] = support::floatToHalf(v);
    }
    packRow(codes, layout.paddedK, info.bits,
            out.codes.data() + n * layout.rowCodeBytes, layout.rowCodeBytes);
    return true;
  }

  // Pass 1: per-group statistics over the real elements.
  for (int64_t g = 0; g < numGroups; ++g) {
    int64_t begin = g * G, end = std::min(K, begin + G);
    float mn = 0, mx = 0, am = 0;
    if (begin < end) {
      mn = mx = w[begin];
      for (int64_t k = begin; k < end; ++k) {
        mn = std::min(mn, w[k]);
        mx = std::max(mx, w[k]);
      }
      am = std::max(std::fabs(mn), std::fabs(mx));
    }
    if (ctx.tensorRange) {
      mn = ctx.tensorRange->min;
      mx = ctx.tensorRange->max;
      am = std::max(std::fabs(mn), std::fabs(mx));
    }
    ctx.absmax[g] = am;
    ctx.gmin[g] = mn;
    ctx.gmax[g] = mx;
  }

  const size_t numCand = info.qmax.size();
  const bool isMX = isMXType(info.dtype);

  // Float scales per (group, candidate) and the channel scale.
  float channelScale = 0;
  const float scaleQMax =
      scaleBits ? static_cast<float>((1 << (scaleBits - 1)) - 1) : 0.0f;
  if (!isMX) {
    float maxScale = 0;
    for (int64_t g = 0; g < numGroups; ++g)
      for (size_t c = 0; c < numCand; ++c) {
        float s;
        if (info.kind == Kind::AsymInt) {
          float range = ctx.gmax[g] - ctx.gmin[g];
          if (range == 0.0f)
            range = ctx.absmax[g];
          s = range / info.qmax[c];
        } else {
          s = ctx.absmax[g] / info.qmax[c];
        }
        ctx.floatScale[g * numCand + c] = s;
        maxScale = std::max(maxScale, s);
      }
    if (scaleBits) {
      channelScale = maxScale / scaleQMax;
      out.channelScales[n] = channelScale;
    }
  }

  for (int64_t g = 0; g < numGroups; ++g) {
    int64_t begin = g * G, end = std::min(K, begin + G);
    int64_t len = std::max<int64_t>(0, end - begin);
    const float *wg = w + begin;
    uint32_t *cg = codes + begin;
    const int64_t gi = n * numGroups + g;

    // Effective scale per candidate (and its stored representation).
    auto effective = [&](size_t c, int &qOut) -> float {
      float s = ctx.floatScale[g * numCand + c];
      if (!scaleBits) {
        qOut = 0;
        return s;
      }
      if (channelScale == 0.0f || ctx.absmax[g] == 0.0f) {
        qOut = 0;
        return 0.0f;
      }
      double q = roundHalfDown(static_cast<double>(s / channelScale));
      q = std::clamp(q, 1.0, static_cast<double>(scaleQMax));
      qOut = static_cast<int>(q);
      return static_cast<float>(qOut) * channelScale;
    };

    if (isMX) {
      int8_t X = -128;
      float e = 0;
      if (ctx.absmax[g] != 0.0f) {
        int ex;
        std::frexp(ctx.absmax[g], &ex);
        int x = std::clamp(ex - 1 - info.mxElemExp, -127, 127);
        X = static_cast<int8_t>(x);
        e = std::ldexp(1.0f, x);
      }
      out.sharedExponents[gi] = X;
      if (e == 0.0f) {
        uint32_t zc = info.kind == Kind::Table ? info.tables[0].zeroCode : 0;
        std::fill(cg, cg + G, zc);
        continue;
      }
      if (info.kind == Kind::SymInt) {
        double lim = info.intMax;
        uint32_t mask = (1u << info.bits) - 1;
        for (int64_t i = 0; i < len; ++i) {
          double q = std::clamp(roundHalfDown(wg[i] / e), -lim, lim);
          cg[i] = static_cast<uint32_t>(static_cast<int32_t>(q)) & mask;
        }
        std::fill(cg + len, cg + G, 0u);
      } else {
        const ValueTable &t = info.tables[0];
        quantizeTable(wg, len, e, t, ctx.idx.data());
        for (int64_t i = 0; i < len; ++i)
          cg[i] = t.codes[ctx.idx[i]];
        std::fill(cg + len, cg + G, t.zeroCode);
      }
      continue;
    }

    if (info.kind == Kind::AsymInt) {
      int q;
      float e = effective(0, q);
      if (e == 0.0f || ctx.absmax[g] == 0.0f) {
        std::fill(cg, cg + G, 0u);
        out.zeroPoints[gi] = 0;
        if (scaleBits)
          out.groupScaleCodes[gi] = 0;
        else
          out.groupScales[gi] = 0;
        continue;
      }
      double L = info.intMax;
      double zp = std::clamp(
          roundHalfDown(static_cast<double>(-ctx.gmin[g] / e)), 0.0, L);
      for (int64_t i = 0; i < len; ++i) {
        double c = std::clamp(roundHalfDown(wg[i] / e) + zp, 0.0, L);
        cg[i] = static_cast<uint32_t>(c);
      }
      std::fill(cg + len, cg + G, static_cast<uint32_t>(zp));
      out.zeroPoints[gi] = static_cast<uint8_t>(zp);
      if (scaleBits)
        out.groupScaleCodes[gi] = static_cast<int8_t>(q);
      else
        out.groupScales[gi] = e;
      continue;
    }

    if (info.kind == Kind::SymInt) {
      int q;
      float e = effective(0, q);
      if (e == 0.0f || ctx.absmax[g] == 0.0f) {
        std::fill(cg, cg + G, 0u);
        q = 0;
        e = 0;
      } else {
        double lim = info.intMax;
        uint32_t mask = (1u << info.bits) - 1;
        for (int64_t i = 0; i < len; ++i) {
          double v = std::clamp(roundHalfDown(wg[i] / e), -lim, lim);
          cg[i] = static_cast<uint32_t>(static_cast<int32_t>(v)) & mask;
        }
        std::fill(cg + len, cg + G, 0u);
      }
      if (scaleBits)
        out.groupScaleCodes[gi] = static_cast<int8_t>(q);
      else
        out.groupScales[gi] = e;
      continue;
    }

    // Table types (fp3/fp4 families, flint4, minifloats, bitmod).
    size_t best = 0;
    double bestErr = std::numeric_limits<double>::infinity();
    int bestQ = 0;
    float bestE = 0;
    for (size_t c = 0; c < numCand; ++c) {
      int q;
      float e = effective(c, q);
      if (e == 0.0f || ctx.absmax[g] == 0.0f) {
        bestQ = 0;
        bestE = 0;
        best = 0;
        break;
      }
      double err =
          quantizeTable(wg, len, e, info.tables[c], ctx.idx.data() + c * G);
      if (err < bestErr) {
        bestErr = err;
        best = c;
        bestQ = q;
        bestE = e;
      }
    }
    const ValueTable &t = info.tables[best];
    if (bestE == 0.0f) {
      std::fill(cg, cg + G, t.zeroCode);
    } else {
      const uint8_t *idx = ctx.idx.data() + best * G;
      for (int64_t i = 0; i < len; ++i)
        cg[i] = t.codes[idx[i]];
      std::fill(cg + len, cg + G, t.zeroCode);
    }
    if (scaleBits)
      out.groupScaleCodes[gi] = static_cast<int8_t>(bestQ);
    else
      out.groupScales[gi] = bestE;
    if (hasSelector(info.dtype)) {
      uint8_t &byte = out.selectors[n * layout.rowSelectorBytes + g / 4];
      unsigned shift = 2 * (g % 4);
      byte = static_cast<uint8_t>((byte & ~(3u << shift)) | (best << shift));
    }
  }

  packRow(codes, layout.paddedK, info.bits,
          out.codes.data() + n * layout.rowCodeBytes, layout.rowCodeBytes);
  return true;
}

llvm::ThreadPoolInterface &getSharedPool() {
  static llvm::DefaultThreadPool pool(llvm::hardware_concurrency());
  return pool;
}

/// Runs fn(begin, end) over [0, n) in chunks on a pool (or inline).
template <typename Fn>
void parallelRows(int64_t n, int64_t workPerRow, unsigned numThreads,
                  llvm::ThreadPoolInterface *pool, Fn fn) {
  unsigned hw = llvm::hardware_concurrency().compute_thread_count();
  unsigned threads = numThreads ? numThreads : hw;
  // Tiny problems are not worth the task overhead.
  if (threads <= 1 || n <= 1 || n * workPerRow < (1 << 15)) {
    fn(0, n);
    return;
  }
  std::unique_ptr<llvm::DefaultThreadPool> ownPool;
  if (!pool) {
    if (numThreads && numThreads != hw) {
      ownPool = std::make_unique<llvm::DefaultThreadPool>(
          llvm::hardware_concurrency(numThreads));
      pool = ownPool.get();
    } else {
      pool = &getSharedPool();
    }
  }
  int64_t tasks = std::min<int64_t>(n, static_cast<int64_t>(threads) * 4);
  int64_t per = (n + tasks - 1) / tasks;
  llvm::ThreadPoolTaskGroup group(*pool);
  for (int64_t b = 0; b < n; b += per) {
    int64_t e = std::min(n, b + per);
    group.async([&fn, b, e] { fn(b, e); });
  }
  group.wait();
}

llvm::Error nonFiniteError(llvm::StringRef name, float v, int64_t n,
                           int64_t k) {
  return makeError("tensor '" + name + "': non-finite weight " +
                   (std::isnan(v) ? llvm::Twine("nan")
                                  : llvm::Twine(v > 0 ? "+inf" : "-inf")) +
                   " at [" + llvm::Twine(n) + ", " + llvm::Twine(k) + "]");
}

} // namespace

std::string_view quant::getGranularityName(Granularity g) {
  switch (g) {
  case Granularity::PerGroup:
    return "per-group";
  case Granularity::PerChannel:
    return "per-channel";
  case Granularity::PerTensor:
    return "per-tensor";
  }
  return "<invalid>";
}

std::optional<Granularity> quant::parseGranularity(std::string_view name) {
  for (Granularity g : {Granularity::PerGroup, Granularity::PerChannel,
                        Granularity::PerTensor}) {
    std::string_view n = getGranularityName(g);
    if (name == n)
      return g;
    // Also accept underscores ("per_group").
    std::string alt(n);
    std::replace(alt.begin(), alt.end(), '-', '_');
    if (name == alt)
      return g;
  }
  return std::nullopt;
}

int64_t BlobLayout::getTotalBytes() const {
  return codeBytes + groupScaleCodeBytes + groupScaleFloatBytes +
         channelScaleBytes + selectorBytes + zeroPointBytes +
         sharedExponentBytes;
}

Expected<BlobLayout> quant::getBlobLayout(int64_t N, int64_t K,
                                          const QuantConfig &config) {
  if (static_cast<unsigned>(config.dtype) >= kNumDataTypes)
    return makeError("invalid data type value " +
                     llvm::Twine(static_cast<unsigned>(config.dtype)));
  if (N <= 0 || K <= 0)
    return makeError("tensor '" + config.tensorName +
                     "': shape must be positive, got [" + llvm::Twine(N) +
                     ", " + llvm::Twine(K) + "]");
  if (config.groupSize == 0)
    return makeError("group size must be > 0");
  if (config.scaleBits != 0 && (config.scaleBits < 4 || config.scaleBits > 8))
    return makeError("scale bits must be 0 (float scales) or 4..8, got " +
                     llvm::Twine(config.scaleBits));
  DataType dtype = config.dtype;
  BlobLayout l;
  l.codeBits = getCodeBits(dtype);
  bool isMX = isMXType(dtype);
  if (isMX && config.granularity != Granularity::PerGroup)
    return makeError("data type '" + llvm::Twine(getName(dtype).data()) +
                     "' requires per-group granularity (group size 32)");
  if (isMX)
    l.groupSize = 32;
  else if (dtype == DataType::fp16 ||
           config.granularity != Granularity::PerGroup)
    l.groupSize = static_cast<unsigned>(K);
  else
    l.groupSize = config.groupSize;
  l.numGroups = (K + l.groupSize - 1) / l.groupSize;
  l.paddedK = l.numGroups * l.groupSize;
  l.rowCodeBytes = (l.paddedK * l.codeBits + 7) / 8;
  l.codeBytes = N * l.rowCodeBytes;
  if (dtype == DataType::fp16)
    return l;
  int64_t ng = N * l.numGroups;
  if (isMX) {
    l.sharedExponentBytes = ng;
    return l;
  }
  if (config.scaleBits) {
    l.groupScaleCodeBytes = ng;
    l.channelScaleBytes = N * 4;
  } else {
    l.groupScaleFloatBytes = ng * 4;
  }
  if (hasSelector(dtype)) {
    l.rowSelectorBytes = (l.numGroups + 3) / 4;
    l.selectorBytes = N * l.rowSelectorBytes;
  }
  if (isAsymmetric(dtype))
    l.zeroPointBytes = ng;
  return l;
}

double quant::getNominalBitsPerWeight(DataType dtype, unsigned groupSize,
                                      unsigned scaleBits) {
  if (dtype == DataType::fp16)
    return 16;
  double bits = getCodeBits(dtype);
  if (isMXType(dtype))
    return bits + 8.0 / 32;
  if (groupSize == 0)
    return bits;
  double perGroup = scaleBits ? scaleBits : 16;
  if (hasSelector(dtype))
    perGroup += 2;
  if (isAsymmetric(dtype))
    perGroup += 8;
  return bits + perGroup / groupSize;
}

uint32_t PackedWeights::getCode(int64_t n, int64_t k) const {
  return extractCode(codes.data() + n * layout.rowCodeBytes, k,
                     layout.codeBits);
}

unsigned PackedWeights::getSelector(int64_t n, int64_t g) const {
  if (selectors.empty())
    return 0;
  uint8_t byte = selectors[n * layout.rowSelectorBytes + g / 4];
  return (byte >> (2 * (g % 4))) & 3;
}

unsigned PackedWeights::getZeroPoint(int64_t n, int64_t g) const {
  return zeroPoints.empty() ? 0 : zeroPoints[n * layout.numGroups + g];
}

float PackedWeights::getEffectiveScale(int64_t n, int64_t g) const {
  if (dtype == DataType::fp16)
    return 1.0f;
  int64_t gi = n * layout.numGroups + g;
  if (isMXType(dtype)) {
    int8_t x = sharedExponents[gi];
    return x == -128 ? 0.0f : std::ldexp(1.0f, x);
  }
  if (scaleBits)
    return static_cast<float>(groupScaleCodes[gi]) * channelScales[n];
  return groupScales[gi];
}

float PackedWeights::getValue(int64_t n, int64_t k) const {
  int64_t g = k / layout.groupSize;
  uint32_t code = getCode(n, k);
  float e = getEffectiveScale(n, g);
  if (isAsymmetric(dtype))
    return static_cast<float>(static_cast<int>(code) -
                              static_cast<int>(getZeroPoint(n, g))) *
           e;
  float v = static_cast<float>(decodeCode(dtype, code, getSelector(n, g)));
  return dtype == DataType::fp16 ? v : v * e;
}

double PackedWeights::getStorageBitsPerWeight() const {
  if (rows == 0 || cols == 0)
    return 0;
  return static_cast<double>(layout.getTotalBytes()) * 8.0 /
         (static_cast<double>(rows) * static_cast<double>(cols));
}

Expected<TensorRange> quant::computeTensorRange(llvm::ArrayRef<float> weights,
                                                int64_t N, int64_t K,
                                                llvm::StringRef tensorName) {
  if (static_cast<int64_t>(weights.size()) != N * K)
    return makeError("tensor '" + tensorName + "': expected " +
                     llvm::Twine(N * K) + " elements, got " +
                     llvm::Twine(weights.size()));
  TensorRange r;
  if (weights.empty())
    return r;
  r.min = r.max = weights[0];
  for (int64_t i = 0; i < N * K; ++i) {
    float v = weights[i];
    if (!std::isfinite(v))
      return nonFiniteError(tensorName, v, i / K, i % K);
    r.min = std::min(r.min, v);
    r.max = std::max(r.max, v);
  }
  return r;
}

Expected<PackedWeights> quant::quantize(llvm::ArrayRef<float> weights,
                                        int64_t N, int64_t K,
                                        const QuantConfig &config,
                                        int64_t rowOffset,
                                        llvm::ThreadPoolInterface *pool) {
  Expected<BlobLayout> layoutOrErr = getBlobLayout(N, K, config);
  if (!layoutOrErr)
    return makeError("tensor '" + config.tensorName +
                     "': " + llvm::toString(layoutOrErr.takeError()));
  if (static_cast<int64_t>(weights.size()) != N * K)
    return makeError("tensor '" + config.tensorName + "': expected " +
                     llvm::Twine(N * K) + " elements for shape [" +
                     llvm::Twine(N) + ", " + llvm::Twine(K) + "], got " +
                     llvm::Twine(weights.size()));
  PackedWeights out;
  out.dtype = config.dtype;
  out.granularity = config.granularity;
  out.rows = N;
  out.cols = K;
  out.scaleBits = (isMXType(config.dtype) || config.dtype == DataType::fp16)
                      ? 0
                      : config.scaleBits;
  out.layout = *layoutOrErr;
  const BlobLayout &l = out.layout;
  out.codes.assign(l.codeBytes, 0);
  out.groupScaleCodes.assign(l.groupScaleCodeBytes, 0);
  out.groupScales.assign(l.groupScaleFloatBytes / 4, 0.0f);
  out.channelScales.assign(l.channelScaleBytes / 4, 0.0f);
  out.selectors.assign(l.selectorBytes, 0);
  out.zeroPoints.assign(l.zeroPointBytes, 0);
  out.sharedExponents.assign(l.sharedExponentBytes, 0);

  std::optional<TensorRange> range;
  if (config.granularity == Granularity::PerTensor &&
      config.dtype != DataType::fp16) {
    if (config.tensorRange) {
      range = config.tensorRange;
    } else {
      for (int64_t i = 0; i < N * K; ++i)
        if (!std::isfinite(weights[i]))
          return nonFiniteError(config.tensorName, weights[i],
                                i / K + rowOffset, i % K);
      Expected<TensorRange> r =
          computeTensorRange(weights, N, K, config.tensorName);
      if (!r)
        return r.takeError();
      range = *r;
    }
  }

  const TypeInfo &info = getTypeInfo(config.dtype);
  std::atomic<int64_t> firstBad{std::numeric_limits<int64_t>::max()};
  int64_t work =
      K * static_cast<int64_t>(std::max<size_t>(1, info.qmax.size()));
  parallelRows(
      N, work, config.numThreads, pool, [&](int64_t begin, int64_t end) {
        RowContext ctx(info, config, l, K);
        ctx.tensorRange = range;
        for (int64_t n = begin; n < end; ++n) {
          int64_t badCol;
          if (!quantizeRow(ctx, weights.data() + n * K, n, out, badCol)) {
            int64_t flat = n * K + badCol;
            int64_t cur = firstBad.load();
            while (flat < cur && !firstBad.compare_exchange_weak(cur, flat)) {
            }
            return;
          }
        }
      });
  int64_t bad = firstBad.load();
  if (bad != std::numeric_limits<int64_t>::max())
    return nonFiniteError(config.tensorName, weights[bad], bad / K + rowOffset,
                          bad % K);
  return out;
}

llvm::Error quant::appendRows(PackedWeights &dst, const PackedWeights &block) {
  if (dst.rows == 0 && dst.codes.empty()) {
    dst = block;
    return llvm::Error::success();
  }
  if (dst.dtype != block.dtype || dst.cols != block.cols ||
      dst.scaleBits != block.scaleBits ||
      dst.granularity != block.granularity ||
      dst.layout.groupSize != block.layout.groupSize)
    return makeError("appendRows: incompatible blocks (dtype, K, group size, "
                     "granularity and scale bits must match)");
  auto cat = [](auto &a, const auto &b) {
    a.insert(a.end(), b.begin(), b.end());
  };
  cat(dst.codes, block.codes);
  cat(dst.groupScaleCodes, block.groupScaleCodes);
  cat(dst.groupScales, block.groupScales);
  cat(dst.channelScales, block.channelScales);
  cat(dst.selectors, block.selectors);
  cat(dst.zeroPoints, block.zeroPoints);
  cat(dst.sharedExponents, block.sharedExponents);
  dst.rows += block.rows;
  BlobLayout &l = dst.layout;
  const BlobLayout &b = block.layout;
  l.codeBytes += b.codeBytes;
  l.groupScaleCodeBytes += b.groupScaleCodeBytes;
  l.groupScaleFloatBytes += b.groupScaleFloatBytes;
  l.channelScaleBytes += b.channelScaleBytes;
  l.selectorBytes += b.selectorBytes;
  l.zeroPointBytes += b.zeroPointBytes;
  l.sharedExponentBytes += b.sharedExponentBytes;
  return llvm::Error::success();
}

std::vector<float> quant::dequantize(const PackedWeights &p) {
  const int64_t N = p.rows, K = p.cols;
  std::vector<float> out(static_cast<size_t>(N * K));
  const BlobLayout &l = p.layout;
  const unsigned bits = l.codeBits;
  if (p.dtype == DataType::fp16) {
    for (int64_t n = 0; n < N; ++n)
      for (int64_t k = 0; k < K; ++k)
        out[n * K + k] =
            support::halfToFloat(static_cast<uint16_t>(p.getCode(n, k)));
    return out;
  }
  // Decode tables per selector (bits <= 8 here).
  const unsigned numCodes = 1u << bits;
  std::vector<float> table[4];
  for (unsigned s = 0; s < 4; ++s)
    for (uint32_t c = 0; c < numCodes; ++c)
      table[s].push_back(static_cast<float>(decodeCode(p.dtype, c, s)));
  const bool asym = isAsymmetric(p.dtype);
  std::vector<uint32_t> rowCodes(l.paddedK);
  for (int64_t n = 0; n < N; ++n) {
    const uint8_t *row = p.codes.data() + n * l.rowCodeBytes;
    for (int64_t k = 0; k < K; ++k)
      rowCodes[k] = extractCode(row, k, bits);
    for (int64_t g = 0; g < l.numGroups; ++g) {
      float e = p.getEffectiveScale(n, g);
      int64_t begin = g * l.groupSize,
              end = std::min<int64_t>(K, begin + l.groupSize);
      if (asym) {
        int zp = static_cast<int>(p.getZeroPoint(n, g));
        for (int64_t k = begin; k < end; ++k)
          out[n * K + k] =
              static_cast<float>(static_cast<int>(rowCodes[k]) - zp) * e;
      } else {
        const std::vector<float> &t = table[p.getSelector(n, g)];
        for (int64_t k = begin; k < end; ++k)
          out[n * K + k] = t[rowCodes[k]] * e;
      }
    }
  }
  return out;
}

Expected<std::vector<float>> quant::fakeQuantize(llvm::ArrayRef<float> weights,
                                                 int64_t N, int64_t K,
                                                 const QuantConfig &config) {
  Expected<PackedWeights> p = quantize(weights, N, K, config);
  if (!p)
    return p.takeError();
  return dequantize(*p);
}

double QuantStats::getSQNRdB() const {
  if (sumSquaredSignal == 0)
    return 0.0;
  if (sumSquaredError == 0)
    return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(sumSquaredSignal / sumSquaredError);
}

void QuantStats::merge(const QuantStats &o) {
  count += o.count;
  sumSquaredError += o.sumSquaredError;
  sumSquaredSignal += o.sumSquaredSignal;
  maxAbsError = std::max(maxAbsError, o.maxAbsError);
}

QuantStats quant::computeStats(llvm::ArrayRef<float> original,
                               llvm::ArrayRef<float> dequantized) {
  QuantStats s;
  size_t n = std::min(original.size(), dequantized.size());
  s.count = static_cast<int64_t>(n);
  for (size_t i = 0; i < n; ++i) {
    double w = original[i];
    double d = w - static_cast<double>(dequantized[i]);
    s.sumSquaredError += d * d;
    s.sumSquaredSignal += w * w;
    s.maxAbsError = std::max(s.maxAbsError, std::fabs(d));
  }
  return s;
}

std::array<uint64_t, 4> quant::getSelectorHistogram(const PackedWeights &p) {
  std::array<uint64_t, 4> h = {0, 0, 0, 0};
  if (!hasSelector(p.dtype))
    return h;
  for (int64_t n = 0; n < p.rows; ++n)
    for (int64_t g = 0; g < p.layout.numGroups; ++g)
      ++h[p.getSelector(n, g)];
  return h;
}

namespace {
template <typename T> void putLE(std::vector<uint8_t> &out, T v) {
  uint8_t b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out.insert(out.end(), b, b + sizeof(T));
}

template <typename Vec>
void putSection(std::vector<uint8_t> &out, const Vec &v) {
  uint64_t bytes = v.size() * sizeof(typename Vec::value_type);
  putLE(out, bytes);
  const uint8_t *p = reinterpret_cast<const uint8_t *>(v.data());
  out.insert(out.end(), p, p + bytes);
}
} // namespace

std::vector<uint8_t> quant::serializePacked(const PackedWeights &p) {
  std::vector<uint8_t> out;
  out.insert(out.end(), {'B', 'M', 'Q', 'W'});
  putLE<uint32_t>(out, 1);
  putLE<uint32_t>(out, static_cast<uint32_t>(p.dtype));
  putLE<uint32_t>(out, static_cast<uint32_t>(p.granularity));
  putLE<int64_t>(out, p.rows);
  putLE<int64_t>(out, p.cols);
  putLE<uint32_t>(out, p.layout.groupSize);
  putLE<uint32_t>(out, p.scaleBits);
  putLE<int64_t>(out, p.layout.numGroups);
  putLE<uint32_t>(out, p.layout.codeBits);
  putLE<uint32_t>(out, 0);
  putLE<uint64_t>(out, 0);
  putSection(out, p.codes);
  putSection(out, p.groupScaleCodes);
  putSection(out, p.groupScales);
  putSection(out, p.channelScales);
  putSection(out, p.selectors);
  putSection(out, p.zeroPoints);
  putSection(out, p.sharedExponents);
  return out;
}

Expected<PackedWeights>
quant::deserializePacked(llvm::ArrayRef<uint8_t> bytes) {
  size_t pos = 0;
  auto get = [&](auto &v) {
    if (pos + sizeof(v) > bytes.size())
      return false;
    std::memcpy(&v, bytes.data() + pos, sizeof(v));
    pos += sizeof(v);
    return true;
  };
  if (bytes.size() < 64 || std::memcmp(bytes.data(), "BMQW", 4) != 0)
    return makeError("not a packed weight file (bad magic)");
  pos = 4;
  uint32_t version, dtype, gran, groupSize, scaleBits, codeBits, reserved;
  int64_t N, K, numGroups;
  uint64_t pad;
  get(version);
  get(dtype);
  get(gran);
  get(N);
  get(K);
  get(groupSize);
  get(scaleBits);
  get(numGroups);
  get(codeBits);
  get(reserved);
  get(pad);
  if (version != 1)
    return makeError("unsupported packed weight version " +
                     llvm::Twine(version));
  if (dtype >= kNumDataTypes || gran > 2)
    return makeError("packed weight file: bad dtype or granularity");
  QuantConfig cfg;
  cfg.dtype = static_cast<DataType>(dtype);
  cfg.granularity = static_cast<Granularity>(gran);
  cfg.groupSize = groupSize;
  cfg.scaleBits = scaleBits;
  Expected<BlobLayout> layout = getBlobLayout(N, K, cfg);
  if (!layout)
    return layout.takeError();
  if (layout->numGroups != numGroups || layout->codeBits != codeBits)
    return makeError("packed weight file: header inconsistent with layout");
  PackedWeights p;
  p.dtype = cfg.dtype;
  p.granularity = cfg.granularity;
  p.rows = N;
  p.cols = K;
  p.scaleBits = scaleBits;
  p.layout = *layout;
  auto section = [&](auto &vec, int64_t expected,
                     const char *name) -> llvm::Error {
    uint64_t len;
    if (!get(len) || pos + len > bytes.size())
      return makeError(llvm::Twine("packed weight file: truncated section ") +
                       name);
    if (static_cast<int64_t>(len) != expected)
      return makeError(llvm::Twine("packed weight file: section ") + name +
                       " has " + llvm::Twine(len) + " bytes, expected " +
                       llvm::Twine(expected));
    using T = typename std::decay_t<decltype(vec)>::value_type;
    vec.resize(len / sizeof(T));
    std::memcpy(vec.data(), bytes.data() + pos, len);
    pos += len;
    return llvm::Error::success();
  };
  const BlobLayout &l = p.layout;
  if (llvm::Error e = section(p.codes, l.codeBytes, "codes"))
    return std::move(e);
  if (llvm::Error e = section(p.groupScaleCodes, l.groupScaleCodeBytes,
                              "group scale codes"))
    return std::move(e);
  if (llvm::Error e =
          section(p.groupScales, l.groupScaleFloatBytes, "group scales"))
    return std::move(e);
  if (llvm::Error e =
          section(p.channelScales, l.channelScaleBytes, "channel scales"))
    return std::move(e);
  if (llvm::Error e = section(p.selectors, l.selectorBytes, "selectors"))
    return std::move(e);
  if (llvm::Error e = section(p.zeroPoints, l.zeroPointBytes, "zero points"))
    return std::move(e);
  if (llvm::Error e =
          section(p.sharedExponents, l.sharedExponentBytes, "shared exponents"))
    return std::move(e);
  return p;
}
