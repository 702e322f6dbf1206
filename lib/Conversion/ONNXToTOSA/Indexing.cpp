//===- Indexing.cpp - ONNX Gather, Where, Trilu, GatherElements, CumSum, TopK ->
// TOSA ---===//
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

LogicalResult ONNXLowering::importGather(const ONNXNode &n) {
  const ConstTensor *data = getConst(n, 0), *idx = getConst(n, 1);
  Value dataV = data ? Value() : get(n, 0);
  Shape ds = inputShape(data, dataV);
  int64_t rank = ds.size();
  int64_t axis = attrInt(n, "axis", 0);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank)
    return fail("Gather: axis out of range");
  int64_t k = ds[axis];
  Shape is = idx ? Shape(idx->shape()) : shapeOf(get(n, 1));
  Shape out(ds.begin(), ds.begin() + axis);
  out.append(is.begin(), is.end());
  out.append(ds.begin() + axis + 1, ds.end());
  int64_t outer = product(ArrayRef<int64_t>(ds).take_front(axis));
  int64_t inner = product(ArrayRef<int64_t>(ds).drop_front(axis + 1));
  int64_t w = product(is);
  if (idx) {
    for (int64_t i = 0; i < w; ++i) {
      int64_t v = idx->getInt(i);
      if (v < -k || v >= k)
        return fail("Gather: index " + Twine(v) + " out of range");
    }
  }
  auto norm = [&](int64_t i) {
    int64_t v = idx->getInt(i);
    return v < 0 ? v + k : v;
  };
  if (data && idx) {
    ConstTensor r = ConstTensor::allocate(data->dtype(), out);
    size_t es = dtypeSize(data->dtype());
    char *dst = r.mutableData();
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < w; ++i) {
        std::memcpy(dst, data->data() + ((o * k + norm(i)) * inner) * es,
                    inner * es);
        dst += inner * es;
      }
    setConst(n, 0, r);
    return success();
  }
  // tosa.gather: values [N, K, C], indices [N, W] (i32) -> [N, W, C].
  Value values = reshape(dataV ? dataV : get(n, 0), {outer, k, inner});
  Type i32 = b.getI32Type();
  Value indices;
  if (idx) {
    ConstTensor t = ConstTensor::allocate(kInt32, {outer, w});
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < w; ++i)
        t.setInt(o * w + i, norm(i));
    indices = materialize(t, n.input(1) + "_i32");
  } else {
    Value iv = castTo(get(n, 1), i32);
    iv = reshape(iv, {1, w});
    // Negative indices count from the end.
    Value neg =
        binary<tosa::GreaterOp>(scalarConst(i32, 0, 2), iv, b.getI1Type());
    Value wrapped = binary<tosa::AddOp>(iv, scalarConst(i32, k, 2));
    iv = tosa::SelectOp::create(b, loc, iv.getType(), neg, wrapped, iv);
    indices = broadcastTo(iv, {outer, w});
  }
  Value g = tosa::GatherOp::create(
      b, loc, tensorType({outer, w, inner}, elemOf(values)), values, indices);
  setValue(n, 0, reshape(g, out));
  return success();
}

LogicalResult ONNXLowering::importWhere(const ONNXNode &n) {
  Value c = get(n, 0), x = get(n, 1), y = get(n, 2);
  Shape s1, out;
  if (!broadcastShapes(shapeOf(c), shapeOf(x), s1) ||
      !broadcastShapes(s1, shapeOf(y), out))
    return fail("Where: operand shapes are not broadcastable");
  int64_t r = out.size();
  Value cr = toRank(c, r);
  Value xr = toRank(x, r);
  Value yr = toRank(y, r);
  Value sel =
      tosa::SelectOp::create(b, loc, tensorType(out, elemOf(x)), cr, xr, yr);
  setValue(n, 0, sel);
  return success();
}

