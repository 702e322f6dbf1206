//===- Unsigned.cpp - ONNX unsigned integer handling -> TOSA ---===//
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

//===----------------------------------------------------------------------===//
// Unsigned integers
//===----------------------------------------------------------------------===//

void ONNXLowering::recordOutputTypes(const ONNXNode &n) {
  // Shape inference usually gives every output a type; fill the gaps the
  // way ONNX defines them so that unsignedness is never lost on the way.
  static const llvm::StringSet<> boolResults = {
      "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual",
      "And",   "Or",   "Xor",     "Not"};
  int32_t type = kUndefined;
  if (n.op_type() == "Cast")
    type = attrInt(n, "to", kFloat);
  else if (boolResults.contains(n.op_type()))
    type = kBool;
  else if (n.hasInput(0))
    type = inputType(n, 0);
  for (ImportedValue *out : n.outputs)
    if (out && out->dtype == kUndefined)
      out->dtype = type;
}

Value ONNXLowering::flipSignBit(Value v) {
  // x ^ 0x80.. maps unsigned order onto signed order, so signed max/min/
  // comparisons on flipped values are the unsigned ones.
  unsigned width = elemOf(v).getIntOrFloatBitWidth();
  Value bit = splatConst(elemOf(v), -std::ldexp(1.0, width - 1), shapeOf(v));
  return tosa::BitwiseXorOp::create(b, loc, v.getType(), v, bit);
}

/// The signed ONNX type of the same width as unsigned `dtype`.
static int32_t signedCounterpart(int32_t dtype) {
  switch (dtype) {
  case kUInt8:
    return kInt8;
  case kUInt16:
    return kInt16;
  case kUInt32:
    return kInt32;
  case kUInt64:
    return kInt64;
  default:
    return dtype;
  }
}

/// `t` with the sign bit of every element flipped, retyped as `dtype`
/// (little-endian: the sign bit is in the last byte).
static ConstTensor flipConstSignBit(const ConstTensor &t, int32_t dtype) {
  ConstTensor out = ConstTensor::allocate(dtype, t.shape());
  std::memcpy(out.mutableData(), t.data(), t.numBytes());
  size_t es = dtypeSize(dtype);
  for (int64_t i = 0, e = t.numElements(); i < e; ++i)
    out.mutableData()[i * es + es - 1] ^= char(0x80);
  return out;
}

LogicalResult ONNXLowering::importWithFlippedSign(const ONNXNode &n, Handler h,
                                                  bool flipOutputs) {
  ONNXNode flipped = n;
  for (int i = 0; i < n.input_size(); ++i) {
    int32_t dtype = inputType(n, i);
    if (!n.hasInput(i) || !isUnsignedDType(dtype))
      continue;
    ImportedValue *tmp = newValue();
    if (const ConstTensor *c = getConst(n, i))
      tmp->cst = flipConstSignBit(*c, signedCounterpart(dtype));
    else
      tmp->value = flipSignBit(get(n, i));
    tmp->dtype = signedCounterpart(dtype);
    flipped.inputs[i] = tmp;
  }
  SmallVector<int> flippedOutputs;
  if (flipOutputs)
    for (int j = 0; j < n.output_size(); ++j)
      if (n.hasOutput(j) && isUnsignedDType(onnxTypeOf(n.outputs[j]))) {
        flipped.outputs[j] = newValue();
        flippedOutputs.push_back(j);
      }
  if (failed((this->*h)(flipped)))
    return failure();
  for (int j : flippedOutputs) {
    ImportedValue *v = flipped.outputs[j];
    if (!v->defined())
      continue; // reported as an unsupported output by the caller
    int32_t dtype = onnxTypeOf(n.outputs[j]);
    if (v->cst)
      setConst(n, j, flipConstSignBit(*v->cst, dtype));
    else
      setValue(n, j, flipSignBit(v->value));
  }
  return success();
}

LogicalResult ONNXLowering::importUnsignedCast(const ONNXNode &n) {
  int32_t from = inputType(n, 0), to = attrInt(n, "to", kFloat);
  Type elem = dtypeToType(ctx, to);
  if (!elem || getConst(n, 0))
    return importCast(n); // constants convert by value, errors as usual
  Value x = get(n, 0);
  Type src = elemOf(x);
  auto type = tensorType(shapeOf(x), elem);
  Value r;
  if (src == elem) {
    r = x; // same width: the bits are the value (numpy's astype wraps)
  } else if (isUnsignedDType(from) && isa<FloatType>(elem)) {
    r = arith::UIToFPOp::create(b, loc, type, x);
  } else if (isUnsignedDType(from) && !elem.isInteger(1) &&
             isa<IntegerType>(elem)) {
    if (elem.getIntOrFloatBitWidth() > src.getIntOrFloatBitWidth())
      r = arith::ExtUIOp::create(b, loc, type, x);
    else
      r = arith::TruncIOp::create(b, loc, type, x);
  } else if (isUnsignedDType(to) && isa<FloatType>(src)) {
    r = arith::FPToUIOp::create(b, loc, type, x);
  } else {
    // Signed or bool sources extend by their sign; to bool is x != 0.
    r = castTo(x, elem);
  }
  setValue(n, 0, r);
  return success();
}

