//===- Linear.cpp - ONNX MatMul, Gemm (-> bitmod.linear), Einsum -> TOSA
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

//===----------------------------------------------------------------------===//
// Linear layers
//===----------------------------------------------------------------------===//

LogicalResult ONNXLowering::importMatMul(const ONNXNode &n) {
  const ConstTensor *w = getConst(n, 1);
  if (w && w->rank() >= 2 && isFloatDType(w->dtype()) && !getConst(n, 0)) {
    // Leading batch dims of size 1 on a constant weight are squeezed.
    bool squeezable = true;
    for (int64_t i = 0; i + 2 < w->rank(); ++i)
      squeezable &= w->shape()[i] == 1;
    Value x = get(n, 0);
    Shape xs = shapeOf(x);
    int64_t kdim = w->shape()[w->rank() - 2], ndim = w->shape().back();
    if (squeezable && xs.back() == kdim &&
        (int64_t)xs.size() >= w->rank() - 1) {
      ConstTensor wkn = w->reshaped({kdim, ndim});
      Value y = wkn.numElements() >= lazyTransposeLimit
                    ? linearOfTransposed(x, wkn, layerName(n))
                    : linear(x, wkn.transposed({1, 0}), nullptr, layerName(n));
      // Keep the rank numpy broadcasting would produce.
      Shape ys = shapeOf(y);
      if ((int64_t)ys.size() < w->rank())
        y = toRank(y, w->rank());
      setValue(n, 0, y);
      return success();
    }
  }
  if (smallConsts(getConst(n, 0), w) && getConst(n, 0)->rank() == 2 &&
      w->rank() == 2 && isFloatDType(w->dtype())) {
    // Constant x constant: fold (shape/scale computations).
    const ConstTensor *a = getConst(n, 0);
    int64_t m = a->shape()[0], k = a->shape()[1], nn = w->shape()[1];
    ConstTensor r = ConstTensor::allocate(a->dtype(), {m, nn});
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < nn; ++j) {
        double acc = 0;
        for (int64_t q = 0; q < k; ++q)
          acc += a->getDouble(i * k + q) * w->getDouble(q * nn + j);
        r.setDouble(i * nn + j, acc);
      }
    setConst(n, 0, r);
    return success();
  }
  Value lhs = get(n, 0);
  Value rhs = get(n, 1);
  Value y = hostMatMul(lhs, rhs);
  if (!y)
    return failure();
  setValue(n, 0, y);
  return success();
}

/// True when every w*s is exactly representable in `dtype`.
static bool scaleIsExact(const ConstTensor &t, double s) {
  for (int64_t i = 0, e = t.numElements(); i < e; ++i) {
    double p = t.getDouble(i) * s;
    if (!std::isfinite(p))
      return false;
    if (t.dtype() == kFloat && (double)(float)p != p)
      return false;
    if (t.dtype() != kFloat && t.dtype() != kDouble) {
      ConstTensor one = ConstTensor::allocate(t.dtype(), {1});
      one.setDouble(0, p);
      if (one.getDouble(0) != p)
        return false;
    }
  }
  return true;
}

static ConstTensor scaled(const ConstTensor &t, double s) {
  if (s == 1.0)
    return t;
  ConstTensor r = ConstTensor::allocate(t.dtype(), t.shape());
  for (int64_t i = 0, e = t.numElements(); i < e; ++i)
    r.setDouble(i, t.getDouble(i) * s);
  return r;
}

