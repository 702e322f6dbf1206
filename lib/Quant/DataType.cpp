//===- DataType.cpp - BitMoD weight data types ----------------------------===//

#include "bitmod/Quant/DataType.h"
#include "bitmod/Support/Half.h"

#include <algorithm>
#include <cassert>
#include <cmath>

using namespace bitmod;
using namespace bitmod::quant;

namespace {
constexpr std::string_view kNames[kNumDataTypes] = {
    "int3",       "int4",       "int5",       "int6",       "int8",
    "int3_asym",  "int4_asym",  "fp3",        "fp4",        "fp3_er_pos",
    "fp3_er_neg", "fp3_ea_pos", "fp3_ea_neg", "fp4_er_pos", "fp4_er_neg",
    "fp4_ea_pos", "fp4_ea_neg", "bitmod3",    "bitmod4",    "flint4",
    "mxfp3",      "mxfp4",      "mxint4",     "fp5_e2m2",   "fp5_e3m1",
    "fp6_e2m3",   "fp6_e3m2",   "fp16",
};

constexpr double kFP3Mag[4] = {0, 1, 2, 4};
constexpr double kFP4Mag[8] = {0, 1, 2, 3, 4, 6, 8, 12};
constexpr double kFlint4Mag[8] = {0, 1, 2, 3, 4, 6, 8, 16};

bool inRange(DataType t, DataType lo, DataType hi) {
  return static_cast<unsigned>(t) >= static_cast<unsigned>(lo) &&
         static_cast<unsigned>(t) <= static_cast<unsigned>(hi);
}

/// Exponent/mantissa bits of the fp5/fp6 minifloats, or {0, 0}.
std::pair<unsigned, unsigned> getMinifloatBits(DataType t) {
  switch (t) {
  case DataType::fp5_e2m2:
    return {2, 2};
  case DataType::fp5_e3m1:
    return {3, 1};
  case DataType::fp6_e2m3:
    return {2, 3};
  case DataType::fp6_e3m2:
    return {3, 2};
  default:
    return {0, 0};
  }
}

/// Magnitude of a minifloat code's exponent/mantissa fields, scaled so the
/// smallest subnormal is 1: subnormal (e = 0) -> m, normal -> (2^M + m) *
/// 2^(e-1).
double minifloatMagnitude(unsigned e, unsigned m, unsigned manBits) {
  if (e == 0)
    return m;
  return std::ldexp(static_cast<double>((1u << manBits) + m),
                    static_cast<int>(e) - 1);
}

/// Special value selected by a fixed extension type, if any.
std::optional<SpecialValueKind> getFixedKind(DataType t) {
  switch (t) {
  case DataType::fp3_er_pos:
  case DataType::fp4_er_pos:
    return SpecialValueKind::er_pos;
  case DataType::fp3_er_neg:
  case DataType::fp4_er_neg:
    return SpecialValueKind::er_neg;
  case DataType::fp3_ea_pos:
  case DataType::fp4_ea_pos:
    return SpecialValueKind::ea_pos;
  case DataType::fp3_ea_neg:
  case DataType::fp4_ea_neg:
    return SpecialValueKind::ea_neg;
  default:
    return std::nullopt;
  }
}
} // namespace

std::string_view quant::getName(DataType type) {
  unsigned i = static_cast<unsigned>(type);
  return i < kNumDataTypes ? kNames[i] : std::string_view("<invalid>");
}

