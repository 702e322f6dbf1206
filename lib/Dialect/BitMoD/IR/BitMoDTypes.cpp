//===- BitMoDTypes.cpp - BitMoD types ---------------------------*- C++ -*-===//

#include "bitmod/Dialect/BitMoD/IR/BitMoDOps.h"
#include "bitmod/Quant/SpecialValues.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/CheckedArithmetic.h"

using namespace mlir;
using namespace mlir::bitmod;

#define GET_TYPEDEF_CLASSES
#include "bitmod/Dialect/BitMoD/IR/BitMoDTypes.cpp.inc"

static constexpr unsigned kDefaultScaleBits = 8;

void BitMoDDialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "bitmod/Dialect/BitMoD/IR/BitMoDTypes.cpp.inc"
      >();
}

/// qweights ::= `<` N `x` K `,` dtype `,` `group` `=` G
///              (`,` `scale_bits` `=` S)? (`,` `sv` `=` `[` v (`,` v)* `]`)?
///              `>`
/// A set equal to the paper's is stored as the empty (default) parameter.
Type QWeightsType::parse(AsmParser &parser) {
  SmallVector<int64_t, 2> dims;
  std::string dtypeName;
  unsigned groupSize = 0, scaleBits = kDefaultScaleBits;
  if (parser.parseLess() ||
      parser.parseDimensionList(dims, /*allowDynamic=*/false,
                                /*withTrailingX=*/false) ||
      parser.parseComma())
    return {};
  if (dims.size() != 2) {
    parser.emitError(parser.getCurrentLocation(),
                     "expected a 2-D shape NxK for quantized weights, got ")
        << dims.size() << " dimension(s)";
    return {};
  }
  SMLoc dtypeLoc = parser.getCurrentLocation();
  if (parser.parseKeywordOrString(&dtypeName))
    return {};
  std::optional<DType> dtype = symbolizeDType(dtypeName);
  if (!dtype) {
    parser.emitError(dtypeLoc, "unknown data type '")
        << dtypeName << "'; expected one of: " << quant::listDataTypeNames();
    return {};
  }
  if (parser.parseComma() || parser.parseKeyword("group") ||
      parser.parseEqual() || parser.parseInteger(groupSize))
    return {};
  SmallVector<int64_t, 4> sv;
  bool hasSV = false;
  while (succeeded(parser.parseOptionalComma())) {
    SMLoc keyLoc = parser.getCurrentLocation();
    StringRef key;
    if (parser.parseKeyword(&key) || parser.parseEqual())
      return {};
    if (key == "scale_bits") {
      if (parser.parseInteger(scaleBits))
        return {};
    } else if (key == "sv" && !hasSV) {
      hasSV = true;
      if (parser.parseCommaSeparatedList(AsmParser::Delimiter::Square,
                                         [&]() -> ParseResult {
                                           int64_t v;
                                           if (parser.parseInteger(v))
                                             return failure();
                                           sv.push_back(v);
                                           return success();
                                         }))
        return {};
    } else {
      parser.emitError(keyLoc, "expected 'scale_bits' or 'sv' (once), got '")
          << key << "'";
      return {};
    }
  }
  if (parser.parseGreater())
    return {};
  // Values beyond int8 cannot be special values: check them before the
  // narrowing (the verifier checks the rest).
  quant::DataType qtype = toQuantType(*dtype);
  SmallVector<int8_t, 4> sv8;
  if (hasSV) {
    for (int64_t v : sv)
      if (v < INT8_MIN || v > INT8_MAX) {
        if (llvm::Error e = quant::checkSpecialValues(qtype, sv)) {
          parser.emitError(dtypeLoc) << llvm::toString(std::move(e));
          return {};
        }
      }
    for (int64_t v : sv)
      sv8.push_back(int8_t(v));
    quant::SpecialValueSet paper = quant::getDefaultSpecialValues(qtype);
    if (quant::hasSpecialValue(qtype) && sv8.size() == 4 &&
        std::equal(sv8.begin(), sv8.end(), paper.begin()))
      sv8.clear();
  }
  return parser.getChecked<QWeightsType>(parser.getContext(), dims[0], dims[1],
                                         *dtype, groupSize, scaleBits, sv8);
}