/// Trilu: x where (col - row) >= k (upper) / <= k (lower), else 0, over
/// the last two axes; one linalg.generic comparing linalg.index values.
LogicalResult ONNXLowering::importTrilu(const ONNXNode &n) {
  Value x = get(n, 0);
  Shape s = shapeOf(x);
  int64_t rank = s.size();
  if (rank < 2)
    return fail("Trilu: the input must have rank >= 2");
  int64_t k = 0;
  if (hasInput(n, 1)) {
    const ConstTensor *c = requireConst(n, 1, "k");
    if (!c)
      return failure();
    k = c->getInt(0);
  }
  bool upper = attrInt(n, "upper", 1) != 0;
  Type et = elemOf(x);
  SmallVector<AffineMap> maps(2, b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  Value init = tensor::EmptyOp::create(b, loc, s, et);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{x.getType()}, ValueRange{x}, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value row = linalg::IndexOp::create(nb, nl, rank - 2);
        Value col = linalg::IndexOp::create(nb, nl, rank - 1);
        Value diff = arith::SubIOp::create(nb, nl, col, row);
        Value kv = arith::ConstantIndexOp::create(nb, nl, k);
        Value keep = arith::CmpIOp::create(nb, nl,
                                           upper ? arith::CmpIPredicate::sge
                                                 : arith::CmpIPredicate::sle,
                                           diff, kv);
        Value v = arith::SelectOp::create(nb, nl, keep, args[0],
                                          scalarValue(nb, nl, et, 0.0));
        linalg::YieldOp::create(nb, nl, v);
      });
  setValue(n, 0, generic.getResult(0));
  return success();
}

/// GatherElements: out[i] = data[i with i[axis] = indices[i]], one
/// linalg.generic over the indices with tensor.extract (negative indices
/// wrap).
LogicalResult ONNXLowering::importGatherElements(const ONNXNode &n) {
  Value data = get(n, 0), idx = get(n, 1);
  Shape ds = shapeOf(data), is = shapeOf(idx);
  int64_t rank = ds.size();
  if ((int64_t)is.size() != rank || rank == 0)
    return fail("GatherElements: data and indices must have the same rank");
  int64_t axis = attrInt(n, "axis", 0);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank)
    return fail("GatherElements: axis out of range");
  if (const ConstTensor *c = getConst(n, 1))
    for (int64_t i = 0, e = c->numElements(); i < e; ++i) {
      int64_t v = c->getInt(i);
      if (v < -ds[axis] || v >= ds[axis])
        return fail("GatherElements: index " + Twine(v) + " out of range");
    }
  Type et = elemOf(data);
  int64_t k = ds[axis];
  SmallVector<AffineMap> maps(2, b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  Value init = tensor::EmptyOp::create(b, loc, is, et);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{tensorType(is, et)}, ValueRange{idx}, ValueRange{init},
      maps, iterators, [&](OpBuilder &nb, Location nl, ValueRange args) {
        SmallVector<Value> ivs;
        for (int64_t d = 0; d < rank; ++d)
          ivs.push_back(linalg::IndexOp::create(nb, nl, d));
        Value i =
            arith::IndexCastOp::create(nb, nl, nb.getIndexType(), args[0]);
        Value zero = arith::ConstantIndexOp::create(nb, nl, 0);
        Value neg =
            arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, i, zero);
        Value wrapped = arith::AddIOp::create(
            nb, nl, i, arith::ConstantIndexOp::create(nb, nl, k));
        ivs[axis] = arith::SelectOp::create(nb, nl, neg, wrapped, i);
        Value v = tensor::ExtractOp::create(nb, nl, data, ivs);
        linalg::YieldOp::create(nb, nl, v);
      });
  setValue(n, 0, generic.getResult(0));
  return success();
}

