//===- Lowering.cpp - --bitmod-onnx-to-tosa driver ------------------------===//
//
// Walks a function of bitmod_onnx ops in order, binds each node's operands
// and attributes, dispatches it through the versioned pattern table, and
// replaces the reader ops by the lowered IR.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "bitmod/Conversion/ONNXToTOSA/ONNXToTOSA.h"
#include "bitmod/Dialect/BitMoD/IR/BitMoDDialect.h"
#include "bitmod/Dialect/BitMoD/IR/BitMoDOps.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"

#include "llvm/ADT/DenseSet.h"

namespace mlir {
namespace bitmod {
#define GEN_PASS_DEF_BITMODONNXTOTOSA
#include "bitmod/Conversion/ONNXToTOSA/Passes.h.inc"
} // namespace bitmod
} // namespace mlir

using namespace mlir;
using namespace mlir::bitmod;
using namespace mlir::bitmod::onnx_import;

//===----------------------------------------------------------------------===//
// Pattern table
//===----------------------------------------------------------------------===//

void ONNXPatternTable::onOp(StringRef opType, int64_t since, Handler handler,
                            int requiredInputs) {
  auto &regs = table[opType];
  regs.push_back({since, handler, requiredInputs});
  llvm::sort(regs, [](const Registration &x, const Registration &y) {
    return x.since < y.since;
  });
}

const ONNXPatternTable::Registration *
ONNXPatternTable::lookup(StringRef opType, int64_t opset) const {
  auto it = table.find(opType);
  if (it == table.end())
    return nullptr;
  const Registration *best = nullptr;
  for (const Registration &r : it->second)
    if (r.since <= opset)
      best = &r;
  return best;
}

const ONNXPatternTable &ONNXPatternTable::get() {
  static const ONNXPatternTable patterns = [] {
    ONNXPatternTable t;
    populateShapePatterns(t);
    populateElementwisePatterns(t);
    populateReductionPatterns(t);
    populateNormalizationPatterns(t);
    populateLayoutPatterns(t);
    populateIndexingPatterns(t);
    populateLinearPatterns(t);
    populateConvPoolPatterns(t);
    populateResizePatterns(t);
    return t;
  }();
  return patterns;
}

bool mlir::bitmod::isSupportedONNXOp(StringRef opType) {
  return ONNXPatternTable::get().contains(opType);
}

//===----------------------------------------------------------------------===//
// Nodes and values
//===----------------------------------------------------------------------===//

ONNXNode::ONNXNode(onnx_ir::NodeOp op, SmallVector<ImportedValue *> inputs,
                   SmallVector<std::string> inputNames,
                   SmallVector<ImportedValue *> outputs)
    : op(op), opType(op.getOpType().str()),
      nodeName(op.getName().value_or("").str()), attrs(op.getAttrs()),
      inputs(std::move(inputs)), inputNames(std::move(inputNames)),
      outputs(std::move(outputs)) {
  std::optional<ArrayAttr> names = op.getOutputNames();
  for (unsigned i = 0; i < op.getNumResults(); ++i)
    outputNames.push_back(names ? cast<StringAttr>((*names)[i]).str()
                                : opType + "_out" + std::to_string(i));
}

/// The ONNX name of a reader value ("" if it has none).
static std::string valueName(Value v) {
  if (auto res = dyn_cast<OpResult>(v)) {
    if (auto node = dyn_cast<onnx_ir::NodeOp>(res.getOwner()))
      if (std::optional<ArrayAttr> names = node.getOutputNames())
        return cast<StringAttr>((*names)[res.getResultNumber()]).str();
    if (auto c = dyn_cast<onnx_ir::ConstantOp>(res.getOwner()))
      return c.getName().value_or("").str();
    return "";
  }
  auto arg = cast<BlockArgument>(v);
  if (auto func = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp()))
    if (auto name = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                      kOnnxNameAttrName))
      return name.str();
  return "";
}

/// The node as diagnostics name it.
static std::string nodeLabel(const ONNXNode &n) {
  if (!n.name().empty())
    return n.name();
  return n.op_type() + "->" + n.output(0);
}

ImportedValue *ONNXLowering::newValue(ImportedValue v) {
  storage.push_back(std::move(v));
  return &storage.back();
}

