//===- Quantizer.h - BitMoD weight quantization and packing -----*- C++ -*-===//
//
// Quantizes a linear-layer weight W[N, K] (y = x W^T) to one of the BitMoD
// data types with per-group scales along K, and packs the result in the
// storage layout consumed by the ISA encoder and the simulator. Plain C++
// (LLVM Support only). docs/numerics.md is the long form of this contract.
//
// Algorithm (per row n, per group g of G consecutive columns):
//  * Padding: K is padded with zeros to numGroups * G (never dropped).
//    Padding never influences a scale, zero point or selector; padded codes
//    hold the encoding of the value 0 (the zero point for asym types).
//  * Rounding: x = w / scale in float32, rounded to the nearest value of the
//    set; a value exactly on a midpoint goes to the lower (smaller)
//    neighbour; values beyond the set clamp to its ends. Integer roundings
//    (asym codes, zero points, int8 group scales) use the same rule:
//    roundHalfDown(x) = ceil(x - 0.5) evaluated in double.
//  * Symmetric types: float scale s = absmax(group) / qmax(set) (float32).
//  * bitmod3/bitmod4: every candidate c in (er_pos, er_neg, ea_pos, ea_neg)
//    has its own set (basic fp3/fp4 + special value) and qmax_c; the group
//    uses the candidate with the lowest squared error sum (ties: first).
//  * intN_asym: s = (max - min) / (2^N - 1) over the group; if max == min the
//    range is max(|min|, |max|) instead. zp = clamp(roundHalfDown(-min/e), 0,
//    2^N-1), code = clamp(roundHalfDown(w/e) + zp, 0, 2^N-1), value
//    (code - zp) * e, where e is the effective scale.
//  * MX types: group size forced to 32 (QuantConfig::groupSize is ignored;
//    PerChannel/PerTensor granularity is an error). Shared exponent X =
//    floor(log2(absmax)) - floor(log2(qmax_elem)) clamped to [-127, 127]; scale
//    2^X (exact). qmax_elem = 4 (mxfp3), 12 (mxfp4), 7 (mxint4). All-zero
//    group: X = -128 (scale 0). The scale is already an 8-bit second level:
//    scaleBits does not apply, no channel scales are stored.
//  * Second level (scaleBits = B in 4..8, default 8; paper III-C): per row,
//    S = max over groups and candidates of s_{g,c} / (2^(B-1) - 1) (float32),
//    q_{g,c} = clamp(roundHalfDown(s_{g,c} / S), 1, 2^(B-1)-1), effective
//    scale e = float(q) * S. Codes, zero points and the bitmod candidate are
//    computed against e. scaleBits = 0 keeps e = s (float32 group scales).
//  * All-zero groups (or an effective scale of 0): scale code 0, codes of 0,
//    dequantized value 0, selector 0.
//  * Dequantized value = float32(value * e) (asym: float32(code - zp) * e).
//  * fp16: round-to-nearest-even cast, no scales (G and scaleBits ignored,
//    one group per row of K elements); beyond +-65504 saturates.
//  * Granularity PerChannel: G = K (one group per row). PerTensor: like
//    PerChannel but absmax (asym: min/max) is taken over the whole tensor
//    (or QuantConfig::tensorRange for streaming), so every row shares the
//    float scale; bitmod selectors remain per row.
//  * NaN or Inf weight: error "tensor 'NAME': non-finite weight <v> at
//    [n, k]" naming the first bad element in row-major order.
//
// Storage layout (all row-major, little-endian):
//  * codes: per row, numGroups * G codes of getCodeBits(dtype) bits, packed
//    LSB-first (code i of a row occupies row bits [i*b, i*b+b), bit p of the
//    row is bit p%8 of byte p/8); each row starts on a byte boundary:
//    rowCodeBytes = ceil(numGroups * G * b / 8).
//  * groupScaleCodes: int8 [N][numGroups], values 0..2^(B-1)-1 (scaleBits>0)
//  * groupScales: float32 [N][numGroups] (scaleBits == 0 only)
//  * channelScales: float32 [N] (scaleBits > 0 only)
//  * selectors: bitmod3/4 only, 2-bit selector (SpecialValueKind) per group,
//    packed 4 per byte LSB-first, each row ceil(numGroups/4) bytes.
//  * zeroPoints: asym only, uint8 [N][numGroups].
//  * sharedExponents: MX only, int8 [N][numGroups].
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_QUANT_QUANTIZER_H
#define BITMOD_QUANT_QUANTIZER_H

