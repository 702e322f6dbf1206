//===- Helpers.cpp - Emission helpers of the ONNX lowering ----------------===//
//
// Shape arithmetic and the tosa/arith/tensor/bitmod building blocks the
// per-family handlers share (see Lowering.h).
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "bitmod/Dialect/BitMoD/IR/BitMoDOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace mlir;
using namespace mlir::bitmod;
using namespace mlir::bitmod::onnx_import;

std::string mlir::bitmod::onnx_import::layerName(const ONNXNode &n) {
  return n.name().empty() ? n.output(0) : n.name();
}

int64_t mlir::bitmod::onnx_import::product(ArrayRef<int64_t> v) {
  int64_t p = 1;
  for (int64_t d : v)
    p *= d;
  return p;
}

bool mlir::bitmod::onnx_import::reductionAxes(const std::optional<Shape> &axes,
                                              int64_t rank, Shape &out) {
  out.clear();
  if (!axes || axes->empty()) {
    for (int64_t i = 0; i < rank; ++i)
      out.push_back(i);
    return true;
  }
  for (int64_t a : *axes) {
    if (a < 0)
      a += rank;
    if (a < 0 || a >= rank)
      return false;
    if (!llvm::is_contained(out, a))
      out.push_back(a);
  }
  llvm::sort(out);
  return true;
}

bool mlir::bitmod::onnx_import::broadcastShapes(ArrayRef<int64_t> a,
                                                ArrayRef<int64_t> b,
                                                Shape &out) {
  size_t r = std::max(a.size(), b.size());
  out.assign(r, 1);
  for (size_t i = 0; i < r; ++i) {
    int64_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
    int64_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
    if (da != db && da != 1 && db != 1)
      return false;
    out[i] = da == 1 ? db : da;
  }
  return true;
}

int64_t mlir::bitmod::onnx_import::broadcastIndex(ArrayRef<int64_t> idx,
                                                  ArrayRef<int64_t> inShape) {
  int64_t off = 0;
  size_t lead = idx.size() - inShape.size();
  for (size_t i = 0; i < inShape.size(); ++i) {
    int64_t d = inShape[i];
    off = off * d + (d == 1 ? 0 : idx[lead + i]);
  }
  return off;
}

void mlir::bitmod::onnx_import::forEachIndex(
    ArrayRef<int64_t> shape,
    llvm::function_ref<void(ArrayRef<int64_t>, int64_t)> fn) {
  int64_t n = product(shape);
  Shape idx(shape.size(), 0);
  for (int64_t flat = 0; flat < n; ++flat) {
    fn(idx, flat);
    for (int64_t d = (int64_t)shape.size() - 1; d >= 0; --d) {
      if (++idx[d] < shape[d])
        break;
      idx[d] = 0;
    }
  }
}

void mlir::bitmod::onnx_import::copyElement(const ConstTensor &src,
                                            int64_t srcIdx, ConstTensor &dst,
                                            int64_t dstIdx) {
  size_t es = dtypeSize(src.dtype());
  std::memcpy(dst.mutableData() + dstIdx * es, src.data() + srcIdx * es, es);
}

Shape mlir::bitmod::onnx_import::inputShape(const ConstTensor *c, Value v) {
  return c ? Shape(c->shape())
           : Shape(cast<RankedTensorType>(v.getType()).getShape());
}

//===----------------------------------------------------------------------===//
// Emission helpers
//===----------------------------------------------------------------------===//

Value ONNXLowering::constShape(ArrayRef<int64_t> v) {
  auto type = tosa::shapeType::get(ctx, v.size());
  return tosa::ConstShapeOp::create(b, loc, type, b.getIndexTensorAttr(v));
}

Value ONNXLowering::reshape(Value v, ArrayRef<int64_t> shape) {
  if (typeOf(v).getShape() == shape)
    return v;
  if (product(shape) == 0)
    return tensor::EmptyOp::create(b, loc, shape, elemOf(v));
  return tosa::ReshapeOp::create(b, loc, tensorType(shape, elemOf(v)), v,
                                 constShape(shape));
}

Value ONNXLowering::transpose(Value v, ArrayRef<int64_t> perm) {
  bool identity = true;
  for (size_t i = 0; i < perm.size(); ++i)
    identity &= perm[i] == (int64_t)i;
  if (identity)
    return v;
  Shape in = shapeOf(v), out;
  SmallVector<int32_t> perm32;
  for (int64_t p : perm) {
    out.push_back(in[p]);
    perm32.push_back(p);
  }
  return tosa::TransposeOp::create(b, loc, tensorType(out, elemOf(v)), v,
                                   perm32);
}

Value ONNXLowering::splatConst(Type elem, double v, ArrayRef<int64_t> shape) {
  auto type = tensorType(shape, elem);
  Attribute value;
  if (isa<FloatType>(elem))
    value = b.getFloatAttr(elem, v);
  else
    value = b.getIntegerAttr(elem, (int64_t)v);
  auto attr = DenseElementsAttr::get(type, value);
  return tosa::ConstOp::create(b, loc, type, attr);
}

