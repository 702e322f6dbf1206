//===- WeightsUtils.cpp - bitmod.weights <-> PackedWeights ------*- C++ -*-===//

#include "bitmod/Dialect/BitMoD/Transforms/WeightsUtils.h"

#include "bitmod/Support/FileMappings.h"
#include "bitmod/Support/Half.h"
#include "bitmod/Support/MemoryLimit.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <cstring>

using namespace mlir;
using namespace mlir::bitmod;

ElementsAttr mlir::bitmod::makeElementsAttr(ShapedType type,
                                            ArrayRef<char> bytes,
                                            StringRef blobName) {
  if (type.getNumElements() <= kInlineElementLimit) {
    bool detectedSplat = false;
    (void)DenseElementsAttr::isValidRawBuffer(type, bytes, detectedSplat);
    return DenseElementsAttr::getFromRawBuffer(type, bytes);
  }
  AsmResourceBlob blob =
      HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, alignof(uint64_t));
  return DenseResourceElementsAttr::get(type, blobName, std::move(blob));
}

FailureOr<ArrayRef<char>> mlir::bitmod::getRawData(Operation *op,
                                                   ElementsAttr attr,
                                                   StringRef what,
                                                   std::vector<char> &storage) {
  auto type = cast<ShapedType>(attr.getType());
  int64_t bitWidth = type.getElementTypeBitWidth();
  if (bitWidth % 8 != 0)
    return op->emitOpError()
           << what << ": unsupported element type " << type.getElementType();
  std::optional<uint64_t> bytes =
      ::bitmod::getTensorBytes(type.getShape(), bitWidth / 8);
  if (!bytes)
    return op->emitOpError()
           << what << ": the size of " << type << " overflows 64 bits";
  uint64_t expected = *bytes;
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return op->emitOpError()
             << what << ": resource blob '" << resource.getRawHandle().getKey()
             << "' is missing its data";
    ArrayRef<char> data = blob->getData();
    if (data.size() != expected)
      return op->emitOpError()
             << what << ": resource blob holds " << data.size()
             << " bytes but its type " << type << " needs " << expected;
    return data;
  }
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    ArrayRef<char> data = dense.getRawData();
    if (!dense.isSplat())
      return data;
    if (llvm::Error err = ::bitmod::checkTensorMemory(
            "the splat " + what, type.getShape(), bitWidth / 8))
      return op->emitOpError() << llvm::toString(std::move(err));
    storage.assign(expected, 0);
    size_t elementBytes = bitWidth / 8;
    for (size_t i = 0; i < expected; i += elementBytes)
      std::memcpy(&storage[i], data.data(), elementBytes);
    return ArrayRef<char>(storage);
  }
  return op->emitOpError() << what
                           << ": expected a dense or dense_resource constant";
}

FailureOr<std::vector<char>>
mlir::bitmod::getRawBytes(Operation *op, ElementsAttr attr, StringRef what) {
  std::vector<char> storage;
  FailureOr<ArrayRef<char>> data = getRawData(op, attr, what, storage);
  if (failed(data))
    return failure();
  if (data->data() == storage.data())
    return storage;
  return std::vector<char>(data->begin(), data->end());
}

void mlir::bitmod::releasePages(ArrayRef<char> bytes) {
  ::bitmod::support::releasePages(bytes.data(), bytes.size());
}

/// The raw bytes of a vector of trivially copyable values.
template <typename T> static ArrayRef<char> asBytes(const std::vector<T> &v) {
  return ArrayRef<char>(reinterpret_cast<const char *>(v.data()),
                        v.size() * sizeof(T));
}

