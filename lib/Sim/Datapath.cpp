//===- Datapath.cpp - Bit-exact functional model of the BitMoD PE ---------===//
//
// Fast implementation of the datapath documented in Datapath.h and
// docs/simulator.md. GoldenDatapath.cpp is the independent reference.
//
//===----------------------------------------------------------------------===//

#include "bitmod/Sim/Datapath.h"
#include "bitmod/Quant/Quantizer.h"
#include "bitmod/Sim/Float16.h"

#include "DatapathKernels.h"

#include "bitmod/Support/SimdLevel.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/Threading.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>

using namespace bitmod;
using namespace bitmod::sim;
using llvm::createStringError;
using llvm::inconvertibleErrorCode;
using quant::DataType;

//===----------------------------------------------------------------------===//
// Term decoding
//===----------------------------------------------------------------------===//

SpecialValueFile SpecialValueFile::forFamily(bool is4Bit) {
  SpecialValueFile f;
  for (unsigned i = 0; i < 4; ++i)
    f.values[i] = int32_t(quant::getSpecialValue(
        is4Bit, static_cast<quant::SpecialValueKind>(i)));
  return f;
}

llvm::Error SpecialValueFile::validate() const {
  for (unsigned i = 0; i < 4; ++i) {
    int32_t v = values[i];
    uint32_t mag = uint32_t(v < 0 ? -v : v);
    if (mag >= 32 || __builtin_popcount(mag) > 2)
      return createStringError(
          inconvertibleErrorCode(),
          "SV register " + llvm::Twine(i) + " = " + llvm::Twine(v) +
              ": special values need |v| < 32 (5-bit fixed-point magnitude) "
              "and at most two one-bits (two bit-serial terms)");
  }
  return llvm::Error::success();
}

bool bitmod::sim::isSupportedByPE(DataType type) {
  return static_cast<unsigned>(type) < quant::kNumDataTypes &&
         type != DataType::fp16;
}

/// Sign-magnitude types decoded by leading-one detection.
static bool isSignMagnitude(DataType t) {
  return !quant::isIntegerType(t) && t != DataType::mxint4 &&
         t != DataType::fp16;
}

llvm::Expected<unsigned> bitmod::sim::getTermsPerWeight(DataType type) {
  if (!isSupportedByPE(type))
    return createStringError(
        inconvertibleErrorCode(),
        "data type '" + llvm::Twine(std::string(quant::getName(type))) +
            "' is not supported by the BitMoD PE (weights must be one of the "
            "integer, fp3/fp4, flint4, MX or fp5/fp6 types)");
  switch (type) {
  case DataType::int8:
    return 4;
  case DataType::int6:
  case DataType::int5:
  case DataType::int4_asym:
  case DataType::fp5_e2m2:
  case DataType::fp6_e3m2:
    return 3;
  case DataType::fp6_e2m3:
    return 4;
  default:
    return 2; // int4, int3, int3_asym, mxint4, fp3/fp4 families, flint4,
              // mxfp3/mxfp4, fp5_e3m1
  }
}

/// Radix-4 Booth recoding of a two's complement value into `digits`
/// terms: d_i = -2 b[2i+1] + b[2i] + b[2i-1].
static void boothTerms(int32_t v, unsigned digits, BitSerialTerm *out) {
  uint32_t u = uint32_t(v);
  auto bit = [&](int i) -> int { return i < 0 ? 0 : int((u >> i) & 1u); };
  for (unsigned i = 0; i < digits; ++i) {
    int d = -2 * bit(2 * i + 1) + bit(2 * i) + bit(2 * i - 1);
    BitSerialTerm t;
    if (d != 0) {
      t.sign = int8_t(d < 0 ? -1 : 1);
      t.exp = int8_t(2 * i + ((d == 2 || d == -2) ? 1 : 0));
    }
    out[i] = t;
  }
}

/// Leading-one detection: the set bits of `mag`, highest first. Returns
/// false if more than `maxTerms` bits are set.
static bool lodTerms(int sign, uint32_t mag, unsigned maxTerms,
                     BitSerialTerm *out) {
  for (unsigned i = 0; i < maxTerms; ++i) {
    BitSerialTerm t;
    if (mag) {
      int pos = 31 - __builtin_clz(mag);
      t.sign = int8_t(sign);
      t.exp = int8_t(pos);
      mag &= ~(1u << pos);
    }
    out[i] = t;
  }
  return mag == 0;
}

