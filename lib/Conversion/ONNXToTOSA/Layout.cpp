//===- Layout.cpp - ONNX layout and shape ops -> TOSA ---===//
//
// Part of --bitmod-onnx-to-tosa (see Lowering.h).
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "bitmod/Support/MemoryLimit.h"

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

//===----------------------------------------------------------------------===//
// Layout
//===----------------------------------------------------------------------===//

LogicalResult ONNXLowering::reshapeLike(const ONNXNode &n,
                                        ArrayRef<int64_t> shape) {
  if (const ConstTensor *c = getConst(n, 0)) {
    setConst(n, 0, c->reshaped(shape));
    return success();
  }
  setValue(n, 0, reshape(get(n, 0), shape));
  return success();
}

LogicalResult ONNXLowering::importTranspose(const ONNXNode &n) {
  const ConstTensor *c = getConst(n, 0);
  Shape s = inputShape(c, c ? Value() : get(n, 0));
  std::optional<Shape> perm = attrInts(n, "perm");
  Shape p;
  if (perm && !perm->empty()) {
    p = *perm;
  } else {
    for (int64_t i = s.size() - 1; i >= 0; --i)
      p.push_back(i);
  }
  if (p.size() != s.size())
    return fail("Transpose: perm has the wrong length");
  if (c) {
    setConst(n, 0, c->transposed(p));
    return success();
  }
  setValue(n, 0, transpose(get(n, 0), p));
  return success();
}

/// Reshape-1: the target shape is an attribute.
LogicalResult ONNXLowering::importReshapeV1(const ONNXNode &n) {
  std::optional<Shape> target = attrInts(n, "shape");
  if (!target)
    return fail("Reshape: the target shape must be a constant");
  return lowerReshape(n, *target);
}

LogicalResult ONNXLowering::importReshape(const ONNXNode &n) {
  const ConstTensor *t = requireConst(n, 1, "shape");
  if (!t)
    return failure();
  return lowerReshape(n, t->toInts());
}

LogicalResult ONNXLowering::lowerReshape(const ONNXNode &n,
                                         ArrayRef<int64_t> targetShape) {
  const ConstTensor *c = getConst(n, 0);
  Shape s = inputShape(c, c ? Value() : get(n, 0));
  std::optional<Shape> target = Shape(targetShape);
  bool allowZero = attrInt(n, "allowzero", 0) != 0;
  Shape out;
  int64_t inferIdx = -1, known = 1;
  for (size_t i = 0; i < target->size(); ++i) {
    int64_t d = (*target)[i];
    if (d == 0 && !allowZero) {
      if (i >= s.size())
        return fail("Reshape: 0 refers to a missing input dimension");
      d = s[i];
    }
    if (d == -1) {
      if (inferIdx >= 0)
        return fail("Reshape: more than one -1 in the shape");
      inferIdx = i;
      out.push_back(1);
      continue;
    }
    if (d < 0)
      return fail("Reshape: negative dimension in the shape");
    known *= d;
    out.push_back(d);
  }
  int64_t total = product(s);
  if (inferIdx >= 0) {
    if (known == 0 || total % known != 0)
      return fail("Reshape: cannot infer the -1 dimension");
    out[inferIdx] = total / known;
  }
  if (product(out) != total)
    return fail("Reshape: element count mismatch");
  return reshapeLike(n, out);
}

LogicalResult ONNXLowering::importFlatten(const ONNXNode &n) {
  const ConstTensor *c = getConst(n, 0);
  Shape s = inputShape(c, c ? Value() : get(n, 0));
  int64_t axis = attrInt(n, "axis", 1);
  if (axis < 0)
    axis += s.size();
  int64_t outer = product(ArrayRef<int64_t>(s).take_front(axis));
  return reshapeLike(n, {outer, product(s) / std::max<int64_t>(outer, 1)});
}

LogicalResult ONNXLowering::importSqueeze(const ONNXNode &n) {
  const ConstTensor *c = getConst(n, 0);
  Shape s = inputShape(c, c ? Value() : get(n, 0));
  std::optional<Shape> axes;
  if (failed(intsFromInputOrAttr(n, 1, "axes", axes)))
    return failure();
  Shape out;
  for (int64_t i = 0, r = s.size(); i < r; ++i) {
    bool drop;
    if (axes && !axes->empty())
      drop = llvm::is_contained(*axes, i) || llvm::is_contained(*axes, i - r);
    else
      drop = s[i] == 1;
    if (drop && s[i] != 1)
      return fail("Squeeze: dimension " + Twine(i) + " is not 1");
    if (!drop)
      out.push_back(s[i]);
  }
  return reshapeLike(n, out);
}

