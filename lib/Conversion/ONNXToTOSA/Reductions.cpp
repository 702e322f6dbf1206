//===- Reductions.cpp - ONNX reductions, Softmax, ArgMax, Hardmax -> TOSA
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

/// Softmax / LogSoftmax before opset 13: the input is coerced to 2-D at
/// `axis` (default 1).
LogicalResult ONNXLowering::importSoftmaxV1(const ONNXNode &n) {
  return lowerSoftmax(n, /*coerce2D=*/true);
}

LogicalResult ONNXLowering::importSoftmax(const ONNXNode &n) {
  return lowerSoftmax(n, /*coerce2D=*/false);
}

LogicalResult ONNXLowering::lowerSoftmax(const ONNXNode &n, bool coerce2D) {
  Value x = get(n, 0);
  Shape s = shapeOf(x);
  int64_t rank = s.size();
  int64_t axis = attrInt(n, "axis", coerce2D ? 1 : -1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= std::max<int64_t>(rank, 1))
    return fail(n.op_type() + ": axis out of range");
  Value in = x;
  int64_t redAxis = axis;
  if (coerce2D) {
    int64_t outer = product(ArrayRef<int64_t>(s).take_front(axis));
    int64_t inner = product(ArrayRef<int64_t>(s).drop_front(axis));
    in = reshape(x, {outer, inner});
    redAxis = 1;
  }
  Value m = reduce<tosa::ReduceMaxOp>(in, {redAxis});
  Value shifted = binary<tosa::SubOp>(in, m);
  Value e = tosa::ExpOp::create(b, loc, shifted.getType(), shifted);
  Value sum = reduce<tosa::ReduceSumOp>(e, {redAxis});
  Value r;
  if (n.op_type() == "LogSoftmax")
    r = binary<tosa::SubOp>(shifted,
                            tosa::LogOp::create(b, loc, sum.getType(), sum));
  else
    r = divide(e, sum);
  setValue(n, 0, reshape(r, s));
  return success();
}

LogicalResult ONNXLowering::importReduce(const ONNXNode &n) {
  const std::string &op = n.op_type();
  Value x = get(n, 0);
  Shape s = shapeOf(x);
  int64_t rank = s.size();
  std::optional<Shape> axesOpt;
  if (failed(intsFromInputOrAttr(n, 1, "axes", axesOpt)))
    return failure();
  bool keep = attrInt(n, "keepdims", 1) != 0;
  if ((!axesOpt || axesOpt->empty()) && attrInt(n, "noop_with_empty_axes", 0)) {
    setValue(n, 0, x);
    return success();
  }
  Shape axes;
  if (!reductionAxes(axesOpt, rank, axes))
    return fail(op + ": axis out of range");
  if ((op == "ReduceL2" || op == "ReduceLogSum" || op == "ReduceLogSumExp") &&
      !isa<FloatType>(elemOf(x)))
    return fail(op + ": only floating-point tensors are supported");
  // The norms run in f32 for f16/bf16 (the host has no f16 abs/exp/log).
  Type origElem = elemOf(x);
  bool widen = (op == "ReduceL1" || op == "ReduceL2" || op == "ReduceLogSum" ||
                op == "ReduceLogSumExp") &&
               isa<FloatType>(origElem) &&
               origElem.getIntOrFloatBitWidth() < 32;
  if (widen)
    x = castTo(x, b.getF32Type());
  Value r;
  if (op == "ReduceSum")
    r = reduce<tosa::ReduceSumOp>(x, axes);
  else if (op == "ReduceMean")
    r = reduceMean(x, axes);
  else if (op == "ReduceMax")
    r = reduce<tosa::ReduceMaxOp>(x, axes);
  else if (op == "ReduceMin")
    r = reduce<tosa::ReduceMinOp>(x, axes);
  else if (op == "ReduceProd")
    r = reduce<tosa::ReduceProductOp>(x, axes);
  else if (op == "ReduceSumSquare")
    r = reduce<tosa::ReduceSumOp>(mul(x, x), axes);
  else if (op == "ReduceL1")
    r = reduce<tosa::ReduceSumOp>(tosa::AbsOp::create(b, loc, x.getType(), x),
                                  axes);
  else if (op == "ReduceL2")
    r = math::SqrtOp::create(b, loc,
                             reduce<tosa::ReduceSumOp>(mul(x, x), axes));
  else if (op == "ReduceLogSum") {
    Value sum = reduce<tosa::ReduceSumOp>(x, axes);
    r = tosa::LogOp::create(b, loc, sum.getType(), sum);
  } else if (op == "ReduceLogSumExp") {
    // max + log(sum(exp(x - max))); an infinite max is replaced by 0 (x -
    // max would be NaN; the plain formula gives -inf / +inf there).
    Value m = reduce<tosa::ReduceMaxOp>(x, axes);
    Type et = elemOf(x);
    Value absMax = tosa::AbsOp::create(b, loc, m.getType(), m);
    Value isInf = binary<tosa::EqualOp>(
        absMax, scalarConst(et, std::numeric_limits<double>::infinity(), rank),
        b.getI1Type());
    m = tosa::SelectOp::create(b, loc, m.getType(), isInf,
                               splatConst(et, 0.0, shapeOf(m)), m);
    Value shifted = binary<tosa::SubOp>(x, m);
    Value e = tosa::ExpOp::create(b, loc, shifted.getType(), shifted);
    Value sum = reduce<tosa::ReduceSumOp>(e, axes);
    r = binary<tosa::AddOp>(tosa::LogOp::create(b, loc, sum.getType(), sum), m);
  }
  if (widen)
    r = castTo(r, origElem);
  if (!keep) {
    Shape out;
    for (int64_t i = 0; i < rank; ++i)
      if (!llvm::is_contained(axes, i))
        out.push_back(s[i]);
    r = reshape(r, out);
  }
  setValue(n, 0, r);
  return success();
}