Value ONNXLowering::materialize(const ConstTensor &t, StringRef name) {
  // TOSA constants cannot be empty; an empty tensor has no contents anyway.
  if (t.numElements() == 0)
    return tensor::EmptyOp::create(b, loc, t.shape(),
                                   dtypeToType(ctx, t.dtype()));
  ElementsAttr attr = t.toAttr(ctx, sanitize(name, "cst"), denseElementLimit);
  return tosa::ConstOp::create(b, loc, attr.getType(), attr);
}

Value ONNXLowering::get(const ONNXNode &node, int i) {
  ImportedValue *v = node.inputs[i];
  assert(v && "required inputs are checked before the handler runs");
  if (!v->value) {
    // Materialize a constant once, at the start of the function so that
    // every later use is dominated.
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(b.getInsertionBlock());
    v->value = materialize(*v->cst, node.input(i));
  }
  return v->value;
}

const ConstTensor *ONNXLowering::getConst(const ONNXNode &node, int i) {
  if (!hasInput(node, i))
    return nullptr;
  ImportedValue *v = node.inputs[i];
  return v->cst ? &*v->cst : nullptr;
}

/// The graph inputs whose values `v` (a reader value) is computed from;
/// Shape and Size read only static shapes, so the walk stops there.
static void collectRuntimeSources(Value v, llvm::DenseSet<Value> &seen,
                                  SmallVectorImpl<std::string> &inputs) {
  if (!seen.insert(v).second)
    return;
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    std::string name = valueName(v);
    inputs.push_back(name.empty() ? "#" + std::to_string(arg.getArgNumber())
                                  : name);
    return;
  }
  // Constants and bitmod_onnx.none end the walk.
  auto node = dyn_cast_if_present<onnx_ir::NodeOp>(v.getDefiningOp());
  if (!node || node.getOpType() == "Shape" || node.getOpType() == "Size")
    return;
  for (Value in : node.getInputs())
    collectRuntimeSources(in, seen, inputs);
}

const ConstTensor *ONNXLowering::requireConst(const ONNXNode &n, int i,
                                              StringRef role) {
  if (const ConstTensor *c = getConst(n, i))
    return c;
  llvm::DenseSet<Value> seen;
  SmallVector<std::string> inputs;
  onnx_ir::NodeOp op = n.op;
  collectRuntimeSources(op.getInputs()[i], seen, inputs);
  InFlightDiagnostic diag = emitError(loc);
  diag << n.op_type() << " node '" << nodeLabel(n) << "': input '"
       << (n.input(i).empty() ? "#" + std::to_string(i) : n.input(i)) << "' ("
       << role << ") must be a constant, but it depends on runtime values";
  if (inputs.empty()) {
    diag << " (it is computed on the host at run time); only constant "
            "shape computations are folded";
    return nullptr;
  }
  diag << " of graph input" << (inputs.size() > 1 ? "s " : " ");
  for (auto [k, name] : llvm::enumerate(inputs))
    diag << (k ? ", '" : "'") << name << "'";
  diag << "; bind " << (inputs.size() > 1 ? "them" : "it")
       << " to fixed values with --bind-input " << inputs.front()
       << "=FILE.npy (dynamic dimensions are fixed with --input-shape or "
          "--input-dim)";
  return nullptr;
}

//===----------------------------------------------------------------------===//
// Typed attribute binder
//===----------------------------------------------------------------------===//

void ONNXLowering::bindError(const ONNXNode &n, StringRef name,
                             StringRef expected, Attribute got) {
  emitError(loc) << n.op_type() << " node '" << nodeLabel(n) << "': attribute '"
                 << name << "' must be " << expected << ", got " << got;
  bindFailed = true;
}

int64_t ONNXLowering::attrInt(const ONNXNode &n, StringRef name, int64_t def) {
  Attribute a = n.getAttr(name);
  if (!a)
    return def;
  if (auto i = dyn_cast<IntegerAttr>(a))
    return i.getInt();
  bindError(n, name, "an int", a);
  return def;
}

float ONNXLowering::attrFloat(const ONNXNode &n, StringRef name, float def) {
  Attribute a = n.getAttr(name);
  if (!a)
    return def;
  if (auto f = dyn_cast<FloatAttr>(a))
    return f.getValueAsDouble();
  bindError(n, name, "a float", a);
  return def;
}