#include "bitmod/Quant/DataType.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llvm {
class ThreadPoolInterface;
} // namespace llvm

namespace bitmod {
namespace quant {

enum class Granularity : uint8_t { PerGroup = 0, PerChannel, PerTensor };

std::string_view getGranularityName(Granularity g);
std::optional<Granularity> parseGranularity(std::string_view name);

/// Value range of a whole tensor, for PerTensor granularity in streaming mode.
struct TensorRange {
  float min = 0;
  float max = 0;
};

struct QuantConfig {
  DataType dtype = DataType::bitmod3;
  /// Group size along K (PerGroup). 0 is an error. MX types require 32.
  unsigned groupSize = 128;
  Granularity granularity = Granularity::PerGroup;
  /// Bits of the integer group scales: 0 (float scales) or 4..8.
  unsigned scaleBits = 8;
  /// Name used in diagnostics.
  std::string tensorName = "weight";
  /// PerTensor only: range of the whole tensor. When unset, the range of the
  /// rows passed to quantize() is used.
  std::optional<TensorRange> tensorRange;
  /// Worker threads: 0 = all hardware threads, 1 = run on the caller.
  unsigned numThreads = 0;
  /// Types with special values: the SV set to quantize against (checked by
  /// checkSpecialValues, bitmod/Quant/SpecialValues.h); unset = the paper's.
  /// Setting it for a type without special values is an error.
  std::optional<SpecialValueSet> specialValues;
};

/// Storage sizes implied by (N, K, config) without quantizing.
struct BlobLayout {
  unsigned groupSize = 0;   // effective G (32 for MX, K per-channel/tensor)
  int64_t numGroups = 0;    // groups per row
  int64_t paddedK = 0;      // numGroups * G
  unsigned codeBits = 0;    // bits per code
  int64_t rowCodeBytes = 0; // bytes per row of codes
  int64_t codeBytes = 0;    // N * rowCodeBytes
  int64_t groupScaleCodeBytes = 0;  // int8 [N][numGroups] or 0
  int64_t groupScaleFloatBytes = 0; // float32 [N][numGroups] or 0
  int64_t channelScaleBytes = 0;    // float32 [N] or 0
  int64_t rowSelectorBytes = 0;     // per row, or 0
  int64_t selectorBytes = 0;        // N * rowSelectorBytes
  int64_t zeroPointBytes = 0;       // uint8 [N][numGroups] or 0
  int64_t sharedExponentBytes = 0;  // int8 [N][numGroups] or 0
  int64_t getTotalBytes() const;
};

/// Validates the config and computes the storage layout. Errors: group size
/// 0, MX with a granularity other than PerGroup, scaleBits not in {0, 4..8},
/// N or K not positive, an invalid dtype value.
llvm::Expected<BlobLayout> getBlobLayout(int64_t N, int64_t K,
                                         const QuantConfig &config);

/// Nominal bits per weight: code bits + (group scale bits + selector bits +
/// zero point bits + shared exponent bits) / G, excluding per-channel scales
/// and padding (bitmod3, G=128, scaleBits=8: 3 + 10/128). Float group scales
/// (scaleBits = 0) count 16 bits, as in the paper (stored as float32 here).
double getNominalBitsPerWeight(DataType dtype, unsigned groupSize,
                               unsigned scaleBits);

/// A quantized, packed weight W[N, K].
struct PackedWeights {
  DataType dtype = DataType::bitmod3;
  Granularity granularity = Granularity::PerGroup;
  int64_t rows = 0; // N
  int64_t cols = 0; // K
  unsigned scaleBits = 0;
  BlobLayout layout;

