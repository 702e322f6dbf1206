//===- DataType.h - BitMoD weight data types --------------------*- C++ -*-===//
//
// The weight data types of the BitMoD paper and its baselines: names, code
// widths, value sets and code encodings. Plain C++ (no MLIR): this header is
// the single source of truth shared by the quantizer, the dialect verifiers,
// the ISA encoder and the simulator.
//
// Value sets use the integer scaling of the authors' public code (only ratios
// matter). A code is the b-bit pattern stored in memory:
//  * intN (symmetric): two's complement, values -(2^(b-1)-1) .. 2^(b-1)-1
//    (the pattern 100..0 is never produced).
//  * intN_asym: unsigned 0 .. 2^N-1, with a per-group zero point.
//  * fp3 family: sign-magnitude, code = sign << 2 | mag, mag -> {0,1,2,4}.
//    Code 0b100 (negative zero) decodes to the type's special value.
//  * fp4 family (E2M1, x2): code = sign << 3 | mag, mag -> {0,1,2,3,4,6,8,12}.
//    Code 0b1000 (negative zero) decodes to the type's special value.
//  * flint4 (ANT): sign-magnitude, mag -> {0,1,2,3,4,6,8,16}.
//  * fp5/fp6 minifloats: sign | exponent | mantissa, IEEE-like with subnormals,
//    no inf/nan; values scaled so the smallest subnormal is 1.
//  * mxfp3/mxfp4/mxint4: element codes as fp3/fp4/int4, group 32, per-group
//    shared power-of-two scale.
//  * bitmod3/bitmod4: fp3/fp4 codes; a per-group 2-bit selector picks the
//    special value from {er_pos, er_neg, ea_pos, ea_neg}.
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_QUANT_DATATYPE_H
#define BITMOD_QUANT_DATATYPE_H

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bitmod {
namespace quant {

/// Every weight data type. The order and spelling match the `bitmod` dialect
/// enum (`#bitmod.dtype<...>`), so the integer values are shared.
enum class DataType : uint32_t {
  int3 = 0,
  int4,
  int5,
  int6,
  int8,
  int3_asym,
  int4_asym,
  fp3,
  fp4,
  fp3_er_pos,
  fp3_er_neg,
  fp3_ea_pos,
  fp3_ea_neg,
  fp4_er_pos,
  fp4_er_neg,
  fp4_ea_pos,
  fp4_ea_neg,
  bitmod3,
  bitmod4,
  flint4,
  mxfp3,
  mxfp4,
  mxint4,
  fp5_e2m2,
  fp5_e3m1,
  fp6_e2m3,
  fp6_e3m2,
  fp16,
};

constexpr unsigned kNumDataTypes = static_cast<unsigned>(DataType::fp16) + 1;

/// The four special values of the BitMoD extensions, in selector order
/// (er_pos, er_neg, ea_pos, ea_neg). Ties in the per-group search resolve to
/// the lowest selector.
enum class SpecialValueKind : uint8_t { er_pos = 0, er_neg, ea_pos, ea_neg };

/// Spelling used in IR, on command lines and in reports ("bitmod3").
std::string_view getName(DataType type);
/// Parses a spelling; also accepts '-' for '_' ("int4-asym", "fp3-er-pos").
std::optional<DataType> parseDataType(std::string_view name);
/// All spellings, comma separated, for diagnostics.
std::string listDataTypeNames();

/// Bits per stored code (16 for fp16).
unsigned getCodeBits(DataType type);
bool isIntegerType(DataType type); // int3..int8 and the asym variants
bool isAsymmetric(DataType type);  // int3_asym, int4_asym
bool isMXType(DataType type);      // mxfp3, mxfp4, mxint4
bool isFP3Family(DataType type);   // fp3, fp3_*, bitmod3, mxfp3
bool isFP4Family(DataType type);   // fp4, fp4_*, bitmod4, mxfp4
/// bitmod3/bitmod4: a per-group 2-bit special-value selector is stored.
bool hasSelector(DataType type);
/// Types whose negative-zero code decodes to a special value (the fixed
/// fp3/fp4 extensions and bitmod3/bitmod4).
bool hasSpecialValue(DataType type);
/// Group size a type requires regardless of the option (32 for MX), or 0.
unsigned getRequiredGroupSize(DataType type);

/// Special value of the fp3 (is4Bit=false) or fp4 family for a selector.
double getSpecialValue(bool is4Bit, SpecialValueKind kind);

/// A special-value set: the 4-entry SV register file in selector order
/// (er_pos, er_neg, ea_pos, ea_neg), integer scaling. bitmod3/bitmod4 select
/// an entry per group; a fixed extension (fp3_er_pos, ...) always reads its
/// own entry. Checks and the search: bitmod/Quant/SpecialValues.h.
using SpecialValueSet = std::array<int8_t, 4>;
/// The paper's set of the type's family (fp3 {3,-3,6,-6}, fp4
/// {10,-10,16,-16}); all zeros for types without special values.
SpecialValueSet getDefaultSpecialValues(DataType type);

/// The distinct representable values in ascending order. Fixed extensions
/// (fp3_er_pos, ...) include their special value; bitmod3/bitmod4 return the
/// basic fp3/fp4 values (the quantizer adds each candidate's special value);
/// asym types return 0..2^N-1.
std::vector<double> getValueSet(DataType type);
/// Largest magnitude of getValueSet(type): the quantization scale of a group
/// is absmax(group) / qmax (DESIGN.md, "Numerics"). For bitmod3/bitmod4 the
/// quantizer uses the qmax of each candidate set instead.
double getQMax(DataType type);

/// Decodes one code to its value in the integer scaling. `selector` is used
/// by bitmod3/bitmod4 only. Asymmetric types return the unsigned code.
double decodeCode(DataType type, uint32_t code, unsigned selector = 0);
/// As above with the special values of `sv` instead of the paper's.
double decodeCode(DataType type, uint32_t code, unsigned selector,
                  const SpecialValueSet &sv);

} // namespace quant
} // namespace bitmod

#endif // BITMOD_QUANT_DATATYPE_H