std::string ONNXLowering::attrString(const ONNXNode &n, StringRef name,
                                     StringRef def) {
  Attribute a = n.getAttr(name);
  if (!a)
    return def.str();
  if (auto s = dyn_cast<StringAttr>(a))
    return s.str();
  bindError(n, name, "a string", a);
  return def.str();
}

std::optional<Shape> ONNXLowering::attrInts(const ONNXNode &n, StringRef name) {
  Attribute a = n.getAttr(name);
  if (!a)
    return std::nullopt;
  if (auto ints = dyn_cast<DenseI64ArrayAttr>(a))
    return Shape(ints.asArrayRef());
  bindError(n, name, "a list of ints (array<i64>)", a);
  return std::nullopt;
}

std::optional<ConstTensor> ONNXLowering::attrTensor(const ONNXNode &n,
                                                    StringRef name) {
  Attribute a = n.getAttr(name);
  auto elements = dyn_cast_if_present<ElementsAttr>(a);
  if (!elements) {
    bindError(n, name, "a tensor", a);
    return std::nullopt;
  }
  std::optional<ConstTensor> t = ConstTensor::fromAttr(elements);
  if (!t)
    (void)fail(n.op_type() + ": tensor attribute '" + name +
               "' has an unsupported element type");
  return t;
}

LogicalResult ONNXLowering::intsFromInputOrAttr(const ONNXNode &n, int i,
                                                StringRef name,
                                                std::optional<Shape> &out) {
  if (hasInput(n, i)) {
    const ConstTensor *c = requireConst(n, i, name);
    if (!c)
      return failure();
    out = c->toInts();
    return success();
  }
  out = attrInts(n, name);
  return success();
}

//===----------------------------------------------------------------------===//
// Driver
//===----------------------------------------------------------------------===//

LogicalResult ONNXLowering::lowerNode(onnx_ir::NodeOp op) {
  loc = op.getLoc();
  b.setInsertionPoint(op);
  SmallVector<ImportedValue *> inputs;
  SmallVector<std::string> inputNames;
  for (auto [i, v] : llvm::enumerate(op.getInputs())) {
    // An absent optional input is bitmod_onnx.none (a result typed `none`
    // is a value whose type the reader did not know).
    if (v.getDefiningOp<onnx_ir::NoneOp>()) {
      inputs.push_back(nullptr);
      inputNames.emplace_back();
      continue;
    }
    auto it = values.find(v);
    if (it == values.end())
      return op.emitError()
             << op.getOpType() << ": operand #" << i << " is not an ONNX value";
    inputs.push_back(it->second);
    inputNames.push_back(valueName(v));
  }
  std::optional<ArrayAttr> names = op.getOutputNames();
  SmallVector<ImportedValue *> outputs;
  for (OpResult r : op.getResults()) {
    bool present =
        names ? !cast<StringAttr>((*names)[r.getResultNumber()]).empty()
              : !isa<NoneType>(r.getType());
    if (!present) {
      outputs.push_back(nullptr);
      continue;
    }
    ImportedValue *v = newValue();
    if (auto t = dyn_cast<TensorType>(r.getType()))
      v->dtype = dtypeOfType(t.getElementType());
    values[r] = v;
    outputs.push_back(v);
  }
  ONNXNode n(op, std::move(inputs), std::move(inputNames), std::move(outputs));

  std::optional<StringRef> domain = op.getDomain();
  if (domain && !domain->empty() && *domain != "ai.onnx")
    return fail("unsupported ONNX operator " + *domain + "::" + n.op_type());
  const ONNXPatternTable::Registration *reg =
      ONNXPatternTable::get().lookup(n.op_type(), opset);
  if (!reg)
    return fail("unsupported ONNX operator " + n.op_type() + " at opset " +
                Twine(opset));
  for (int i = 0; i < reg->requiredInputs; ++i)
    if (!n.hasInput(i))
      return fail(n.op_type() + " node '" + nodeLabel(n) +
                  "': missing required operand #" + Twine(i));

  bool touchesUnsigned = false;
  for (int i = 0; i < n.input_size(); ++i)
    touchesUnsigned |= isUnsignedDType(inputType(n, i));
  for (ImportedValue *out : n.outputs)
    touchesUnsigned |= isUnsignedDType(onnxTypeOf(out));
  bindFailed = false;
  // Constant inputs only: evaluate at import (ConstantFolding.cpp).
  LogicalResult result = success();
  if (!foldConstantNode(n))
    result = touchesUnsigned ? importUnsignedNode(n, reg->handler)
                             : (this->*(reg->handler))(n);
  if (failed(result) || bindFailed)
    return failure();
  recordOutputTypes(n);
  for (int j = 0; j < n.output_size(); ++j)
    if (n.hasOutput(j) && !n.outputs[j]->defined())
      return fail(n.op_type() + ": output " + Twine(j) + " is not supported");
  return success();
}