/// CumSum: out[.., i, ..] = sum over k of x[.., k, ..] for k <= i (k < i
/// exclusive; k >= i / k > i reversed), a linalg.generic with a reduction
/// dimension k over the axis (quadratic in the axis length, exact order).
LogicalResult ONNXLowering::importCumSum(const ONNXNode &n) {
  Value x = get(n, 0);
  Shape s = shapeOf(x);
  int64_t rank = s.size();
  const ConstTensor *ac = requireConst(n, 1, "axis");
  if (!ac)
    return failure();
  int64_t axis = ac->getInt(0);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank)
    return fail("CumSum: axis out of range");
  bool exclusive = attrInt(n, "exclusive", 0) != 0;
  bool reverse = attrInt(n, "reverse", 0) != 0;
  Type et = elemOf(x);
  if (et.isInteger(1))
    return fail("CumSum: bool tensors are not supported");
  // Loop dims: 0..rank-1 are the output's, `rank` is k.
  SmallVector<AffineExpr> inExprs;
  for (int64_t d = 0; d < rank; ++d)
    inExprs.push_back(b.getAffineDimExpr(d == axis ? rank : d));
  SmallVector<AffineExpr> outExprs;
  for (int64_t d = 0; d < rank; ++d)
    outExprs.push_back(b.getAffineDimExpr(d));
  SmallVector<AffineMap> maps = {AffineMap::get(rank + 1, 0, inExprs, ctx),
                                 AffineMap::get(rank + 1, 0, outExprs, ctx)};
  SmallVector<utils::IteratorType> iterators(rank + 1,
                                             utils::IteratorType::parallel);
  iterators[rank] = utils::IteratorType::reduction;
  TypedAttr zeroAttr = isa<FloatType>(et) ? TypedAttr(b.getFloatAttr(et, 0.0))
                                          : TypedAttr(b.getIntegerAttr(et, 0));
  Value init = fillTensor(s, et, zeroAttr);
  auto pred =
      reverse
          ? (exclusive ? arith::CmpIPredicate::ugt : arith::CmpIPredicate::uge)
          : (exclusive ? arith::CmpIPredicate::ult : arith::CmpIPredicate::ule);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{x.getType()}, ValueRange{x}, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value k = linalg::IndexOp::create(nb, nl, rank);
        Value i = linalg::IndexOp::create(nb, nl, axis);
        Value in = arith::CmpIOp::create(nb, nl, pred, k, i);
        Value sum =
            isa<FloatType>(et)
                ? arith::AddFOp::create(nb, nl, args[1], args[0]).getResult()
                : arith::AddIOp::create(nb, nl, args[1], args[0]).getResult();
        Value v = arith::SelectOp::create(nb, nl, in, sum, args[1]);
        linalg::YieldOp::create(nb, nl, v);
      });
  setValue(n, 0, generic.getResult(0));
  return success();
}

/// TopK (constant K): K rounds of a masked arg-extreme linalg.generic (the
/// first not yet taken maximum / minimum, so ties keep the lower index
/// first, as ONNX specifies), each followed by a generic marking the taken
/// position; the rounds are concatenated along the axis (sorted output,
/// which also satisfies sorted = 0).
/// TopK-1: K is an attribute.
LogicalResult ONNXLowering::importTopKV1(const ONNXNode &n) {
  return lowerTopK(n, /*kFromAttr=*/true);
}

/// TopK-10: K is a (constant) input.
LogicalResult ONNXLowering::importTopK(const ONNXNode &n) {
  return lowerTopK(n, /*kFromAttr=*/false);
}