Value ONNXLowering::argExtreme(Value x, int64_t axis, bool isMax, bool last) {
  Shape s = shapeOf(x);
  int64_t rank = s.size();
  Type et = elemOf(x), i64 = b.getI64Type();
  Shape red;
  SmallVector<AffineExpr> redExprs;
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis) {
      red.push_back(s[d]);
      redExprs.push_back(b.getAffineDimExpr(d));
    }
  // Running (value, index) pair from (-inf / +inf or the integer extreme,
  // 0): an element equal to the init value only wins with >= / <=, which
  // keeps index 0 (first) or the last such index, as wanted.
  TypedAttr initV;
  if (auto ft = dyn_cast<FloatType>(et)) {
    initV = b.getFloatAttr(
        et, APFloat::getInf(ft.getFloatSemantics(), /*Negative=*/isMax));
  } else {
    unsigned w = et.getIntOrFloatBitWidth();
    initV = b.getIntegerAttr(et, isMax ? APInt::getSignedMinValue(w)
                                       : APInt::getSignedMaxValue(w));
  }
  Value vals = fillTensor(red, et, initV);
  Value idxs = fillTensor(red, i64, b.getI64IntegerAttr(0));
  AffineMap redMap = AffineMap::get(rank, 0, redExprs, ctx);
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank), redMap,
                                 redMap};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  iterators[axis] = utils::IteratorType::reduction;
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{vals.getType(), idxs.getType()}, ValueRange{x},
      ValueRange{vals, idxs}, maps, iterators,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value better;
        if (isa<FloatType>(et)) {
          auto pred = isMax ? (last ? arith::CmpFPredicate::OGE
                                    : arith::CmpFPredicate::OGT)
                            : (last ? arith::CmpFPredicate::OLE
                                    : arith::CmpFPredicate::OLT);
          better = arith::CmpFOp::create(nb, nl, pred, args[0], args[1]);
        } else {
          auto pred = isMax ? (last ? arith::CmpIPredicate::sge
                                    : arith::CmpIPredicate::sgt)
                            : (last ? arith::CmpIPredicate::sle
                                    : arith::CmpIPredicate::slt);
          better = arith::CmpIOp::create(nb, nl, pred, args[0], args[1]);
        }
        Value i = arith::IndexCastOp::create(
            nb, nl, i64, linalg::IndexOp::create(nb, nl, axis));
        Value v = arith::SelectOp::create(nb, nl, better, args[0], args[1]);
        Value j = arith::SelectOp::create(nb, nl, better, i, args[2]);
        linalg::YieldOp::create(nb, nl, ValueRange{v, j});
      });
  return generic.getResult(1);
}