LogicalResult ONNXLowering::run() {
  Block &entry = func.front();
  // Graph inputs: ONNX unsigned types become signless, marked onnx.unsigned.
  for (BlockArgument arg : entry.getArguments()) {
    ImportedValue *v = newValue();
    v->value = arg;
    if (auto t = dyn_cast<RankedTensorType>(arg.getType())) {
      v->dtype = dtypeOfType(t.getElementType());
      if (isUnsignedDType(v->dtype)) {
        arg.setType(t.clone(dtypeToType(ctx, v->dtype)));
        func.setArgAttr(arg.getArgNumber(), kOnnxUnsignedAttrName,
                        b.getUnitAttr());
      }
    }
    values[arg] = v;
  }

  SmallVector<Operation *> readerOps;
  for (Operation &op : llvm::make_early_inc_range(entry)) {
    if (auto c = dyn_cast<onnx_ir::ConstantOp>(op)) {
      std::optional<ConstTensor> t = ConstTensor::fromAttr(c.getValue());
      if (!t)
        return c.emitError("unsupported constant element type");
      values[c] = newValue(ImportedValue{Value(), t, t->dtype()});
    } else if (auto node = dyn_cast<onnx_ir::NodeOp>(op)) {
      if (failed(lowerNode(node)))
        return failure();
    } else if (!isa<onnx_ir::NoneOp>(op)) {
      // Anything else (func.return) reads the lowered values.
      loc = op.getLoc();
      b.setInsertionPoint(&op);
      for (OpOperand &use : op.getOpOperands()) {
        auto it = values.find(use.get());
        if (it == values.end() || isa<BlockArgument>(use.get()))
          continue;
        ImportedValue *v = it->second;
        if (!v->value)
          v->value = materialize(*v->cst, valueName(use.get()));
        if (isa<func::ReturnOp>(op) && isUnsignedDType(v->dtype))
          func.setResultAttr(use.getOperandNumber(), kOnnxUnsignedAttrName,
                             b.getUnitAttr());
        use.set(v->value);
      }
      continue;
    }
    readerOps.push_back(&op);
  }
  for (Operation *op : llvm::reverse(readerOps)) {
    op->dropAllUses();
    op->erase();
  }
  func.setType(FunctionType::get(ctx, entry.getArgumentTypes(),
                                 entry.getTerminator()->getOperandTypes()));
  return success();
}

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

namespace {
struct ONNXToTOSAPass
    : public mlir::bitmod::impl::BitMoDONNXToTOSABase<ONNXToTOSAPass> {
  using BitMoDONNXToTOSABase::BitMoDONNXToTOSABase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto opsetAttr =
        module->getAttrOfType<IntegerAttr>(onnx_ir::kOpsetAttrName);
    for (auto func : module.getOps<func::FuncOp>()) {
      bool hasONNX = false;
      func.walk([&](Operation *op) {
        hasONNX |= isa<onnx_ir::BitMoDONNXDialect>(op->getDialect());
      });
      if (!hasONNX)
        continue;
      if (!opsetAttr) {
        module.emitError() << "missing " << onnx_ir::kOpsetAttrName
                           << " (the model's default-domain opset)";
        return signalPassFailure();
      }
      ONNXLowering lowering(func, opsetAttr.getInt(), denseElementLimit);
      lowering.lazyTransposeLimit = lazyTransposeLimit;
      if (failed(lowering.run()))
        return signalPassFailure();
    }
    module->removeAttr(onnx_ir::kOpsetAttrName);
  }
};
} // namespace