LogicalResult ONNXLowering::importGemm(const ONNXNode &n) {
  double alpha = attrFloat(n, "alpha", 1.0f), beta = attrFloat(n, "beta", 1.0f);
  bool transA = attrInt(n, "transA", 0), transB = attrInt(n, "transB", 0);
  Value a = get(n, 0);
  if (shapeOf(a).size() != 2)
    return fail("Gemm: A must be 2-D");
  if (transA)
    a = transpose(a, {1, 0});
  const ConstTensor *bc = getConst(n, 1);
  const ConstTensor *cc = getConst(n, 2);
  Value y;
  bool alphaDone = false, biasDone = false;
  if (bc && isFloatDType(bc->dtype()) && bc->rank() == 2) {
    ConstTensor w = transB ? *bc : bc->transposed({1, 0}); // [N, K]
    int64_t nOut = w.shape()[0];
    if (alpha != 1.0 && scaleIsExact(w, alpha)) {
      w = scaled(w, alpha);
      alphaDone = true;
    } else if (alpha == 1.0) {
      alphaDone = true;
    }
    // C becomes the bias when it is a constant [N], [1, N], [1] or scalar
    // and beta (and alpha, if it stays on the host) fold exactly.
    std::optional<ConstTensor> bias;
    if (cc && alphaDone && beta != 0.0 && cc->dtype() == w.dtype()) {
      Shape cs(cc->shape());
      bool rowVec =
          (cs.size() == 1 && (cs[0] == nOut || cs[0] == 1)) ||
          (cs.size() == 2 && cs[0] == 1 && (cs[1] == nOut || cs[1] == 1)) ||
          cs.empty();
      if (rowVec && scaleIsExact(*cc, beta)) {
        ConstTensor bsc = scaled(*cc, beta);
        ConstTensor full = ConstTensor::allocate(w.dtype(), {nOut});
        for (int64_t i = 0; i < nOut; ++i)
          copyElement(bsc, bsc.numElements() == 1 ? 0 : i, full, i);
        bias = std::move(full);
        biasDone = true;
      }
    }
    y = linear(a, w, bias ? &*bias : nullptr, layerName(n));
  } else {
    Value bv = get(n, 1);
    if (transB)
      bv = transpose(bv, {1, 0});
    y = hostMatMul(a, bv);
    if (!y)
      return failure();
  }
  Type et = elemOf(y);
  if (!alphaDone && alpha != 1.0)
    y = mul(y, scalarConst(et, alpha, 2));
  if (hasInput(n, 2) && !biasDone && beta != 0.0) {
    Value cv = get(n, 2);
    if (beta != 1.0)
      cv = mul(cv, scalarConst(et, beta, shapeOf(cv).size()));
    y = binary<tosa::AddOp>(y, cv);
  }
  if (!y)
    return failure();
  setValue(n, 0, y);
  return success();
}

