//===- Datapath.h - Bit-exact functional model of the BitMoD PE -*- C++ -*-===//
//
// The functional (value) model of the bit-serial mixed-datatype PE array
// (paper IV-A/IV-B). It is bit-exact to the datapath documented in
// docs/simulator.md ("Functional datapath"); summary:
//
//  1. Term decoding. Every weight becomes a fixed number of terms
//     sign * 2^exp (exp includes the bit significance):
//     * int8/int6/int5/int4/int3 (and mxint4): radix-4 Booth digits
//       d_i = -2 b[2i+1] + b[2i] + b[2i-1] (b[-1] = 0, sign extended) in
//       {-2..2}; 4/3/3/2/2 digits; digit i has significance 4^i.
//     * int4_asym / int3_asym: v = code - zeroPoint (5-/4-bit signed), then
//       Booth: 3 / 2 digits.
//     * sign-magnitude types (fp3/fp4 families incl. bitmod3/4, flint4,
//       mxfp3/mxfp4, fp5/fp6 minifloats): magnitude as an unsigned fixed
//       point integer in the DataType.h scaling (fp4: 1 sign, 5 magnitude
//       bits = the paper's 4 integer + 1 fraction bits); the negative-zero
//       code of SV types is replaced by the group's special value from the
//       4-entry SV register file; terms by repeated leading-one detection
//       (highest one first). Terms: 2 for fp3/fp4 families, flint4 and
//       fp5_e3m1; 3 for fp5_e2m2 and fp6_e3m2; 4 for fp6_e2m3.
//     * fp16 weights are not a PE type (error).
//  2. One cycle = 4-way dot product of term t of 4 consecutive weights with
//     their 4 FP16 activations. Each product is the 11-bit activation
//     mantissa (hidden bit; subnormals use exponent 1 and hidden bit 0) at
//     exponent Ea + exp. The products are aligned to the largest exponent
//     among the nonzero products of the cycle, keeping 3 guard bits, each
//     rounded to nearest-even (exact remainder) at the guard-bit LSB; the
//     adder tree sums the 4 aligned signed values exactly.
//  3. Group accumulator: exact two's complement fixed point, LSB 2^-27
//     (= 2^(1-25-3), the smallest aligned LSB), 96 bits wide: no rounding
//     and no overflow for any group size <= 2^24.
//  4. Bit-serial dequantization: accumulator x group scale code (INT, 1 bit
//     per cycle, exact shift-and-add), then rounded once to FP32 (RNE). MX
//     types multiply by 2^X instead (exact).
//  5. Column accumulator: FP32, groups added in K order (RNE per add).
//  6. Output: FP32 product with the FP32 channel scale (RNE); optionally
//     rounded to FP16 (RNE) when written to the activation buffer.
//
// Plain C++ (LLVM Support + BitMoDQuant).
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_SIM_DATAPATH_H
#define BITMOD_SIM_DATAPATH_H

#include "bitmod/Quant/DataType.h"

#include "llvm/Support/Error.h"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace bitmod {
namespace quant {
struct PackedWeights;
} // namespace quant

