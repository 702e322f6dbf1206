//===- Normalization.cpp - ONNX LayerNorm, InstanceNorm, BatchNorm -> TOSA
//---===//
//
// Part of --bitmod-onnx-to-tosa (see Lowering.h).
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "bitmod/Dialect/BitMoD/IR/BitMoDOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSet.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::bitmod;
using namespace mlir::bitmod::onnx_import;

LogicalResult ONNXLowering::importLayerNorm(const ONNXNode &n) {
  Value x = get(n, 0);
  Shape s = shapeOf(x);
  int64_t rank = s.size();
  int64_t axis = attrInt(n, "axis", -1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank)
    return fail("LayerNormalization: axis out of range");
  double eps = attrFloat(n, "epsilon", 1e-5f);
  Shape axes;
  for (int64_t i = axis; i < rank; ++i)
    axes.push_back(i);
  Type et = elemOf(x);
  Value mean = reduceMean(x, axes);
  Value centered = binary<tosa::SubOp>(x, mean);
  Value var = reduceMean(mul(centered, centered), axes);
  Value varEps = binary<tosa::AddOp>(var, scalarConst(et, eps, rank));
  Value inv = tosa::RsqrtOp::create(b, loc, varEps.getType(), varEps);
  Value normalized = mul(centered, inv);
  Value y = mul(normalized, get(n, 1));
  if (hasInput(n, 2))
    y = binary<tosa::AddOp>(y, get(n, 2));
  setValue(n, 0, y);
  setValue(n, 1, mean);
  setValue(n, 2, inv);
  return success();
}

LogicalResult ONNXLowering::importInstanceNorm(const ONNXNode &n) {
  Value x = get(n, 0);
  Shape s = shapeOf(x);
  int64_t rank = s.size();
  Type et = elemOf(x);
  if (rank < 3 || !isa<FloatType>(et))
    return fail("InstanceNormalization: expected a float input of rank >= 3");
  double eps = attrFloat(n, "epsilon", 1e-5f);
  Shape axes, perChannel(rank, 1);
  for (int64_t i = 2; i < rank; ++i)
    axes.push_back(i);
  perChannel[1] = s[1];
  // Mean and variance over the spatial axes of each (n, c).
  Value mean = reduceMean(x, axes);
  Value centered = binary<tosa::SubOp>(x, mean);
  Value var = reduceMean(mul(centered, centered), axes);
  Value varEps = binary<tosa::AddOp>(var, scalarConst(et, eps, rank));
  Value inv = tosa::RsqrtOp::create(b, loc, varEps.getType(), varEps);
  Value normalized = mul(centered, inv);
  Value y = mul(normalized, reshape(get(n, 1), perChannel));
  y = binary<tosa::AddOp>(y, reshape(get(n, 2), perChannel));
  setValue(n, 0, y);
  return success();
}

LogicalResult ONNXLowering::importBatchNorm(const ONNXNode &n) {
  if (attrInt(n, "training_mode", 0) || hasOutput(n, 1))
    return fail("BatchNormalization: only inference mode is supported");
  Value x = get(n, 0);
  Shape xs = shapeOf(x);
  int64_t rank = xs.size();
  if (rank < 2)
    return fail("BatchNormalization: input must have a channel dimension");
  int64_t c = xs[1];
  double eps = attrFloat(n, "epsilon", 1e-5f);
  Shape bshape(rank, 1);
  bshape[1] = c;
  const ConstTensor *scale = getConst(n, 1), *bias = getConst(n, 2),
                    *mean = getConst(n, 3), *var = getConst(n, 4);
  Value y;
  if (scale && bias && mean && var) {
    // Fold to y = x * a + b with a = scale / sqrt(var + eps) and
    // b = bias - mean * a, computed in double and rounded once.
    ConstTensor a = ConstTensor::allocate(scale->dtype(), bshape);
    ConstTensor bb = ConstTensor::allocate(scale->dtype(), bshape);
    for (int64_t i = 0; i < c; ++i) {
      double ai = scale->getDouble(i) / std::sqrt(var->getDouble(i) + eps);
      a.setDouble(i, ai);
      bb.setDouble(i, bias->getDouble(i) - mean->getDouble(i) * ai);
    }
    Value scaled = mul(x, materialize(a, n.name() + "_scale"));
    y = binary<tosa::AddOp>(scaled, materialize(bb, n.name() + "_shift"));
  } else {
    Type et = elemOf(x);
    Value m = reshape(get(n, 3), bshape), v = reshape(get(n, 4), bshape);
    Value inv = binary<tosa::AddOp>(v, scalarConst(et, eps, rank));
    inv = tosa::RsqrtOp::create(b, loc, inv.getType(), inv);
    Value normalized = mul(binary<tosa::SubOp>(x, m), inv);
    y = mul(normalized, reshape(get(n, 1), bshape));
    y = binary<tosa::AddOp>(y, reshape(get(n, 2), bshape));
  }
  setValue(n, 0, y);
  return success();
}

void mlir::bitmod::onnx_import::populateNormalizationPatterns(
    ONNXPatternTable &patterns) {
  using L = ONNXLowering;
  patterns.onOp("LayerNormalization", 17, &L::importLayerNorm, 2);
  patterns.onOp("InstanceNormalization", 1, &L::importInstanceNorm, 3);
  patterns.onOp("BatchNormalization", 1, &L::importBatchNorm, 5);
}
