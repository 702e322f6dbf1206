//===- Quantizer.cpp - BitMoD weight quantization and packing -------------===//
//
// See Quantizer.h and docs/numerics.md for the numerics contract. The rows
// are quantized by the SIMD kernels of QuantKernels.inc (the best
// instruction set the CPU has) on a thread pool; QuantizerReference.cpp is
// the scalar reference they match bit for bit.
//
//===----------------------------------------------------------------------===//

#include "QuantizerInternal.h"

#include "bitmod/Quant/SpecialValues.h"
#include "bitmod/Support/Error.h"
#include "bitmod/Support/Half.h"
#include "bitmod/Support/Parallel.h"
#include "bitmod/Support/SimdLevel.h"

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

#if BITMOD_QUANT_X86_KERNELS
#include <immintrin.h>
#endif

using namespace bitmod;
using namespace bitmod::quant;
using namespace bitmod::quant::detail;
using llvm::Expected;

namespace {

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

/// Runs fn(begin, end) over chunks of [0, n) on the caller and a pool.
template <typename Fn>
void parallelRows(int64_t n, int64_t workPerRow, unsigned numThreads,
                  llvm::ThreadPoolInterface *pool, Fn fn) {
  // A chunk of less work than this is not worth a hand-off.
  int64_t minRows =
      ((int64_t(1) << 15) + workPerRow - 1) / std::max<int64_t>(1, workPerRow);
  support::parallelFor(n, minRows, numThreads, pool, fn);
}

/// The row kernels in order of preference (best first), with the CPU check.
struct KernelEntry {
  const char *name;
  kernels::RowFn fn;
  bool (*supported)();
};

#if BITMOD_QUANT_X86_KERNELS
bool cpuHasAVX512() {
  return support::getHostSimdLevel() >= support::SimdLevel::AVX512;
}
bool cpuHasAVX2() {
  return support::getHostSimdLevel() >= support::SimdLevel::AVX2;
}
#endif
bool always() { return true; }

const KernelEntry kKernels[] = {
#if BITMOD_QUANT_X86_KERNELS
    {"avx512", kernels::avx512::quantizeRow, cpuHasAVX512},
    {"avx2", kernels::avx2::quantizeRow, cpuHasAVX2},
#endif
    {"generic", kernels::generic::quantizeRow, always},
};

/// Index into kKernels of the kernel in use (-1: not chosen yet).
std::atomic<int> selectedKernel{-1};

int getDefaultKernel() {
  for (size_t i = 0; i < std::size(kKernels); ++i)
    if (kKernels[i].supported())
      return static_cast<int>(i);
  return static_cast<int>(std::size(kKernels)) - 1;
}

kernels::RowFn getRowKernel() {
  int i = selectedKernel.load();
  if (i < 0) {
    i = getDefaultKernel();
    selectedKernel.store(i);
  }
  return kKernels[i].fn;
}

llvm::Error nonFiniteError(llvm::StringRef name, float v, int64_t n,
                           int64_t k) {
  return makeError("tensor '" + name + "': non-finite weight " +
                   (std::isnan(v) ? llvm::Twine("nan")
                                  : llvm::Twine(v > 0 ? "+inf" : "-inf")) +
                   " at [" + llvm::Twine(n) + ", " + llvm::Twine(k) + "]");
}

/// IEEE binary16 bits -> float32, exact and branch-free (it vectorizes):
/// normal halves rebias the exponent, subnormals are their integer
/// mantissa times 2^-24 (no float32 subnormal is involved, so a caller's
/// flush-to-zero mode cannot change the value), inf/nan keep their class.
inline float halfBitsToFloat(uint16_t h) {
  uint32_t exponent = h & 0x7c00;
  uint32_t magnitude = static_cast<uint32_t>(h & 0x7fff) << 13;
  float subnormal = static_cast<float>(h & 0x3ff) * 0x1p-24f;
  uint32_t subnormalBits;
  std::memcpy(&subnormalBits, &subnormal, sizeof(subnormalBits));
  uint32_t bits = exponent == 0        ? subnormalBits
                  : exponent == 0x7c00 ? (magnitude | 0x7f800000u)
                                       : magnitude + (112u << 23);
  bits |= static_cast<uint32_t>(h & 0x8000) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

#if BITMOD_QUANT_X86_KERNELS
/// Widens the first multiple of 8 of `count` halves; returns how many.
__attribute__((target("avx,f16c"))) size_t
widenHalfF16C(const uint16_t *in, size_t count, float *out) {
  size_t i = 0;
  for (; i + 8 <= count; i += 8)
    _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128(
                                  reinterpret_cast<const __m128i *>(in + i))));
  return i;
}
#endif