LogicalResult ONNXLowering::importUnsqueeze(const ONNXNode &n) {
  const ConstTensor *c = getConst(n, 0);
  Shape s = inputShape(c, c ? Value() : get(n, 0));
  std::optional<Shape> axes;
  if (failed(intsFromInputOrAttr(n, 1, "axes", axes)))
    return failure();
  if (!axes)
    return fail("Unsqueeze: missing axes");
  int64_t r = s.size() + axes->size();
  SmallVector<bool> isNew(r, false);
  for (int64_t a : *axes) {
    if (a < 0)
      a += r;
    if (a < 0 || a >= r || isNew[a])
      return fail("Unsqueeze: invalid axes");
    isNew[a] = true;
  }
  Shape out;
  size_t j = 0;
  for (int64_t i = 0; i < r; ++i)
    out.push_back(isNew[i] ? 1 : s[j++]);
  return reshapeLike(n, out);
}

LogicalResult ONNXLowering::importConcat(const ONNXNode &n) {
  int64_t axis = attrInt(n, "axis", 0);
  bool allConst = true;
  for (int i = 0; i < n.input_size(); ++i)
    allConst &= getConst(n, i) != nullptr;
  if (allConst) {
    const ConstTensor *first = getConst(n, 0);
    int64_t rank = first->rank();
    if (axis < 0)
      axis += rank;
    Shape out(first->shape());
    out[axis] = 0;
    for (int i = 0; i < n.input_size(); ++i)
      out[axis] += getConst(n, i)->shape()[axis];
    ConstTensor r = ConstTensor::allocate(first->dtype(), out);
    int64_t outer = product(ArrayRef<int64_t>(out).take_front(axis));
    size_t es = dtypeSize(first->dtype());
    char *dst = r.mutableData();
    for (int64_t o = 0; o < outer; ++o)
      for (int i = 0; i < n.input_size(); ++i) {
        const ConstTensor *t = getConst(n, i);
        if (t->dtype() != first->dtype())
          return fail("Concat: inputs have different types");
        size_t chunk =
            product(ArrayRef<int64_t>(t->shape()).drop_front(axis)) * es;
        std::memcpy(dst, t->data() + o * chunk, chunk);
        dst += chunk;
      }
    setConst(n, 0, r);
    return success();
  }
  SmallVector<Value> ins;
  for (int i = 0; i < n.input_size(); ++i) {
    Value v = get(n, i);
    if (product(shapeOf(v)) != 0)
      ins.push_back(v);
  }
  int64_t rank = shapeOf(ins.front()).size();
  if (axis < 0)
    axis += rank;
  Shape out = shapeOf(ins.front());
  out[axis] = 0;
  for (Value v : ins)
    out[axis] += shapeOf(v)[axis];
  Value r =
      ins.size() == 1
          ? ins.front()
          : tosa::ConcatOp::create(b, loc, tensorType(out, elemOf(ins.front())),
                                   ins, b.getI32IntegerAttr(axis))
                .getResult();
  setValue(n, 0, r);
  return success();
}

LogicalResult ONNXLowering::importSplit(const ONNXNode &n) {
  const ConstTensor *c = getConst(n, 0);
  Value x = c ? Value() : get(n, 0);
  Shape s = inputShape(c, x);
  int64_t rank = s.size();
  int64_t axis = attrInt(n, "axis", 0);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank)
    return fail("Split: axis out of range");
  std::optional<Shape> sizes;
  if (failed(intsFromInputOrAttr(n, 1, "split", sizes)))
    return failure();
  int outs = n.output_size();
  Shape sz;
  if (sizes && !sizes->empty()) {
    sz = *sizes;
  } else {
    int64_t chunk = (s[axis] + outs - 1) / outs;
    for (int i = 0; i < outs; ++i)
      sz.push_back(std::min(chunk, s[axis] - i * chunk));
  }
  if ((int)sz.size() != outs)
    return fail("Split: number of sizes does not match the outputs");
  int64_t off = 0;
  for (int i = 0; i < outs; ++i) {
    Shape start(rank, 0), size = s;
    start[axis] = off;
    size[axis] = sz[i];
    off += sz[i];
    if (c) {
      ConstTensor r = ConstTensor::allocate(c->dtype(), size);
      forEachIndex(size, [&](ArrayRef<int64_t> idx, int64_t flat) {
        int64_t src = 0;
        for (int64_t d = 0; d < rank; ++d)
          src = src * s[d] + idx[d] + start[d];
        copyElement(*c, src, r, flat);
      });
      setConst(n, i, r);
    } else {
      setValue(n, i, slice(x, start, size));
    }
  }
  if (off != s[axis])
    return fail("Split: sizes do not add up to the dimension");
  return success();
}

