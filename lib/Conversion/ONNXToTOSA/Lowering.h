//===- Lowering.h - bitmod_onnx.node -> tosa/bitmod lowering ----*- C++ -*-===//
//
// The state shared by the per-family lowering files of --bitmod-onnx-to-tosa.
// ONNXLowering walks one function's bitmod_onnx ops in order and maps every
// reader value to an ImportedValue (an SSA value of the lowered IR, a host
// constant, or both); each op family (Elementwise.cpp, Layout.cpp, ...)
// defines its handlers as ONNXLowering members and registers them in the
// versioned ONNXPatternTable.
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_LIB_CONVERSION_ONNXTOTOSA_LOWERING_H
#define BITMOD_LIB_CONVERSION_ONNXTOTOSA_LOWERING_H

#include "bitmod/Conversion/ONNXToTOSA/ConstTensor.h"
#include "bitmod/Dialect/ONNX/IR/ONNXDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"

#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>

namespace mlir {
namespace bitmod {
namespace onnx_import {

using Shape = SmallVector<int64_t>;

/// Constant MatMuls (Linear.cpp) fold up to this many operand elements.
constexpr int64_t kFoldArithLimit = 1 << 16;
/// Compute ops (arithmetic, comparisons, Where, reductions, ...) whose inputs
/// are all constants are evaluated at import when no operand and the result
/// have more elements than this (ConstantFolding.cpp).
constexpr int64_t kFoldElementLimit = 1 << 20;

/// An ONNX value during lowering: an SSA value, a host constant, or both,
/// and its ONNX element type (unsigned integers are signless in the lowered
/// IR, so the type is tracked here).
struct ImportedValue {
  Value value;
  std::optional<ConstTensor> cst;
  int32_t dtype = kUndefined;
  /// True once a handler produced the value (or the constant).
  bool defined() const { return value || cst; }
};

/// One ONNX node as its handler sees it: the reader's bitmod_onnx.node with
/// its operands resolved, plus what a handler may override to lower it as a
/// related node (CastLike as Cast, unsigned operands sign-flipped, 1-D
/// windows widened to 2-D). Accessors mirror onnx::NodeProto.
class ONNXNode {
public:
  ONNXNode(onnx_ir::NodeOp op, SmallVector<ImportedValue *> inputs,
           SmallVector<std::string> inputNames,
           SmallVector<ImportedValue *> outputs);

  const std::string &op_type() const { return opType; }
  /// The node name ("" if the node has none).
  const std::string &name() const { return nodeName; }
  int input_size() const { return inputs.size(); }
  /// The ONNX name of input `i` ("" when absent).
  const std::string &input(int i) const { return inputNames[i]; }
  int output_size() const { return outputs.size(); }
  const std::string &output(int i) const { return outputNames[i]; }
  bool hasInput(int i) const { return i >= 0 && i < input_size() && inputs[i]; }
  bool hasOutput(int i) const {
    return i >= 0 && i < output_size() && outputs[i];
  }
  Attribute getAttr(StringRef attrName) const { return attrs.get(attrName); }
  void setAttr(StringRef attrName, Attribute value) {
    attrs.set(attrName, value);
  }
  ArrayRef<NamedAttribute> getAttrs() const { return attrs.getAttrs(); }