llvm::Expected<TermDecoder>
TermDecoder::create(DataType type, std::optional<SpecialValueFile> sv) {
  llvm::Expected<unsigned> terms = getTermsPerWeight(type);
  if (!terms)
    return terms.takeError();
  TermDecoder d;
  d.type = type;
  d.numTerms = *terms;
  d.asym = quant::isAsymmetric(type);
  unsigned bits = quant::getCodeBits(type);
  uint32_t mask = (1u << bits) - 1;
  bool svType = quant::hasSpecialValue(type);
  if (svType) {
    d.sv = sv ? *sv : SpecialValueFile::forFamily(bits == 4);
    if (llvm::Error e = d.sv.validate())
      return std::move(e);
  } else if (sv) {
    return createStringError(
        inconvertibleErrorCode(),
        "an SV register file was given for '" +
            llvm::Twine(std::string(quant::getName(type))) +
            "', which has no special values");
  }

  if (d.asym) {
    // Index (code - zeroPoint + 32) of selector row 0.
    for (int v = -32; v < 224; ++v) {
      BitSerialTerm *out = &d.table[(v + 32) * kMaxTermsPerWeight];
      if (v >= -(1 << (2 * d.numTerms - 1)) && v < (1 << (2 * d.numTerms - 1)))
        boothTerms(v, d.numTerms, out);
    }
    return d;
  }

  // Fixed extensions always use their own SV register entry.
  std::optional<unsigned> fixedSel;
  if (svType && !quant::hasSelector(type)) {
    // Find the entry whose value the data type table decodes.
    double want = quant::decodeCode(type, 1u << (bits - 1), 0);
    for (unsigned i = 0; i < 4; ++i)
      if (quant::getSpecialValue(
              bits == 4, static_cast<quant::SpecialValueKind>(i)) == want)
        fixedSel = i;
  }

  for (unsigned sel = 0; sel < 4; ++sel) {
    for (uint32_t code = 0; code < 256; ++code) {
      BitSerialTerm *out = &d.table[(sel * 256 + code) * kMaxTermsPerWeight];
      uint32_t c = code & mask;
      if (!isSignMagnitude(type)) {
        // Symmetric integers and mxint4: two's complement code.
        int32_t v = int32_t(c);
        if (c & (1u << (bits - 1)))
          v -= int32_t(1u << bits);
        boothTerms(v, d.numTerms, out);
        continue;
      }
      int sign = (c >> (bits - 1)) ? -1 : 1;
      uint32_t magCode = c & (mask >> 1);
      int64_t value;
      if (svType && sign < 0 && magCode == 0) {
        // Negative zero: replaced by the SV register entry.
        value = d.sv.values[fixedSel ? *fixedSel : sel];
      } else {
        double v = quant::decodeCode(type, c, 0);
        if (v != std::floor(v) || std::fabs(v) >= 65536)
          return createStringError(inconvertibleErrorCode(),
                                   "internal: non-integer fixed point value");
        value = int64_t(v);
      }
      int s = value < 0 ? -1 : 1;
      uint32_t mag = uint32_t(value < 0 ? -value : value);
      if (!lodTerms(s, mag, d.numTerms, out))
        return createStringError(
            inconvertibleErrorCode(),
            "value " + llvm::Twine(value) + " of '" +
                llvm::Twine(std::string(quant::getName(type))) +
                "' needs more than " + llvm::Twine(d.numTerms) +
                " bit-serial terms");
    }
  }
  return d;
}

void TermDecoder::decode(uint32_t code, unsigned selector, unsigned zeroPoint,
                         BitSerialTerm *terms) const {
  const BitSerialTerm *src;
  if (asym) {
    uint32_t mask = (1u << quant::getCodeBits(type)) - 1;
    int v = int(code & mask) - int(std::min(zeroPoint, 255u));
    src = &table[(v + 32 < 0 ? 0 : v + 32) * kMaxTermsPerWeight];
  } else {
    src = lookup(selector & 3, code & 255);
  }
  std::copy(src, src + numTerms, terms);
}

int32_t TermDecoder::decodeValue(uint32_t code, unsigned selector,
                                 unsigned zeroPoint) const {
  BitSerialTerm t[kMaxTermsPerWeight];
  decode(code, selector, zeroPoint, t);
  int32_t v = 0;
  for (unsigned i = 0; i < numTerms; ++i)
    v += t[i].sign * (int32_t(1) << t[i].exp);
  return v;
}

