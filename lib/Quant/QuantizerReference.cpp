//===- QuantizerReference.cpp - Scalar reference quantizer ----------------===//
//
// The original scalar implementation of one row of quantize() (Quantizer.h,
// docs/numerics.md), kept unchanged as the reference the SIMD kernels
// (QuantKernels.inc) are tested against bit for bit, plus the per-dtype
// tables both use.
//
//===----------------------------------------------------------------------===//

#include "QuantizerInternal.h"

#include "bitmod/Support/Half.h"

#include "llvm/ADT/STLExtras.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

using namespace bitmod;
using namespace bitmod::quant;
using namespace bitmod::quant::detail;

namespace {

ValueTable buildTable(DataType dtype, unsigned selector,
                      const SpecialValueSet &sv) {
  unsigned bits = getCodeBits(dtype);
  std::vector<std::pair<float, uint32_t>> entries;
  for (uint32_t code = 0; code < (1u << bits); ++code) {
    float v = static_cast<float>(decodeCode(dtype, code, selector, sv));
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
  for (size_t i = 0; i + 1 < t.values.size(); ++i) {
    t.mids.push_back((t.values[i] + t.values[i + 1]) * 0.5f);
    t.deltas.push_back(t.values[i + 1] - t.values[i]);
  }
  return t;
}

TypeInfo buildTypeInfo(DataType dtype, const SpecialValueSet &sv) {
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
      info.tables.push_back(buildTable(dtype, sel, sv));
      info.qmax.push_back(info.tables.back().qmax);
    }
  } else {
    info.tables.push_back(buildTable(dtype, 0, sv));
    info.qmax.push_back(info.tables.back().qmax);
  }
  if (isMXType(dtype)) {
    int e;
    std::frexp(info.qmax[0], &e);
    info.mxElemExp = e - 1;
  }
  return info;
}

/// Fills the plain-pointer view of `info` for the kernels (after `info`
/// has reached its final address).
void setKernelParams(TypeInfo &info) {
  for (const ValueTable &t : info.tables) {
    kernels::Table k;
    k.values = t.values.data();
    k.mids = t.mids.data();
    k.deltas = t.deltas.data();
    k.codes = t.codes.data();
    k.numMids = static_cast<unsigned>(t.mids.size());
    k.zeroCode = t.zeroCode;
    size_t numValues = t.values.size();
    if (numValues <= 16) {
      k.searchBits = 1;
      while ((1u << k.searchBits) < numValues)
        ++k.searchBits;
      for (size_t i = 0; i < 16; ++i) {
        k.paddedMids[i] = i < t.mids.size()
                              ? t.mids[i]
                              : std::numeric_limits<float>::infinity();
        k.paddedValues[i] = t.values[std::min(i, numValues - 1)];
        k.paddedCodes[i] = t.codes[std::min(i, numValues - 1)];
      }
    }
    info.kernelTables.push_back(k);
  }
  kernels::TypeParams &p = info.kernelType;
  p.kind = static_cast<unsigned>(info.kind);
  p.bits = info.bits;
  p.intMax = info.intMax;
  p.mxElemExp = info.mxElemExp;
  p.isMX = isMXType(info.dtype);
  p.hasSelector = hasSelector(info.dtype);
  p.numCand = static_cast<unsigned>(info.qmax.size());
  p.tables = info.kernelTables.data();
  p.qmax = info.qmax.data();
}
} // namespace

const TypeInfo &detail::getTypeInfo(DataType dtype) {
  static const std::vector<TypeInfo> infos = [] {
    std::vector<TypeInfo> v;
    for (unsigned i = 0; i < kNumDataTypes; ++i)
      v.push_back(
          buildTypeInfo(static_cast<DataType>(i),
                        getDefaultSpecialValues(static_cast<DataType>(i))));
    for (TypeInfo &info : v)
      setKernelParams(info);
    return v;
  }();
  return infos[static_cast<unsigned>(dtype)];
}

std::unique_ptr<TypeInfo> detail::makeTypeInfo(DataType dtype,
                                               const SpecialValueSet &sv) {
  auto info = std::make_unique<TypeInfo>(buildTypeInfo(dtype, sv));
  setKernelParams(*info);
  return info;
}

namespace {

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

/// Returns the first non-finite column of the row, or -1.
int64_t findNonFinite(const float *w, int64_t K) {
  for (int64_t k = 0; k < K; ++k)
    if (!std::isfinite(w[k]))
      return k;
  return -1;
}

} // namespace

bool detail::quantizeRowReference(RowContext &ctx, const float *w, int64_t n,
                                  PackedWeights &out, int64_t &badCol) {
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