Value ONNXLowering::scalarConst(Type elem, double v, int64_t rank) {
  return splatConst(elem, v, Shape(rank, 1));
}

Value ONNXLowering::toRank(Value v, int64_t rank) {
  Shape s = shapeOf(v);
  if ((int64_t)s.size() >= rank)
    return v;
  Shape ns(rank - s.size(), 1);
  ns.append(s.begin(), s.end());
  return reshape(v, ns);
}

LogicalResult ONNXLowering::broadcastPair(Value &a, Value &c, Shape &out) {
  if (!broadcastShapes(shapeOf(a), shapeOf(c), out))
    return fail("operand shapes are not broadcastable");
  a = toRank(a, out.size());
  c = toRank(c, out.size());
  return success();
}

Value ONNXLowering::broadcastTo(Value v, ArrayRef<int64_t> shape) {
  v = toRank(v, shape.size());
  Shape s = shapeOf(v);
  if (s == Shape(shape))
    return v;
  // A splat constant is re-created at the full shape; anything else is tiled.
  if (auto cst = v.getDefiningOp<tosa::ConstOp>())
    if (auto dense = dyn_cast<DenseElementsAttr>(cst.getValues()))
      if (dense.isSplat()) {
        auto type = tensorType(shape, elemOf(v));
        return tosa::ConstOp::create(b, loc, type, dense.resizeSplat(type));
      }
  Shape mult;
  for (size_t i = 0; i < shape.size(); ++i)
    mult.push_back(s[i] == shape[i] ? 1 : shape[i]);
  return tosa::TileOp::create(b, loc, tensorType(shape, elemOf(v)), v,
                              constShape(mult));
}

Value ONNXLowering::mul(Value a, Value c) {
  Shape out;
  if (failed(broadcastPair(a, c, out)))
    return {};
  auto shiftType = tensorType({1}, b.getIntegerType(8));
  Value shift = tosa::ConstOp::create(
      b, loc, shiftType,
      DenseElementsAttr::get(shiftType, b.getI8IntegerAttr(0)));
  return tosa::MulOp::create(b, loc, tensorType(out, elemOf(a)), a, c, shift);
}

Value ONNXLowering::divide(Value a, Value c) {
  Shape out;
  if (!broadcastShapes(shapeOf(a), shapeOf(c), out)) {
    (void)fail("operand shapes are not broadcastable");
    return {};
  }
  if (isa<FloatType>(elemOf(a))) {
    // TOSA has no float division; arith.divf keeps IEEE semantics (no
    // reciprocal rounding) but needs equal shapes.
    a = broadcastTo(a, out);
    c = broadcastTo(c, out);
    return arith::DivFOp::create(b, loc, a, c);
  }
  if (elemOf(a).isInteger(32))
    return binary<tosa::IntDivOp>(a, c);
  a = broadcastTo(a, out);
  c = broadcastTo(c, out);
  return arith::DivSIOp::create(b, loc, a, c);
}

Value ONNXLowering::clamp(Value v, double lo, double hi) {
  Type elem = elemOf(v);
  Attribute loA, hiA;
  if (auto ft = dyn_cast<FloatType>(elem)) {
    loA = b.getFloatAttr(elem, lo);
    hiA = b.getFloatAttr(elem, hi);
  } else {
    unsigned w = elem.getIntOrFloatBitWidth();
    double mn = w >= 64 ? (double)std::numeric_limits<int64_t>::min()
                        : -std::ldexp(1.0, w - 1);
    double mx = w >= 64 ? (double)std::numeric_limits<int64_t>::max()
                        : std::ldexp(1.0, w - 1) - 1;
    loA = b.getIntegerAttr(elem, (int64_t)std::max(lo, mn));
    hiA = b.getIntegerAttr(elem, (int64_t)std::min(hi, mx));
  }
  return tosa::ClampOp::create(b, loc, v.getType(), v, loA, hiA);
}

Value ONNXLowering::reduceMean(Value v, ArrayRef<int64_t> axes) {
  Shape in = shapeOf(v);
  int64_t count = 1;
  for (int64_t ax : axes)
    count *= in[ax];
  // f16/bf16: sum and divide in f32, round once (see reduce()).
  Type elem = elemOf(v);
  bool widen = elem.isF16() || elem.isBF16();
  if (widen)
    v = castTo(v, b.getF32Type());
  Value sum = reduce<tosa::ReduceSumOp>(v, axes);
  Value mean = divide(sum, scalarConst(elemOf(v), (double)count, in.size()));
  return widen ? castTo(mean, elem) : mean;
}