//===----------------------------------------------------------------------===//
// PE steps
//===----------------------------------------------------------------------===//

namespace {
/// An FP16 activation split for the PE: signed 11-bit mantissa (hidden bit
/// included; 0 for +-0) and biased exponent (subnormals use 1).
struct PEAct {
  int32_t man;
  int32_t exp;
};

inline PEAct splitHalf(uint16_t h) {
  int32_t e = (h >> 10) & 0x1f;
  int32_t m = h & 0x3ff;
  if (e == 0)
    e = 1;
  else
    m |= 0x400;
  return {(h & 0x8000) ? -m : m, e};
}

/// Rounds v / 2^s to nearest, ties to even (floor shift + remainder).
inline int32_t shiftRNE(int32_t v, int32_t s) {
  if (s == 0)
    return v;
  if (s > 20) // |v| < 2^15: the quotient rounds to 0
    return 0;
  int32_t q = v >> s; // floor (arithmetic shift)
  int32_t r = v - int32_t(uint32_t(q) << s);
  int32_t half = int32_t(1) << (s - 1);
  return q + ((r > half) | ((r == half) & (q & 1)));
}

/// Steps 2-3 over `count` weights. `termBase[code * 4 + t]` are the terms.
inline GroupAcc groupSum(const PEAct *act, const uint8_t *codes, unsigned count,
                         const BitSerialTerm *termBase, unsigned numTerms) {
  GroupAcc acc = 0;
  for (unsigned k = 0; k < count; k += kDotProductWidth) {
    unsigned lanes = std::min(count - k, kDotProductWidth);
    const BitSerialTerm *tp[kDotProductWidth];
    PEAct a[kDotProductWidth];
    for (unsigned j = 0; j < kDotProductWidth; ++j) {
      if (j < lanes) {
        tp[j] = termBase + size_t(codes[k + j]) * kMaxTermsPerWeight;
        a[j] = act[k + j];
      } else {
        tp[j] = termBase; // any; the mantissa is 0
        a[j] = {0, 1};
      }
    }
    for (unsigned t = 0; t < numTerms; ++t) {
      int32_t p[kDotProductWidth], m[kDotProductWidth];
      int32_t P = 0;
      for (unsigned j = 0; j < kDotProductWidth; ++j) {
        BitSerialTerm term = tp[j][t];
        bool nz = term.sign != 0 && a[j].man != 0;
        p[j] = nz ? a[j].exp + term.exp : 0;
        m[j] = nz ? a[j].man * term.sign * (1 << kGuardBits) : 0;
        P = std::max(P, p[j]);
      }
      if (P == 0)
        continue;
      int32_t s = 0;
      for (unsigned j = 0; j < kDotProductWidth; ++j)
        s += shiftRNE(m[j], P - p[j]);
      // Aligned LSB is 2^(P - 25 - 3); accumulator LSB is 2^-27.
      acc += GroupAcc(int64_t(s) * (int64_t(1) << (P - 1)));
    }
  }
  return acc;
}

/// Rounds an integer to the nearest float (ties to even) times 2^shift,
/// handling FP32 subnormal results with a single rounding.
float roundScaled(GroupAcc v, int shift) {
  if (v == 0)
    return 0.0f;
  bool neg = v < 0;
  unsigned __int128 mag = neg ? (unsigned __int128)(-v) : (unsigned __int128)v;
  uint64_t hi = uint64_t(mag >> 64);
  int msb =
      hi ? 127 - __builtin_clzll(hi) : 63 - __builtin_clzll(uint64_t(mag));
  // The float keeps bits down to 2^lsb (24 significant bits, or 2^-149).
  int lsb = std::max(msb + shift - 23, -149) - shift;
  if (lsb > 0) {
    unsigned __int128 q = mag >> lsb;
    unsigned __int128 r = mag - (q << lsb);
    unsigned __int128 half = (unsigned __int128)1 << (lsb - 1);
    if (r > half || (r == half && (q & 1)))
      ++q;
    mag = q;
    shift += lsb;
  }
  float f = std::ldexp(float(uint64_t(mag)), shift); // exact (<= 2^24)
  return neg ? -f : f;
}
} // namespace