LogicalResult ONNXLowering::lowerTopK(const ONNXNode &n, bool kFromAttr) {
  Value x = get(n, 0);
  Shape s = shapeOf(x);
  int64_t rank = s.size();
  Type et = elemOf(x), i64 = b.getI64Type(), i1 = b.getI1Type();
  if (rank == 0)
    return fail("TopK: scalar input");
  if (et.isInteger(1))
    return fail("TopK: bool tensors are not supported");
  int64_t axis = attrInt(n, "axis", -1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank)
    return fail("TopK: axis out of range");
  int64_t k;
  if (kFromAttr) {
    k = attrInt(n, "k", -1);
  } else {
    const ConstTensor *c = requireConst(n, 1, "K");
    if (!c)
      return failure();
    k = c->getInt(0);
  }
  if (k < 0 || k > s[axis])
    return fail("TopK: K = " + Twine(k) + " is out of range for axis size " +
                Twine(s[axis]));
  bool largest = attrInt(n, "largest", 1) != 0;
  Shape out = s;
  out[axis] = k;
  Shape origOut = out;
  if (rank == 1) {
    // No rank-0 round results (see importArgMax).
    x = reshape(x, {1, s[0]});
    s = shapeOf(x);
    rank = 2;
    axis = 1;
    out = {1, k};
  }
  if (k == 0) {
    setValue(n, 0, tensor::EmptyOp::create(b, loc, origOut, et));
    setValue(n, 1, tensor::EmptyOp::create(b, loc, origOut, i64));
    return success();
  }
  Shape red, keep = s;
  keep[axis] = 1;
  SmallVector<AffineExpr> redExprs;
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis) {
      red.push_back(s[d]);
      redExprs.push_back(b.getAffineDimExpr(d));
    }
  AffineMap id = b.getMultiDimIdentityMap(rank);
  AffineMap redMap = AffineMap::get(rank, 0, redExprs, ctx);
  SmallVector<utils::IteratorType> parallel(rank,
                                            utils::IteratorType::parallel);
  SmallVector<utils::IteratorType> reduction = parallel;
  reduction[axis] = utils::IteratorType::reduction;
  TypedAttr zeroAttr = isa<FloatType>(et) ? TypedAttr(b.getFloatAttr(et, 0.0))
                                          : TypedAttr(b.getIntegerAttr(et, 0));
  Value taken = fillTensor(s, i1, b.getBoolAttr(false));
  SmallVector<Value> vals, idxs;
  for (int64_t j = 0; j < k; ++j) {
    Value v0 = fillTensor(red, et, zeroAttr);
    Value i0 = fillTensor(red, i64, b.getI64IntegerAttr(-1));
    auto pick = linalg::GenericOp::create(
        b, loc, TypeRange{v0.getType(), i0.getType()}, ValueRange{x, taken},
        ValueRange{v0, i0}, SmallVector<AffineMap>{id, id, redMap, redMap},
        reduction, [&](OpBuilder &nb, Location nl, ValueRange args) {
          Value better;
          if (isa<FloatType>(et))
            better = arith::CmpFOp::create(nb, nl,
                                           largest ? arith::CmpFPredicate::OGT
                                                   : arith::CmpFPredicate::OLT,
                                           args[0], args[2]);
          else
            better = arith::CmpIOp::create(nb, nl,
                                           largest ? arith::CmpIPredicate::sgt
                                                   : arith::CmpIPredicate::slt,
                                           args[0], args[2]);
          Value none = arith::CmpIOp::create(
              nb, nl, arith::CmpIPredicate::slt, args[3],
              arith::ConstantOp::create(nb, nl, nb.getI64IntegerAttr(0)));
          Value cand = arith::OrIOp::create(nb, nl, none, better);
          Value free = arith::XOrIOp::create(
              nb, nl, args[1],
              arith::ConstantOp::create(nb, nl, nb.getBoolAttr(true)));
          Value use = arith::AndIOp::create(nb, nl, free, cand);
          Value i = arith::IndexCastOp::create(
              nb, nl, nb.getI64Type(), linalg::IndexOp::create(nb, nl, axis));
          Value v = arith::SelectOp::create(nb, nl, use, args[0], args[2]);
          Value ix = arith::SelectOp::create(nb, nl, use, i, args[3]);
          linalg::YieldOp::create(nb, nl, ValueRange{v, ix});
        });
    Value idx = pick.getResult(1);
    vals.push_back(reshape(pick.getResult(0), keep));
    idxs.push_back(reshape(idx, keep));
    if (j + 1 == k)
      break;
    Value init = tensor::EmptyOp::create(b, loc, s, i1);
    auto mark = linalg::GenericOp::create(
        b, loc, TypeRange{taken.getType()}, ValueRange{taken, idx},
        ValueRange{init}, SmallVector<AffineMap>{id, redMap, id}, parallel,
        [&](OpBuilder &nb, Location nl, ValueRange args) {
          Value i = arith::IndexCastOp::create(
              nb, nl, nb.getI64Type(), linalg::IndexOp::create(nb, nl, axis));
          Value hit = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq, i,
                                            args[1]);
          linalg::YieldOp::create(
              nb, nl, arith::OrIOp::create(nb, nl, args[0], hit).getResult());
        });
    taken = mark.getResult(0);
  }
  auto concat = [&](ArrayRef<Value> parts, Type elem) -> Value {
    if (parts.size() == 1)
      return parts[0];
    return tosa::ConcatOp::create(b, loc, tensorType(out, elem), parts,
                                  b.getI32IntegerAttr(axis));
  };
  setValue(n, 0, reshape(concat(vals, et), origOut));
  setValue(n, 1, reshape(concat(idxs, i64), origOut));
  return success();
}

void mlir::bitmod::onnx_import::populateIndexingPatterns(
    ONNXPatternTable &patterns) {
  using L = ONNXLowering;
  patterns.onOp("Gather", 1, &L::importGather, 2);
  patterns.onOp("Where", 9, &L::importWhere, 3);
  patterns.onOp("Trilu", 14, &L::importTrilu);
  patterns.onOp("GatherElements", 11, &L::importGatherElements, 2);
  patterns.onOp("CumSum", 11, &L::importCumSum, 2);
  patterns.onOp("TopK", 1, &L::importTopKV1);
  patterns.onOp("TopK", 10, &L::importTopK, 2);
}