/// Einsum: one linalg.generic with a loop per distinct label (and per
/// ellipsis dimension), parallel for the output's labels and reduction for
/// the summed ones, multiplying the operands and accumulating from zero.
/// Covers transposes, sums, diagonals (a label repeated in one operand),
/// inner/outer products and (batch) matmuls; size-1 ellipsis dimensions
/// broadcast.
LogicalResult ONNXLowering::importEinsum(const ONNXNode &n) {
  std::string eq;
  for (char c : attrString(n, "equation", ""))
    if (!isspace((unsigned char)c))
      eq += c;
  StringRef eqRef(eq);
  auto [lhs, rhs] = eqRef.split("->");
  bool explicitOut = eqRef.contains("->");
  SmallVector<StringRef> terms;
  lhs.split(terms, ',');
  if ((int)terms.size() != n.input_size())
    return fail("Einsum: equation '" + eq + "' has " + Twine(terms.size()) +
                " operands, the node " + Twine(n.input_size()));
  SmallVector<Value> ins;
  Type et;
  for (int i = 0; i < n.input_size(); ++i) {
    ins.push_back(get(n, i));
    if (i == 0)
      et = elemOf(ins[0]);
    else if (elemOf(ins[i]) != et)
      return fail("Einsum: operand element types differ");
  }
  if (et.isInteger(1))
    return fail("Einsum: bool tensors are not supported");
  // A term as labels, '.' standing for the ellipsis.
  auto parse = [&](StringRef t, std::string &labels) -> bool {
    size_t dots = t.find("...");
    if (dots != StringRef::npos) {
      if (t.find("...", dots + 3) != StringRef::npos)
        return false;
      labels = (t.take_front(dots) + "." + t.drop_front(dots + 3)).str();
    } else {
      labels = t.str();
    }
    return llvm::all_of(
        labels, [](char c) { return isalpha((unsigned char)c) || c == '.'; });
  };
  SmallVector<std::string> inLabels(terms.size());
  int64_t ell = 0;
  for (size_t i = 0; i < terms.size(); ++i) {
    if (!parse(terms[i], inLabels[i]))
      return fail("Einsum: cannot parse equation '" + eq + "'");
    int64_t named =
        llvm::count_if(inLabels[i], [](char c) { return c != '.'; });
    int64_t rank = shapeOf(ins[i]).size();
    bool hasEll = StringRef(inLabels[i]).contains('.');
    if (rank < named || (!hasEll && rank != named))
      return fail("Einsum: term '" + terms[i] + "' does not match operand " +
                  Twine(i) + " of rank " + Twine(rank));
    if (hasEll)
      ell = std::max(ell, rank - named);
  }
  // Loop dims: ellipsis dims first, then labels in order of appearance.
  std::string order;
  llvm::StringMap<int> count;
  for (const std::string &l : inLabels)
    for (char c : l)
      if (c != '.') {
        if (order.find(c) == std::string::npos)
          order += c;
        count[std::string(1, c)]++;
      }
  int64_t numLoops = ell + order.size();
  Shape loopSize(numLoops, 1);
  SmallVector<SmallVector<AffineExpr>> inExprs(ins.size());
  auto labelDim = [&](char c) { return ell + (int64_t)order.find(c); };
  SmallVector<SmallVector<std::pair<int64_t, int64_t>>> uses(ins.size());
  for (size_t i = 0; i < ins.size(); ++i) {
    Shape s = shapeOf(ins[i]);
    int64_t named =
        llvm::count_if(inLabels[i], [](char c) { return c != '.'; });
    int64_t opEll = s.size() - named, pos = 0;
    for (char c : inLabels[i]) {
      if (c == '.') {
        for (int64_t e = 0; e < opEll; ++e)
          uses[i].push_back({ell - opEll + e, s[pos++]});
      } else {
        uses[i].push_back({labelDim(c), s[pos++]});
      }
    }
    for (auto [d, size] : uses[i]) {
      if (loopSize[d] != 1 && size != 1 && loopSize[d] != size)
        return fail("Einsum: inconsistent sizes for a label of '" + eq + "'");
      if (size != 1)
        loopSize[d] = size;
    }
  }
  for (size_t i = 0; i < ins.size(); ++i)
    for (auto [d, size] : uses[i]) {
      if (size == 1 && loopSize[d] != 1) {
        if (d >= ell)
          return fail("Einsum: a size-1 label dimension does not broadcast");
        inExprs[i].push_back(b.getAffineConstantExpr(0));
      } else {
        inExprs[i].push_back(b.getAffineDimExpr(d));
      }
    }
  // Output labels.
  std::string outLabels;
  if (explicitOut) {
    if (!parse(rhs, outLabels))
      return fail("Einsum: cannot parse equation '" + eq + "'");
  } else {
    outLabels = ell ? "." : "";
    std::string once;
    for (char c : order)
      if (count[std::string(1, c)] == 1)
        once += c;
    llvm::sort(once);
    outLabels += once;
  }
  SmallVector<AffineExpr> outExprs;
  Shape outShape;
  SmallVector<bool> isOut(numLoops, false);
  for (char c : outLabels) {
    if (c == '.') {
      for (int64_t e = 0; e < ell; ++e) {
        outExprs.push_back(b.getAffineDimExpr(e));
        outShape.push_back(loopSize[e]);
        isOut[e] = true;
      }
      continue;
    }
    if (order.find(c) == std::string::npos)
      return fail("Einsum: output label '" + Twine(c) +
                  "' is not an input label");
    int64_t d = labelDim(c);
    if (isOut[d])
      return fail("Einsum: output label '" + Twine(c) + "' repeats");
    outExprs.push_back(b.getAffineDimExpr(d));
    outShape.push_back(loopSize[d]);
    isOut[d] = true;
  }
  bool scalarOut = outShape.empty();
  if (scalarOut) {
    // A rank-0 result would become a rank-0 host buffer, which LLVM 22's
    // memref-to-emitc cannot declare: compute [1] over an extra unit loop.
    isOut.push_back(true);
    outExprs.push_back(b.getAffineDimExpr(numLoops++));
    outShape.push_back(1);
  }
  SmallVector<AffineMap> maps;
  for (auto &ex : inExprs)
    maps.push_back(AffineMap::get(numLoops, 0, ex, ctx));
  maps.push_back(AffineMap::get(numLoops, 0, outExprs, ctx));
  SmallVector<utils::IteratorType> iterators;
  for (int64_t d = 0; d < numLoops; ++d)
    iterators.push_back(isOut[d] ? utils::IteratorType::parallel
                                 : utils::IteratorType::reduction);
  TypedAttr zeroAttr = isa<FloatType>(et) ? TypedAttr(b.getFloatAttr(et, 0.0))
                                          : TypedAttr(b.getIntegerAttr(et, 0));
  Value init = fillTensor(outShape, et, zeroAttr);
  bool isFloat = isa<FloatType>(et);
  size_t numIns = ins.size();
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ins, ValueRange{init}, maps, iterators,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value p = args[0];
        for (size_t i = 1; i < numIns; ++i)
          p = isFloat ? arith::MulFOp::create(nb, nl, p, args[i]).getResult()
                      : arith::MulIOp::create(nb, nl, p, args[i]).getResult();
        Value acc = args[numIns];
        Value r = isFloat ? arith::AddFOp::create(nb, nl, acc, p).getResult()
                          : arith::AddIOp::create(nb, nl, acc, p).getResult();
        linalg::YieldOp::create(nb, nl, r);
      });
  Value result = generic.getResult(0);
  setValue(n, 0, scalarOut ? reshape(result, {}) : result);
  return success();
}

void mlir::bitmod::onnx_import::populateLinearPatterns(
    ONNXPatternTable &patterns) {
  using L = ONNXLowering;
  patterns.onOp("MatMul", 1, &L::importMatMul, 2);
  patterns.onOp("Gemm", 1, &L::importGemm, 2);
  patterns.onOp("Einsum", 12, &L::importEinsum);
}