GroupAcc bitmod::sim::groupPartialSum(const uint16_t *actFp16,
                                      const uint8_t *codes, unsigned count,
                                      unsigned selector, unsigned zeroPoint,
                                      const TermDecoder &decoder) {
  std::vector<PEAct> act(count);
  for (unsigned k = 0; k < count; ++k)
    act[k] = splitHalf(actFp16[k]);
  const BitSerialTerm *base;
  std::vector<uint8_t> masked;
  if (decoder.usesZeroPoint()) {
    unsigned mask = (1u << quant::getCodeBits(decoder.getDataType())) - 1;
    int zp = int(std::min(zeroPoint, mask));
    base = decoder.lookup(0, 0) + (32 - zp) * kMaxTermsPerWeight;
    masked.assign(codes, codes + count);
    for (uint8_t &c : masked)
      c &= mask;
    codes = masked.data();
  } else {
    base = decoder.lookup(selector & 3, 0);
  }
  return groupSum(act.data(), codes, count, base, decoder.getNumTerms());
}

float bitmod::sim::dequantizeGroupSum(GroupAcc acc, int32_t scaleCode,
                                      GroupScaleKind kind) {
  if (kind == GroupScaleKind::Pow2) {
    if (scaleCode <= -128)
      return 0.0f;
    return roundScaled(acc, scaleCode - kGroupAccFracBits);
  }
  // Bit-serial shift-and-add over the scale bits: exact.
  GroupAcc prod = 0;
  for (unsigned b = 0; b < 16; ++b)
    if ((uint32_t(scaleCode) >> b) & 1)
      prod += acc * (GroupAcc(1) << b);
  return roundScaled(prod, -kGroupAccFracBits);
}

//===----------------------------------------------------------------------===//
// Grouped matmul
//===----------------------------------------------------------------------===//

static llvm::Error viewError(const llvm::Twine &msg) {
  return createStringError(inconvertibleErrorCode(), "grouped matmul: " + msg);
}

static llvm::Error checkView(const QuantizedMatrixView &w) {
  if (!isSupportedByPE(w.dtype))
    return getTermsPerWeight(w.dtype).takeError();
  if (w.groupSize == 0 || w.groupSize > kMaxGroupSize)
    return viewError("group size " + llvm::Twine(w.groupSize) +
                     " out of range [1, " + llvm::Twine(kMaxGroupSize) + "]");
  if (w.rows == 0 || w.cols == 0)
    return viewError("empty weight matrix");
  if (!w.codes || !w.groupScales)
    return viewError("missing codes or group scales");
  size_t paddedK = size_t(w.getNumGroups()) * w.groupSize;
  if (w.codeRowStride < paddedK)
    return viewError("code row stride " + llvm::Twine(w.codeRowStride) +
                     " < padded K " + llvm::Twine(paddedK));
  bool mx = quant::isMXType(w.dtype);
  if (mx != (w.scaleKind == GroupScaleKind::Pow2))
    return viewError("MX types use power-of-two group scales, others "
                     "integer scale codes");
  return llvm::Error::success();
}