WeightsOp mlir::bitmod::buildWeightsOp(OpBuilder &builder, Location loc,
                                       const quant::PackedWeights &packed,
                                       StringRef layerName) {
  MLIRContext *ctx = builder.getContext();
  const quant::BlobLayout &layout = packed.layout;
  // The library records scaleBits = 0 for MX (no second level); the type
  // states the 8-bit width of the shared exponents instead.
  unsigned typeScaleBits =
      quant::isMXType(packed.dtype) ? 8u : packed.scaleBits;
  SmallVector<int8_t, 4> sv;
  if (packed.specialValues)
    sv.assign(packed.specialValues->begin(), packed.specialValues->end());
  auto type = QWeightsType::get(ctx, packed.rows, packed.cols,
                                fromQuantType(packed.dtype), layout.groupSize,
                                typeScaleBits, sv);
  std::string prefix = layerName.empty() ? "weights" : layerName.str();
  Type u8 = IntegerType::get(ctx, 8, IntegerType::Unsigned);
  Type i8 = IntegerType::get(ctx, 8);
  Type f32 = Float32Type::get(ctx);
  int64_t n = packed.rows, groups = layout.numGroups;

  ElementsAttr codes =
      makeElementsAttr(RankedTensorType::get({layout.codeBytes}, u8),
                       asBytes(packed.codes), prefix + ".codes");
  ElementsAttr scales;
  if (type.isMX())
    scales = makeElementsAttr(RankedTensorType::get({n, groups}, i8),
                              asBytes(packed.sharedExponents),
                              prefix + ".exponents");
  else if (type.getScaleBits() == 0)
    scales = makeElementsAttr(RankedTensorType::get({n, groups}, f32),
                              asBytes(packed.groupScales), prefix + ".scales");
  else
    scales =
        makeElementsAttr(RankedTensorType::get({n, groups}, i8),
                         asBytes(packed.groupScaleCodes), prefix + ".scales");
  ElementsAttr channelScales, selectors, zeroPoints;
  if (type.hasChannelScales())
    channelScales =
        makeElementsAttr(RankedTensorType::get({n}, f32),
                         asBytes(packed.channelScales), prefix + ".channel");
  if (type.hasSelectors())
    selectors =
        makeElementsAttr(RankedTensorType::get({layout.selectorBytes}, u8),
                         asBytes(packed.selectors), prefix + ".selectors");
  if (type.hasZeroPoints())
    zeroPoints =
        makeElementsAttr(RankedTensorType::get({n, groups}, u8),
                         asBytes(packed.zeroPoints), prefix + ".zero_points");
  StringAttr name =
      layerName.empty() ? StringAttr() : builder.getStringAttr(layerName);
  return WeightsOp::create(builder, loc, type, codes, scales, channelScales,
                           selectors, zeroPoints, name);
}

/// Copies raw bytes into a typed vector of the right size.
template <typename T>
static void assignFromBytes(std::vector<T> &dst, const std::vector<char> &src) {
  dst.resize(src.size() / sizeof(T));
  std::memcpy(dst.data(), src.data(), dst.size() * sizeof(T));
}

FailureOr<quant::PackedWeights> mlir::bitmod::getPackedWeights(WeightsOp op) {
  QWeightsType type = op.getResult().getType();
  quant::PackedWeights packed;
  packed.dtype = toQuantType(type.getDtype());
  packed.rows = type.getRows();
  packed.cols = type.getCols();
  packed.scaleBits = type.isMX() ? 0 : type.getScaleBits();
  packed.layout = type.getLayout();
  if (!type.getSpecialValues().empty())
    packed.specialValues = type.getSpecialValueSet();

  auto read = [&](std::optional<ElementsAttr> attr, StringRef what,
                  auto &dst) -> LogicalResult {
    if (!attr)
      return success();
    FailureOr<std::vector<char>> bytes = getRawBytes(op, *attr, what);
    if (failed(bytes))
      return failure();
    assignFromBytes(dst, *bytes);
    return success();
  };
  if (failed(read(op.getCodes(), "codes", packed.codes)))
    return failure();
  if (type.isMX()) {
    if (failed(read(op.getScales(), "scales", packed.sharedExponents)))
      return failure();
  } else if (type.getScaleBits() == 0) {
    if (failed(read(op.getScales(), "scales", packed.groupScales)))
      return failure();
  } else if (failed(read(op.getScales(), "scales", packed.groupScaleCodes))) {
    return failure();
  }
  if (failed(read(op.getChannelScales(), "channel_scales",
                  packed.channelScales)) ||
      failed(read(op.getSelectors(), "selectors", packed.selectors)) ||
      failed(read(op.getZeroPoints(), "zero_points", packed.zeroPoints)))
    return failure();
  return packed;
}

FailureOr<ElementsAttr>
mlir::bitmod::dequantizeToAttr(WeightsOp op, RankedTensorType resultType,
                               StringRef blobName) {
  Type elem = resultType.getElementType();
  if (!elem.isF32() && !elem.isF16() && !elem.isBF16())
    return op.emitOpError("can only dequantize to f32, f16 or bf16 on the "
                          "host, not ")
           << elem;
  if (llvm::Error err = ::bitmod::checkTensorMemory(
          "the dequantized weights", resultType.getShape(), sizeof(float)))
    return op.emitOpError() << llvm::toString(std::move(err));
  FailureOr<quant::PackedWeights> packed = getPackedWeights(op);
  if (failed(packed))
    return failure();
  std::vector<float> values = quant::dequantize(*packed);
  if (elem.isF32())
    return makeElementsAttr(resultType, asBytes(values), blobName);
  // The value computed in float32, rounded once to the weight's own type
  // (docs/numerics.md, "f16 and bf16 weights").
  std::vector<uint16_t> narrow(values.size());
  for (size_t i = 0; i < values.size(); ++i)
    narrow[i] = elem.isF16() ? ::bitmod::support::floatToHalf(values[i])
                             : ::bitmod::support::floatToBFloat16(values[i]);
  return makeElementsAttr(resultType, asBytes(narrow), blobName);
}
