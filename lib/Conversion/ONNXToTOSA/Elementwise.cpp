//===- Elementwise.cpp - ONNX elementwise ops -> TOSA ---===//
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
// Elementwise
//===----------------------------------------------------------------------===//

// Nodes whose inputs are all constants are evaluated by
// foldConstantNode (ConstantFolding.cpp) before these handlers run.

LogicalResult ONNXLowering::importAdd(const ONNXNode &n) {
  Value lhs = get(n, 0);
  Value rhs = get(n, 1);
  Value r = binary<tosa::AddOp>(lhs, rhs);
  if (!r)
    return failure();
  setValue(n, 0, r);
  return success();
}

LogicalResult ONNXLowering::importSub(const ONNXNode &n) {
  Value lhs = get(n, 0);
  Value rhs = get(n, 1);
  Value r = binary<tosa::SubOp>(lhs, rhs);
  if (!r)
    return failure();
  setValue(n, 0, r);
  return success();
}

LogicalResult ONNXLowering::importMul(const ONNXNode &n) {
  Value lhs = get(n, 0);
  Value rhs = get(n, 1);
  Value r = mul(lhs, rhs);
  if (!r)
    return failure();
  setValue(n, 0, r);
  return success();
}

LogicalResult ONNXLowering::importDiv(const ONNXNode &n) {
  Value lhs = get(n, 0);
  Value rhs = get(n, 1);
  Value r = divide(lhs, rhs);
  if (!r)
    return failure();
  setValue(n, 0, r);
  return success();
}

LogicalResult ONNXLowering::importPow(const ONNXNode &n) {
  const ConstTensor *cy = getConst(n, 1);
  Value x = get(n, 0), y = get(n, 1);
  Type xe = elemOf(x), ye = elemOf(y);
  Value r;
  if (!isa<FloatType>(xe) && !isa<FloatType>(ye)) {
    // Integer base and exponent: math.ipowi on the base type.
    y = castTo(y, xe);
    Shape out;
    if (failed(broadcastPair(x, y, out)))
      return failure();
    x = broadcastTo(x, out);
    y = broadcastTo(y, out);
    r = math::IPowIOp::create(b, loc, x, y);
  } else if (!isa<FloatType>(xe)) {
    // Integer base, float exponent: pow in the exponent's type, then
    // truncate back to the base type.
    r = castTo(binary<tosa::PowOp>(castTo(x, ye), y), xe);
  } else if (cy && cy->numElements() == 1 && cy->getDouble(0) == 2.0) {
    r = mul(x, x);
  } else if (cy && cy->numElements() == 1 && cy->getDouble(0) == 1.0) {
    r = x;
  } else if (cy && cy->numElements() == 1 && cy->getDouble(0) == 0.5) {
    r = math::SqrtOp::create(b, loc, x);
  } else {
    y = castTo(y, elemOf(x));
    r = binary<tosa::PowOp>(x, y);
  }
  if (!r)
    return failure();
  setValue(n, 0, r);
  return success();
}

LogicalResult ONNXLowering::importVariadic(const ONNXNode &n) {
  const std::string &op = n.op_type();
  Value acc = get(n, 0);
  for (int i = 1; i < n.input_size(); ++i) {
    Value v = get(n, i);
    if (op == "Max")
      acc = binary<tosa::MaximumOp>(acc, v);
    else if (op == "Min")
      acc = binary<tosa::MinimumOp>(acc, v);
    else
      acc = binary<tosa::AddOp>(acc, v);
    if (!acc)
      return failure();
  }
  if (op == "Mean")
    acc = divide(acc,
                 scalarConst(elemOf(acc), n.input_size(), shapeOf(acc).size()));
  setValue(n, 0, acc);
  return success();
}

LogicalResult ONNXLowering::importNot(const ONNXNode &n) {
  Value x = get(n, 0);
  setValue(n, 0, tosa::LogicalNotOp::create(b, loc, x.getType(), x));
  return success();
}

/// A comparison or logical op: `OpTy` on (x, y), or on (y, x) when `Swap`
/// (Less is Greater swapped).
template <typename OpTy, bool Swap>
LogicalResult ONNXLowering::importCompare(const ONNXNode &n) {
  Value x = get(n, 0), y = get(n, 1);
  Value r = Swap ? binary<OpTy>(y, x, b.getI1Type())
                 : binary<OpTy>(x, y, b.getI1Type());
  if (!r)
    return failure();
  setValue(n, 0, r);
  return success();
}