void QWeightsType::print(AsmPrinter &printer) const {
  printer << '<' << getRows() << 'x' << getCols() << ", "
          << stringifyDType(getDtype()) << ", group = " << getGroupSize();
  if (getScaleBits() != kDefaultScaleBits)
    printer << ", scale_bits = " << getScaleBits();
  ArrayRef<int8_t> sv = getSpecialValues();
  quant::SpecialValueSet paper =
      quant::getDefaultSpecialValues(toQuantType(getDtype()));
  if (!sv.empty() &&
      !(sv.size() == 4 && quant::hasSpecialValue(toQuantType(getDtype())) &&
        std::equal(sv.begin(), sv.end(), paper.begin()))) {
    printer << ", sv = [";
    llvm::interleaveComma(sv, printer, [&](int8_t v) { printer << int(v); });
    printer << ']';
  }
  printer << '>';
}

/// The quantization config of a (rows, cols, dtype, group, scale bits)
/// tuple; shared by the verifier and the accessors.
static quant::QuantConfig makeQuantConfig(DType dtype, unsigned groupSize,
                                          unsigned scaleBits,
                                          ArrayRef<int8_t> sv = {}) {
  quant::QuantConfig config;
  config.dtype = toQuantType(dtype);
  config.groupSize = groupSize;
  config.scaleBits = scaleBits;
  if (sv.size() == 4)
    config.specialValues = quant::SpecialValueSet{sv[0], sv[1], sv[2], sv[3]};
  return config;
}

LogicalResult QWeightsType::verify(function_ref<InFlightDiagnostic()> emitError,
                                   int64_t rows, int64_t cols, DType dtype,
                                   unsigned groupSize, unsigned scaleBits,
                                   ArrayRef<int8_t> specialValues) {
  if (dtype == DType::fp16)
    return emitError() << "'fp16' is the unquantized type; quantized weights "
                          "need a quantized data type";
  quant::DataType qtype = toQuantType(dtype);
  if (!specialValues.empty()) {
    SmallVector<int64_t, 4> sv(specialValues.begin(), specialValues.end());
    if (llvm::Error e = quant::checkSpecialValues(qtype, sv))
      return emitError() << llvm::toString(std::move(e));
  }
  if (unsigned required = quant::getRequiredGroupSize(qtype))
    if (groupSize != required)
      return emitError() << "data type '" << stringifyDType(dtype)
                         << "' requires group size " << required << ", got "
                         << groupSize;
  if (quant::isMXType(qtype) && scaleBits != kDefaultScaleBits)
    return emitError() << "MX type '" << stringifyDType(dtype)
                       << "' has 8-bit shared exponents; scale_bits must be "
                          "8, got "
                       << scaleBits;
  // Every size of the layout must fit in int64_t: codes take at most a byte
  // per padded element, and each group at most 8 bytes of scales, zero
  // points and selectors, each row 4 bytes of channel scale. Checked
  // arithmetic, so 2^62 x 2^62 weights are refused instead of wrapping.
  if (rows > 0 && cols > 0 && groupSize > 0) {
    int64_t groups = cols / groupSize + (cols % groupSize != 0);
    std::optional<int64_t> rowBytes =
        llvm::checkedMulAdd<int64_t>(groups, int64_t(groupSize) + 8, 4);
    std::optional<int64_t> totalBytes =
        rowBytes ? llvm::checkedMul<int64_t>(rows, *rowBytes) : std::nullopt;
    if (!totalBytes)
      return emitError() << "quantized weights " << rows << "x" << cols
                         << " with group size " << groupSize
                         << " are too large: their size in bytes overflows "
                            "a 64-bit integer";
  }
  llvm::Expected<quant::BlobLayout> layout = quant::getBlobLayout(
      rows, cols, makeQuantConfig(dtype, groupSize, scaleBits));
  if (!layout)
    return emitError() << "invalid quantized weights: "
                       << llvm::toString(layout.takeError());
  return success();
}

quant::QuantConfig QWeightsType::getQuantConfig() const {
  return makeQuantConfig(getDtype(), getGroupSize(), getScaleBits(),
                         getSpecialValues());
}

quant::SpecialValueSet QWeightsType::getSpecialValueSet() const {
  ArrayRef<int8_t> sv = getSpecialValues();
  if (sv.size() == 4)
    return {sv[0], sv[1], sv[2], sv[3]};
  return quant::getDefaultSpecialValues(toQuantType(getDtype()));
}

quant::BlobLayout QWeightsType::getLayout() const {
  return llvm::cantFail(
      quant::getBlobLayout(getRows(), getCols(), getQuantConfig()));
}

bool QWeightsType::hasSelectors() const {
  return quant::hasSelector(toQuantType(getDtype()));
}

bool QWeightsType::hasZeroPoints() const {
  return quant::isAsymmetric(toQuantType(getDtype()));
}

bool QWeightsType::isMX() const {
  return quant::isMXType(toQuantType(getDtype()));
}

bool QWeightsType::hasChannelScales() const {
  return !isMX() && getScaleBits() != 0;
}