  onnx_ir::NodeOp op;
  std::string opType, nodeName;
  NamedAttrList attrs;
  SmallVector<ImportedValue *> inputs;
  SmallVector<std::string> inputNames;
  /// Where each result goes (null: the node does not produce it).
  SmallVector<ImportedValue *> outputs;
  SmallVector<std::string> outputNames;
};

class ONNXLowering;
using Handler = LogicalResult (ONNXLowering::*)(const ONNXNode &);

/// ONNX op type -> handler, versioned by opset: the newest registration
/// whose `since` is at most the model's opset lowers the node.
class ONNXPatternTable {
public:
  struct Registration {
    int64_t since;
    Handler handler;
    /// Leading inputs that must be present (checked before the handler).
    int requiredInputs;
  };
  void onOp(StringRef opType, int64_t since, Handler handler,
            int requiredInputs = 1);
  /// The registration for `opType` at `opset`, or null.
  const Registration *lookup(StringRef opType, int64_t opset) const;
  bool contains(StringRef opType) const { return table.count(opType); }
  /// Every family's registrations.
  static const ONNXPatternTable &get();

private:
  llvm::StringMap<SmallVector<Registration, 1>> table;
};

// Per-family registrations (one per file).
void populateShapePatterns(ONNXPatternTable &patterns);
void populateElementwisePatterns(ONNXPatternTable &patterns);
void populateReductionPatterns(ONNXPatternTable &patterns);
void populateNormalizationPatterns(ONNXPatternTable &patterns);
void populateLayoutPatterns(ONNXPatternTable &patterns);
void populateIndexingPatterns(ONNXPatternTable &patterns);
void populateLinearPatterns(ONNXPatternTable &patterns);
void populateConvPoolPatterns(ONNXPatternTable &patterns);
void populateResizePatterns(ONNXPatternTable &patterns);

// Shape arithmetic shared by the families.
/// The `name` of a bitmod.linear: the ONNX node name, or (for unnamed
/// nodes) the name of its output.
std::string layerName(const ONNXNode &n);
int64_t product(ArrayRef<int64_t> v);
/// The sorted, unique axes of a reduction over a rank-`rank` tensor
/// (negative axes count from the end; none or empty: every axis); false if
/// an axis is out of range.
bool reductionAxes(const std::optional<Shape> &axes, int64_t rank, Shape &out);
/// Numpy-style broadcast of two shapes; false if incompatible.
bool broadcastShapes(ArrayRef<int64_t> a, ArrayRef<int64_t> b, Shape &out);
/// Flat index into a tensor of shape `inShape` (right-aligned broadcast) of
/// the element at multi-index `idx` of the broadcast result.
int64_t broadcastIndex(ArrayRef<int64_t> idx, ArrayRef<int64_t> inShape);
/// Calls fn(multiIndex, flat) for every element of `shape`.
void forEachIndex(ArrayRef<int64_t> shape,
                  llvm::function_ref<void(ArrayRef<int64_t>, int64_t)> fn);
/// Copies element `srcIdx` of `src` into element `dstIdx` of `dst` (same
/// dtype).
void copyElement(const ConstTensor &src, int64_t srcIdx, ConstTensor &dst,
                 int64_t dstIdx);
/// True if both are constants small enough to fold arithmetic on.
inline bool smallConsts(const ConstTensor *x, const ConstTensor *y) {
  return x && y && x->numElements() <= kFoldArithLimit &&
         y->numElements() <= kFoldArithLimit;
}
/// The shape of a constant or of a value.
Shape inputShape(const ConstTensor *c, Value v);

/// One axis of a Resize: output position o reads the input indices
/// index[o * taps + k] (clamped to the input) with weights weight[...]
/// (1 tap for nearest, 2 for linear, 4 for cubic).
struct ResizeAxis {
  int64_t in = 0, out = 0, taps = 1;
  SmallVector<int64_t> index;
  SmallVector<double> weight;
};

class ONNXLowering {
public:
  ONNXLowering(func::FuncOp func, int64_t opset, int64_t denseElementLimit)
      : ctx(func.getContext()), b(ctx), func(func), opset(opset),
        denseElementLimit(denseElementLimit), loc(func.getLoc()) {}

  /// Lowers every bitmod_onnx op of the function.
  LogicalResult run();

  // --- values -----------------------------------------------------------
  Value get(const ONNXNode &node, int i);
  const ConstTensor *getConst(const ONNXNode &node, int i);
  /// Operand `i` as a host constant; otherwise reports that the operand
  /// (what the node uses it for: `role`) depends on runtime values, naming
  /// the graph inputs it is computed from and how to bind them, and
  /// returns null.
  const ConstTensor *requireConst(const ONNXNode &node, int i, StringRef role);
  bool hasInput(const ONNXNode &node, int i) { return node.hasInput(i); }
  bool hasOutput(const ONNXNode &node, int i) { return node.hasOutput(i); }
  void setValue(const ONNXNode &node, int i, Value v) {
    if (node.hasOutput(i)) {
      node.outputs[i]->value = v;
      node.outputs[i]->cst.reset();
    }
  }
  void setConst(const ONNXNode &node, int i, ConstTensor t) {
    if (node.hasOutput(i)) {
      node.outputs[i]->value = Value();
      node.outputs[i]->cst = std::move(t);
    }
  }
  Value materialize(const ConstTensor &t, StringRef name);
  /// A fresh ImportedValue owned by the lowering (stable address).
  ImportedValue *newValue(ImportedValue v = {});