/// A unary math op: `OpTy` on floats (and integers when `AllowInts`).
template <typename OpTy, bool AllowInts>
LogicalResult ONNXLowering::importUnary(const ONNXNode &n) {
  Value x = get(n, 0);
  if (!AllowInts && !isa<FloatType>(elemOf(x)))
    return fail(n.op_type() + ": only floating-point tensors are supported");
  setValue(n, 0, OpTy::create(b, loc, x.getType(), x));
  return success();
}

/// Softsign: x / (1 + |x|).
LogicalResult ONNXLowering::importSoftsign(const ONNXNode &n) {
  Value x = get(n, 0);
  if (!isa<FloatType>(elemOf(x)))
    return fail("Softsign: only floating-point tensors are supported");
  Value abs = tosa::AbsOp::create(b, loc, x.getType(), x);
  Value den =
      binary<tosa::AddOp>(abs, scalarConst(elemOf(x), 1.0, shapeOf(x).size()));
  setValue(n, 0, divide(x, den));
  return success();
}

LogicalResult ONNXLowering::importActivation(const ONNXNode &n) {
  const std::string &op = n.op_type();
  Value x = get(n, 0);
  if (!isa<FloatType>(elemOf(x)))
    return fail(op + ": only floating-point tensors are supported");
  int64_t rank = shapeOf(x).size();
  Type et = elemOf(x);
  double inf = std::numeric_limits<double>::infinity();
  Value r;
  if (op == "Relu") {
    r = clamp(x, 0.0, inf);
  } else if (op == "LeakyRelu") {
    double alpha = attrFloat(n, "alpha", 0.01f);
    Value scaled = mul(x, scalarConst(et, alpha, rank));
    Value pos =
        binary<tosa::GreaterOp>(x, scalarConst(et, 0.0, rank), b.getI1Type());
    r = tosa::SelectOp::create(b, loc, x.getType(), pos, x, scaled);
  } else if (op == "HardSigmoid" || op == "HardSwish") {
    double alpha = op == "HardSwish" ? 1.0 / 6.0 : attrFloat(n, "alpha", 0.2f);
    double beta = op == "HardSwish" ? 0.5 : attrFloat(n, "beta", 0.5f);
    Value scaled = mul(x, scalarConst(et, alpha, rank));
    Value lin = binary<tosa::AddOp>(scaled, scalarConst(et, beta, rank));
    r = clamp(lin, 0.0, 1.0);
    if (op == "HardSwish")
      r = mul(x, r);
  } else if (op == "Elu" || op == "Selu") {
    // x > 0 ? gamma * x : gamma * alpha * (exp(x) - 1) (Elu: gamma = 1).
    double alpha =
        attrFloat(n, "alpha", op == "Elu" ? 1.0f : 1.67326319217681884765625f);
    double gamma =
        op == "Elu" ? 1.0 : attrFloat(n, "gamma", 1.05070102214813232421875f);
    Value exp = tosa::ExpOp::create(b, loc, x.getType(), x);
    Value expm1 = binary<tosa::SubOp>(exp, scalarConst(et, 1.0, rank));
    Value neg = mul(expm1, scalarConst(et, alpha * gamma, rank));
    Value pos = gamma == 1.0 ? x : mul(x, scalarConst(et, gamma, rank));
    Value isPos =
        binary<tosa::GreaterOp>(x, scalarConst(et, 0.0, rank), b.getI1Type());
    r = tosa::SelectOp::create(b, loc, x.getType(), isPos, pos, neg);
  } else if (op == "Gelu") {
    // 0.5 * x * (1 + erf(x / sqrt(2))) (approximate = "none"), or the tanh
    // form for approximate = "tanh".
    Value inner;
    if (attrString(n, "approximate", "none") == "tanh") {
      Value x3 = mul(mul(x, x), x);
      Value poly =
          binary<tosa::AddOp>(x, mul(x3, scalarConst(et, 0.044715, rank)));
      inner = tosa::TanhOp::create(
          b, loc, x.getType(),
          mul(poly, scalarConst(et, std::sqrt(2.0 / M_PI), rank)));
    } else {
      inner = tosa::ErfOp::create(b, loc, x.getType(),
                                  mul(x, scalarConst(et, M_SQRT1_2, rank)));
    }
    Value onePlus = binary<tosa::AddOp>(inner, scalarConst(et, 1.0, rank));
    r = mul(mul(x, scalarConst(et, 0.5, rank)), onePlus);
  }
  setValue(n, 0, r);
  return success();
}

