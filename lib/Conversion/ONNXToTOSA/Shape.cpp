//===- Shape.cpp - ONNX constants, shapes and casts -> TOSA ---===//
//
// Part of --bitmod-onnx-to-tosa (see Lowering.h).
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "bitmod/Dialect/BitMoD/IR/BitMoDOps.h"
#include "bitmod/Support/MemoryLimit.h"

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
// Constants, shapes and casts
//===----------------------------------------------------------------------===//

LogicalResult ONNXLowering::importConstant(const ONNXNode &n) {
  if (n.getAttrs().size() != 1)
    return fail("Constant: expected exactly one attribute");
  StringRef name = n.getAttrs().front().getName().getValue();
  if (name == "value") {
    if (std::optional<ConstTensor> c = attrTensor(n, "value"))
      setConst(n, 0, std::move(*c));
  } else if (name == "value_float") {
    setConst(n, 0,
             ConstTensor::fromDoubles(kFloat, {}, {attrFloat(n, name, 0)}));
  } else if (name == "value_floats") {
    auto floats = dyn_cast<DenseF32ArrayAttr>(n.getAttr(name));
    if (!floats)
      return bindError(n, name, "floats", n.getAttr(name)), failure();
    SmallVector<double> v(floats.asArrayRef());
    setConst(n, 0, ConstTensor::fromDoubles(kFloat, {(int64_t)v.size()}, v));
  } else if (name == "value_int") {
    setConst(n, 0, ConstTensor::fromInts(kInt64, {}, {attrInt(n, name, 0)}));
  } else if (name == "value_ints") {
    Shape v = attrInts(n, name).value_or(Shape());
    setConst(n, 0, ConstTensor::fromInts(kInt64, {(int64_t)v.size()}, v));
  } else {
    return fail("Constant: attribute '" + name + "' is not supported");
  }
  return success();
}

LogicalResult ONNXLowering::importIdentity(const ONNXNode &n) {
  if (hasOutput(n, 0))
    *n.outputs[0] = *n.inputs[0];
  return success();
}

LogicalResult ONNXLowering::importDropout(const ONNXNode &n) {
  if (hasInput(n, 2)) {
    // Training mode drops random elements: refuse rather than compute the
    // identity silently. A zero ratio is the identity in either mode.
    const ConstTensor *mode = getConst(n, 2);
    if (!mode)
      return fail("Dropout: training_mode must be a constant (bind it with "
                  "--bind-input)");
    if (mode->getInt(0)) {
      const ConstTensor *ratio = getConst(n, 1);
      if (!ratio || ratio->getDouble(0) != 0.0)
        return fail("Dropout: training mode (random masking) is not "
                    "supported");
    }
  }
  (void)importIdentity(n);
  if (hasOutput(n, 1)) {
    // Inference mode: the mask is all true.
    Shape s;
    if (const ConstTensor *c = getConst(n, 0))
      s = Shape(c->shape());
    else
      s = shapeOf(get(n, 0));
    ConstTensor mask = ConstTensor::allocate(kBool, s);
    for (int64_t i = 0, e = mask.numElements(); i < e; ++i)
      mask.setInt(i, 1);
    setConst(n, 1, mask);
  }
  return success();
}

LogicalResult ONNXLowering::importCast(const ONNXNode &n) {
  int32_t to = attrInt(n, "to", kFloat);
  Type elem = dtypeToType(ctx, to);
  if (!elem)
    return fail(std::string("Cast: unsupported target type ") + dtypeName(to));
  if (const ConstTensor *c = getConst(n, 0)) {
    setConst(n, 0, c->cast(to));
    return success();
  }
  setValue(n, 0, castTo(get(n, 0), elem));
  return success();
}

LogicalResult ONNXLowering::importShape(const ONNXNode &n) {
  Shape s =
      getConst(n, 0) ? Shape(getConst(n, 0)->shape()) : shapeOf(get(n, 0));
  int64_t r = s.size();
  int64_t start = attrInt(n, "start", 0), end = attrInt(n, "end", r);
  if (start < 0)
    start += r;
  if (end < 0)
    end += r;
  start = std::clamp<int64_t>(start, 0, r);
  end = std::clamp<int64_t>(end, start, r);
  Shape v(s.begin() + start, s.begin() + end);
  setConst(n, 0, ConstTensor::fromInts(kInt64, {(int64_t)v.size()}, v));
  return success();
}