  // --- attributes (typed binder) ----------------------------------------
  // A present attribute of the wrong kind is reported at the node's
  // location, naming node and attribute; the node then fails to lower.
  int64_t attrInt(const ONNXNode &n, StringRef name, int64_t def);
  float attrFloat(const ONNXNode &n, StringRef name, float def);
  std::string attrString(const ONNXNode &n, StringRef name, StringRef def);
  std::optional<Shape> attrInts(const ONNXNode &n, StringRef name);
  /// A TENSOR attribute as a host constant.
  std::optional<ConstTensor> attrTensor(const ONNXNode &n, StringRef name);
  /// Ints from input `i` (must be constant) or attribute `name`.
  LogicalResult intsFromInputOrAttr(const ONNXNode &n, int i, StringRef name,
                                    std::optional<Shape> &out);

  // --- emission helpers -------------------------------------------------
  LogicalResult fail(const Twine &msg) {
    return emitError(loc) << msg, failure();
  }
  RankedTensorType typeOf(Value v) {
    return cast<RankedTensorType>(v.getType());
  }
  Shape shapeOf(Value v) { return Shape(typeOf(v).getShape()); }
  Type elemOf(Value v) { return typeOf(v).getElementType(); }
  RankedTensorType tensorType(ArrayRef<int64_t> shape, Type elem) {
    return RankedTensorType::get(shape, elem);
  }
  Value constShape(ArrayRef<int64_t> values);
  Value reshape(Value v, ArrayRef<int64_t> shape);
  Value transpose(Value v, ArrayRef<int64_t> perm);
  Value scalarConst(Type elem, double v, int64_t rank);
  Value splatConst(Type elem, double v, ArrayRef<int64_t> shape);
  Value toRank(Value v, int64_t rank);
  LogicalResult broadcastPair(Value &a, Value &c, Shape &out);
  Value broadcastTo(Value v, ArrayRef<int64_t> shape);
  Value mul(Value a, Value c);
  template <typename OpTy> Value binary(Value a, Value c, Type elem = {});
  Value divide(Value a, Value c);
  Value clamp(Value v, double lo, double hi);
  template <typename OpTy> Value reduce(Value v, ArrayRef<int64_t> axes);
  Value reduceMean(Value v, ArrayRef<int64_t> axes);
  Value slice(Value v, ArrayRef<int64_t> start, ArrayRef<int64_t> size);
  Value castTo(Value v, Type elem);
  Value linear(Value x, const ConstTensor &weightNK, const ConstTensor *bias,
               StringRef name);
  Value linear(Value x, Value weightNK, Value bias, StringRef name);
  /// bitmod.linear on tosa.transpose of the [K, N] constant `weightKN`, so
  /// that a large weight is not copied at import (bitmod-quantize reads it
  /// through the transpose; kLazyTransposeElements).
  Value linearOfTransposed(Value x, const ConstTensor &weightKN,
                           StringRef name);
  Value hostMatMul(Value a, Value c);
  /// linalg.fill of a tensor.empty.
  Value fillTensor(ArrayRef<int64_t> shape, Type elem, TypedAttr value);
  /// A scalar arith.constant inside a region builder.
  static Value scalarValue(OpBuilder &nb, Location nl, Type elem, double v);

  /// Evaluates `n` on host constants when every present input is a
  /// constant and the op is a foldable compute op (ConstantFolding.cpp);
  /// true if the outputs were set.
  bool foldConstantNode(const ONNXNode &n);