inline float bfloat16BitsToFloat(uint16_t h) {
  uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

/// Rows of a WeightSpan as float32: f32 rows are read in place, f16/bf16
/// rows are widened into one buffer of K floats owned by the worker.
class RowReader {
public:
  RowReader(const WeightSpan &weights, int64_t K)
      : weights(weights), K(K),
        buffer(weights.type == WeightElementType::F32 ? 0 : K) {}
  const float *row(int64_t n) {
    if (weights.type == WeightElementType::F32)
      return static_cast<const float *>(weights.data) + n * K;
    weights.widen(n * K, K, buffer.data());
    return buffer.data();
  }

private:
  const WeightSpan &weights;
  int64_t K;
  std::vector<float> buffer;
};

} // namespace

std::string_view quant::getWeightElementTypeName(WeightElementType type) {
  switch (type) {
  case WeightElementType::F32:
    return "f32";
  case WeightElementType::F16:
    return "f16";
  case WeightElementType::BF16:
    return "bf16";
  }
  return "<invalid>";
}

float WeightSpan::get(size_t i) const {
  float v;
  widen(i, 1, &v);
  return v;
}

void WeightSpan::widen(size_t begin, size_t count, float *out) const {
  switch (type) {
  case WeightElementType::F32:
    std::memcpy(out, static_cast<const float *>(data) + begin,
                count * sizeof(float));
    return;
  case WeightElementType::F16: {
    const uint16_t *in = static_cast<const uint16_t *>(data) + begin;
    size_t i = 0;
#if BITMOD_QUANT_X86_KERNELS
    // F16C converts every finite value exactly, as halfBitsToFloat does;
    // every AVX2 CPU has it.
    if (cpuHasAVX2())
      i = widenHalfF16C(in, count, out);
#endif
    for (; i < count; ++i)
      out[i] = halfBitsToFloat(in[i]);
    return;
  }
  case WeightElementType::BF16: {
    const uint16_t *in = static_cast<const uint16_t *>(data) + begin;
    for (size_t i = 0; i < count; ++i)
      out[i] = bfloat16BitsToFloat(in[i]);
    return;
  }
  }
}

WeightSpan WeightSpan::rows(int64_t rowBegin, int64_t numRows,
                            int64_t K) const {
  size_t elementBytes = type == WeightElementType::F32 ? 4 : 2;
  WeightSpan s = *this;
  s.data = static_cast<const char *>(data) + rowBegin * K * elementBytes;
  s.size = static_cast<size_t>(numRows * K);
  return s;
}

std::string_view quant::getQuantKernelName() {
  getRowKernel();
  return kKernels[selectedKernel.load()].name;
}

std::vector<std::string_view> quant::getAvailableQuantKernels() {
  std::vector<std::string_view> names;
  for (const KernelEntry &k : kKernels)
    if (k.supported())
      names.push_back(k.name);
  return names;
}

bool quant::setQuantKernel(std::string_view name) {
  for (size_t i = 0; i < std::size(kKernels); ++i)
    if (name == kKernels[i].name && kKernels[i].supported()) {
      selectedKernel.store(static_cast<int>(i));
      return true;
    }
  if (name == "auto") {
    selectedKernel.store(getDefaultKernel());
    return true;
  }
  return false;
}

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
  float v = static_cast<float>(
      decodeCode(dtype, code, getSelector(n, g), getSpecialValues()));
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
  return computeTensorRange(WeightSpan::f32(weights), N, K, tensorName);
}

Expected<TensorRange> quant::computeTensorRange(WeightSpan weights, int64_t N,
                                                int64_t K,
                                                llvm::StringRef tensorName) {
  if (static_cast<int64_t>(weights.size) != N * K)
    return makeError("tensor '" + tensorName + "': expected " +
                     llvm::Twine(N * K) + " elements, got " +
                     llvm::Twine(weights.size));
  TensorRange r;
  if (weights.size == 0)
    return r;
  r.min = r.max = weights.get(0);
  // Row by row through a small float32 buffer (f16/bf16 are widened).
  std::vector<float> row(weights.type == WeightElementType::F32 ? 0 : K);
  for (int64_t n = 0; n < N; ++n) {
    const float *w = weights.type == WeightElementType::F32
                         ? static_cast<const float *>(weights.data) + n * K
                         : row.data();
    if (weights.type != WeightElementType::F32)
      weights.widen(n * K, K, row.data());
    for (int64_t k = 0; k < K; ++k) {
      float v = w[k];
      if (!std::isfinite(v))
        return nonFiniteError(tensorName, v, n, k);
      r.min = std::min(r.min, v);
      r.max = std::max(r.max, v);
    }
  }
  return r;
}