/// Split-18: without `split`, num_outputs (required then) gives the number
/// of chunks of ceil(dim / num_outputs), the last one smaller.
LogicalResult ONNXLowering::importSplitV18(const ONNXNode &n) {
  bool hasSizes = hasInput(n, 1);
  Attribute numOutputs = n.getAttr("num_outputs");
  if (hasSizes && numOutputs)
    return fail("Split: both the split input and num_outputs are given");
  if (!hasSizes) {
    if (!numOutputs)
      return fail("Split: neither the split input nor num_outputs is given");
    if (attrInt(n, "num_outputs", 0) != n.output_size())
      return fail(
          "Split: num_outputs = " + Twine(attrInt(n, "num_outputs", 0)) +
          " but the node has " + Twine(n.output_size()) + " outputs");
  }
  return importSplit(n);
}

/// Slice-1: starts, ends and axes are attributes.
LogicalResult ONNXLowering::importSliceV1(const ONNXNode &n) {
  return lowerSlice(n, attrInts(n, "starts"), attrInts(n, "ends"),
                    attrInts(n, "axes"), std::nullopt);
}

/// Slice-10: starts, ends, axes and steps are (constant) inputs.
LogicalResult ONNXLowering::importSlice(const ONNXNode &n) {
  std::optional<Shape> starts, ends, axes, steps;
  for (int i = 1; i <= 4; ++i) {
    if (!hasInput(n, i))
      continue;
    const ConstTensor *t = requireConst(n, i,
                                        i == 1   ? "starts"
                                        : i == 2 ? "ends"
                                        : i == 3 ? "axes"
                                                 : "steps");
    if (!t)
      return failure();
    (i == 1 ? starts : i == 2 ? ends : i == 3 ? axes : steps) = t->toInts();
  }
  return lowerSlice(n, starts, ends, axes, steps);
}

LogicalResult ONNXLowering::lowerSlice(const ONNXNode &n,
                                       std::optional<Shape> starts,
                                       std::optional<Shape> ends,
                                       std::optional<Shape> axes,
                                       std::optional<Shape> steps) {
  const ConstTensor *c = getConst(n, 0);
  Value x = c ? Value() : get(n, 0);
  Shape s = inputShape(c, x);
  int64_t rank = s.size();
  if (!starts || !ends || starts->size() != ends->size())
    return fail("Slice: invalid starts/ends");
  Shape start(rank, 0), size = s, step(rank, 1);
  for (size_t i = 0; i < starts->size(); ++i) {
    int64_t ax = axes && !axes->empty() ? (*axes)[i] : (int64_t)i;
    if (ax < 0)
      ax += rank;
    if (ax < 0 || ax >= rank)
      return fail("Slice: axis out of range");
    int64_t dim = s[ax];
    int64_t st = steps && !steps->empty() ? (*steps)[i] : 1;
    if (st == 0)
      return fail("Slice: step is zero");
    int64_t b0 = (*starts)[i], e0 = (*ends)[i];
    if (b0 < 0)
      b0 += dim;
    if (e0 < 0)
      e0 += dim;
    int64_t cnt;
    if (st > 0) {
      b0 = std::clamp<int64_t>(b0, 0, dim);
      e0 = std::clamp<int64_t>(e0, 0, dim);
      cnt = e0 > b0 ? (e0 - b0 + st - 1) / st : 0;
    } else {
      b0 = std::clamp<int64_t>(b0, 0, dim - 1);
      e0 = std::clamp<int64_t>(e0, -1, dim - 1);
      cnt = b0 > e0 ? (b0 - e0 + (-st) - 1) / (-st) : 0;
    }
    start[ax] = b0;
    size[ax] = cnt;
    step[ax] = st;
  }
  if (c) {
    ConstTensor r = ConstTensor::allocate(c->dtype(), size);
    forEachIndex(size, [&](ArrayRef<int64_t> idx, int64_t flat) {
      int64_t src = 0;
      for (int64_t d = 0; d < rank; ++d)
        src = src * s[d] + start[d] + idx[d] * step[d];
      copyElement(*c, src, r, flat);
    });
    setConst(n, 0, r);
    return success();
  }
  if (product(size) == 0) {
    setValue(n, 0, tensor::EmptyOp::create(b, loc, size, elemOf(x)));
    return success();
  }
  // Negative steps: reverse the axis, then slice with a positive step.
  for (int64_t d = 0; d < rank; ++d) {
    if (step[d] > 0)
      continue;
    x = tosa::ReverseOp::create(b, loc, x.getType(), x, b.getI32IntegerAttr(d));
    start[d] = s[d] - 1 - start[d];
    step[d] = -step[d];
  }
  if (llvm::all_of(step, [](int64_t v) { return v == 1; })) {
    setValue(n, 0, slice(x, start, size));
    return success();
  }
  // TOSA slices have no stride: strided slices use tensor.extract_slice.
  Value r = tensor::ExtractSliceOp::create(
      b, loc, tensorType(size, elemOf(x)), x, ValueRange(), ValueRange(),
      ValueRange(), b.getDenseI64ArrayAttr(start), b.getDenseI64ArrayAttr(size),
      b.getDenseI64ArrayAttr(step));
  setValue(n, 0, r);
  return success();
}