namespace sim {

/// Fixed datapath parameters (docs/simulator.md).
constexpr unsigned kDotProductWidth = 4;
constexpr unsigned kActMantissaBits = 11;
constexpr unsigned kGuardBits = 3;
/// LSB of the group accumulator is 2^-kGroupAccFracBits.
constexpr int kGroupAccFracBits = 27;
constexpr unsigned kGroupAccBits = 96;
constexpr unsigned kMaxTermsPerWeight = 4;
/// Largest group size the 96-bit accumulator covers without overflow.
constexpr uint64_t kMaxGroupSize = uint64_t(1) << 24;

/// Group accumulator value: fixed point, LSB 2^-kGroupAccFracBits.
using GroupAcc = __int128;

/// One bit-serial term: sign * 2^exp. sign == 0 is a zero term (the PE
/// still spends its cycle on it).
struct BitSerialTerm {
  int8_t sign = 0; // -1, 0, +1
  int8_t exp = 0;  // power of two including the bit significance
};

/// The SV register file: special values (integer scaling of DataType.h)
/// indexed by selector (er_pos, er_neg, ea_pos, ea_neg). Programmable: any
/// value with |v| < 32 and at most two one-bits is accepted.
struct SpecialValueFile {
  std::array<int32_t, 4> values = {0, 0, 0, 0};
  /// The paper's values: fp3 {3,-3,6,-6}, fp4 {10,-10,16,-16}.
  static SpecialValueFile forFamily(bool is4Bit);
  llvm::Error validate() const;
};

/// True if the PE decodes `type` (every type except fp16).
bool isSupportedByPE(quant::DataType type);
/// Terms per weight (the PE cycles per 4 weights), or an error for fp16.
llvm::Expected<unsigned> getTermsPerWeight(quant::DataType type);

/// The bit-serial term generator for one data type (table driven).
class TermDecoder {
public:
  /// `sv` overrides the SV register file (fp3/fp4 families only); the
  /// default holds the paper's values for the type's family.
  static llvm::Expected<TermDecoder>
  create(quant::DataType type,
         std::optional<SpecialValueFile> sv = std::nullopt);

  quant::DataType getDataType() const { return type; }
  unsigned getNumTerms() const { return numTerms; }
  bool usesZeroPoint() const { return asym; }
  const SpecialValueFile &getSpecialValues() const { return sv; }

  /// Decodes one code into getNumTerms() terms. `selector` is used by the
  /// SV types only (fixed extensions use their own selector), `zeroPoint`
  /// by the asym types only.
  void decode(uint32_t code, unsigned selector, unsigned zeroPoint,
              BitSerialTerm *terms) const;
  /// Integer value the terms represent (sum of sign * 2^exp).
  int32_t decodeValue(uint32_t code, unsigned selector,
                      unsigned zeroPoint) const;

  /// Table access for the fast path: terms of (selector, code) for non-asym
  /// types; for asym types index by (code - zeroPoint + 32).
  const BitSerialTerm *lookup(unsigned selector, uint32_t code) const {
    return &table[(selector * 256 + code) * kMaxTermsPerWeight];
  }

private:
  TermDecoder() = default;
  quant::DataType type = quant::DataType::int8;
  unsigned numTerms = 0;
  bool asym = false;
  SpecialValueFile sv;
  std::array<BitSerialTerm, 4 * 256 * kMaxTermsPerWeight> table{};
};

/// How the group scale is applied in the dequantization step.
enum class GroupScaleKind : uint8_t {
  IntCode, // unsigned integer code (second-level scale), bit-serial multiply
  Pow2,    // MX shared exponent X: multiply by 2^X (-128 means scale 0)
};

/// Exact group partial sum of `count` weights (codes one per byte) with
/// their FP16 activations, following steps 2-3. count may be any value;
/// the last 4-way step is padded with zero terms. Activations must be
/// finite (groupedMatmul checks; here Inf/NaN patterns give unspecified
/// values, never UB).
GroupAcc groupPartialSum(const uint16_t *actFp16, const uint8_t *codes,
                         unsigned count, unsigned selector, unsigned zeroPoint,
                         const TermDecoder &decoder);

/// Step 4: rounds acc * scale (IntCode: code, Pow2: 2^int8(code)) to FP32.
float dequantizeGroupSum(GroupAcc acc, int32_t scaleCode, GroupScaleKind kind);

/// Steps 2-4 for one group.
inline float dotProductGroup(const uint16_t *actFp16, const uint8_t *codes,
                             unsigned count, unsigned selector,
                             unsigned zeroPoint, int32_t scaleCode,
                             GroupScaleKind kind, const TermDecoder &decoder) {
  return dequantizeGroupSum(
      groupPartialSum(actFp16, codes, count, selector, zeroPoint, decoder),
      scaleCode, kind);
}

/// A quantized weight matrix W[N, K] with unpacked codes (one per byte),
/// the raw form of quant::PackedWeights.
struct QuantizedMatrixView {
  quant::DataType dtype = quant::DataType::bitmod3;
  unsigned rows = 0;      // N
  unsigned cols = 0;      // K (activation length)
  unsigned groupSize = 0; // G
  /// codes[n * codeRowStride + k], k < numGroups * G (padding holds 0's
  /// code); codeRowStride >= numGroups * G.
  const uint8_t *codes = nullptr;
  size_t codeRowStride = 0;
  /// [N][numGroups]: IntCode scale codes (0..2^(B-1)-1) or MX exponents
  /// (int8 two's complement).
  const int8_t *groupScales = nullptr;
  GroupScaleKind scaleKind = GroupScaleKind::IntCode;
  /// [N][numGroups], one selector per byte (SV types; may be null = 0).
  const uint8_t *selectors = nullptr;
  /// [N][numGroups] (asym types; may be null = 0).
  const uint8_t *zeroPoints = nullptr;
  /// [N] FP32 channel scales; null means 1.0 (MX).
  const float *channelScales = nullptr;

