//===- MapAttention.cpp - attention tosa.matmul -> bitmod.kv_matmul -------===//
//
// --bitmod-map-attention: recognises the score and value matmuls of the
// attention the ONNX importer produces and rewrites them onto
// bitmod.kv_matmul (docs/attention.md). Everything not recognised stays a
// host tosa.matmul, with a remark under `report-missed`.
//
//===----------------------------------------------------------------------===//

#include "bitmod/Dialect/BitMoD/IR/BitMoDOps.h"
#include "bitmod/Dialect/BitMoD/Transforms/Passes.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/MathExtras.h"

namespace mlir {
namespace bitmod {
#define GEN_PASS_DEF_BITMODMAPATTENTION
#include "bitmod/Dialect/BitMoD/Transforms/Passes.h.inc"
} // namespace bitmod
} // namespace mlir

using namespace mlir;
using namespace mlir::bitmod;

namespace {

/// The K or V cache behind the second operand of a tosa.matmul.
struct KVView {
  KVKind kind;
  /// [B, Hkv, T, D].
  Value cache;
  /// Query heads H of the matmul's batch (B * H = the tosa batch).
  int64_t batch = 0, heads = 0;
  /// When set, the cache is transpose(cache, perm) (created by the rewrite).
  SmallVector<int32_t> perm;
};

RankedTensorType rankedType(Value v) {
  return dyn_cast<RankedTensorType>(v.getType());
}

/// `v` is a tosa.reshape (of a static tensor): its input, else null.
Value reshapeSource(Value v) {
  auto r = v.getDefiningOp<tosa::ReshapeOp>();
  if (!r)
    return {};
  RankedTensorType t = rankedType(r.getInput1());
  return t && t.hasStaticShape() ? r.getInput1() : Value();
}

/// Peels the grouped-query broadcast of repeat_kv off `v` [B, H, T, D]:
/// reshape([B, Hkv, r, T, D] = tile(reshape([B, Hkv, T, D] -> [B, Hkv, 1, T,
/// D]), [1, 1, r, 1, 1])). Returns the [B, Hkv, T, D] tensor, else `v`.
Value peelRepeatKV(Value v) {
  ArrayRef<int64_t> shape = rankedType(v).getShape();
  Value tiled = reshapeSource(v);
  if (!tiled)
    return v;
  auto tile = tiled.getDefiningOp<tosa::TileOp>();
  if (!tile)
    return v;
  ArrayRef<int64_t> ts = rankedType(tiled).getShape();
  SmallVector<int64_t> multiples;
  if (ts.size() != 5 || failed(tile.getConstantMultiples(multiples)))
    return v;
  if (ts[0] != shape[0] || ts[1] * ts[2] != shape[1] || ts[3] != shape[2] ||
      ts[4] != shape[3] || multiples != ArrayRef<int64_t>{1, 1, ts[2], 1, 1})
    return v;
  Value source = reshapeSource(tile.getInput1());
  if (!source)
    return v;
  ArrayRef<int64_t> ss = rankedType(source).getShape();
  if (ss != ArrayRef<int64_t>{ts[0], ts[1], ts[3], ts[4]})
    return v;
  return source;
}

/// Traces the second operand `b` [B*H, R, N] of a tosa.matmul to its K or V
/// cache; `why` says what did not match.
FailureOr<KVView> traceKV(Value b, std::string &why) {
  ArrayRef<int64_t> bs = rankedType(b).getShape();
  Value view = reshapeSource(b);
  RankedTensorType vt = view ? rankedType(view) : RankedTensorType();
  if (!vt || vt.getRank() != 4 ||
      vt.getDimSize(0) * vt.getDimSize(1) != bs[0]) {
    why = "the second operand is not a [B, heads, rows, cols] tensor "
          "flattened to the matmul batch";
    return failure();
  }
  KVView kv;
  kv.batch = vt.getDimSize(0);
  kv.heads = vt.getDimSize(1);
  kv.kind = KVKind::value;
  kv.cache = peelRepeatKV(view);
  auto t = view.getDefiningOp<tosa::TransposeOp>();
  if (!t)
    return kv;
  ArrayRef<int32_t> p = t.getPerms();
  if (p[0] != 0) {
    why = "the second operand's transpose moves the batch axis";
    return failure();
  }
  // The reduction axis is the source's innermost one: K^T of the K cache
  // transpose(source, q) (split_heads and K^T folded into one transpose).
  if (p[2] != 3)
    return kv; // A value cache [B, H, T, D] (e.g. split_heads' transpose).
  kv.kind = KVKind::key;
  SmallVector<int32_t> q = {p[0], p[1], p[3], p[2]};
  if (q == ArrayRef<int32_t>{0, 1, 2, 3}) {
    kv.cache = peelRepeatKV(t.getInput1());
    return kv;
  }
  kv.cache = t.getInput1();
  kv.perm = q;
  return kv;
}

/// Rounds the requested group size down to the reduction length (rounded up
/// to a multiple of 8).
int64_t pickGroupSize(int64_t requested, int64_t reduction) {
  return std::min<int64_t>(requested, llvm::alignTo(reduction, 8));
}

struct Candidate {
  tosa::MatMulOp op;
  KVView kv;
};

struct BitMoDMapAttentionPass
    : mlir::bitmod::impl::BitMoDMapAttentionBase<BitMoDMapAttentionPass> {
  using BitMoDMapAttentionBase::BitMoDMapAttentionBase;

  void missed(tosa::MatMulOp op, const Twine &why) {
    if (reportMissed)
      op.emitRemark("attention matmul left on the host: ") << why;
  }

  /// The ops the value matmul's probabilities are computed from, up to
  /// `limit` ops back.
  static llvm::SetVector<Operation *> backwardCone(Value v, unsigned limit) {
    llvm::SetVector<Operation *> cone;
    SmallVector<Value> work = {v};
    while (!work.empty() && cone.size() < limit) {
      Operation *def = work.pop_back_val().getDefiningOp();
      if (!def || !cone.insert(def))
        continue;
      if (isa<tosa::MatMulOp>(def))
        continue; // The score matmul ends the chain.
      for (Value operand : def->getOperands())
        work.push_back(operand);
    }
    return cone;
  }

  void runOnOperation() override {
    if (groupSize == 0 || groupSize % 8 != 0) {
      emitError(getOperation()->getLoc())
          << "bitmod-map-attention: group-size (" << groupSize
          << ") must be a positive multiple of 8";
      return signalPassFailure();
    }
    SmallVector<tosa::MatMulOp> matmuls;
    getOperation()->walk([&](tosa::MatMulOp op) { matmuls.push_back(op); });

    // Classify every matmul by its second operand.
    llvm::DenseMap<Operation *, Candidate> candidates;
    for (tosa::MatMulOp op : matmuls) {
      RankedTensorType at = rankedType(op.getA()), bt = rankedType(op.getB());
      if (!at || !bt || !at.hasStaticShape() || !bt.hasStaticShape() ||
          !isa<FloatType>(at.getElementType())) {
        missed(op, "needs static float operands");
        continue;
      }
      std::string why;
      FailureOr<KVView> kv = traceKV(op.getB(), why);
      if (failed(kv)) {
        missed(op, why);
        continue;
      }
      candidates[op] = {op, *kv};
    }

    // Pair each value matmul with the score matmul found in the backward
    // cone of its probabilities, through a Softmax (a tosa.exp in between).
    llvm::DenseSet<Operation *> paired;
    llvm::DenseMap<Operation *, std::string> reasons;
    SmallVector<std::pair<Candidate, Candidate>> pairs;
    for (tosa::MatMulOp op : matmuls) {
      auto it = candidates.find(op);
      if (it == candidates.end() || it->second.kv.kind != KVKind::value)
        continue;
      llvm::SetVector<Operation *> cone = backwardCone(op.getA(), 256);
      bool softmax =
          llvm::any_of(cone, [](Operation *o) { return isa<tosa::ExpOp>(o); });
      // The nearest score matmul (the cone is in backward DFS order).
      Operation *score = nullptr;
      for (Operation *o : cone)
        if (auto mm = dyn_cast<tosa::MatMulOp>(o)) {
          auto s = candidates.find(mm);
          if (s != candidates.end() && s->second.kv.kind == KVKind::key &&
              !paired.count(mm) && !score)
            score = mm;
        }
      if (!score || !softmax) {
        reasons[op] = !score ? "no score matmul (Q K^T) feeds its first operand"
                             : "its first operand is not a Softmax of the "
                               "scores";
        continue;
      }
      const Candidate &s = candidates[score];
      if (s.kv.batch != it->second.kv.batch ||
          s.kv.heads != it->second.kv.heads) {
        reasons[op] = "the score and value matmuls disagree on batch and heads";
        continue;
      }
      // A pair maps whole or not at all.
      std::string why;
      if (!checkShapes(s, why) || !checkShapes(it->second, why)) {
        reasons[op] = reasons[score] = why;
        continue;
      }
      paired.insert(score);
      paired.insert(op);
      pairs.push_back({s, it->second});
    }
    for (tosa::MatMulOp op : matmuls) {
      if (!candidates.count(op) || paired.count(op))
        continue;
      auto reason = reasons.find(op);
      missed(op, reason != reasons.end()
                     ? reason->second
                     : "score matmul (Q K^T) whose result does not reach a "
                       "value matmul through Softmax");
    }
    for (auto &[score, value] : pairs) {
      rewrite(score);
      rewrite(value);
    }
  }

  /// The datapath limits: a K/V head divides the query heads.
  bool checkShapes(const Candidate &c, std::string &why) {
    RankedTensorType cache = rankedType(c.kv.cache);
    if (!cache || cache.getRank() != 4 || !cache.hasStaticShape()) {
      why = "the K/V cache is not a static [B, Hkv, T, D] tensor";
      return false;
    }
    SmallVector<int64_t> shape(cache.getShape());
    if (!c.kv.perm.empty())
      for (auto [i, axis] : llvm::enumerate(c.kv.perm))
        shape[i] = cache.getDimSize(axis);
    int64_t hkv = shape[1];
    if (shape[0] != c.kv.batch || hkv < 1 || c.kv.heads % hkv != 0) {
      why = "the K/V heads do not divide the query heads";
      return false;
    }
    tosa::MatMulOp op = c.op;
    if (cache.getElementType() != rankedType(op.getA()).getElementType()) {
      why = "the K/V cache and the query differ in element type";
      return false;
    }
    return true;
  }

  void rewrite(const Candidate &c) {
    tosa::MatMulOp op = c.op;
    OpBuilder b(op);
    Location loc = op.getLoc();
    RankedTensorType at = rankedType(op.getA()),
                     ot = rankedType(op.getResult());
    Value cacheValue = c.kv.cache;
    if (!c.kv.perm.empty()) {
      ArrayRef<int64_t> in = rankedType(cacheValue).getShape();
      SmallVector<int64_t> shape;
      for (int32_t axis : c.kv.perm)
        shape.push_back(in[axis]);
      cacheValue = tosa::TransposeOp::create(
          b, loc, rankedType(cacheValue).clone(shape), cacheValue, c.kv.perm);
    }
    RankedTensorType cache = rankedType(cacheValue);
    int64_t m = at.getDimSize(1), r = at.getDimSize(2), n = ot.getDimSize(2);
    auto reshapeTo = [&](Value v, ArrayRef<int64_t> shape) -> Value {
      auto type = RankedTensorType::get(shape, rankedType(v).getElementType());
      if (rankedType(v) == type)
        return v;
      if (Value src = reshapeSource(v); src && rankedType(src) == type)
        return src;
      auto shapeType = tosa::shapeType::get(b.getContext(), shape.size());
      Value s = tosa::ConstShapeOp::create(b, loc, shapeType,
                                           b.getIndexTensorAttr(shape));
      return tosa::ReshapeOp::create(b, loc, type, v, s);
    };
    Value lhs = reshapeTo(op.getA(), {c.kv.batch, c.kv.heads, m, r});
    int64_t reduction =
        c.kv.kind == KVKind::key ? cache.getDimSize(3) : cache.getDimSize(2);
    auto resultType = RankedTensorType::get({c.kv.batch, c.kv.heads, m, n},
                                            ot.getElementType());
    auto kvm = KVMatmulOp::create(
        b, loc, resultType, KVKindAttr::get(b.getContext(), c.kv.kind), lhs,
        cacheValue, b.getI64IntegerAttr(pickGroupSize(groupSize, reduction)),
        StringAttr());
    op.getResult().replaceAllUsesWith(
        reshapeTo(kvm.getResult(), ot.getShape()));
    op.erase();
  }
};

} // namespace