LogicalResult ONNXLowering::importExpand(const ONNXNode &n) {
  const ConstTensor *shapeC = requireConst(n, 1, "shape");
  if (!shapeC)
    return failure();
  const ConstTensor *c = getConst(n, 0);
  Value x = c ? Value() : get(n, 0);
  Shape s = inputShape(c, x), out;
  if (!broadcastShapes(s, shapeC->toInts(), out))
    return fail("Expand: shapes are not broadcastable");
  if (c) {
    if (llvm::Error err = ::bitmod::checkTensorMemory("Expand: the output", out,
                                                      dtypeSize(c->dtype())))
      return fail(llvm::toString(std::move(err)));
    ConstTensor r = ConstTensor::allocate(c->dtype(), out);
    forEachIndex(out, [&](ArrayRef<int64_t> idx, int64_t flat) {
      copyElement(*c, broadcastIndex(idx, s), r, flat);
    });
    setConst(n, 0, r);
    return success();
  }
  setValue(n, 0, broadcastTo(x, out));
  return success();
}

LogicalResult ONNXLowering::importTile(const ONNXNode &n) {
  const ConstTensor *rep = requireConst(n, 1, "repeats");
  if (!rep)
    return failure();
  Value x = get(n, 0);
  Shape s = shapeOf(x), mult = rep->toInts(), out;
  if (mult.size() != s.size())
    return fail("Tile: repeats length does not match the rank");
  for (size_t i = 0; i < s.size(); ++i)
    out.push_back(s[i] * mult[i]);
  setValue(n, 0,
           tosa::TileOp::create(b, loc, tensorType(out, elemOf(x)), x,
                                constShape(mult)));
  return success();
}

/// Pad (opsets 2-17; constant pads). constant: negative pads crop with a
/// slice, then tosa.pad with the (constant or runtime) value; edge and
/// reflect: one linalg.generic reading x with tensor.extract at the
/// clamped / mirrored input index of every output position.
/// Pad-2: pads and value are attributes.
LogicalResult ONNXLowering::importPadV2(const ONNXNode &n) {
  return lowerPad(n, /*padsFromAttrs=*/true);
}

/// Pad-11: pads, constant_value (and axes, refused) are inputs.
LogicalResult ONNXLowering::importPad(const ONNXNode &n) {
  return lowerPad(n, /*padsFromAttrs=*/false);
}