  std::vector<uint8_t> codes;
  std::vector<int8_t> groupScaleCodes;
  std::vector<float> groupScales;
  std::vector<float> channelScales;
  std::vector<uint8_t> selectors;
  std::vector<uint8_t> zeroPoints;
  std::vector<int8_t> sharedExponents;
  /// The SV set the codes were quantized against; unset = the paper's.
  std::optional<SpecialValueSet> specialValues;

  unsigned getGroupSize() const { return layout.groupSize; }
  /// specialValues or the paper's set of the type (zeros without SVs).
  SpecialValueSet getSpecialValues() const {
    return specialValues ? *specialValues : getDefaultSpecialValues(dtype);
  }
  int64_t getNumGroups() const { return layout.numGroups; }
  /// Raw code of element (n, k); k may index padding (k < paddedK).
  uint32_t getCode(int64_t n, int64_t k) const;
  /// Special-value selector of group (n, g) (0 for types without one).
  unsigned getSelector(int64_t n, int64_t g) const;
  /// Zero point of group (n, g) (0 for symmetric types).
  unsigned getZeroPoint(int64_t n, int64_t g) const;
  /// The scale the hardware multiplies by (q * S, the float scale, 2^X for
  /// MX, 1 for fp16).
  float getEffectiveScale(int64_t n, int64_t g) const;
  /// Dequantized value of element (n, k).
  float getValue(int64_t n, int64_t k) const;
  /// Stored bits / (N * K), including channel scales and padding.
  double getStorageBitsPerWeight() const;
};

/// Element type of the weights handed to the quantizer. f16 and bf16 convert
/// to float32 exactly, so quantizing them gives the same result, bit for
/// bit, as quantizing their float32 values.
enum class WeightElementType : uint8_t { F32 = 0, F16, BF16 };

std::string_view getWeightElementTypeName(WeightElementType type);

/// A read-only view of row-major weights of one of the element types above
/// (f16/bf16 as their bit patterns). The quantizer widens one row at a time
/// into a per-worker float32 buffer, so no float32 copy of the tensor is made.
struct WeightSpan {
  const void *data = nullptr;
  size_t size = 0; // elements
  WeightElementType type = WeightElementType::F32;