LogicalResult ONNXLowering::importSize(const ONNXNode &n) {
  Shape s =
      getConst(n, 0) ? Shape(getConst(n, 0)->shape()) : shapeOf(get(n, 0));
  setConst(n, 0, ConstTensor::fromInts(kInt64, {}, {product(s)}));
  return success();
}

LogicalResult ONNXLowering::importConstantOfShape(const ONNXNode &n) {
  const ConstTensor *shape = requireConst(n, 0, "shape");
  if (!shape)
    return failure();
  Shape s = shape->toInts();
  ConstTensor fill = ConstTensor::fromDoubles(kFloat, {1}, {0.0});
  if (n.getAttr("value")) {
    std::optional<ConstTensor> value = attrTensor(n, "value");
    if (!value)
      return failure();
    fill = *value;
  }
  if (llvm::Error err = ::bitmod::checkTensorMemory(
          "ConstantOfShape: the output", s, dtypeSize(fill.dtype())))
    return fail(llvm::toString(std::move(err)));
  ConstTensor out = ConstTensor::allocate(fill.dtype(), s);
  for (int64_t i = 0, e = out.numElements(); i < e; ++i)
    copyElement(fill, 0, out, i);
  setConst(n, 0, out);
  return success();
}

LogicalResult ONNXLowering::importRange(const ONNXNode &n) {
  const ConstTensor *s = requireConst(n, 0, "start");
  const ConstTensor *l = s ? requireConst(n, 1, "limit") : nullptr;
  const ConstTensor *d = l ? requireConst(n, 2, "delta") : nullptr;
  if (!d)
    return failure();
  double start = s->getDouble(0), limit = l->getDouble(0),
         delta = d->getDouble(0);
  if (delta == 0)
    return fail("Range: delta is zero");
  int64_t count =
      std::max<int64_t>(0, (int64_t)std::ceil((limit - start) / delta));
  if (llvm::Error err = ::bitmod::checkTensorMemory(
          "Range: the output", {count}, dtypeSize(s->dtype())))
    return fail(llvm::toString(std::move(err)));
  ConstTensor out = ConstTensor::allocate(s->dtype(), {count});
  for (int64_t i = 0; i < count; ++i) {
    if (isFloatDType(s->dtype()))
      out.setDouble(i, start + i * delta);
    else
      out.setInt(i, s->getInt(0) + i * d->getInt(0));
  }
  setConst(n, 0, out);
  return success();
}

/// CastLike as a Cast to the element type of input 1.
LogicalResult ONNXLowering::castLikeNode(const ONNXNode &n,
                                         std::optional<ONNXNode> &cast) {
  int32_t to = inputType(n, 1);
  if (to == kUndefined || !dtypeToType(ctx, to))
    return fail(std::string("CastLike: unsupported target type ") +
                dtypeName(to));
  cast = n;
  cast->opType = "Cast";
  cast->inputs.resize(1);
  cast->inputNames.resize(1);
  cast->attrs = NamedAttrList();
  cast->setAttr("to", b.getI64IntegerAttr(to));
  return success();
}

LogicalResult ONNXLowering::importCastLike(const ONNXNode &n) {
  std::optional<ONNXNode> cast;
  if (failed(castLikeNode(n, cast)))
    return failure();
  return importCast(*cast);
}

void mlir::bitmod::onnx_import::populateShapePatterns(
    ONNXPatternTable &patterns) {
  using L = ONNXLowering;
  patterns.onOp("Constant", 1, &L::importConstant, /*requiredInputs=*/0);
  patterns.onOp("Identity", 1, &L::importIdentity);
  patterns.onOp("Dropout", 1, &L::importDropout);
  patterns.onOp("Cast", 1, &L::importCast);
  patterns.onOp("CastLike", 15, &L::importCastLike, 2);
  patterns.onOp("Shape", 1, &L::importShape);
  patterns.onOp("Size", 1, &L::importSize);
  patterns.onOp("ConstantOfShape", 9, &L::importConstantOfShape);
  patterns.onOp("Range", 11, &L::importRange, 3);
}