LogicalResult ONNXLowering::lowerPad(const ONNXNode &n, bool padsFromAttrs) {
  Value x = get(n, 0);
  Shape s = shapeOf(x);
  int64_t rank = s.size();
  Type et = elemOf(x);
  std::string mode = attrString(n, "mode", "constant");
  if (mode != "constant" && mode != "edge" && mode != "reflect")
    return fail("Pad: mode '" + mode + "' is not supported");
  std::optional<Shape> pads;
  if (padsFromAttrs) {
    pads = attrInts(n, "pads");
  } else if (hasInput(n, 1)) {
    const ConstTensor *c = requireConst(n, 1, "pads");
    if (!c)
      return failure();
    pads = c->toInts();
  }
  if (hasInput(n, 3) && pads) {
    // Pad-18: pads lists [begins, ends] for the given axes only.
    const ConstTensor *ac = requireConst(n, 3, "axes");
    if (!ac)
      return failure();
    Shape axes = ac->toInts(), full(2 * rank, 0);
    if (pads->size() != 2 * axes.size())
      return fail("Pad: pads has " + Twine(pads->size()) + " values for " +
                  Twine(axes.size()) + " axes");
    for (auto [k, a] : llvm::enumerate(axes)) {
      if (a < 0)
        a += rank;
      if (a < 0 || a >= rank)
        return fail("Pad: axis " + Twine(axes[k]) + " out of range");
      full[a] = (*pads)[k];
      full[a + rank] = (*pads)[k + axes.size()];
    }
    pads = full;
  }
  if (!pads || (int64_t)pads->size() != 2 * rank)
    return fail("Pad: expected " + Twine(2 * rank) + " pads");
  Shape before(pads->begin(), pads->begin() + rank),
      after(pads->begin() + rank, pads->end()), out(rank);
  for (int64_t d = 0; d < rank; ++d) {
    out[d] = s[d] + before[d] + after[d];
    if (out[d] < 0)
      return fail("Pad: negative output dimension");
  }
  if (product(out) == 0) {
    setValue(n, 0, tensor::EmptyOp::create(b, loc, out, et));
    return success();
  }
  if (mode == "constant") {
    // Crop negative pads first.
    Shape start(rank, 0), size = s;
    for (int64_t d = 0; d < rank; ++d) {
      if (before[d] < 0) {
        start[d] = -before[d];
        size[d] += before[d];
        before[d] = 0;
      }
      if (after[d] < 0) {
        size[d] += after[d];
        after[d] = 0;
      }
    }
    x = slice(x, start, size);
    Shape padVals;
    for (int64_t d = 0; d < rank; ++d) {
      padVals.push_back(before[d]);
      padVals.push_back(after[d]);
    }
    if (llvm::all_of(padVals, [](int64_t p) { return p == 0; })) {
      setValue(n, 0, x);
      return success();
    }
    Value value;
    if (padsFromAttrs) {
      value = splatConst(et, attrFloat(n, "value", 0.0f), {1});
    } else if (hasInput(n, 2)) {
      if (const ConstTensor *c = getConst(n, 2)) {
        if (c->numElements() != 1)
          return fail("Pad: constant_value must have one element");
        value = isFloatDType(c->dtype())
                    ? splatConst(et, c->getDouble(0), {1})
                    : splatConst(et, (double)c->getInt(0), {1});
      } else {
        value = reshape(get(n, 2), {1});
        if (elemOf(value) != et)
          return fail("Pad: constant_value has another element type");
      }
    } else {
      value = splatConst(et, 0.0, {1});
    }
    setValue(n, 0,
             tosa::PadOp::create(b, loc, tensorType(out, et), x,
                                 constShape(padVals), value));
    return success();
  }
  if (mode == "reflect")
    for (int64_t d = 0; d < rank; ++d)
      if (std::max(before[d], after[d]) >= s[d] &&
          (before[d] > 0 || after[d] > 0))
        return fail("Pad: reflect pads of axis " + Twine(d) +
                    " must be smaller than its size " + Twine(s[d]));
  bool reflect = mode == "reflect";
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank)};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  Value init = tensor::EmptyOp::create(b, loc, out, et);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{tensorType(out, et)}, ValueRange{}, ValueRange{init},
      maps, iterators, [&](OpBuilder &nb, Location nl, ValueRange) {
        SmallVector<Value> ivs;
        for (int64_t d = 0; d < rank; ++d) {
          Value o = linalg::IndexOp::create(nb, nl, d);
          if (before[d] == 0 && after[d] == 0) {
            ivs.push_back(o);
            continue;
          }
          auto cst = [&](int64_t v) {
            return arith::ConstantIndexOp::create(nb, nl, v);
          };
          Value i = arith::SubIOp::create(nb, nl, o, cst(before[d]));
          Value last = cst(s[d] - 1);
          if (reflect) {
            // i < 0 -> -i; i > n - 1 -> 2 (n - 1) - i.
            Value neg = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt,
                                              i, cst(0));
            i = arith::SelectOp::create(
                nb, nl, neg, arith::SubIOp::create(nb, nl, cst(0), i), i);
            Value high = arith::CmpIOp::create(
                nb, nl, arith::CmpIPredicate::sgt, i, last);
            i = arith::SelectOp::create(
                nb, nl, high,
                arith::SubIOp::create(nb, nl, cst(2 * (s[d] - 1)), i), i);
          } else {
            i = arith::MaxSIOp::create(nb, nl, i, cst(0));
            i = arith::MinSIOp::create(nb, nl, i, last);
          }
          ivs.push_back(i);
        }
        Value v = tensor::ExtractOp::create(nb, nl, x, ivs);
        linalg::YieldOp::create(nb, nl, v);
      });
  setValue(n, 0, generic.getResult(0));
  return success();
}

