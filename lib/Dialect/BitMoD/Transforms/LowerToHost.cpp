//===- LowerToHost.cpp - bitmod ops to linalg/arith -------------*- C++ -*-===//
//
// The host path of the BitMoD ops: contractions as linalg.generic and
// quantized weight constants dequantized at compile time.
//
//===----------------------------------------------------------------------===//

#include "bitmod/Dialect/BitMoD/IR/BitMoDOps.h"
#include "bitmod/Dialect/BitMoD/Transforms/Passes.h"
#include "bitmod/Dialect/BitMoD/Transforms/WeightsUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace bitmod {
#define GEN_PASS_DEF_BITMODLOWERTOHOST
#include "bitmod/Dialect/BitMoD/Transforms/Passes.h.inc"
} // namespace bitmod
} // namespace mlir

using namespace mlir;
using namespace mlir::bitmod;

/// Builds `y[..., n] = sum_k x[..., k] * w[n, k] (+ b[n])` as linalg ops.
static Value buildContraction(OpBuilder &b, Location loc, Value input,
                              Value weight, Value bias,
                              RankedTensorType resultType) {
  int64_t rank = resultType.getRank();
  Type elementType = resultType.getElementType();

  SmallVector<Value> dynamicSizes;
  for (int64_t i = 0; i < rank; ++i) {
    if (!resultType.isDynamicDim(i))
      continue;
    if (i == rank - 1)
      dynamicSizes.push_back(tensor::DimOp::create(b, loc, weight, 0));
    else
      dynamicSizes.push_back(tensor::DimOp::create(b, loc, input, i));
  }
  Value empty = tensor::EmptyOp::create(b, loc, resultType.getShape(),
                                        elementType, dynamicSizes);
  Value init;
  if (bias) {
    SmallVector<int64_t> broadcastDims;
    for (int64_t i = 0; i < rank - 1; ++i)
      broadcastDims.push_back(i);
    init = linalg::BroadcastOp::create(b, loc, bias, empty, broadcastDims)
               .getResult()[0];
  } else {
    Value zero = arith::ConstantOp::create(b, loc, elementType,
                                           b.getZeroAttr(elementType));
    init = linalg::FillOp::create(b, loc, zero, empty).getResult(0);
  }

  // Loops: the batch dims, then n, then the reduction k.
  MLIRContext *ctx = b.getContext();
  int64_t numLoops = rank + 1;
  SmallVector<AffineExpr> inputExprs, outputExprs;
  for (int64_t i = 0; i < rank - 1; ++i) {
    inputExprs.push_back(getAffineDimExpr(i, ctx));
    outputExprs.push_back(getAffineDimExpr(i, ctx));
  }
  AffineExpr n = getAffineDimExpr(rank - 1, ctx);
  AffineExpr k = getAffineDimExpr(rank, ctx);
  inputExprs.push_back(k);
  outputExprs.push_back(n);
  SmallVector<AffineMap> maps = {AffineMap::get(numLoops, 0, inputExprs, ctx),
                                 AffineMap::get(numLoops, 0, {n, k}, ctx),
                                 AffineMap::get(numLoops, 0, outputExprs, ctx)};
  SmallVector<utils::IteratorType> iterators(numLoops,
                                             utils::IteratorType::parallel);
  iterators.back() = utils::IteratorType::reduction;

  auto generic = linalg::GenericOp::create(
      b, loc, resultType, ValueRange{input, weight}, ValueRange{init}, maps,
      iterators, [](OpBuilder &nb, Location nloc, ValueRange args) {
        Value product = arith::MulFOp::create(nb, nloc, args[0], args[1]);
        Value sum = arith::AddFOp::create(nb, nloc, args[2], product);
        linalg::YieldOp::create(nb, nloc, sum);
      });
  return generic.getResult(0);
}

namespace {

struct LowerLinear : OpRewritePattern<LinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LinearOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, buildContraction(rewriter, op.getLoc(),
                                            op.getInput(), op.getWeight(),
                                            op.getBias(), op.getType()));
    return success();
  }
};

struct LowerGroupedMatmul : OpRewritePattern<GroupedMatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GroupedMatmulOp op,
                                PatternRewriter &rewriter) const override {
    QWeightsType type = op.getWeights().getType();
    auto floatType = RankedTensorType::get({type.getRows(), type.getCols()},
                                           op.getType().getElementType());
    Value weight =
        DequantizeOp::create(rewriter, op.getLoc(), floatType, op.getWeights());
    rewriter.replaceOp(op,
                       buildContraction(rewriter, op.getLoc(), op.getInput(),
                                        weight, op.getBias(), op.getType()));
    return success();
  }
};

/// dequantize(weights constant) -> arith.constant of the float weights.
struct FoldDequantizeOfConstant : OpRewritePattern<DequantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DequantizeOp op,
                                PatternRewriter &rewriter) const override {
    auto weights = op.getWeights().getDefiningOp<WeightsOp>();
    if (!weights)
      return rewriter.notifyMatchFailure(op, "weights are not a constant");
    FailureOr<ElementsAttr> value =
        dequantizeToAttr(weights, op.getType(), "dequantized");
    if (failed(value))
      return failure();
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, op.getType(), *value);
    return success();
  }
};

struct BitMoDLowerToHostPass
    : mlir::bitmod::impl::BitMoDLowerToHostBase<BitMoDLowerToHostPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<LowerLinear, LowerGroupedMatmul, FoldDequantizeOfConstant>(
        &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    // A dequantize of weights that are not constants cannot run on the host.
    // (A constant one left here failed to fold and has said why.)
    WalkResult result = getOperation()->walk([](DequantizeOp op) {
      if (!op.getWeights().getDefiningOp<WeightsOp>())
        op.emitError("cannot lower bitmod.dequantize to the host: its "
                     "weights are not a bitmod.weights constant");
      return WalkResult::interrupt();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
