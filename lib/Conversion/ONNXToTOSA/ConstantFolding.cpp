//===- ConstantFolding.cpp - Evaluate ONNX nodes on host constants --------===//
//
// Part of --bitmod-onnx-to-tosa (see Lowering.h). The driver calls
// foldConstantNode before dispatching a node: when every present input is a
// host constant (initializer, Constant node or an earlier fold) and the op
// is one of the compute ops below, the node is evaluated here on ConstTensor
// values (numpy broadcasting) instead of being lowered. This is what folds
// the shape arithmetic of exporter graphs (ConstantOfShape -> Mul -> Equal
// -> Where -> Expand shape, masks built from constants, Neg of axis counts).
//
// Semantics follow ONNX Runtime's CPU kernels: f32 (and f16/bf16, which the
// runtime widens to f32) elementwise arithmetic is done in f32, f64 in f64,
// integers in int64 wrapped to the element type, integer Div truncates
// toward zero and Mod follows the fmod attribute. +, -, *, /, sqrt and
// comparisons are correctly rounded, so they are bit-identical to the
// runtime; transcendental functions use the C library's float functions,
// the same ones the host lowering calls.
//
// Layout and data-movement ops (Reshape, Transpose, (Un)Squeeze, Flatten,
// Concat, Split, Slice, Gather, Expand, Cast, Identity) and the shape
// producers (Shape, Size, ConstantOfShape, Range) fold in their own handlers,
// which compute the result geometry once for both the constant and the
// runtime path; they fold at any size, since they only move bytes.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "bitmod/Support/MemoryLimit.h"

#include "llvm/ADT/StringSet.h"

#include <cmath>
#include <limits>
#include <type_traits>

using namespace mlir;
using namespace mlir::bitmod;
using namespace mlir::bitmod::onnx_import;