  unsigned getNumGroups() const {
    return groupSize ? (cols + groupSize - 1) / groupSize : 0;
  }
};

enum class OutputRounding : uint8_t { FP32, FP16 };

struct DatapathOptions {
  OutputRounding output = OutputRounding::FP32;
  std::optional<SpecialValueFile> specialValues;
  /// Worker threads of groupedMatmul: 0 = all hardware threads, 1 = run on
  /// the caller. The result does not depend on it.
  unsigned numThreads = 0;
};

/// Activity of a functional run (for cross-checking the timing model).
struct DatapathStats {
  uint64_t termSteps = 0;     // 4-way PE steps summed over all outputs
  uint64_t groupDequants = 0; // bit-serial dequantizations
};

/// y[m * N + n] = sum_k x[m * K + k] * W[n, k] through the datapath, for M
/// rows of FP16 activations. Computed for 16 output channels at a time (one
/// per SIMD lane, each with the exact per-step alignment and rounding) on
/// a thread pool over channel blocks and tokens; bit-identical to
/// golden::groupedMatmul. Errors: unsupported dtype, inconsistent view,
/// group size 0 or > kMaxGroupSize, non-finite activation (names [m, k]).
llvm::Error groupedMatmul(const uint16_t *x, unsigned M,
                          const QuantizedMatrixView &w, float *y,
                          const DatapathOptions &options = {},
                          DatapathStats *stats = nullptr);

/// Same on packed weights from the quantizer. Errors additionally for float
/// group scales (scaleBits = 0: not a hardware format) and fp16 weights.
llvm::Error groupedMatmul(const uint16_t *x, unsigned M,
                          const quant::PackedWeights &w, float *y,
                          const DatapathOptions &options = {},
                          DatapathStats *stats = nullptr);

/// The SIMD build groupedMatmul uses: "avx512", "avx2" or "generic" (the
/// best the CPU runs unless setDatapathKernel chose another).
std::string_view getDatapathKernelName();
/// The builds this binary has and this CPU runs, best first.
std::vector<std::string_view> getAvailableDatapathKernels();
/// Makes groupedMatmul use build `name` ("auto": the default) in the whole
/// process; false if unknown or unsupported here. For tests and benchmarks.
bool setDatapathKernel(std::string_view name);

/// Unpacked storage behind a QuantizedMatrixView built from PackedWeights.
struct UnpackedWeights {
  std::vector<uint8_t> codes;
  std::vector<int8_t> groupScales;
  std::vector<uint8_t> selectors;
  std::vector<uint8_t> zeroPoints;
  std::vector<float> channelScales;
  QuantizedMatrixView view; // points into the vectors above
};
llvm::Expected<std::unique_ptr<UnpackedWeights>>
unpackWeights(const quant::PackedWeights &w);

} // namespace sim
} // namespace bitmod

#endif // BITMOD_SIM_DATAPATH_H