static llvm::Error checkActivations(const uint16_t *x, unsigned M, unsigned K) {
  for (size_t i = 0; i < size_t(M) * K; ++i)
    if (!(((x[i] >> 10) & 0x1f) != 0x1f))
      return viewError("activation [" + llvm::Twine(i / K) + ", " +
                       llvm::Twine(i % K) + "] is not finite (FP16 pattern 0x" +
                       llvm::Twine::utohexstr(x[i]) + ")");
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// SIMD kernel selection and threads
//===----------------------------------------------------------------------===//

namespace {
struct GroupSumsKernel {
  support::SimdLevel level;
  kernels::GroupSumsFn fn;
  kernels::DecodeTileFn decodeTile;
};

const GroupSumsKernel kGroupSumsKernels[] = {
#if BITMOD_SIM_X86_KERNELS
    {support::SimdLevel::AVX512, kernels::avx512::groupSums,
     kernels::avx512::decodeTile},
    {support::SimdLevel::AVX2, kernels::avx2::groupSums,
     kernels::avx2::decodeTile},
#endif
    {support::SimdLevel::Generic, kernels::generic::groupSums,
     kernels::generic::decodeTile},
};

/// Index into kGroupSumsKernels in use (-1: not chosen yet).
std::atomic<int> selectedGroupSums{-1};

int getDefaultGroupSums() {
  support::SimdLevel host = support::getHostSimdLevel();
  for (size_t i = 0; i < std::size(kGroupSumsKernels); ++i)
    if (kGroupSumsKernels[i].level <= host)
      return int(i);
  return int(std::size(kGroupSumsKernels)) - 1;
}

const GroupSumsKernel &getGroupSums() {
  int i = selectedGroupSums.load();
  if (i < 0) {
    i = getDefaultGroupSums();
    selectedGroupSums.store(i);
  }
  return kGroupSumsKernels[i];
}

llvm::ThreadPoolInterface &getSharedPool() {
  static llvm::DefaultThreadPool pool(llvm::hardware_concurrency());
  return pool;
}
} // namespace

std::string_view bitmod::sim::getDatapathKernelName() {
  return support::getSimdLevelName(getGroupSums().level);
}

std::vector<std::string_view> bitmod::sim::getAvailableDatapathKernels() {
  std::vector<std::string_view> names;
  support::SimdLevel host = support::getHostSimdLevel();
  for (const GroupSumsKernel &k : kGroupSumsKernels)
    if (k.level <= host)
      names.push_back(support::getSimdLevelName(k.level));
  return names;
}

bool bitmod::sim::setDatapathKernel(std::string_view name) {
  if (name == "auto") {
    selectedGroupSums.store(getDefaultGroupSums());
    return true;
  }
  support::SimdLevel host = support::getHostSimdLevel();
  for (size_t i = 0; i < std::size(kGroupSumsKernels); ++i)
    if (kGroupSumsKernels[i].level <= host &&
        name == support::getSimdLevelName(kGroupSumsKernels[i].level)) {
      selectedGroupSums.store(int(i));
      return true;
    }
  return false;
}

//===----------------------------------------------------------------------===//
// Grouped matmul: 16 output channels per vector, threads over channel blocks
// and tokens
//===----------------------------------------------------------------------===//

namespace {
/// One byte per term for the kernels (DatapathKernels.h).
uint32_t packTerms(const BitSerialTerm *terms, unsigned numTerms, int &maxExp) {
  uint32_t word = 0;
  for (unsigned t = 0; t < numTerms; ++t) {
    if (terms[t].sign == 0)
      continue;
    maxExp = std::max<int>(maxExp, terms[t].exp);
    int8_t b = int8_t(terms[t].sign * (terms[t].exp + kernels::kTermExpBias));
    word |= uint32_t(uint8_t(b)) << (8 * t);
  }
  return word;
}

/// Term words of `count` codes of one lane, into the lane's column of a
/// [k][lane] block.
void decodeLane(const uint8_t *__restrict codes,
                const uint32_t *__restrict words, unsigned count, uint8_t mask,
                uint32_t *__restrict dst) {
  unsigned i = 0;
  for (; i + 4 <= count; i += 4) {
    uint32_t c;
    std::memcpy(&c, codes + i, 4);
    dst[(i + 0) * kernels::kLanes] = words[(c & 0xff) & mask];
    dst[(i + 1) * kernels::kLanes] = words[((c >> 8) & 0xff) & mask];
    dst[(i + 2) * kernels::kLanes] = words[((c >> 16) & 0xff) & mask];
    dst[(i + 3) * kernels::kLanes] = words[(c >> 24) & mask];
  }
  for (; i < count; ++i)
    dst[i * kernels::kLanes] = words[codes[i] & mask];
}

/// Step 4 of one group: the bit-serial product is acc * code, exact in 64
/// bits whenever |acc| < 2^55 (code <= 127); its RNE rounding to FP32 is
/// then the int64 -> float conversion (exact scaling by 2^-27 follows, no
/// subnormal is reachable). Otherwise the general routine.
inline float dequantizeFast(GroupAcc acc, int32_t scale, GroupScaleKind kind) {
  constexpr GroupAcc kLimit = GroupAcc(1) << 55;
  if (kind == GroupScaleKind::IntCode && acc > -kLimit && acc < kLimit &&
      scale <= 255)
    return float(int64_t(acc) * scale) * 0x1p-27f;
  return dequantizeGroupSum(acc, scale, kind);
}
} // namespace

llvm::Error bitmod::sim::groupedMatmul(const uint16_t *x, unsigned M,
                                       const QuantizedMatrixView &w, float *y,
                                       const DatapathOptions &options,
                                       DatapathStats *stats) {
  if (llvm::Error e = checkView(w))
    return e;
  if (llvm::Error e = checkActivations(x, M, w.cols))
    return e;
  auto decoderOr = TermDecoder::create(w.dtype, quant::hasSpecialValue(w.dtype)
                                                    ? options.specialValues
                                                    : std::nullopt);
  if (!decoderOr)
    return decoderOr.takeError();
  const TermDecoder &decoder = *decoderOr;
  const unsigned G = w.groupSize, numGroups = w.getNumGroups();
  const unsigned K = w.cols, N = w.rows;
  const unsigned terms = decoder.getNumTerms();
  const bool asym = decoder.usesZeroPoint();
  const uint32_t codeMask = (1u << quant::getCodeBits(w.dtype)) - 1;

  // The scalar model met these errors group by group, row by row.
  if (M > 0)
    for (unsigned n = 0; n < N; ++n)
      for (unsigned g = 0; g < numGroups; ++g) {
        size_t gi = size_t(n) * numGroups + g;
        unsigned zp = asym && w.zeroPoints ? w.zeroPoints[gi] : 0;
        if (zp > codeMask)
          return viewError("zero point " + llvm::Twine(zp) + " of group [" +
                           llvm::Twine(n) + ", " + llvm::Twine(g) +
                           "] exceeds the code range");
        int32_t scale = w.groupScales[gi];
        if (w.scaleKind == GroupScaleKind::IntCode && scale < 0)
          return viewError("negative group scale code " + llvm::Twine(scale) +
                           " at [" + llvm::Twine(n) + ", " + llvm::Twine(g) +
                           "]");
      }

  // Term words: [selector][code] (asym: [zero point][masked code]).
  const unsigned numTables = asym ? codeMask + 1 : 4;
  std::vector<uint32_t> termWords(size_t(numTables) * 256, 0);
  int maxExp = 0;
  for (unsigned tab = 0; tab < numTables; ++tab)
    for (unsigned c = 0; c < 256; ++c) {
      const BitSerialTerm *src =
          asym ? (c <= codeMask
                      ? decoder.lookup(0, 0) +
                            (32 - int(tab) + int(c)) * kMaxTermsPerWeight
                      : nullptr)
               : decoder.lookup(tab, c);
      if (src)
        termWords[tab * 256 + c] = packTerms(src, terms, maxExp);
    }
  // Each 4-way term step adds less than 2^16 * 2^(30 + maxExp - 1) (the
  // FP16 exponent is at most 30): keep the 64-bit lane sums below 2^62.
  const unsigned flushSteps =
      std::max(1u, (1u << std::max(0, 17 - maxExp)) / terms);

  // Activations per token and group, each group padded to whole steps.
  const unsigned groupSteps = (G + kDotProductWidth - 1) / kDotProductWidth;
  const size_t G4 = size_t(groupSteps) * kDotProductWidth;
  const size_t actStride = G4 * numGroups;
  std::vector<int32_t> actExp(size_t(M) * actStride, kernels::kNoActivation);
  std::vector<int32_t> actMan(size_t(M) * actStride, 0);
  for (unsigned m = 0; m < M; ++m)
    for (unsigned g = 0; g < numGroups; ++g)
      for (unsigned i = 0; i < G && size_t(g) * G + i < K; ++i) {
        PEAct a = splitHalf(x[size_t(m) * K + size_t(g) * G + i]);
        size_t at = size_t(m) * actStride + g * G4 + i;
        if (a.man != 0) {
          actExp[at] = a.exp - kernels::kTermExpBias;
          actMan[at] = a.man * (1 << kGuardBits);
        }
      }

  const GroupSumsKernel &kernel = getGroupSums();
  const kernels::GroupSumsFn groupSums = kernel.fn;
  const unsigned numBlocks = (N + kernels::kLanes - 1) / kernels::kLanes;
  // Computes channel blocks [b0, b1) for tokens [m0, m1).
  auto runTask = [&](unsigned b0, unsigned b1, unsigned m0, unsigned m1) {
    std::vector<uint32_t> blockTerms(actStride * kernels::kLanes);
    std::vector<char> decoded(numGroups);
    for (unsigned b = b0; b < b1; ++b) {
      const unsigned n0 = b * kernels::kLanes;
      const unsigned lanes = std::min(kernels::kLanes, N - n0);
      const bool tileDecode =
          lanes == kernels::kLanes && G % kernels::kLanes == 0;
      std::fill(decoded.begin(), decoded.end(), 0);
      if (!tileDecode)
        std::fill(blockTerms.begin(), blockTerms.end(), 0u);
      for (unsigned g = 0; g < numGroups && tileDecode; ++g) {
        // A whole vector of lanes at once.
        const uint8_t *rows[kernels::kLanes];
        const uint32_t *tables[kernels::kLanes];
        for (unsigned l = 0; l < kernels::kLanes; ++l) {
          size_t gi = size_t(n0 + l) * numGroups + g;
          unsigned tab = asym ? (w.zeroPoints ? w.zeroPoints[gi] : 0)
                              : (w.selectors ? (w.selectors[gi] & 3) : 0);
          rows[l] = w.codes + size_t(n0 + l) * w.codeRowStride + size_t(g) * G;
          tables[l] = termWords.data() + tab * 256;
        }
        decoded[g] = kernel.decodeTile(
            rows, tables, G, asym ? uint8_t(codeMask) : uint8_t(0xff),
            blockTerms.data() + g * G4 * kernels::kLanes);
      }
      for (unsigned l = 0; l < lanes; ++l) {
        const unsigned n = n0 + l;
        const uint8_t *rowCodes = w.codes + size_t(n) * w.codeRowStride;
        for (unsigned g = 0; g < numGroups; ++g) {
          if (decoded[g])
            continue;
          size_t gi = size_t(n) * numGroups + g;
          unsigned tab = asym ? (w.zeroPoints ? w.zeroPoints[gi] : 0)
                              : (w.selectors ? (w.selectors[gi] & 3) : 0);
          decodeLane(rowCodes + size_t(g) * G, termWords.data() + tab * 256, G,
                     asym ? uint8_t(codeMask) : uint8_t(0xff),
                     blockTerms.data() + g * G4 * kernels::kLanes + l);
        }
      }
      for (unsigned m = m0; m < m1; ++m) {
        float colAcc[kernels::kLanes] = {};
        for (unsigned g = 0; g < numGroups; ++g) {
          GroupAcc acc[kernels::kLanes] = {};
          size_t at = size_t(m) * actStride + g * G4;
          groupSums(blockTerms.data() + g * G4 * kernels::kLanes,
                    actExp.data() + at, actMan.data() + at, groupSteps, terms,
                    flushSteps, acc);
          for (unsigned l = 0; l < lanes; ++l)
            colAcc[l] += dequantizeFast(
                acc[l], w.groupScales[size_t(n0 + l) * numGroups + g],
                w.scaleKind);
        }
        for (unsigned l = 0; l < lanes; ++l) {
          unsigned n = n0 + l;
          float chScale = w.channelScales ? w.channelScales[n] : 1.0f;
          float out = colAcc[l] * chScale;
          if (options.output == OutputRounding::FP16)
            out = roundToHalfPrecision(out);
          y[size_t(m) * N + n] = out;
        }
      }
    }
  };

  // Tasks: a few per thread, over channel blocks first, then tokens.
  unsigned threads = options.numThreads
                         ? options.numThreads
                         : llvm::hardware_concurrency().compute_thread_count();
  uint64_t macs = uint64_t(M) * N * numGroups * G;
  if (threads <= 1 || macs < (uint64_t(1) << 17) || M == 0) {
    runTask(0, numBlocks, 0, M);
  } else {
    unsigned wanted = threads * 4;
    unsigned blockChunks = std::min(numBlocks, wanted);
    unsigned tokenChunks =
        std::min(M, std::max(1u, wanted / std::max(1u, blockChunks)));
    unsigned perBlock = (numBlocks + blockChunks - 1) / blockChunks;
    unsigned perToken = (M + tokenChunks - 1) / tokenChunks;
    std::unique_ptr<llvm::DefaultThreadPool> ownPool;
    llvm::ThreadPoolInterface *pool = &getSharedPool();
    if (options.numThreads &&
        options.numThreads !=
            llvm::hardware_concurrency().compute_thread_count()) {
      ownPool = std::make_unique<llvm::DefaultThreadPool>(
          llvm::hardware_concurrency(options.numThreads));
      pool = ownPool.get();
    }
    llvm::ThreadPoolTaskGroup group(*pool);
    for (unsigned b = 0; b < numBlocks; b += perBlock)
      for (unsigned m = 0; m < M; m += perToken) {
        unsigned b1 = std::min(numBlocks, b + perBlock);
        unsigned m1 = std::min(M, m + perToken);
        group.async([&runTask, b, b1, m, m1] { runTask(b, b1, m, m1); });
      }
    group.wait();
  }

  if (stats) {
    stats->termSteps += uint64_t(M) * w.rows * numGroups *
                        ((G + kDotProductWidth - 1) / kDotProductWidth) * terms;
    stats->groupDequants += uint64_t(M) * w.rows * numGroups;
  }
  return llvm::Error::success();
}

llvm::Expected<std::unique_ptr<UnpackedWeights>>
bitmod::sim::unpackWeights(const quant::PackedWeights &w) {
  auto fail = [&](const llvm::Twine &msg) {
    return createStringError(
        inconvertibleErrorCode(),
        "packed weights (" + llvm::Twine(std::string(quant::getName(w.dtype))) +
            "): " + msg);
  };
  if (!isSupportedByPE(w.dtype))
    return getTermsPerWeight(w.dtype).takeError();
  const bool mx = quant::isMXType(w.dtype);
  if (!mx && w.scaleBits == 0)
    return fail("float group scales (scale-bits=0) are not a hardware "
                "format; the PE needs integer group scales");
  const int64_t N = w.rows, K = w.cols, numGroups = w.getNumGroups();
  const unsigned G = w.getGroupSize();
  if (N <= 0 || K <= 0 || G == 0 || numGroups * int64_t(G) < K)
    return fail("inconsistent layout");
  if (N > int64_t(std::numeric_limits<unsigned>::max()) ||
      K > int64_t(std::numeric_limits<unsigned>::max()))
    return fail("matrix too large");
  const size_t paddedK = size_t(numGroups) * G;
  const unsigned b = quant::getCodeBits(w.dtype);
  const size_t rowBytes = size_t(w.layout.rowCodeBytes);
  if (w.codes.size() < size_t(N) * rowBytes || rowBytes * 8 < paddedK * b)
    return fail("code storage too small");
  size_t nG = size_t(N) * numGroups;
  if (mx ? w.sharedExponents.size() < nG
         : (w.groupScaleCodes.size() < nG ||
            w.channelScales.size() < size_t(N)))
    return fail("scale storage too small");

  auto u = std::make_unique<UnpackedWeights>();
  u->codes.resize(size_t(N) * paddedK);
  const uint32_t mask = (1u << b) - 1;
  for (int64_t n = 0; n < N; ++n) {
    const uint8_t *src = w.codes.data() + size_t(n) * rowBytes;
    uint8_t *dst = u->codes.data() + size_t(n) * paddedK;
    for (size_t k = 0; k < paddedK; ++k) {
      size_t bit = k * b;
      uint32_t word = src[bit / 8];
      if (bit / 8 + 1 < rowBytes)
        word |= uint32_t(src[bit / 8 + 1]) << 8;
      dst[k] = uint8_t((word >> (bit % 8)) & mask);
    }
  }
  if (mx) {
    u->groupScales.assign(w.sharedExponents.begin(),
                          w.sharedExponents.begin() + nG);
  } else {
    u->groupScales.assign(w.groupScaleCodes.begin(),
                          w.groupScaleCodes.begin() + nG);
    u->channelScales.assign(w.channelScales.begin(),
                            w.channelScales.begin() + N);
  }
  if (quant::hasSelector(w.dtype) || quant::isAsymmetric(w.dtype)) {
    std::vector<uint8_t> &dst =
        quant::hasSelector(w.dtype) ? u->selectors : u->zeroPoints;
    dst.resize(nG);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t g = 0; g < numGroups; ++g)
        dst[size_t(n) * numGroups + g] =
            uint8_t(quant::hasSelector(w.dtype) ? w.getSelector(n, g)
                                                : w.getZeroPoint(n, g));
  }
  QuantizedMatrixView &v = u->view;
  v.dtype = w.dtype;
  v.rows = unsigned(N);
  v.cols = unsigned(K);
  v.groupSize = G;
  v.codes = u->codes.data();
  v.codeRowStride = paddedK;
  v.groupScales = u->groupScales.data();
  v.scaleKind = mx ? GroupScaleKind::Pow2 : GroupScaleKind::IntCode;
  v.selectors = u->selectors.empty() ? nullptr : u->selectors.data();
  v.zeroPoints = u->zeroPoints.empty() ? nullptr : u->zeroPoints.data();
  v.channelScales =
      u->channelScales.empty() ? nullptr : u->channelScales.data();
  return u;
}

llvm::Error bitmod::sim::groupedMatmul(const uint16_t *x, unsigned M,
                                       const quant::PackedWeights &w, float *y,
                                       const DatapathOptions &options,
                                       DatapathStats *stats) {
  auto u = unpackWeights(w);
  if (!u)
    return u.takeError();
  return groupedMatmul(x, M, (*u)->view, y, options, stats);
}