/// Clip-6: the bounds are attributes.
LogicalResult ONNXLowering::importClipV6(const ONNXNode &n) {
  double lo = attrFloat(n, "min", -std::numeric_limits<float>::infinity());
  double hi = attrFloat(n, "max", std::numeric_limits<float>::infinity());
  setValue(n, 0, clamp(get(n, 0), lo, hi));
  return success();
}

/// Clip-11: the bounds are optional inputs, folded when constant.
LogicalResult ONNXLowering::importClip(const ONNXNode &n) {
  Value x = get(n, 0);
  double inf = std::numeric_limits<double>::infinity();
  double lo = -inf, hi = inf;
  Value loV, hiV;
  for (int i = 1; i <= 2; ++i) {
    if (!hasInput(n, i))
      continue;
    if (const ConstTensor *c = getConst(n, i))
      (i == 1 ? lo : hi) = c->getDouble(0);
    else
      (i == 1 ? loV : hiV) = get(n, i);
  }
  Value r = clamp(x, lo, hi);
  if (loV)
    r = binary<tosa::MaximumOp>(r, loV);
  if (hiV)
    r = binary<tosa::MinimumOp>(r, hiV);
  setValue(n, 0, r);
  return success();
}

/// Mod: fmod = 1 is C fmod (arith.remf, computed in f32 for f16/bf16:
/// exact) / truncated remsi; fmod = 0 (integers only, as ONNX requires)
/// takes the sign of the divisor: remsi, plus y where the remainder is
/// non-zero and its sign differs from y's. Unsigned: remui (see
/// importUnsignedNode).
LogicalResult ONNXLowering::importMod(const ONNXNode &n) {
  Value x = get(n, 0), y = get(n, 1);
  bool fmod = attrInt(n, "fmod", 0) != 0;
  Shape out;
  if (failed(broadcastPair(x, y, out)))
    return failure();
  x = broadcastTo(x, out);
  y = broadcastTo(y, out);
  Type et = elemOf(x);
  if (elemOf(y) != et)
    return fail("Mod: operand element types differ");
  Value r;
  if (auto ft = dyn_cast<FloatType>(et)) {
    if (!fmod)
      return fail("Mod: fmod = 0 on floating-point tensors is invalid (ONNX "
                  "requires fmod = 1 for floats)");
    if (ft.getWidth() < 32) {
      auto f32 = tensorType(out, b.getF32Type());
      Value xf = arith::ExtFOp::create(b, loc, f32, x);
      Value yf = arith::ExtFOp::create(b, loc, f32, y);
      r = arith::TruncFOp::create(b, loc, x.getType(),
                                  arith::RemFOp::create(b, loc, xf, yf));
    } else {
      r = arith::RemFOp::create(b, loc, x, y);
    }
  } else {
    if (et.isInteger(1))
      return fail("Mod: bool tensors are not supported");
    r = arith::RemSIOp::create(b, loc, x, y);
    if (!fmod) {
      Value zero = splatConst(et, 0.0, out);
      auto i1 = tensorType(out, b.getI1Type());
      Value nz =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, r, zero);
      Value rNeg =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, r, zero);
      Value yNeg =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, y, zero);
      Value differ = arith::XOrIOp::create(b, loc, rNeg, yNeg);
      Value fix = arith::AndIOp::create(b, loc, i1, nz, differ);
      r = arith::SelectOp::create(b, loc, fix,
                                  arith::AddIOp::create(b, loc, r, y), r);
    }
  }
  setValue(n, 0, r);
  return success();
}

/// BitShift (ONNX defines it on unsigned integers only): arith.shli /
/// arith.shrui after broadcasting.
LogicalResult ONNXLowering::importBitShift(const ONNXNode &n) {
  std::string dir = attrString(n, "direction", "");
  if (dir != "LEFT" && dir != "RIGHT")
    return fail("BitShift: direction '" + dir +
                "' is not supported (LEFT or RIGHT)");
  Value x = get(n, 0), y = get(n, 1);
  Shape out;
  if (failed(broadcastPair(x, y, out)))
    return failure();
  x = broadcastTo(x, out);
  y = broadcastTo(y, out);
  if (!isa<IntegerType>(elemOf(x)) || elemOf(x).isInteger(1))
    return fail("BitShift: only integer tensors are supported");
  Value r = dir == "LEFT" ? arith::ShLIOp::create(b, loc, x, y).getResult()
                          : arith::ShRUIOp::create(b, loc, x, y).getResult();
  setValue(n, 0, r);
  return success();
}

