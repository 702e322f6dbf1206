//===- BitMoDTypes.cpp - BitMoD types ---------------------------*- C++ -*-===//

#include "bitmod/Dialect/BitMoD/IR/BitMoDOps.h"

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
///              (`,` `scale_bits` `=` S)? `>`
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
  if (succeeded(parser.parseOptionalComma())) {
    if (parser.parseKeyword("scale_bits") || parser.parseEqual() ||
        parser.parseInteger(scaleBits))
      return {};
  }
  if (parser.parseGreater())
    return {};
  return parser.getChecked<QWeightsType>(parser.getContext(), dims[0], dims[1],
                                         *dtype, groupSize, scaleBits);
}

void QWeightsType::print(AsmPrinter &printer) const {
  printer << '<' << getRows() << 'x' << getCols() << ", "
          << stringifyDType(getDtype()) << ", group = " << getGroupSize();
  if (getScaleBits() != kDefaultScaleBits)
    printer << ", scale_bits = " << getScaleBits();
  printer << '>';
}

/// The quantization config of a (rows, cols, dtype, group, scale bits)
/// tuple; shared by the verifier and the accessors.
static quant::QuantConfig makeQuantConfig(DType dtype, unsigned groupSize,
                                          unsigned scaleBits) {
  quant::QuantConfig config;
  config.dtype = toQuantType(dtype);
  config.groupSize = groupSize;
  config.scaleBits = scaleBits;
  return config;
}

LogicalResult QWeightsType::verify(function_ref<InFlightDiagnostic()> emitError,
                                   int64_t rows, int64_t cols, DType dtype,
                                   unsigned groupSize, unsigned scaleBits) {
  if (dtype == DType::fp16)
    return emitError() << "'fp16' is the unquantized type; quantized weights "
                          "need a quantized data type";
  quant::DataType qtype = toQuantType(dtype);
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
  return makeQuantConfig(getDtype(), getGroupSize(), getScaleBits());
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