  // --- op handlers (one family per file) --------------------------------
  // Shape.cpp: constants, shapes and casts.
  LogicalResult importConstant(const ONNXNode &n);
  LogicalResult importIdentity(const ONNXNode &n);
  LogicalResult importDropout(const ONNXNode &n);
  LogicalResult importCast(const ONNXNode &n);
  LogicalResult importShape(const ONNXNode &n);
  LogicalResult importSize(const ONNXNode &n);
  LogicalResult importConstantOfShape(const ONNXNode &n);
  LogicalResult importRange(const ONNXNode &n);
  LogicalResult importCastLike(const ONNXNode &n);
  /// `n` (CastLike) as the equivalent Cast node.
  LogicalResult castLikeNode(const ONNXNode &n, std::optional<ONNXNode> &cast);
  // Elementwise.cpp.
  LogicalResult importAdd(const ONNXNode &n);
  LogicalResult importSub(const ONNXNode &n);
  LogicalResult importMul(const ONNXNode &n);
  LogicalResult importDiv(const ONNXNode &n);
  LogicalResult importPow(const ONNXNode &n);
  LogicalResult importVariadic(const ONNXNode &n);
  template <typename OpTy, bool Swap>
  LogicalResult importCompare(const ONNXNode &n);
  LogicalResult importNot(const ONNXNode &n);
  template <typename OpTy, bool AllowInts>
  LogicalResult importUnary(const ONNXNode &n);
  LogicalResult importActivation(const ONNXNode &n);
  LogicalResult importSoftsign(const ONNXNode &n);
  LogicalResult importClip(const ONNXNode &n);
  LogicalResult importClipV6(const ONNXNode &n);
  LogicalResult importMod(const ONNXNode &n);
  LogicalResult importBitShift(const ONNXNode &n);
  LogicalResult importMiscUnary(const ONNXNode &n);
  // Reductions.cpp.
  LogicalResult importSoftmax(const ONNXNode &n);
  LogicalResult importSoftmaxV1(const ONNXNode &n);
  LogicalResult lowerSoftmax(const ONNXNode &n, bool coerce2D);
  LogicalResult importReduce(const ONNXNode &n);
  LogicalResult importArgMax(const ONNXNode &n);
  LogicalResult importHardmax(const ONNXNode &n);
  LogicalResult importHardmaxV1(const ONNXNode &n);
  LogicalResult lowerHardmax(const ONNXNode &n, bool coerce2D);
  /// i64 index of the first (or last) maximum / minimum along `axis`; the
  /// result has `axis` dropped.
  Value argExtreme(Value x, int64_t axis, bool isMax, bool last);
  // Normalization.cpp.
  LogicalResult importLayerNorm(const ONNXNode &n);
  LogicalResult importInstanceNorm(const ONNXNode &n);
  LogicalResult importBatchNorm(const ONNXNode &n);
  // Layout.cpp.
  LogicalResult importTranspose(const ONNXNode &n);
  LogicalResult importReshape(const ONNXNode &n);
  LogicalResult importReshapeV1(const ONNXNode &n);
  LogicalResult lowerReshape(const ONNXNode &n, ArrayRef<int64_t> target);
  LogicalResult importFlatten(const ONNXNode &n);
  LogicalResult importSqueeze(const ONNXNode &n);
  LogicalResult importUnsqueeze(const ONNXNode &n);
  LogicalResult importConcat(const ONNXNode &n);
  LogicalResult importSplit(const ONNXNode &n);
  LogicalResult importSplitV18(const ONNXNode &n);
  LogicalResult importSlice(const ONNXNode &n);
  LogicalResult importSliceV1(const ONNXNode &n);
  LogicalResult lowerSlice(const ONNXNode &n, std::optional<Shape> starts,
                           std::optional<Shape> ends, std::optional<Shape> axes,
                           std::optional<Shape> steps);
  LogicalResult importExpand(const ONNXNode &n);
  LogicalResult importTile(const ONNXNode &n);
  LogicalResult importPad(const ONNXNode &n);
  LogicalResult importPadV2(const ONNXNode &n);
  LogicalResult lowerPad(const ONNXNode &n, bool padsFromAttrs);
  LogicalResult importDepthToSpace(const ONNXNode &n);
  /// Emits a layout op (reshape-like): folds constants.
  LogicalResult reshapeLike(const ONNXNode &n, ArrayRef<int64_t> shape);
  // Indexing.cpp.
  LogicalResult importGather(const ONNXNode &n);
  LogicalResult importWhere(const ONNXNode &n);
  LogicalResult importTrilu(const ONNXNode &n);
  LogicalResult importGatherElements(const ONNXNode &n);
  LogicalResult importCumSum(const ONNXNode &n);
  LogicalResult importTopK(const ONNXNode &n);
  LogicalResult importTopKV1(const ONNXNode &n);
  LogicalResult lowerTopK(const ONNXNode &n, bool kFromAttr);
  // Linear.cpp.
  LogicalResult importMatMul(const ONNXNode &n);
  LogicalResult importGemm(const ONNXNode &n);
  LogicalResult importEinsum(const ONNXNode &n);
  // ConvPool.cpp.
  LogicalResult importConv(const ONNXNode &n);
  LogicalResult importGlobalPool(const ONNXNode &n);
  LogicalResult importPool(const ONNXNode &n);
  LogicalResult importPoolUnrolled(const ONNXNode &n, Value x, bool isMax);
  // Resize.cpp.
  LogicalResult importConvTranspose(const ONNXNode &n);
  LogicalResult importResize(const ONNXNode &n);
  /// One resized axis as a linalg.generic gathering the taps of every
  /// output position (see importResize).
  Value resizeAxis(Value x, int64_t axis, const ResizeAxis &ax);