/// Sign, IsNaN, IsInf, Round, PRelu, ThresholdedRelu and the inverse /
/// hyperbolic trigonometric functions (math dialect; the host lowers what
/// EmitC lacks through --bitmod-math-to-libm).
LogicalResult ONNXLowering::importMiscUnary(const ONNXNode &n) {
  const std::string &op = n.op_type();
  Value x = get(n, 0);
  Shape s = shapeOf(x);
  int64_t rank = s.size();
  Type et = elemOf(x);
  Type i1 = b.getI1Type();
  bool isFloat = isa<FloatType>(et);
  if (!isFloat && op != "Sign")
    return fail(op + ": only floating-point tensors are supported");
  Value r;
  if (op == "Sign") {
    if (et.isInteger(1))
      return fail("Sign: bool tensors are not supported");
    Value zero = splatConst(et, 0.0, s);
    Value pos = binary<tosa::GreaterOp>(x, zero, i1);
    Value neg = binary<tosa::GreaterOp>(zero, x, i1);
    // Zeros (and NaN) map to themselves.
    Value rest = tosa::SelectOp::create(b, loc, x.getType(), neg,
                                        splatConst(et, -1.0, s), x);
    r = tosa::SelectOp::create(b, loc, x.getType(), pos, splatConst(et, 1.0, s),
                               rest);
  } else if (op == "IsNaN") {
    Value eq = binary<tosa::EqualOp>(x, x, i1);
    r = tosa::LogicalNotOp::create(b, loc, eq.getType(), eq);
  } else if (op == "IsInf") {
    bool pos = attrInt(n, "detect_positive", 1) != 0;
    bool neg = attrInt(n, "detect_negative", 1) != 0;
    double inf = std::numeric_limits<double>::infinity();
    Value p, m;
    if (pos)
      p = binary<tosa::EqualOp>(x, scalarConst(et, inf, rank), i1);
    if (neg)
      m = binary<tosa::EqualOp>(x, scalarConst(et, -inf, rank), i1);
    if (p && m)
      r = binary<tosa::LogicalOrOp>(p, m, i1);
    else if (p || m)
      r = p ? p : m;
    else
      r = splatConst(i1, 0.0, s);
  } else if (op == "Round" || op == "Acos" || op == "Asin" || op == "Atan" ||
             op == "Acosh" || op == "Asinh" || op == "Atanh" || op == "Cosh" ||
             op == "Sinh" || op == "Tan") {
    // The host lowers these to <math.h> calls on f32/f64 only: narrower
    // floats are computed in f32 (Round is exact there; the functions are
    // correctly rounded to f16 up to double rounding).
    Value in = x;
    if (et.getIntOrFloatBitWidth() < 32)
      in = arith::ExtFOp::create(b, loc, tensorType(s, b.getF32Type()), x);
    if (op == "Round")
      r = math::RoundEvenOp::create(b, loc, in);
    else if (op == "Acos")
      r = math::AcosOp::create(b, loc, in);
    else if (op == "Asin")
      r = math::AsinOp::create(b, loc, in);
    else if (op == "Atan")
      r = math::AtanOp::create(b, loc, in);
    else if (op == "Acosh")
      r = math::AcoshOp::create(b, loc, in);
    else if (op == "Asinh")
      r = math::AsinhOp::create(b, loc, in);
    else if (op == "Atanh")
      r = math::AtanhOp::create(b, loc, in);
    else if (op == "Cosh")
      r = math::CoshOp::create(b, loc, in);
    else if (op == "Sinh")
      r = math::SinhOp::create(b, loc, in);
    else
      r = math::TanOp::create(b, loc, in);
    if (in != x)
      r = arith::TruncFOp::create(b, loc, x.getType(), r);
  } else if (op == "PRelu") {
    Value slope = get(n, 1);
    Shape out;
    if (!broadcastShapes(s, shapeOf(slope), out) || out != s)
      return fail("PRelu: slope is not unidirectionally broadcastable to x");
    if (elemOf(slope) != et)
      return fail("PRelu: slope and x element types differ");
    Value scaled = mul(x, slope);
    Value isNeg = binary<tosa::GreaterOp>(scalarConst(et, 0.0, rank), x, i1);
    r = tosa::SelectOp::create(b, loc, x.getType(), isNeg, scaled, x);
  } else if (op == "ThresholdedRelu") {
    double alpha = attrFloat(n, "alpha", 1.0f);
    Value above = binary<tosa::GreaterOp>(x, scalarConst(et, alpha, rank), i1);
    r = tosa::SelectOp::create(b, loc, x.getType(), above, x,
                               splatConst(et, 0.0, s));
  }
  if (!r)
    return failure();
  setValue(n, 0, r);
  return success();
}