LogicalResult ONNXLowering::importUnsignedNode(const ONNXNode &n, Handler h) {
  const std::string &op = n.op_type();
  // Same bits whatever the signedness: layout, selection, wrapping
  // add/sub/mul and equality.
  static const llvm::StringSet<> agnostic = {"Constant",
                                             "Identity",
                                             "Shape",
                                             "Size",
                                             "ConstantOfShape",
                                             "Add",
                                             "Sub",
                                             "Mul",
                                             "Sum",
                                             "Equal",
                                             "Reshape",
                                             "Flatten",
                                             "Squeeze",
                                             "Unsqueeze",
                                             "Transpose",
                                             "Concat",
                                             "Split",
                                             "Slice",
                                             "Gather",
                                             "Where",
                                             "Expand",
                                             "Tile",
                                             "ReduceSum",
                                             "ReduceSumSquare",
                                             "Trilu",
                                             "GatherElements",
                                             "DepthToSpace",
                                             "SpaceToDepth"};
  // Order-dependent ops: computed on sign-flipped operands; `true` when the
  // result is an unsigned value to flip back.
  static const llvm::StringMap<bool> ordered = {{"Max", true},
                                                {"Min", true},
                                                {"ReduceMax", true},
                                                {"ReduceMin", true},
                                                {"Clip", true},
                                                {"MaxPool", true},
                                                {"GlobalMaxPool", true},
                                                {"Less", false},
                                                {"Greater", false},
                                                {"LessOrEqual", false},
                                                {"GreaterOrEqual", false}};
  if (agnostic.contains(op))
    return (this->*h)(n);
  if (auto it = ordered.find(op); it != ordered.end())
    return importWithFlippedSign(n, h, it->second);
  if (op == "Cast")
    return importUnsignedCast(n);
  if (op == "CastLike") {
    std::optional<ONNXNode> cast;
    if (failed(castLikeNode(n, cast)))
      return failure();
    return importUnsignedCast(*cast);
  }
  if (op == "BitShift")
    return (this->*h)(n); // shli / shrui: unsigned already
  if (op == "Mod") {
    // Both fmod modes agree on unsigned values.
    Value x = get(n, 0), y = get(n, 1);
    Shape out;
    if (failed(broadcastPair(x, y, out)))
      return failure();
    Value xb = broadcastTo(x, out);
    Value yb = broadcastTo(y, out);
    setValue(n, 0, arith::RemUIOp::create(b, loc, xb, yb));
    return success();
  }
  if (op == "Relu" || op == "Abs") {
    // The identity on unsigned values.
    if (const ConstTensor *c = getConst(n, 0))
      setConst(n, 0, *c);
    else
      setValue(n, 0, get(n, 0));
    return success();
  }
  if (op == "Div") {
    Value x = get(n, 0), y = get(n, 1);
    Shape out;
    if (failed(broadcastPair(x, y, out)))
      return failure();
    Value xb = broadcastTo(x, out);
    Value yb = broadcastTo(y, out);
    setValue(n, 0, arith::DivUIOp::create(b, loc, xb, yb));
    return success();
  }
  int32_t baseType = inputType(n, 0);
  if (op == "Pow" && isFloatDType(baseType)) {
    // Float base, unsigned exponent: convert the exponent by value first.
    ONNXNode converted = n;
    ImportedValue *tmp = newValue();
    if (const ConstTensor *c = getConst(n, 1)) {
      tmp->cst = c->cast(baseType);
    } else {
      Value e = get(n, 1), base = get(n, 0);
      tmp->value = arith::UIToFPOp::create(
          b, loc, tensorType(shapeOf(e), elemOf(base)), e);
    }
    tmp->dtype = baseType;
    converted.inputs[1] = tmp;
    return (this->*h)(converted);
  }
  std::string operand;
  int32_t operandType = kUndefined;
  for (int i = 0; i < n.input_size() && operand.empty(); ++i)
    if (isUnsignedDType(inputType(n, i)))
      operand = n.input(i), operandType = inputType(n, i);
  for (int j = 0; j < n.output_size() && operand.empty(); ++j)
    if (n.hasOutput(j) && isUnsignedDType(onnxTypeOf(n.outputs[j])))
      operand = n.output(j), operandType = onnxTypeOf(n.outputs[j]);
  return fail(op + ": unsigned operand '" + operand + "' (" +
              dtypeName(operandType) +
              ") is not supported by this op: its signless integer lowering "
              "would read the value as signed");
}