std::optional<DataType> quant::parseDataType(std::string_view name) {
  std::string norm(name);
  std::replace(norm.begin(), norm.end(), '-', '_');
  std::transform(norm.begin(), norm.end(), norm.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  for (unsigned i = 0; i < kNumDataTypes; ++i)
    if (kNames[i] == norm)
      return static_cast<DataType>(i);
  return std::nullopt;
}

std::string quant::listDataTypeNames() {
  std::string out;
  for (unsigned i = 0; i < kNumDataTypes; ++i) {
    if (i)
      out += ", ";
    out += kNames[i];
  }
  return out;
}

unsigned quant::getCodeBits(DataType type) {
  switch (type) {
  case DataType::int3:
  case DataType::int3_asym:
    return 3;
  case DataType::int4:
  case DataType::int4_asym:
  case DataType::flint4:
  case DataType::mxint4:
    return 4;
  case DataType::int5:
  case DataType::fp5_e2m2:
  case DataType::fp5_e3m1:
    return 5;
  case DataType::int6:
  case DataType::fp6_e2m3:
  case DataType::fp6_e3m2:
    return 6;
  case DataType::int8:
    return 8;
  case DataType::fp16:
    return 16;
  default:
    break;
  }
  if (isFP3Family(type))
    return 3;
  if (isFP4Family(type))
    return 4;
  assert(false && "unknown data type");
  return 0;
}

bool quant::isIntegerType(DataType type) {
  return inRange(type, DataType::int3, DataType::int4_asym);
}

bool quant::isAsymmetric(DataType type) {
  return type == DataType::int3_asym || type == DataType::int4_asym;
}

bool quant::isMXType(DataType type) {
  return inRange(type, DataType::mxfp3, DataType::mxint4);
}

bool quant::isFP3Family(DataType type) {
  return type == DataType::fp3 ||
         inRange(type, DataType::fp3_er_pos, DataType::fp3_ea_neg) ||
         type == DataType::bitmod3 || type == DataType::mxfp3;
}

bool quant::isFP4Family(DataType type) {
  return type == DataType::fp4 ||
         inRange(type, DataType::fp4_er_pos, DataType::fp4_ea_neg) ||
         type == DataType::bitmod4 || type == DataType::mxfp4;
}

bool quant::hasSelector(DataType type) {
  return type == DataType::bitmod3 || type == DataType::bitmod4;
}

bool quant::hasSpecialValue(DataType type) {
  return hasSelector(type) || getFixedKind(type).has_value();
}

unsigned quant::getRequiredGroupSize(DataType type) {
  return isMXType(type) ? 32 : 0;
}

double quant::getSpecialValue(bool is4Bit, SpecialValueKind kind) {
  static constexpr double kFP3SV[4] = {3, -3, 6, -6};
  static constexpr double kFP4SV[4] = {10, -10, 16, -16};
  unsigned i = static_cast<unsigned>(kind) & 3;
  return is4Bit ? kFP4SV[i] : kFP3SV[i];
}

SpecialValueSet quant::getDefaultSpecialValues(DataType type) {
  SpecialValueSet sv = {0, 0, 0, 0};
  if (!hasSpecialValue(type))
    return sv;
  for (unsigned i = 0; i < 4; ++i)
    sv[i] = static_cast<int8_t>(
        getSpecialValue(isFP4Family(type), static_cast<SpecialValueKind>(i)));
  return sv;
}

double quant::decodeCode(DataType type, uint32_t code, unsigned selector) {
  return decodeCode(type, code, selector, getDefaultSpecialValues(type));
}

double quant::decodeCode(DataType type, uint32_t code, unsigned selector,
                         const SpecialValueSet &sv) {
  unsigned bits = getCodeBits(type);
  code &= bits >= 32 ? ~0u : ((1u << bits) - 1);
  if (type == DataType::fp16)
    return support::halfToFloat(static_cast<uint16_t>(code));
  if (isAsymmetric(type))
    return code;
  if (isIntegerType(type) || type == DataType::mxint4) {
    // Two's complement sign extension.
    int32_t v = static_cast<int32_t>(code);
    if (code & (1u << (bits - 1)))
      v -= static_cast<int32_t>(1u << bits);
    return v;
  }
  auto [expBits, manBits] = getMinifloatBits(type);
  if (expBits) {
    unsigned m = code & ((1u << manBits) - 1);
    unsigned e = (code >> manBits) & ((1u << expBits) - 1);
    double mag = minifloatMagnitude(e, m, manBits);
    return (code >> (bits - 1)) ? -mag : mag;
  }
  // Sign-magnitude 3-/4-bit types.
  unsigned sign = code >> (bits - 1);
  unsigned mag = code & ((1u << (bits - 1)) - 1);
  if (sign && mag == 0) {
    if (hasSelector(type))
      return sv[selector & 3];
    if (std::optional<SpecialValueKind> k = getFixedKind(type))
      return sv[static_cast<unsigned>(*k)];
    return 0.0;
  }
  double m = type == DataType::flint4 ? kFlint4Mag[mag]
             : bits == 4              ? kFP4Mag[mag]
                                      : kFP3Mag[mag];
  return sign ? -m : m;
}

std::vector<double> quant::getValueSet(DataType type) {
  if (type == DataType::fp16)
    return {};
  unsigned bits = getCodeBits(type);
  std::vector<double> values;
  for (uint32_t code = 0; code < (1u << bits); ++code)
    values.push_back(decodeCode(type, code, 0));
  if (hasSelector(type)) {
    // bitmod3/bitmod4: the basic set (negative-zero code read as zero).
    double sv = getSpecialValue(bits == 4, SpecialValueKind::er_pos);
    values.erase(std::remove(values.begin(), values.end(), sv), values.end());
    values.push_back(0.0);
  }
  if ((isIntegerType(type) && !isAsymmetric(type)) ||
      type == DataType::mxint4) {
    // The pattern 100..0 is never produced.
    double minV = -std::ldexp(1.0, bits - 1);
    values.erase(std::remove(values.begin(), values.end(), minV), values.end());
  }
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

double quant::getQMax(DataType type) {
  if (type == DataType::fp16)
    return 65504.0;
  std::vector<double> values = getValueSet(type);
  double q = 0;
  for (double v : values)
    q = std::max(q, std::fabs(v));
  return q;
}