  static WeightSpan f32(llvm::ArrayRef<float> v) {
    return {v.data(), v.size(), WeightElementType::F32};
  }
  static WeightSpan f16(llvm::ArrayRef<uint16_t> bits) {
    return {bits.data(), bits.size(), WeightElementType::F16};
  }
  static WeightSpan bf16(llvm::ArrayRef<uint16_t> bits) {
    return {bits.data(), bits.size(), WeightElementType::BF16};
  }
  /// Element i as float32 (exact).
  float get(size_t i) const;
  /// Writes elements [begin, begin + count) as float32 to `out` (exact).
  void widen(size_t begin, size_t count, float *out) const;
  /// The rows [rowBegin, rowBegin + numRows) of an [N, K] tensor.
  WeightSpan rows(int64_t rowBegin, int64_t numRows, int64_t K) const;
};

/// Quantizes W (row-major [N, K] float32) and packs it (see the WeightSpan
/// overload for f16 and bf16). Rows are independent
/// (except PerTensor, see QuantConfig::tensorRange), so a large tensor can be
/// streamed: quantize blocks of rows and appendRows() the results.
/// `rowOffset` is added to row indices in diagnostics. `pool` (optional)
/// runs the row tasks; otherwise an internal pool is used.
llvm::Expected<PackedWeights>
quantize(llvm::ArrayRef<float> weights, int64_t N, int64_t K,
         const QuantConfig &config, int64_t rowOffset = 0,
         llvm::ThreadPoolInterface *pool = nullptr);

/// quantize() on f32, f16 or bf16 weights; the result equals quantize() of
/// the same values given as float32.
llvm::Expected<PackedWeights>
quantize(WeightSpan weights, int64_t N, int64_t K, const QuantConfig &config,
         int64_t rowOffset = 0, llvm::ThreadPoolInterface *pool = nullptr);

/// The scalar reference implementation of quantize() (the original code,
/// threaded the same way; same results bit for bit, several times slower).
/// For tests of the SIMD kernels.
llvm::Expected<PackedWeights> quantizeReference(llvm::ArrayRef<float> weights,
                                                int64_t N, int64_t K,
                                                const QuantConfig &config,
                                                int64_t rowOffset = 0);

/// The SIMD row kernel quantize() uses: "avx512", "avx2" or "generic" (the
/// best one the CPU supports unless setQuantKernel chose another).
std::string_view getQuantKernelName();
/// The kernels this build has and this CPU runs, best first.
std::vector<std::string_view> getAvailableQuantKernels();
/// Makes quantize() use kernel `name` ("auto": the default) in the whole
/// process; false if it is unknown or unsupported here. For tests and
/// benchmarks.
bool setQuantKernel(std::string_view name);

/// Appends the rows of `block` to `dst` (same dtype, K and config); `dst` may
/// be default-constructed (empty).
llvm::Error appendRows(PackedWeights &dst, const PackedWeights &block);

/// Dequantizes to a row-major float32 [N, K] matrix (padding dropped).
std::vector<float> dequantize(const PackedWeights &packed);

/// quantize() followed by dequantize().
llvm::Expected<std::vector<float>> fakeQuantize(llvm::ArrayRef<float> weights,
                                                int64_t N, int64_t K,
                                                const QuantConfig &config);

/// Range (min, max) of a tensor; errors on NaN/Inf like quantize().
llvm::Expected<TensorRange> computeTensorRange(llvm::ArrayRef<float> weights,
                                               int64_t N, int64_t K,
                                               llvm::StringRef tensorName);
llvm::Expected<TensorRange> computeTensorRange(WeightSpan weights, int64_t N,
                                               int64_t K,
                                               llvm::StringRef tensorName);

/// Error metrics of a dequantized tensor against the original.
struct QuantStats {
  int64_t count = 0;
  double sumSquaredError = 0;
  double sumSquaredSignal = 0;
  double maxAbsError = 0;
  double getMSE() const { return count ? sumSquaredError / count : 0.0; }
  /// 10 log10(signal / error); +inf for an exact result, 0 for zero signal.
  double getSQNRdB() const;
  void merge(const QuantStats &other);
};

QuantStats computeStats(llvm::ArrayRef<float> original,
                        llvm::ArrayRef<float> dequantized);

/// Serializes to the .bmqw container (docs/numerics.md, "Packed file"):
/// a 64-byte little-endian header
///   char magic[4] = "BMQW"; uint32 version = 1; uint32 dtype; uint32
///   granularity; int64 N; int64 K; uint32 groupSize; uint32 scaleBits;
///   int64 numGroups; uint32 codeBits; int8 sv[4] (all 0 = the paper's
///   set); 8 bytes zero
/// followed by the sections codes, groupScaleCodes, groupScales,
/// channelScales, selectors, zeroPoints, sharedExponents, each as uint64
/// byte length + bytes.
std::vector<uint8_t> serializePacked(const PackedWeights &packed);
/// Parses serializePacked() output; checks section sizes against the layout.
llvm::Expected<PackedWeights> deserializePacked(llvm::ArrayRef<uint8_t> bytes);

/// Number of groups per selector value (bitmod3/4; zeros otherwise).
std::array<uint64_t, 4> getSelectorHistogram(const PackedWeights &packed);

} // namespace quant
} // namespace bitmod

#endif // BITMOD_QUANT_QUANTIZER_H