/// DepthToSpace (DCR / CRD) and SpaceToDepth: 6-D reshape, transpose,
/// reshape.
LogicalResult ONNXLowering::importDepthToSpace(const ONNXNode &n) {
  const std::string &op = n.op_type();
  Value x = get(n, 0);
  Shape s = shapeOf(x);
  if (s.size() != 4)
    return fail(op + ": expected a 4-D input");
  int64_t bs = attrInt(n, "blocksize", 0);
  if (bs <= 0)
    return fail(op + ": blocksize must be positive");
  int64_t nb = s[0], c = s[1], h = s[2], w = s[3];
  Value r;
  if (op == "DepthToSpace") {
    if (c % (bs * bs))
      return fail("DepthToSpace: channels are not divisible by blocksize^2");
    std::string mode = attrString(n, "mode", "DCR");
    int64_t oc = c / (bs * bs);
    if (mode == "DCR") {
      r = transpose(reshape(x, {nb, bs, bs, oc, h, w}), {0, 3, 4, 1, 5, 2});
    } else if (mode == "CRD") {
      r = transpose(reshape(x, {nb, oc, bs, bs, h, w}), {0, 1, 4, 2, 5, 3});
    } else {
      return fail("DepthToSpace: mode '" + mode + "' is not supported");
    }
    r = reshape(r, {nb, oc, h * bs, w * bs});
  } else {
    if (h % bs || w % bs)
      return fail("SpaceToDepth: spatial dimensions are not divisible by "
                  "blocksize");
    r = transpose(reshape(x, {nb, c, h / bs, bs, w / bs, bs}),
                  {0, 3, 5, 1, 2, 4});
    r = reshape(r, {nb, c * bs * bs, h / bs, w / bs});
  }
  setValue(n, 0, r);
  return success();
}

void mlir::bitmod::onnx_import::populateLayoutPatterns(
    ONNXPatternTable &patterns) {
  using L = ONNXLowering;
  patterns.onOp("Transpose", 1, &L::importTranspose);
  patterns.onOp("Reshape", 1, &L::importReshapeV1);
  patterns.onOp("Reshape", 5, &L::importReshape, 2);
  patterns.onOp("Flatten", 1, &L::importFlatten);
  patterns.onOp("Squeeze", 1, &L::importSqueeze);
  patterns.onOp("Unsqueeze", 1, &L::importUnsqueeze);
  patterns.onOp("Concat", 1, &L::importConcat);
  patterns.onOp("Split", 1, &L::importSplit);
  patterns.onOp("Split", 18, &L::importSplitV18);
  patterns.onOp("Slice", 1, &L::importSliceV1);
  patterns.onOp("Slice", 10, &L::importSlice, 3);
  patterns.onOp("Expand", 8, &L::importExpand, 2);
  patterns.onOp("Tile", 1, &L::importTile, 2);
  patterns.onOp("Pad", 1, &L::importPadV2);
  patterns.onOp("Pad", 11, &L::importPad);
  patterns.onOp("DepthToSpace", 1, &L::importDepthToSpace);
  patterns.onOp("SpaceToDepth", 1, &L::importDepthToSpace);
}