Value ONNXLowering::slice(Value v, ArrayRef<int64_t> start,
                          ArrayRef<int64_t> size) {
  if (Shape(size) == shapeOf(v))
    return v;
  // Slices of blob constants are cut here: LLVM 22's tosa.slice folder
  // iterates its operand's elements and aborts on DenseResourceElementsAttr
  // (llvm/llvm-project#187339, fixed after 22).
  if (auto cst = v.getDefiningOp<tosa::ConstOp>())
    if (auto res = dyn_cast<DenseResourceElementsAttr>(cst.getValues()))
      if (AsmResourceBlob *blob = res.getRawHandle().getBlob()) {
        ArrayRef<char> src = blob->getData();
        Shape shape = shapeOf(v);
        size_t es = elemOf(v).getIntOrFloatBitWidth() / 8;
        int64_t n = product(size), rank = shape.size();
        std::vector<char> bytes(size_t(n) * es);
        Shape idx(rank, 0);
        for (int64_t flat = 0; flat < n; ++flat) {
          int64_t off = 0;
          for (int64_t d = 0; d < rank; ++d)
            off = off * shape[d] + start[d] + idx[d];
          std::memcpy(bytes.data() + flat * es, src.data() + off * es, es);
          for (int64_t d = rank - 1; d >= 0 && ++idx[d] == size[d]; --d)
            idx[d] = 0;
        }
        auto type = tensorType(size, elemOf(v));
        return tosa::ConstOp::create(
            b, loc, type, DenseElementsAttr::getFromRawBuffer(type, bytes));
      }
  Value startShape = constShape(start);
  Value sizeShape = constShape(size);
  return tosa::SliceOp::create(b, loc, tensorType(size, elemOf(v)), v,
                               startShape, sizeShape);
}

Value ONNXLowering::castTo(Value v, Type elem) {
  Type from = elemOf(v);
  if (from == elem)
    return v;
  auto type = tensorType(shapeOf(v), elem);
  // ONNX truncates float->int; tosa.cast rounds to nearest, so use arith.
  if (isa<FloatType>(from) && elem.isInteger() && !elem.isInteger(1))
    return arith::FPToSIOp::create(b, loc, type, v);
  return tosa::CastOp::create(b, loc, type, v);
}

Value ONNXLowering::linear(Value x, const ConstTensor &weightNK,
                           const ConstTensor *bias, StringRef name) {
  Value w = materialize(weightNK, (name + "_weight").str());
  Value bv;
  if (bias)
    bv = materialize(*bias, (name + "_bias").str());
  return linear(x, w, bv, name);
}

Value ONNXLowering::linearOfTransposed(Value x, const ConstTensor &weightKN,
                                       StringRef name) {
  // The constant keeps the file's [K, N] layout (memory-mapped external data
  // stays a view); the quantizer reads it through the transpose.
  Value w = transpose(materialize(weightKN, (name + "_weight").str()), {1, 0});
  return linear(x, w, Value(), name);
}

Value ONNXLowering::linear(Value x, Value w, Value bv, StringRef name) {
  Shape xs = shapeOf(x);
  int64_t n = shapeOf(w)[0];
  Value input = x;
  if (xs.size() == 1)
    input = reshape(x, {1, xs[0]});
  Shape outShape = shapeOf(input);
  outShape.back() = n;
  Value y = LinearOp::create(b, loc, tensorType(outShape, elemOf(x)), input, w,
                             bv, b.getStringAttr(name));
  if (xs.size() == 1)
    y = reshape(y, {n});
  return y;
}

Value ONNXLowering::hostMatMul(Value a, Value c) {
  // ONNX MatMul (numpy semantics) on activations -> batched tosa.matmul.
  Shape as = shapeOf(a), cs = shapeOf(c);
  bool aVec = as.size() == 1, cVec = cs.size() == 1;
  if (aVec)
    a = reshape(a, {1, as[0]});
  if (cVec)
    c = reshape(c, {cs[0], 1});
  as = shapeOf(a);
  cs = shapeOf(c);
  int64_t m = as[as.size() - 2], k = as.back(), n = cs.back();
  Shape aBatch(as.begin(), as.end() - 2), cBatch(cs.begin(), cs.end() - 2);
  Shape batch;
  if (!broadcastShapes(aBatch, cBatch, batch)) {
    (void)fail("MatMul batch dimensions are not broadcastable");
    return {};
  }
  Shape aFull = batch, cFull = batch;
  aFull.append({m, k});
  cFull.append({k, n});
  a = broadcastTo(a, aFull);
  c = broadcastTo(c, cFull);
  int64_t bsz = product(batch);
  a = reshape(a, {bsz, m, k});
  c = reshape(c, {bsz, k, n});
  Value y =
      tosa::MatMulOp::create(b, loc, tensorType({bsz, m, n}, elemOf(a)), a, c);
  Shape out = batch;
  if (!aVec)
    out.push_back(m);
  if (!cVec)
    out.push_back(n);
  return reshape(y, out);
}

Value ONNXLowering::scalarValue(OpBuilder &nb, Location nl, Type elem,
                                double v) {
  if (isa<FloatType>(elem))
    return arith::ConstantOp::create(nb, nl, nb.getFloatAttr(elem, v));
  return arith::ConstantOp::create(nb, nl, nb.getIntegerAttr(elem, (int64_t)v));
}

Value ONNXLowering::fillTensor(ArrayRef<int64_t> shape, Type elem,
                               TypedAttr value) {
  Value init = tensor::EmptyOp::create(b, loc, shape, elem);
  Value cst = arith::ConstantOp::create(b, loc, value);
  return linalg::FillOp::create(b, loc, ValueRange{cst}, ValueRange{init})
      .getResult(0);
}
