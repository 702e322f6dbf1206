//===- GoldenDatapath.cpp - Reference model of the PE datapath ------------===//
//
// Written independently of Datapath.cpp: values come from the DataType.h
// tables (quant::decodeCode), terms from arithmetic recoding of the value,
// products as exact integers, alignment by explicit division with
// round-half-even, FP32 rounding by hand.
//
//===----------------------------------------------------------------------===//

#include "bitmod/Sim/GoldenDatapath.h"
#include "bitmod/Sim/Float16.h"

#include "llvm/ADT/Twine.h"

#include <cmath>
#include <cstdlib>

using namespace bitmod;
using namespace bitmod::sim;
using llvm::createStringError;
using llvm::inconvertibleErrorCode;
using quant::DataType;

using Int = __int128;

namespace {
llvm::Error err(const llvm::Twine &msg) {
  return createStringError(inconvertibleErrorCode(), "golden: " + msg);
}

unsigned termCount(DataType t) {
  switch (t) {
  case DataType::int8:
  case DataType::fp6_e2m3:
    return 4;
  case DataType::int6:
  case DataType::int5:
  case DataType::int4_asym:
  case DataType::fp5_e2m2:
  case DataType::fp6_e3m2:
    return 3;
  default:
    return 2;
  }
}

bool isBooth(DataType t) {
  return quant::isIntegerType(t) || t == DataType::mxint4;
}

/// Booth recoding by arithmetic: with carry c (the bit below the pair),
/// r = pair + c; the digit is r - 4 * (high bit of the pair).
std::vector<std::pair<int, int>> booth(int64_t v, unsigned digits) {
  std::vector<std::pair<int, int>> out;
  uint64_t bits = uint64_t(v); // two's complement, sign extended
  int carry = 0;
  for (unsigned i = 0; i < digits; ++i) {
    int pair = int((bits >> (2 * i)) & 3);
    int high = (pair >> 1) & 1;
    int digit = pair + carry - 4 * high;
    carry = high;
    if (digit == 0)
      out.push_back({0, 0});
    else
      out.push_back(
          {digit > 0 ? 1 : -1, int(2 * i) + (std::abs(digit) == 2 ? 1 : 0)});
  }
  return out;
}
} // namespace

llvm::Expected<std::vector<std::pair<int, int>>>
golden::decodeTerms(DataType type, uint32_t code, unsigned selector,
                    unsigned zeroPoint,
                    const std::optional<std::array<int32_t, 4>> &sv) {
  if (type == DataType::fp16 ||
      static_cast<unsigned>(type) >= quant::kNumDataTypes)
    return err("data type not supported by the PE");
  unsigned bits = quant::getCodeBits(type);
  code &= (1u << bits) - 1;
  unsigned n = termCount(type);
  if (isBooth(type)) {
    int64_t v = int64_t(quant::decodeCode(type, code, 0));
    if (quant::isAsymmetric(type))
      v -= int64_t(zeroPoint);
    // Range of n Booth digits on a 2n-bit two's complement number.
    if (v < -(int64_t(1) << (2 * n - 1)) || v >= (int64_t(1) << (2 * n - 1)))
      return err("value out of Booth range");
    return booth(v, n);
  }
  double value = quant::decodeCode(type, code, selector);
  bool negZero = code == (1u << (bits - 1));
  if (sv && negZero && quant::hasSpecialValue(type)) {
    // Programmed SV register: find which entry the data type would use.
    unsigned entry = selector & 3;
    if (!quant::hasSelector(type))
      for (unsigned i = 0; i < 4; ++i)
        if (quant::getSpecialValue(
                bits == 4, static_cast<quant::SpecialValueKind>(i)) == value)
          entry = i;
    value = (*sv)[entry];
  }
  if (value != std::floor(value))
    return err("non-integer value");
  int sign = value < 0 ? -1 : 1;
  int64_t mag = int64_t(std::fabs(value));
  std::vector<std::pair<int, int>> out;
  for (int pos = 62; pos >= 0 && out.size() < n; --pos)
    if ((mag >> pos) & 1) {
      out.push_back({sign, pos});
      mag -= int64_t(1) << pos;
    }
  if (mag != 0)
    return err("value needs too many terms");
  while (out.size() < n)
    out.push_back({0, 0});
  return out;
}

/// Round-half-even quotient of num / den (den > 0), by integer division.
static Int divRNE(Int num, Int den) {
  Int q = num / den, r = num % den; // truncating
  if (r < 0) {                      // make it a floor division
    q -= 1;
    r += den;
  }
  Int twice = 2 * r;
  if (twice > den || (twice == den && (q % 2 != 0)))
    q += 1;
  return q;
}