namespace {

/// How the elements of a constant are computed on.
enum class Domain { F32, F64, Int };

Domain domainOf(int32_t dtype) {
  if (dtype == kDouble)
    return Domain::F64;
  return isFloatDType(dtype) ? Domain::F32 : Domain::Int;
}

template <typename T> void storeValue(ConstTensor &r, int64_t i, T v) {
  if constexpr (std::is_floating_point_v<T>)
    r.setDouble(i, (double)v);
  else
    r.setInt(i, (int64_t)v);
}

/// Calls fn(element i of t) in t's compute domain: float, double or int64.
template <typename F> auto withElement(const ConstTensor &t, int64_t i, F fn) {
  switch (domainOf(t.dtype())) {
  case Domain::F32:
    return fn((float)t.getDouble(i));
  case Domain::F64:
    return fn(t.getDouble(i));
  case Domain::Int:
    break;
  }
  return fn(t.getInt(i));
}

/// Whether a folded result of `shape` fits the memory limit; a broadcast
/// over it is not folded (the op is lowered instead) rather than allocated.
bool fitsMemoryLimit(int32_t dtype, ArrayRef<int64_t> shape) {
  std::optional<uint64_t> bytes =
      ::bitmod::getTensorBytes(shape, dtypeSize(dtype));
  return bytes && *bytes <= ::bitmod::getMemoryLimit();
}

/// r = fn(x, y) with numpy broadcasting; both operands are read in x's
/// compute domain. fn(a, b) is called with two floats, doubles or int64s.
template <typename F>
std::optional<ConstTensor> mapBinary(const ConstTensor &x, const ConstTensor &y,
                                     int32_t outType, F fn) {
  Shape out;
  if (!broadcastShapes(x.shape(), y.shape(), out) ||
      !fitsMemoryLimit(outType, out))
    return std::nullopt;
  ConstTensor r = ConstTensor::allocate(outType, out);
  Domain d = domainOf(x.dtype());
  forEachIndex(out, [&](ArrayRef<int64_t> idx, int64_t flat) {
    int64_t i = broadcastIndex(idx, x.shape());
    int64_t j = broadcastIndex(idx, y.shape());
    if (d == Domain::F32)
      storeValue(r, flat, fn((float)x.getDouble(i), (float)y.getDouble(j)));
    else if (d == Domain::F64)
      storeValue(r, flat, fn(x.getDouble(i), y.getDouble(j)));
    else
      storeValue(r, flat, fn(x.getInt(i), y.getInt(j)));
  });
  return r;
}

template <typename T> constexpr bool isInt = std::is_integral_v<T>;

// Integer arithmetic wraps (the result is truncated to the element type).
int64_t wrapAdd(int64_t a, int64_t b) {
  return (int64_t)((uint64_t)a + (uint64_t)b);
}
int64_t wrapSub(int64_t a, int64_t b) {
  return (int64_t)((uint64_t)a - (uint64_t)b);
}
int64_t wrapMul(int64_t a, int64_t b) {
  return (int64_t)((uint64_t)a * (uint64_t)b);
}

/// ONNX integer Div truncates toward zero (C division); a zero divisor is
/// undefined in ONNX and gives 0 here.
int64_t truncDiv(int64_t a, int64_t b) {
  if (b == 0)
    return 0;
  if (b == -1)
    return (int64_t)(0 - (uint64_t)a);
  return a / b;
}

/// Integer Mod: fmod = 1 is C's remainder (sign of the dividend), fmod = 0
/// takes the sign of the divisor (Python's %).
int64_t intMod(int64_t a, int64_t b, bool fmod) {
  if (b == 0 || b == -1)
    return 0;
  int64_t r = a % b;
  if (!fmod && r != 0 && ((r < 0) != (b < 0)))
    r += b;
  return r;
}

/// Integer power keeping the base type (numpy); negative exponents give 0
/// except for bases +-1.
int64_t intPow(int64_t base, int64_t e) {
  if (e < 0)
    return base == 1 ? 1 : base == -1 ? (e % 2 ? -1 : 1) : 0;
  int64_t v = 1;
  for (int64_t k = 0; k < e && k < 64; ++k)
    v = wrapMul(v, base);
  return v;
}

/// Numpy maximum/minimum: NaN propagates.
template <typename T> T maxOf(T a, T b) {
  if constexpr (!isInt<T>)
    if (std::isnan(a) || std::isnan(b))
      return std::numeric_limits<T>::quiet_NaN();
  return a < b ? b : a;
}
template <typename T> T minOf(T a, T b) {
  if constexpr (!isInt<T>)
    if (std::isnan(a) || std::isnan(b))
      return std::numeric_limits<T>::quiet_NaN();
  return b < a ? b : a;
}

/// The element-wise binary ops. Returns std::nullopt for an op this table
/// does not fold (or a type it does not fold it on).
std::optional<ConstTensor> foldBinaryOp(StringRef op, const ConstTensor &x,
                                        const ConstTensor &y, bool fmod) {
  int32_t dt = x.dtype();
  bool isFloat = isFloatDType(dt);
  auto arith = [&](auto fn) { return mapBinary(x, y, dt, fn); };
  auto compare = [&](auto fn) { return mapBinary(x, y, kBool, fn); };
  if (op == "Add")
    return arith([](auto a, auto b) {
      if constexpr (isInt<decltype(a)>)
        return wrapAdd(a, b);
      else
        return a + b;
    });
  if (op == "Sub")
    return arith([](auto a, auto b) {
      if constexpr (isInt<decltype(a)>)
        return wrapSub(a, b);
      else
        return a - b;
    });
  if (op == "Mul")
    return arith([](auto a, auto b) {
      if constexpr (isInt<decltype(a)>)
        return wrapMul(a, b);
      else
        return a * b;
    });
  if (op == "Div")
    return arith([](auto a, auto b) {
      if constexpr (isInt<decltype(a)>)
        return truncDiv(a, b);
      else
        return a / b;
    });
  if (op == "Mod") {
    if (isFloat && !fmod)
      return std::nullopt; // invalid ONNX: the handler reports it
    return arith([fmod](auto a, auto b) {
      if constexpr (isInt<decltype(a)>)
        return intMod(a, b, fmod);
      else
        return std::fmod(a, b);
    });
  }
  if (op == "Pow") {
    if (isFloat)
      return arith([](auto a, auto b) { return std::pow(a, b); });
    // Integer base: the result keeps the base type (a float exponent is
    // applied in double and truncated).
    Shape out;
    if (!broadcastShapes(x.shape(), y.shape(), out) ||
        !fitsMemoryLimit(dt, out))
      return std::nullopt;
    ConstTensor r = ConstTensor::allocate(dt, out);
    forEachIndex(out, [&](ArrayRef<int64_t> idx, int64_t flat) {
      int64_t i = broadcastIndex(idx, x.shape());
      int64_t j = broadcastIndex(idx, y.shape());
      if (isFloatDType(y.dtype()))
        r.setInt(flat, (int64_t)std::pow(x.getDouble(i), y.getDouble(j)));
      else
        r.setInt(flat, intPow(x.getInt(i), y.getInt(j)));
    });
    return r;
  }
  if (op == "Max" || op == "Min") {
    bool isMax = op == "Max";
    return arith(
        [isMax](auto a, auto b) { return isMax ? maxOf(a, b) : minOf(a, b); });
  }
  if (op == "Sum" || op == "Mean")
    return foldBinaryOp("Add", x, y, fmod);
  if (op == "Equal")
    return compare([](auto a, auto b) { return a == b; });
  if (op == "Less")
    return compare([](auto a, auto b) { return a < b; });
  if (op == "Greater")
    return compare([](auto a, auto b) { return a > b; });
  if (op == "LessOrEqual")
    return compare([](auto a, auto b) { return a <= b; });
  if (op == "GreaterOrEqual")
    return compare([](auto a, auto b) { return a >= b; });
  if (op == "And" || op == "Or" || op == "Xor") {
    if (dt != kBool)
      return std::nullopt;
    char kind = op[0];
    return compare([kind](auto a, auto b) {
      bool p = a != 0, q = b != 0;
      return kind == 'A' ? (p && q) : kind == 'O' ? (p || q) : (p != q);
    });
  }
  return std::nullopt;
}

/// Round half to even (ONNX Round).
template <typename T> T roundEven(T v) { return std::nearbyint(v); }

/// The element-wise unary ops (std::nullopt: not folded here).
std::optional<ConstTensor> foldUnaryOp(StringRef op, const ConstTensor &x) {
  int32_t dt = x.dtype();
  bool isFloat = isFloatDType(dt);
  ConstTensor r = ConstTensor::allocate(op == "Not" ? kBool : dt, x.shape());
  auto map = [&](auto fn) {
    for (int64_t i = 0, e = x.numElements(); i < e; ++i)
      withElement(x, i, [&](auto v) {
        storeValue(r, i, fn(v));
        return 0;
      });
    return std::optional<ConstTensor>(r);
  };
  // Defined on integers too.
  if (op == "Neg")
    return map([](auto v) {
      if constexpr (isInt<decltype(v)>)
        return (int64_t)(0 - (uint64_t)v);
      else
        return -v;
    });
  if (op == "Abs")
    return map([](auto v) {
      if constexpr (isInt<decltype(v)>)
        return v < 0 ? (int64_t)(0 - (uint64_t)v) : v;
      else
        return std::fabs(v);
    });
  if (op == "Relu")
    return map([](auto v) { return v > 0 ? v : decltype(v)(0); });
  if (op == "Sign")
    return map([](auto v) {
      using T = decltype(v);
      return v > 0 ? T(1) : v < 0 ? T(-1) : v;
    });
  if (op == "Not")
    return dt == kBool ? map([](auto v) { return v == 0; })
                       : std::optional<ConstTensor>();
  if (!isFloat)
    return std::nullopt; // the handler reports integer inputs
  auto fmap = [&](auto fn) {
    return map([&](auto v) {
      if constexpr (isInt<decltype(v)>)
        return v; // not reached: float tensors only
      else
        return fn(v);
    });
  };
  if (op == "Floor")
    return fmap([](auto v) { return std::floor(v); });
  if (op == "Ceil")
    return fmap([](auto v) { return std::ceil(v); });
  if (op == "Round")
    return fmap([](auto v) { return roundEven(v); });
  if (op == "Sqrt")
    return fmap([](auto v) { return std::sqrt(v); });
  if (op == "Reciprocal")
    return fmap([](auto v) { return decltype(v)(1) / v; });
  if (op == "Exp")
    return fmap([](auto v) { return std::exp(v); });
  if (op == "Log")
    return fmap([](auto v) { return std::log(v); });
  if (op == "Sin")
    return fmap([](auto v) { return std::sin(v); });
  if (op == "Cos")
    return fmap([](auto v) { return std::cos(v); });
  if (op == "Tan")
    return fmap([](auto v) { return std::tan(v); });
  if (op == "Tanh")
    return fmap([](auto v) { return std::tanh(v); });
  if (op == "Erf")
    return fmap([](auto v) { return std::erf(v); });
  if (op == "Sigmoid")
    return fmap([](auto v) {
      using T = decltype(v);
      return T(1) / (T(1) + std::exp(-v));
    });
  return std::nullopt;
}

/// Where(cond, x, y) with broadcasting of all three.
std::optional<ConstTensor> foldWhere(const ConstTensor &c, const ConstTensor &x,
                                     const ConstTensor &y) {
  Shape s1, out;
  if (!broadcastShapes(c.shape(), x.shape(), s1) ||
      !broadcastShapes(s1, y.shape(), out) || x.dtype() != y.dtype() ||
      !fitsMemoryLimit(x.dtype(), out))
    return std::nullopt;
  ConstTensor r = ConstTensor::allocate(x.dtype(), out);
  forEachIndex(out, [&](ArrayRef<int64_t> idx, int64_t flat) {
    if (c.getInt(broadcastIndex(idx, c.shape())))
      copyElement(x, broadcastIndex(idx, x.shape()), r, flat);
    else
      copyElement(y, broadcastIndex(idx, y.shape()), r, flat);
  });
  return r;
}

/// Trilu over the last two axes: x where (col - row) >= k (upper) / <= k
/// (lower), else 0.
std::optional<ConstTensor> foldTrilu(const ConstTensor &x, int64_t k,
                                     bool upper) {
  if (x.rank() < 2)
    return std::nullopt;
  ConstTensor r = ConstTensor::allocate(x.dtype(), x.shape());
  int64_t rank = x.rank();
  forEachIndex(x.shape(), [&](ArrayRef<int64_t> idx, int64_t flat) {
    int64_t diff = idx[rank - 1] - idx[rank - 2];
    if (upper ? diff >= k : diff <= k)
      copyElement(x, flat, r, flat);
  });
  return r;
}

/// ReduceSum/Prod/Mean/Max/Min/SumSquare over `axes` (sorted, unique),
/// accumulating in the compute domain in index order.
std::optional<ConstTensor> foldReduce(StringRef op, const ConstTensor &x,
                                      ArrayRef<int64_t> axes, bool keep) {
  int64_t rank = x.rank();
  Shape kept(x.shape()), out;
  for (int64_t a : axes)
    kept[a] = 1;
  for (int64_t i = 0; i < rank; ++i)
    if (keep || !llvm::is_contained(axes, i))
      out.push_back(kept[i]);
  int64_t count = x.numElements() / std::max<int64_t>(1, product(kept));
  bool isFloat = isFloatDType(x.dtype());
  if (op == "ReduceMean" && !isFloat)
    return std::nullopt;
  int64_t m = product(kept);
  // Accumulators per output element, in the compute domain.
  SmallVector<double> accF(m);
  SmallVector<int64_t> accI(m);
  SmallVector<bool> started(m, false);
  Domain d = domainOf(x.dtype());
  forEachIndex(x.shape(), [&](ArrayRef<int64_t> idx, int64_t flat) {
    int64_t o = broadcastIndex(idx, kept);
    auto step = [&](auto acc, auto v) {
      if (op == "ReduceSumSquare")
        v = v * v;
      if (op == "ReduceProd")
        return acc * v;
      if (op == "ReduceMax")
        return maxOf(acc, v);
      if (op == "ReduceMin")
        return minOf(acc, v);
      return acc + v;
    };
    if (d == Domain::Int) {
      int64_t v = x.getInt(flat);
      if (op == "ReduceSumSquare")
        v = wrapMul(v, v);
      accI[o] = !started[o]          ? v
                : op == "ReduceProd" ? wrapMul(accI[o], v)
                : op == "ReduceMax"  ? maxOf(accI[o], v)
                : op == "ReduceMin"  ? minOf(accI[o], v)
                                     : wrapAdd(accI[o], v);
    } else if (d == Domain::F32) {
      float v = (float)x.getDouble(flat);
      float sq = op == "ReduceSumSquare" ? v * v : v;
      accF[o] = !started[o] ? sq : step((float)accF[o], v);
    } else {
      double v = x.getDouble(flat);
      double sq = op == "ReduceSumSquare" ? v * v : v;
      accF[o] = !started[o] ? sq : step(accF[o], v);
    }
    started[o] = true;
  });
  ConstTensor r = ConstTensor::allocate(x.dtype(), out);
  for (int64_t o = 0; o < m; ++o) {
    if (!started[o]) {
      // Reducing an empty axis: the identity of the reduction.
      double inf = std::numeric_limits<double>::infinity();
      double idv = op == "ReduceProd"  ? 1.0
                   : op == "ReduceMax" ? -inf
                   : op == "ReduceMin" ? inf
                                       : 0.0;
      if (isFloat)
        r.setDouble(o, idv);
      else
        r.setInt(o, std::isfinite(idv) ? (int64_t)idv : 0);
      continue;
    }
    if (d == Domain::Int)
      r.setInt(o, accI[o]);
    else if (op == "ReduceMean")
      r.setDouble(o, d == Domain::F32 ? (double)((float)accF[o] / (float)count)
                                      : accF[o] / (double)count);
    else
      r.setDouble(o, accF[o]);
  }
  return r;
}

} // namespace

