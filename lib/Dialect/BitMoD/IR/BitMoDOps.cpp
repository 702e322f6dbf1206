//===- BitMoDOps.cpp - BitMoD operations ------------------------*- C++ -*-===//

#include "bitmod/Dialect/BitMoD/IR/BitMoDOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::bitmod;

#define GET_OP_CLASSES
#include "bitmod/Dialect/BitMoD/IR/BitMoDOps.cpp.inc"

/// Verifies the shapes of `y[..., N] = x[..., K] W[N, K]^T + b[N]`, shared by
/// bitmod.linear and bitmod.grouped_matmul.
static LogicalResult verifyLinearShapes(Operation *op, RankedTensorType input,
                                        int64_t n, int64_t k, Value bias,
                                        RankedTensorType result) {
  if (input.getRank() < 1)
    return op->emitOpError("input must have rank >= 1, got a scalar tensor");
  int64_t inputK = input.getShape().back();
  if (!ShapedType::isDynamic(inputK) && !ShapedType::isDynamic(k) &&
      inputK != k)
    return op->emitOpError("input reduction dimension (")
           << inputK << ") does not match the weight's K (" << k << ")";
  if (result.getRank() != input.getRank())
    return op->emitOpError("result rank (")
           << result.getRank() << ") must equal the input rank ("
           << input.getRank() << ")";
  for (int64_t i = 0, e = input.getRank() - 1; i < e; ++i) {
    int64_t in = input.getDimSize(i), out = result.getDimSize(i);
    if (!ShapedType::isDynamic(in) && !ShapedType::isDynamic(out) && in != out)
      return op->emitOpError("result dimension ")
             << i << " (" << out << ") does not match the input (" << in << ")";
  }
  int64_t resultN = result.getShape().back();
  if (!ShapedType::isDynamic(resultN) && !ShapedType::isDynamic(n) &&
      resultN != n)
    return op->emitOpError("result channel dimension (")
           << resultN << ") does not match the weight's N (" << n << ")";
  if (input.getElementType() != result.getElementType())
    return op->emitOpError("input element type ")
           << input.getElementType() << " differs from the result's "
           << result.getElementType();
  if (bias) {
    auto biasType = cast<RankedTensorType>(bias.getType());
    if (biasType.getRank() != 1)
      return op->emitOpError("bias must be 1-D [N], got rank ")
             << biasType.getRank();
    int64_t biasN = biasType.getDimSize(0);
    if (!ShapedType::isDynamic(biasN) && !ShapedType::isDynamic(n) &&
        biasN != n)
      return op->emitOpError("bias has ")
             << biasN << " elements but the weight has N = " << n;
    if (biasType.getElementType() != result.getElementType())
      return op->emitOpError("bias element type ")
             << biasType.getElementType() << " differs from the result's "
             << result.getElementType();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// LinearOp
//===----------------------------------------------------------------------===//

LogicalResult LinearOp::verify() {
  RankedTensorType weightType = getWeight().getType();
  if (weightType.getRank() != 2)
    return emitOpError("weight must be 2-D [N, K], got rank ")
           << weightType.getRank();
  if (weightType.getElementType() != getInput().getType().getElementType())
    return emitOpError("weight element type ")
           << weightType.getElementType() << " differs from the input's "
           << getInput().getType().getElementType();
  return verifyLinearShapes(*this, getInput().getType(),
                            weightType.getDimSize(0), weightType.getDimSize(1),
                            getBias(), getResult().getType());
}

//===----------------------------------------------------------------------===//
// WeightsOp
//===----------------------------------------------------------------------===//

/// Checks that `attr` is an 8-bit integer tensor with `expected` shape.
static LogicalResult verifyByteTensor(Operation *op, StringRef what,
                                      ElementsAttr attr,
                                      ArrayRef<int64_t> expected,
                                      StringRef layout) {
  auto type = cast<ShapedType>(attr.getType());
  if (!type.getElementType().isInteger(8))
    return op->emitOpError() << what << " must hold 8-bit integers, got "
                             << type.getElementType();
  if (type.getShape() != expected) {
    InFlightDiagnostic diag = op->emitOpError() << what << " has shape [";
    llvm::interleaveComma(type.getShape(), diag);
    diag << "] but the weight type needs [";
    llvm::interleaveComma(expected, diag);
    return diag << "] (" << layout << ")";
  }
  return success();
}

LogicalResult WeightsOp::verify() {
  QWeightsType type = getResult().getType();
  quant::BlobLayout layout = type.getLayout();
  int64_t n = type.getRows(), groups = layout.numGroups;
  std::string codeLayout;
  llvm::raw_string_ostream(codeLayout)
      << "N x ceil(" << groups << " groups * " << layout.groupSize << " * "
      << layout.codeBits << " bits / 8) bytes";
  if (failed(verifyByteTensor(*this, "codes", getCodes(), {layout.codeBytes},
                              codeLayout)))
    return failure();

  auto scalesType = cast<ShapedType>(getScales().getType());
  SmallVector<int64_t, 2> groupShape = {n, groups};
  if (type.getScaleBits() == 0) {
    if (!scalesType.getElementType().isF32() ||
        scalesType.getShape() != ArrayRef<int64_t>(groupShape))
      return emitOpError("with scale_bits = 0 the scales must be tensor<")
             << n << "x" << groups << "xf32>, got " << scalesType;
  } else if (failed(verifyByteTensor(*this, "scales", getScales(), groupShape,
                                     type.isMX()
                                         ? "one shared exponent per group"
                                         : "one integer scale per group"))) {
    return failure();
  }

  if (type.hasChannelScales()) {
    if (!getChannelScalesAttr())
      return emitOpError("integer group scales need channel_scales");
    auto channelType = cast<ShapedType>(getChannelScales()->getType());
    if (!channelType.getElementType().isF32() ||
        channelType.getShape() != ArrayRef<int64_t>{n})
      return emitOpError("channel_scales must be tensor<")
             << n << "xf32>, got " << channelType;
  } else if (getChannelScalesAttr()) {
    return emitOpError("channel_scales are only stored with integer group "
                       "scales (scale_bits > 0, not MX)");
  }

  StringRef dtypeName = stringifyDType(type.getDtype());
  if (type.hasSelectors()) {
    if (!getSelectorsAttr())
      return emitOpError("data type '")
             << dtypeName << "' needs per-group special-value selectors";
    if (failed(verifyByteTensor(*this, "selectors", *getSelectors(),
                                {layout.selectorBytes},
                                "2-bit selectors, 4 per byte, per channel")))
      return failure();
  } else if (getSelectorsAttr()) {
    return emitOpError("data type '")
           << dtypeName << "' has no special-value selectors";
  }

  if (type.hasZeroPoints()) {
    if (!getZeroPointsAttr())
      return emitOpError("asymmetric data type '")
             << dtypeName << "' needs per-group zero points";
    if (failed(verifyByteTensor(*this, "zero_points", *getZeroPoints(),
                                groupShape, "one zero point per group")))
      return failure();
  } else if (getZeroPointsAttr()) {
    return emitOpError("symmetric data type '")
           << dtypeName << "' has no zero points";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// GroupedMatmulOp
//===----------------------------------------------------------------------===//

LogicalResult GroupedMatmulOp::verify() {
  QWeightsType type = getWeights().getType();
  return verifyLinearShapes(*this, getInput().getType(), type.getRows(),
                            type.getCols(), getBias(), getResult().getType());
}

//===----------------------------------------------------------------------===//
// DequantizeOp
//===----------------------------------------------------------------------===//

LogicalResult DequantizeOp::verify() {
  QWeightsType type = getWeights().getType();
  RankedTensorType result = getResult().getType();
  if (result.getShape() != ArrayRef<int64_t>{type.getRows(), type.getCols()})
    return emitOpError("result must be ")
           << type.getRows() << "x" << type.getCols()
           << " like the quantized weights, got " << result;
  return success();
}

//===----------------------------------------------------------------------===//
// KVMatmulOp
//===----------------------------------------------------------------------===//

int64_t KVMatmulOp::getHeadsPerKV() {
  return getLhs().getType().getDimSize(1) / getKv().getType().getDimSize(1);
}

int64_t KVMatmulOp::getNumRows() {
  RankedTensorType kv = getKv().getType();
  return getKind() == KVKind::key ? kv.getDimSize(2) : kv.getDimSize(3);
}

int64_t KVMatmulOp::getReduction() {
  RankedTensorType kv = getKv().getType();
  return getKind() == KVKind::key ? kv.getDimSize(3) : kv.getDimSize(2);
}

LogicalResult KVMatmulOp::verify() {
  RankedTensorType lhs = getLhs().getType(), kv = getKv().getType(),
                   result = getResult().getType();
  for (auto [what, type] : {std::pair<StringRef, RankedTensorType>("lhs", lhs),
                            {"kv", kv},
                            {"result", result}}) {
    if (type.getRank() != 4)
      return emitOpError() << what << " must be 4-D [B, heads, rows, cols], "
                           << "got rank " << type.getRank();
    if (!type.hasStaticShape())
      return emitOpError() << what << " must have a static shape, got " << type;
  }
  if (lhs.getElementType() != kv.getElementType() ||
      lhs.getElementType() != result.getElementType())
    return emitOpError("lhs, kv and result must have one element type, got ")
           << lhs.getElementType() << ", " << kv.getElementType() << ", "
           << result.getElementType();
  int64_t b = lhs.getDimSize(0), h = lhs.getDimSize(1), m = lhs.getDimSize(2);
  if (kv.getDimSize(0) != b)
    return emitOpError("kv batch (")
           << kv.getDimSize(0) << ") differs from the lhs batch (" << b << ")";
  int64_t hkv = kv.getDimSize(1);
  if (hkv < 1 || h % hkv != 0)
    return emitOpError("query heads (")
           << h << ") must be a multiple of the kv heads (" << hkv << ")";
  bool key = getKind() == KVKind::key;
  int64_t reduction = getReduction(), rows = getNumRows();
  if (lhs.getDimSize(3) != reduction)
    return emitOpError("lhs reduction dimension (")
           << lhs.getDimSize(3) << ") does not match the "
           << (key ? "key's head dimension" : "value's context length") << " ("
           << reduction << ")";
  SmallVector<int64_t, 4> expected = {b, h, m, rows};
  if (result.getShape() != ArrayRef<int64_t>(expected))
    return emitOpError("result must be ")
           << RankedTensorType::get(expected, result.getElementType())
           << ", got " << result;
  if (getGroupSize() % 8 != 0)
    return emitOpError("group_size (")
           << getGroupSize() << ") must be a multiple of 8 (the datapath's "
           << "group granularity)";
  return success();
}