namespace {
Expected<PackedWeights> quantizeImpl(WeightSpan weights, int64_t N, int64_t K,
                                     const QuantConfig &config,
                                     int64_t rowOffset,
                                     llvm::ThreadPoolInterface *pool,
                                     bool reference) {
  Expected<BlobLayout> layoutOrErr = getBlobLayout(N, K, config);
  if (!layoutOrErr)
    return makeError("tensor '" + config.tensorName +
                     "': " + llvm::toString(layoutOrErr.takeError()));
  if (static_cast<int64_t>(weights.size) != N * K)
    return makeError("tensor '" + config.tensorName + "': expected " +
                     llvm::Twine(N * K) + " elements for shape [" +
                     llvm::Twine(N) + ", " + llvm::Twine(K) + "], got " +
                     llvm::Twine(weights.size));
  PackedWeights out;
  out.dtype = config.dtype;
  out.granularity = config.granularity;
  out.rows = N;
  out.cols = K;
  out.scaleBits = (isMXType(config.dtype) || config.dtype == DataType::fp16)
                      ? 0
                      : config.scaleBits;
  out.layout = *layoutOrErr;
  if (config.specialValues) {
    if (llvm::Error e = checkSpecialValues(config.dtype, *config.specialValues))
      return makeError("tensor '" + config.tensorName +
                       "': " + llvm::toString(std::move(e)));
    if (*config.specialValues != getDefaultSpecialValues(config.dtype))
      out.specialValues = config.specialValues;
  }
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
      Expected<TensorRange> r =
          computeTensorRange(weights, N, K, config.tensorName);
      if (!r) {
        // Name the bad element with the caller's row numbering.
        llvm::consumeError(r.takeError());
        for (int64_t i = 0; i < N * K; ++i)
          if (!std::isfinite(weights.get(i)))
            return nonFiniteError(config.tensorName, weights.get(i),
                                  i / K + rowOffset, i % K);
        return makeError("tensor '" + config.tensorName +
                         "': cannot compute its range");
      }
      range = *r;
    }
  }

  std::unique_ptr<TypeInfo> customInfo;
  if (out.specialValues)
    customInfo = makeTypeInfo(config.dtype, *out.specialValues);
  const TypeInfo &info = customInfo ? *customInfo : getTypeInfo(config.dtype);
  std::atomic<int64_t> firstBad{std::numeric_limits<int64_t>::max()};
  auto recordBad = [&](int64_t flat) {
    int64_t cur = firstBad.load();
    while (flat < cur && !firstBad.compare_exchange_weak(cur, flat)) {
    }
  };
  int64_t work =
      K * static_cast<int64_t>(std::max<size_t>(1, info.qmax.size()));
  kernels::RowFn kernel = getRowKernel();
  if (reference || info.kind == Kind::FP16 || !kernel) {
    parallelRows(
        N, work, config.numThreads, pool, [&](int64_t begin, int64_t end) {
          RowContext ctx(info, config, l, K);
          ctx.tensorRange = range;
          RowReader reader(weights, K);
          for (int64_t n = begin; n < end; ++n) {
            int64_t badCol;
            if (!quantizeRowReference(ctx, reader.row(n), n, out, badCol)) {
              recordBad(n * K + badCol);
              return;
            }
          }
        });
  } else {
    kernels::RowParams rp;
    rp.K = K;
    rp.G = l.groupSize;
    rp.numGroups = l.numGroups;
    rp.paddedK = l.paddedK;
    rp.rowCodeBytes = l.rowCodeBytes;
    rp.scaleBits = out.scaleBits;
    rp.hasTensorRange = range.has_value();
    if (range) {
      rp.rangeMin = range->min;
      rp.rangeMax = range->max;
    }
    const int64_t numCand = std::max<int64_t>(1, info.qmax.size());
    parallelRows(
        N, work, config.numThreads, pool, [&](int64_t begin, int64_t end) {
          std::vector<float> stats(l.numGroups * (3 + numCand));
          std::vector<uint32_t> rowCodes(l.paddedK);
          std::vector<uint8_t> idx(l.groupSize * numCand);
          RowReader reader(weights, K);
          kernels::Scratch scratch;
          scratch.absmax = stats.data();
          scratch.gmin = scratch.absmax + l.numGroups;
          scratch.gmax = scratch.gmin + l.numGroups;
          scratch.floatScale = scratch.gmax + l.numGroups;
          scratch.codes = rowCodes.data();
          scratch.idx = idx.data();
          auto rowPtr = [](auto &vec, int64_t offset) {
            return vec.empty() ? nullptr : vec.data() + offset;
          };
          for (int64_t n = begin; n < end; ++n) {
            const int64_t gi = n * l.numGroups;
            kernels::RowOut ro;
            ro.codes = out.codes.data() + n * l.rowCodeBytes;
            ro.groupScaleCodes = rowPtr(out.groupScaleCodes, gi);
            ro.groupScales = rowPtr(out.groupScales, gi);
            ro.channelScale = rowPtr(out.channelScales, n);
            ro.selectors = rowPtr(out.selectors, n * l.rowSelectorBytes);
            ro.zeroPoints = rowPtr(out.zeroPoints, gi);
            ro.sharedExponents = rowPtr(out.sharedExponents, gi);
            int64_t badCol =
                kernel(info.kernelType, rp, scratch, ro, reader.row(n));
            if (badCol >= 0) {
              recordBad(n * K + badCol);
              return;
            }
          }
        });
  }
  int64_t bad = firstBad.load();
  if (bad != std::numeric_limits<int64_t>::max())
    return nonFiniteError(config.tensorName, weights.get(bad),
                          bad / K + rowOffset, bad % K);
  return out;
}
} // namespace