/// ArgMax / ArgMin: one linalg.generic reducing `axis` to a running
/// (value, index) pair; strict comparisons keep the first extreme,
/// select_last_index uses >= / <= to keep the last one.
LogicalResult ONNXLowering::importArgMax(const ONNXNode &n) {
  const std::string &op = n.op_type();
  Value x = get(n, 0);
  Shape s = shapeOf(x);
  int64_t rank = s.size();
  Type et = elemOf(x);
  if (rank == 0)
    return fail(op + ": scalar input");
  if (et.isInteger(1))
    return fail(op + ": bool tensors are not supported");
  int64_t axis = attrInt(n, "axis", 0);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank)
    return fail(op + ": axis out of range");
  bool keep = attrInt(n, "keepdims", 1) != 0;
  bool last = attrInt(n, "select_last_index", 0) != 0;
  // A rank-0 reduction result would become a rank-0 host buffer, which
  // LLVM 22's memref-to-emitc cannot declare: reduce [1, n] instead.
  Value in = rank == 1 ? reshape(x, {1, s[0]}) : x;
  Value r = argExtreme(in, rank == 1 ? 1 : axis, op == "ArgMax", last);
  Shape out = s;
  if (keep)
    out[axis] = 1;
  else
    out.erase(out.begin() + axis);
  setValue(n, 0, reshape(r, out));
  return success();
}

/// Hardmax before opset 13: coerced to 2-D at `axis` (default 1).
LogicalResult ONNXLowering::importHardmaxV1(const ONNXNode &n) {
  return lowerHardmax(n, /*coerce2D=*/true);
}

LogicalResult ONNXLowering::importHardmax(const ONNXNode &n) {
  return lowerHardmax(n, /*coerce2D=*/false);
}

/// Hardmax: 1 at the first maximum along `axis`, 0 elsewhere.
LogicalResult ONNXLowering::lowerHardmax(const ONNXNode &n, bool coerce2D) {
  Value x = get(n, 0);
  Shape s = shapeOf(x);
  int64_t rank = s.size();
  Type et = elemOf(x);
  if (!isa<FloatType>(et))
    return fail("Hardmax: only floating-point tensors are supported");
  int64_t axis = attrInt(n, "axis", coerce2D ? 1 : -1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= std::max<int64_t>(rank, 1))
    return fail("Hardmax: axis out of range");
  Value in = x;
  if (coerce2D) {
    int64_t outer = product(ArrayRef<int64_t>(s).take_front(axis));
    int64_t inner = product(ArrayRef<int64_t>(s).drop_front(axis));
    in = reshape(x, {outer, inner});
    axis = 1;
  }
  if (shapeOf(in).size() == 1) {
    // No rank-0 ArgMax result (see importArgMax).
    in = reshape(in, {1, shapeOf(in)[0]});
    axis = 1;
  }
  Shape is = shapeOf(in);
  int64_t r = is.size();
  Value arg = argExtreme(in, axis, /*isMax=*/true, /*last=*/false);
  SmallVector<AffineExpr> redExprs;
  for (int64_t d = 0; d < r; ++d)
    if (d != axis)
      redExprs.push_back(b.getAffineDimExpr(d));
  SmallVector<AffineMap> maps = {AffineMap::get(r, 0, redExprs, ctx),
                                 b.getMultiDimIdentityMap(r)};
  SmallVector<utils::IteratorType> iterators(r, utils::IteratorType::parallel);
  Value init = tensor::EmptyOp::create(b, loc, is, et);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{tensorType(is, et)}, ValueRange{arg}, ValueRange{init},
      maps, iterators, [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value i = arith::IndexCastOp::create(
            nb, nl, nb.getI64Type(), linalg::IndexOp::create(nb, nl, axis));
        Value hit =
            arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq, i, args[0]);
        Value one = scalarValue(nb, nl, et, 1.0);
        Value zero = scalarValue(nb, nl, et, 0.0);
        Value v = arith::SelectOp::create(nb, nl, hit, one, zero);
        linalg::YieldOp::create(nb, nl, v);
      });
  setValue(n, 0, reshape(generic.getResult(0), s));
  return success();
}

void mlir::bitmod::onnx_import::populateReductionPatterns(
    ONNXPatternTable &patterns) {
  using L = ONNXLowering;
  for (const char *op : {"Softmax", "LogSoftmax"}) {
    patterns.onOp(op, 1, &L::importSoftmaxV1);
    patterns.onOp(op, 13, &L::importSoftmax);
  }
  for (const char *op : {"ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin",
                         "ReduceProd", "ReduceSumSquare", "ReduceL1",
                         "ReduceL2", "ReduceLogSum", "ReduceLogSumExp"})
    patterns.onOp(op, 1, &L::importReduce);
  for (const char *op : {"ArgMax", "ArgMin"})
    patterns.onOp(op, 1, &L::importArgMax);
  patterns.onOp("Hardmax", 1, &L::importHardmaxV1);
  patterns.onOp("Hardmax", 13, &L::importHardmax);
}