void mlir::bitmod::onnx_import::populateElementwisePatterns(
    ONNXPatternTable &patterns) {
  using L = ONNXLowering;
  patterns.onOp("Add", 1, &L::importAdd, 2);
  patterns.onOp("Sub", 1, &L::importSub, 2);
  patterns.onOp("Mul", 1, &L::importMul, 2);
  patterns.onOp("Div", 1, &L::importDiv, 2);
  patterns.onOp("Pow", 1, &L::importPow, 2);
  for (const char *op : {"Max", "Min", "Sum", "Mean"})
    patterns.onOp(op, 1, &L::importVariadic);
  patterns.onOp("Equal", 1, &L::importCompare<tosa::EqualOp, false>, 2);
  patterns.onOp("Greater", 1, &L::importCompare<tosa::GreaterOp, false>, 2);
  patterns.onOp("GreaterOrEqual", 1,
                &L::importCompare<tosa::GreaterEqualOp, false>, 2);
  patterns.onOp("Less", 1, &L::importCompare<tosa::GreaterOp, true>, 2);
  patterns.onOp("LessOrEqual", 1, &L::importCompare<tosa::GreaterEqualOp, true>,
                2);
  patterns.onOp("And", 1, &L::importCompare<tosa::LogicalAndOp, false>, 2);
  patterns.onOp("Or", 1, &L::importCompare<tosa::LogicalOrOp, false>, 2);
  patterns.onOp("Xor", 1, &L::importCompare<tosa::LogicalXorOp, false>, 2);
  patterns.onOp("Not", 1, &L::importNot);
  patterns.onOp("Neg", 1, &L::importUnary<tosa::NegateOp, true>);
  patterns.onOp("Abs", 1, &L::importUnary<tosa::AbsOp, true>);
  patterns.onOp("Exp", 1, &L::importUnary<tosa::ExpOp, false>);
  patterns.onOp("Log", 1, &L::importUnary<tosa::LogOp, false>);
  patterns.onOp("Tanh", 1, &L::importUnary<tosa::TanhOp, false>);
  patterns.onOp("Sigmoid", 1, &L::importUnary<tosa::SigmoidOp, false>);
  patterns.onOp("Erf", 1, &L::importUnary<tosa::ErfOp, false>);
  patterns.onOp("Reciprocal", 1, &L::importUnary<tosa::ReciprocalOp, false>);
  patterns.onOp("Floor", 1, &L::importUnary<tosa::FloorOp, false>);
  patterns.onOp("Ceil", 1, &L::importUnary<tosa::CeilOp, false>);
  patterns.onOp("Sin", 1, &L::importUnary<tosa::SinOp, false>);
  patterns.onOp("Cos", 1, &L::importUnary<tosa::CosOp, false>);
  patterns.onOp("Sqrt", 1, &L::importUnary<math::SqrtOp, false>);
  for (const char *op :
       {"Relu", "LeakyRelu", "HardSigmoid", "HardSwish", "Gelu", "Elu", "Selu"})
    patterns.onOp(op, 1, &L::importActivation);
  patterns.onOp("Softsign", 1, &L::importSoftsign);
  patterns.onOp("Clip", 1, &L::importClipV6);
  patterns.onOp("Clip", 11, &L::importClip);
  patterns.onOp("Mod", 10, &L::importMod, 2);
  patterns.onOp("BitShift", 11, &L::importBitShift, 2);
  for (const char *op :
       {"Sign", "IsNaN", "IsInf", "Round", "ThresholdedRelu", "Acos", "Asin",
        "Atan", "Acosh", "Asinh", "Atanh", "Cosh", "Sinh", "Tan"})
    patterns.onOp(op, 1, &L::importMiscUnary);
  patterns.onOp("PRelu", 1, &L::importMiscUnary, 2);
}