Expected<PackedWeights> quant::quantize(llvm::ArrayRef<float> weights,
                                        int64_t N, int64_t K,
                                        const QuantConfig &config,
                                        int64_t rowOffset,
                                        llvm::ThreadPoolInterface *pool) {
  return quantizeImpl(WeightSpan::f32(weights), N, K, config, rowOffset, pool,
                      /*reference=*/false);
}

Expected<PackedWeights> quant::quantize(WeightSpan weights, int64_t N,
                                        int64_t K, const QuantConfig &config,
                                        int64_t rowOffset,
                                        llvm::ThreadPoolInterface *pool) {
  return quantizeImpl(weights, N, K, config, rowOffset, pool,
                      /*reference=*/false);
}

Expected<PackedWeights> quant::quantizeReference(llvm::ArrayRef<float> weights,
                                                 int64_t N, int64_t K,
                                                 const QuantConfig &config,
                                                 int64_t rowOffset) {
  return quantizeImpl(WeightSpan::f32(weights), N, K, config, rowOffset,
                      nullptr, /*reference=*/true);
}

llvm::Error quant::appendRows(PackedWeights &dst, const PackedWeights &block) {
  if (dst.rows == 0 && dst.codes.empty()) {
    dst = block;
    return llvm::Error::success();
  }
  if (dst.dtype != block.dtype || dst.cols != block.cols ||
      dst.scaleBits != block.scaleBits ||
      dst.granularity != block.granularity ||
      dst.layout.groupSize != block.layout.groupSize ||
      dst.getSpecialValues() != block.getSpecialValues())
    return makeError("appendRows: incompatible blocks (dtype, K, group size, "
                     "granularity, scale bits and special values must match)");
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
  const SpecialValueSet sv = p.getSpecialValues();
  for (unsigned s = 0; s < 4; ++s)
    for (uint32_t c = 0; c < numCodes; ++c)
      table[s].push_back(static_cast<float>(decodeCode(p.dtype, c, s, sv)));
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
  // The SV set (all zeros: the paper's set, as in files of older builds).
  SpecialValueSet sv =
      p.specialValues ? *p.specialValues : SpecialValueSet{0, 0, 0, 0};
  for (int8_t v : sv)
    out.push_back(static_cast<uint8_t>(v));
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
  uint32_t version, dtype, gran, groupSize, scaleBits, codeBits;
  SpecialValueSet sv;
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
  get(sv);
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
  if (sv != SpecialValueSet{0, 0, 0, 0}) {
    if (llvm::Error e = checkSpecialValues(p.dtype, sv))
      return makeError("packed weight file: " + llvm::toString(std::move(e)));
    if (sv != getDefaultSpecialValues(p.dtype))
      p.specialValues = sv;
  }
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
    // An empty section has no storage: memcpy on null pointers is UB.
    if (len)
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