bool ONNXLowering::foldConstantNode(const ONNXNode &n) {
  static const llvm::StringSet<> binaryOps = {"Add",
                                              "Sub",
                                              "Mul",
                                              "Div",
                                              "Mod",
                                              "Pow",
                                              "Equal",
                                              "Less",
                                              "Greater",
                                              "LessOrEqual",
                                              "GreaterOrEqual",
                                              "And",
                                              "Or",
                                              "Xor"};
  static const llvm::StringSet<> variadicOps = {"Max", "Min", "Sum", "Mean"};
  static const llvm::StringSet<> unaryOps = {
      "Neg",  "Abs",   "Relu", "Sign",       "Not", "Floor",
      "Ceil", "Round", "Sqrt", "Reciprocal", "Exp", "Log",
      "Sin",  "Cos",   "Tan",  "Tanh",       "Erf", "Sigmoid"};
  static const llvm::StringSet<> reduceOps = {"ReduceSum",  "ReduceProd",
                                              "ReduceMean", "ReduceMax",
                                              "ReduceMin",  "ReduceSumSquare"};
  StringRef op = n.op_type();
  bool known = binaryOps.contains(op) || variadicOps.contains(op) ||
               unaryOps.contains(op) || reduceOps.contains(op) ||
               op == "Where" || op == "Trilu";
  if (!known || n.input_size() == 0)
    return false;
  SmallVector<const ConstTensor *> in;
  for (int i = 0; i < n.input_size(); ++i) {
    if (!hasInput(n, i)) {
      in.push_back(nullptr);
      continue;
    }
    const ConstTensor *c = getConst(n, i);
    // uint8..uint32 values are exact non-negative int64s, so the integer
    // arithmetic below is the unsigned one (wrapped to the width); uint64
    // keeps its dedicated dispatch (Unsigned.cpp).
    if (!c || c->dtype() == kUInt64)
      return false;
    in.push_back(c);
  }
  if (!in[0])
    return false;
  // Compute ops fold up to kFoldElementLimit result elements (larger
  // constant computations run on the host at run time).
  auto fits = [](const std::optional<ConstTensor> &t) {
    return !t || t->numElements() <= kFoldElementLimit;
  };
  for (const ConstTensor *c : in)
    if (c && c->numElements() > kFoldElementLimit)
      return false;

  std::optional<ConstTensor> r;
  if (binaryOps.contains(op)) {
    r = foldBinaryOp(op, *in[0], *in[1], attrInt(n, "fmod", 0) != 0);
  } else if (variadicOps.contains(op)) {
    r = *in[0];
    for (size_t i = 1; i < in.size() && r; ++i) {
      if (!in[i] || !fits(r))
        return false;
      r = foldBinaryOp(op, *r, *in[i], false);
    }
    if (r && op == "Mean" && in.size() > 1) {
      ConstTensor count =
          ConstTensor::fromDoubles(r->dtype(), {}, {(double)in.size()});
      r = foldBinaryOp("Div", *r, count, false);
    }
  } else if (unaryOps.contains(op)) {
    r = foldUnaryOp(op, *in[0]);
  } else if (op == "Where") {
    r = foldWhere(*in[0], *in[1], *in[2]);
  } else if (op == "Trilu") {
    int64_t k = in.size() > 1 && in[1] ? in[1]->getInt(0) : 0;
    r = foldTrilu(*in[0], k, attrInt(n, "upper", 1) != 0);
  } else {
    // Reductions: axes from the input (opset 13 ReduceSum, 18 all) or the
    // attribute.
    std::optional<Shape> axesOpt;
    if (in.size() > 1 && in[1])
      axesOpt = in[1]->toInts();
    else
      axesOpt = attrInts(n, "axes");
    if ((!axesOpt || axesOpt->empty()) &&
        attrInt(n, "noop_with_empty_axes", 0)) {
      setConst(n, 0, *in[0]);
      return true;
    }
    Shape axes;
    if (!reductionAxes(axesOpt, in[0]->rank(), axes))
      return false; // the handler reports it
    r = foldReduce(op, *in[0], axes, attrInt(n, "keepdims", 1) != 0);
  }
  if (!r || !fits(r))
    return false;
  setConst(n, 0, std::move(*r));
  return true;
}