  // --- unsigned integers (Unsigned.cpp) ---------------------------------
  // MLIR integers are signless and TOSA treats them as signed, so ONNX
  // uint8..uint64 values carry their ONNX type in ImportedValue and every
  // node that touches one goes through importUnsignedNode: sign-agnostic ops
  // lower as they are, ordering ops run on sign-flipped values, Div and Cast
  // use the unsigned arith ops, and anything else is refused.
  int32_t onnxTypeOf(const ImportedValue *v) const {
    if (!v)
      return kUndefined;
    return v->cst ? v->cst->dtype() : v->dtype;
  }
  int32_t inputType(const ONNXNode &n, int i) const {
    return n.hasInput(i) ? onnxTypeOf(n.inputs[i]) : kUndefined;
  }
  void recordOutputTypes(const ONNXNode &n);
  LogicalResult importUnsignedNode(const ONNXNode &n, Handler h);
  LogicalResult importWithFlippedSign(const ONNXNode &n, Handler h,
                                      bool flipOutputs);
  Value flipSignBit(Value v);
  LogicalResult importUnsignedCast(const ONNXNode &n);

  MLIRContext *ctx;
  OpBuilder b;
  func::FuncOp func;
  int64_t opset;
  int64_t denseElementLimit;
  /// MatMul weights with at least this many elements: linearOfTransposed.
  int64_t lazyTransposeLimit = int64_t(1) << 22;
  Location loc;

  /// Reports a binder error: attribute `name` is not of kind `expected`.
  void bindError(const ONNXNode &n, StringRef name, StringRef expected,
                 Attribute got);

private:
  LogicalResult lowerNode(onnx_ir::NodeOp op);

  std::deque<ImportedValue> storage;
  llvm::DenseMap<Value, ImportedValue *> values;
  /// Set by the binder; the node being lowered then fails.
  bool bindFailed = false;
};

template <typename OpTy>
Value ONNXLowering::binary(Value a, Value c, Type elem) {
  Shape out;
  if (failed(broadcastPair(a, c, out)))
    return {};
  return OpTy::create(b, loc, tensorType(out, elem ? elem : elemOf(a)), a, c);
}

template <typename OpTy>
Value ONNXLowering::reduce(Value v, ArrayRef<int64_t> axes) {
  // Sums and products of f16/bf16 accumulate in f32 and are rounded once,
  // as ONNX Runtime does: an f16 accumulator loses the small terms once
  // the sum grows and overflows at 65504 (the mean square of an LLM's
  // hidden state sums 4096 terms of ~10).
  constexpr bool accumulates = std::is_same_v<OpTy, tosa::ReduceSumOp> ||
                               std::is_same_v<OpTy, tosa::ReduceProductOp>;
  Type elem = elemOf(v);
  bool widen = accumulates && (elem.isF16() || elem.isBF16());
  if (widen)
    v = castTo(v, b.getF32Type());
  for (int64_t ax : axes) {
    Shape s = shapeOf(v);
    s[ax] = 1;
    v = OpTy::create(b, loc, tensorType(s, elemOf(v)), v,
                     b.getI32IntegerAttr(ax));
  }
  return widen ? castTo(v, elem) : v;
}

} // namespace onnx_import
} // namespace bitmod
} // namespace mlir

#endif // BITMOD_LIB_CONVERSION_ONNXTOTOSA_LOWERING_H