llvm::Expected<__int128>
golden::groupPartialSum(DataType type, const uint16_t *actFp16,
                        const uint8_t *codes, unsigned count, unsigned selector,
                        unsigned zeroPoint,
                        const std::optional<std::array<int32_t, 4>> &sv) {
  unsigned n = termCount(type);
  Int total = 0; // units of 2^-27
  for (unsigned k0 = 0; k0 < count; k0 += 4) {
    // Decode the 4 lanes.
    std::vector<std::vector<std::pair<int, int>>> terms(4);
    int actSign[4], actExp[4];
    int64_t actMan[4];
    for (unsigned j = 0; j < 4; ++j) {
      if (k0 + j >= count) {
        terms[j].assign(n, {0, 0});
        actSign[j] = 1;
        actExp[j] = 1;
        actMan[j] = 0;
        continue;
      }
      auto t = decodeTerms(type, codes[k0 + j], selector, zeroPoint, sv);
      if (!t)
        return t.takeError();
      terms[j] = *t;
      uint16_t h = actFp16[k0 + j];
      actSign[j] = (h >> 15) ? -1 : 1;
      int e = (h >> 10) & 31;
      int64_t f = h & 1023;
      if (e == 31)
        return err("non-finite activation");
      actExp[j] = e == 0 ? 1 : e;
      actMan[j] = e == 0 ? f : f + 1024;
    }
    for (unsigned t = 0; t < n; ++t) {
      // Exact products in units of 2^-28: man * 2^(E + e - 25) * 2^28.
      Int value[4];
      int pexp[4];
      bool any = false;
      int P = 0;
      for (unsigned j = 0; j < 4; ++j) {
        auto [s, e] = terms[j][t];
        value[j] = 0;
        pexp[j] = -1;
        if (s == 0 || actMan[j] == 0)
          continue;
        pexp[j] = actExp[j] + e;
        value[j] = Int(s * actSign[j]) * actMan[j] * (Int(1) << (pexp[j] + 3));
        if (!any || pexp[j] > P)
          P = pexp[j];
        any = true;
      }
      if (!any)
        continue;
      // Aligned unit: 2^(P - 28) absolute = 2^P units of 2^-28.
      Int sum = 0;
      for (unsigned j = 0; j < 4; ++j)
        if (pexp[j] >= 0)
          sum += divRNE(value[j], Int(1) << P);
      // sum * 2^(P-28) in units of 2^-27.
      total += sum * (Int(1) << P) / 2;
    }
  }
  return total;
}

/// RNE of v * 2^shift to FP32, by hand.
static float toFloat(Int v, int shift) {
  if (v == 0)
    return 0.0f;
  int sign = v < 0 ? -1 : 1;
  Int mag = v < 0 ? -v : v;
  int msb = 0;
  while ((mag >> (msb + 1)) != 0)
    ++msb;
  // Value msb exponent: msb + shift. Keep exponents >= max(that-23, -149).
  int keepLsb = msb + shift - 23;
  if (keepLsb < -149)
    keepLsb = -149;
  int drop = keepLsb - shift;
  if (drop > 0) {
    mag = divRNE(mag, Int(1) << drop);
    shift = keepLsb;
  }
  double d = std::ldexp(double(int64_t(mag)), shift); // exact
  if (d > 3.4028234663852886e38)
    return sign * INFINITY;
  return float(sign * d); // representable exactly
}

float golden::dequantize(__int128 acc, int32_t scaleCode, GroupScaleKind kind) {
  if (kind == GroupScaleKind::Pow2)
    return scaleCode <= -128 ? 0.0f : toFloat(acc, scaleCode - 27);
  return toFloat(acc * Int(scaleCode), -27);
}

llvm::Error golden::groupedMatmul(const uint16_t *x, unsigned M,
                                  const QuantizedMatrixView &w, float *y,
                                  const DatapathOptions &options) {
  if (w.dtype == DataType::fp16 || !w.codes || !w.groupScales ||
      w.groupSize == 0)
    return err("invalid weight view");
  std::optional<std::array<int32_t, 4>> sv;
  if (options.specialValues)
    sv = options.specialValues->values;
  unsigned G = w.groupSize, numGroups = (w.cols + G - 1) / G;
  std::vector<uint16_t> act(size_t(numGroups) * G);
  for (unsigned m = 0; m < M; ++m) {
    for (size_t k = 0; k < act.size(); ++k)
      act[k] = k < w.cols ? x[size_t(m) * w.cols + k] : 0;
    for (unsigned n = 0; n < w.rows; ++n) {
      float column = 0.0f;
      for (unsigned g = 0; g < numGroups; ++g) {
        size_t gi = size_t(n) * numGroups + g;
        unsigned sel = w.selectors ? w.selectors[gi] : 0;
        unsigned zp = w.zeroPoints ? w.zeroPoints[gi] : 0;
        auto acc = groupPartialSum(w.dtype, act.data() + size_t(g) * G,
                                   w.codes + size_t(n) * w.codeRowStride +
                                       size_t(g) * G,
                                   G, sel, zp, sv);
        if (!acc)
          return acc.takeError();
        column = column + dequantize(*acc, w.groupScales[gi], w.scaleKind);
      }
      float out = column * (w.channelScales ? w.channelScales[n] : 1.0f);
      if (options.output == OutputRounding::FP16)
        out = halfToFloat(doubleToHalf(double(out)));
      y[size_t(m) * w.rows + n] = out;
    }
  }
  return llvm::Error::success();
}
