//===- ONNXImporter.cpp - ONNX protobuf -> bitmod_onnx reader -------------===//
//
// The first stage of the ONNX frontend. After parsing, the up-front list of
// unsupported operators, --input-shape / --bind-input, the ONNX checker,
// version conversion and shape inference (ONNXLoader.cpp), the graph becomes
// one func.func of bitmod_onnx ops, faithfully: one bitmod_onnx.node per
// node with its attributes as typed MLIR attributes, initializers as
// bitmod_onnx.constant (dense_resource blobs referencing the model's bytes),
// results typed by shape inference. importONNXModel then runs
// --bitmod-onnx-to-tosa (lib/Conversion/ONNXToTOSA) on it.
//
//===----------------------------------------------------------------------===//

#include "bitmod/Import/ONNXImporter.h"

#include "ONNXLoader.h"

#include "bitmod/Conversion/ONNXToTOSA/ConstTensor.h"
#include "bitmod/Conversion/ONNXToTOSA/ONNXToTOSA.h"
#include "bitmod/Dialect/BitMoD/IR/BitMoDDialect.h"
#include "bitmod/Dialect/ONNX/IR/ONNXDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace mlir::bitmod;
using namespace mlir::bitmod::onnx_import;

namespace {

std::string nodeLabel(const onnx::NodeProto &node, int index) {
  if (!node.name().empty())
    return node.name();
  if (node.output_size() && !node.output(0).empty())
    return node.op_type() + "->" + node.output(0);
  return node.op_type() + "#" + std::to_string(index);
}

/// Reads one (checked, shape-inferred) graph into bitmod_onnx ops.
class Reader {
public:
  Reader(MLIRContext *ctx, const ONNXImportOptions &options, StringRef fileName,
         TensorLoader &loader)
      : ctx(ctx), b(ctx), options(options), fileName(fileName), loader(loader) {
  }

  OwningOpRef<ModuleOp> run(onnx::ModelProto &model, int64_t opset);

  /// Element types of undeclared values (propagateElementTypes), for models
  /// libonnx's shape inference does not know.
  llvm::StringMap<int32_t> elemTypes;

private:
  /// `t` as a constant attribute typed like the reader types values.
  ElementsAttr constantAttr(const ConstTensor &t, StringRef name);
  /// The reader type of an ONNX value: ranked/unranked tensor of its
  /// element type, `none` when shape inference knows nothing.
  Type valueType(StringRef name);
  FailureOr<Attribute> convertAttribute(onnx::AttributeProto &a,
                                        StringRef constName, Location loc);
  Value none(Block *entry);

  MLIRContext *ctx;
  OpBuilder b;
  const ONNXImportOptions &options;
  std::string fileName;
  TensorLoader &loader;
  llvm::StringMap<Value> values;
  llvm::StringMap<const onnx::TypeProto *> types;
  Value noneValue;
};

} // namespace

ElementsAttr Reader::constantAttr(const ConstTensor &t, StringRef name) {
  // Blob names of the reader are "onnx.<value>": the lowering names the
  // blobs it materializes after the value alone.
  ElementsAttr attr =
      t.toAttr(ctx, "onnx." + sanitize(name, "cst"), options.denseElementLimit);
  if (!isUnsignedDType(t.dtype()))
    return attr;
  // ONNX unsigned integers keep their type in the reader's IR.
  auto type =
      RankedTensorType::get(t.shape(), dtypeToReaderType(ctx, t.dtype()));
  if (auto res = dyn_cast<DenseResourceElementsAttr>(attr))
    return DenseResourceElementsAttr::get(type, res.getRawHandle());
  return cast<DenseElementsAttr>(attr).bitcast(type.getElementType());
}

Type Reader::valueType(StringRef name) {
  auto it = types.find(name);
  if (it == types.end() || !it->second->has_tensor_type()) {
    // Not declared (no shape inference for opset > 17): the propagated
    // element type, shape unknown.
    auto et = elemTypes.find(name);
    if (et != elemTypes.end())
      if (Type elem = dtypeToReaderType(ctx, et->second))
        return UnrankedTensorType::get(elem);
    return NoneType::get(ctx);
  }
  const auto &tt = it->second->tensor_type();
  Type elem = dtypeToReaderType(ctx, tt.elem_type());
  if (!elem)
    return NoneType::get(ctx);
  if (!tt.has_shape())
    return UnrankedTensorType::get(elem);
  SmallVector<int64_t> shape;
  for (const auto &d : tt.shape().dim())
    shape.push_back(d.has_dim_value() && d.dim_value() >= 0
                        ? d.dim_value()
                        : ShapedType::kDynamic);
  return RankedTensorType::get(shape, elem);
}

FailureOr<Attribute> Reader::convertAttribute(onnx::AttributeProto &a,
                                              StringRef constName,
                                              Location loc) {
  auto type = a.type();
  if (type == onnx::AttributeProto::UNDEFINED) {
    // Old exporters leave the type out: go by the field that is set.
    if (a.ints_size())
      type = onnx::AttributeProto::INTS;
    else if (a.floats_size())
      type = onnx::AttributeProto::FLOATS;
    else if (a.strings_size())
      type = onnx::AttributeProto::STRINGS;
    else if (a.has_t())
      type = onnx::AttributeProto::TENSOR;
    else if (a.has_s())
      type = onnx::AttributeProto::STRING;
    else if (a.has_f())
      type = onnx::AttributeProto::FLOAT;
    else
      type = onnx::AttributeProto::INT;
  }
  switch (type) {
  case onnx::AttributeProto::INT:
    return Attribute(b.getI64IntegerAttr(a.i()));
  case onnx::AttributeProto::FLOAT:
    return Attribute(b.getF32FloatAttr(a.f()));
  case onnx::AttributeProto::STRING:
    return Attribute(b.getStringAttr(a.s()));
  case onnx::AttributeProto::INTS:
    return Attribute(b.getDenseI64ArrayAttr(
        SmallVector<int64_t>(a.ints().begin(), a.ints().end())));
  case onnx::AttributeProto::FLOATS:
    return Attribute(b.getDenseF32ArrayAttr(
        SmallVector<float>(a.floats().begin(), a.floats().end())));
  case onnx::AttributeProto::STRINGS: {
    SmallVector<Attribute> strings;
    for (const std::string &s : a.strings())
      strings.push_back(b.getStringAttr(s));
    return Attribute(b.getArrayAttr(strings));
  }
  case onnx::AttributeProto::TENSOR: {
    ConstTensor t;
    if (llvm::Error err = loader.load(*a.mutable_t(), t)) {
      emitError(loc) << "attribute '" << a.name()
                     << "': " << llvm::toString(std::move(err));
      return failure();
    }
    if (t.numElements() == 0)
      return Attribute(DenseElementsAttr::get(
          RankedTensorType::get(t.shape(), dtypeToReaderType(ctx, t.dtype())),
          ArrayRef<Attribute>()));
    return Attribute(constantAttr(t, constName));
  }
  default:
    emitError(loc) << "attribute '" << a.name()
                   << "': graph, sparse tensor and type attributes are not "
                      "supported";
    return failure();
  }
}

Value Reader::none(Block *entry) {
  if (!noneValue) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(entry);
    noneValue = onnx_ir::NoneOp::create(
        b, FileLineColLoc::get(ctx, fileName, 0, 0), b.getNoneType());
  }
  return noneValue;
}

OwningOpRef<ModuleOp> Reader::run(onnx::ModelProto &model, int64_t opset) {
  onnx::GraphProto *graph = model.mutable_graph();
  Location fileLoc = FileLineColLoc::get(ctx, fileName, 0, 0);
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  (*module)->setAttr(onnx_ir::kOpsetAttrName, b.getI64IntegerAttr(opset));

  llvm::StringSet<> initNames;
  for (const auto &init : graph->initializer())
    initNames.insert(init.name());
  for (const auto *list :
       {&graph->input(), &graph->output(), &graph->value_info()})
    for (const auto &v : *list)
      if (!initNames.contains(v.name()))
        types.try_emplace(v.name(), &v.type());

  // Function signature.
  SmallVector<Type> argTypes;
  SmallVector<std::string> argNames;
  for (const auto &in : graph->input()) {
    if (initNames.contains(in.name()))
      continue;
    if (!in.type().has_tensor_type()) {
      emitError(fileLoc) << "graph input '" << in.name() << "' is not a tensor";
      return nullptr;
    }
    const auto &tt = in.type().tensor_type();
    Type elem = dtypeToReaderType(ctx, tt.elem_type());
    if (!elem) {
      emitError(fileLoc) << "graph input '" << in.name()
                         << "' has unsupported element type "
                         << dtypeName(tt.elem_type());
      return nullptr;
    }
    if (!tt.has_shape()) {
      emitError(fileLoc) << "graph input '" << in.name()
                         << "' has an unknown rank; pass --input-shape "
                         << in.name() << "=AxBx...";
      return nullptr;
    }
    SmallVector<int64_t> shape;
    for (int i = 0; i < tt.shape().dim_size(); ++i) {
      const auto &d = tt.shape().dim(i);
      if (!d.has_dim_value() || d.dim_value() < 0) {
        InFlightDiagnostic diag = emitError(fileLoc);
        diag << "graph input '" << in.name() << "' has dynamic dimension " << i;
        if (d.has_dim_param())
          diag << " ('" << d.dim_param() << "')";
        diag << "; pass --input-shape " << in.name() << "=AxBx...";
        if (d.has_dim_param())
          diag << " or --input-dim " << d.dim_param() << "=N";
        return nullptr;
      }
      shape.push_back(d.dim_value());
    }
    argTypes.push_back(RankedTensorType::get(shape, elem));
    argNames.push_back(in.name());
  }

  b.setInsertionPointToEnd(module->getBody());
  std::string funcName = sanitize(graph->name(), "main_graph");
  auto func = func::FuncOp::create(b, fileLoc, funcName,
                                   b.getFunctionType(argTypes, {}));
  Block *entry = func.addEntryBlock();
  for (size_t i = 0; i < argNames.size(); ++i) {
    values[argNames[i]] = entry->getArgument(i);
    func.setArgAttr(i, kOnnxNameAttrName, b.getStringAttr(argNames[i]));
  }
  b.setInsertionPointToEnd(entry);

  // Initializers (they shadow graph inputs of the same name).
  for (auto &init : *graph->mutable_initializer()) {
    ConstTensor t;
    if (llvm::Error err = loader.load(init, t)) {
      emitError(fileLoc) << "initializer: " << llvm::toString(std::move(err));
      return nullptr;
    }
    if (t.numElements() == 0) {
      // No bytes to reference: an empty dense literal.
      auto type =
          RankedTensorType::get(t.shape(), dtypeToReaderType(ctx, t.dtype()));
      values[init.name()] = onnx_ir::ConstantOp::create(
          b, fileLoc, type, DenseElementsAttr::get(type, ArrayRef<Attribute>()),
          b.getStringAttr(init.name()));
      continue;
    }
    ElementsAttr attr = constantAttr(t, init.name());
    values[init.name()] = onnx_ir::ConstantOp::create(
        b, fileLoc, attr.getType(), attr, b.getStringAttr(init.name()));
  }

  for (int i = 0; i < graph->node_size(); ++i) {
    onnx::NodeProto &node = *graph->mutable_node(i);
    std::string label = nodeLabel(node, i);
    Location loc = NameLoc::get(b.getStringAttr(label),
                                FileLineColLoc::get(ctx, fileName, i + 1, 0));
    SmallVector<Value> operands;
    for (const std::string &in : node.input()) {
      if (in.empty()) {
        operands.push_back(none(entry));
        continue;
      }
      auto it = values.find(in);
      if (it == values.end()) {
        emitError(loc) << node.op_type() << ": input '" << in
                       << "' is not defined (graph not topologically sorted)";
        return nullptr;
      }
      operands.push_back(it->second);
    }
    SmallVector<Type> resultTypes;
    SmallVector<Attribute> outputNames;
    for (const std::string &out : node.output()) {
      resultTypes.push_back(out.empty() ? Type(NoneType::get(ctx))
                                        : valueType(out));
      outputNames.push_back(b.getStringAttr(out));
    }
    NamedAttrList attrs;
    for (auto &a : *node.mutable_attribute()) {
      StringRef constName = node.output_size() ? StringRef(node.output(0)) : "";
      FailureOr<Attribute> attr = convertAttribute(a, constName, loc);
      if (failed(attr))
        return nullptr;
      attrs.set(a.name(), *attr);
    }
    bool defaultDomain = node.domain().empty() || node.domain() == "ai.onnx";
    auto op = onnx_ir::NodeOp::create(
        b, loc, resultTypes, b.getStringAttr(node.op_type()),
        defaultDomain ? StringAttr() : b.getStringAttr(node.domain()),
        node.name().empty() ? StringAttr() : b.getStringAttr(node.name()),
        b.getArrayAttr(outputNames), attrs.getDictionary(ctx), operands);
    for (int j = 0; j < node.output_size(); ++j)
      if (!node.output(j).empty())
        values[node.output(j)] = op->getResult(j);
  }

  SmallVector<Value> results;
  for (const auto &out : graph->output()) {
    auto it = values.find(out.name());
    if (it == values.end()) {
      emitError(fileLoc) << "graph output '" << out.name()
                         << "' is not produced by any node";
      return nullptr;
    }
    results.push_back(it->second);
  }
  func::ReturnOp::create(b, fileLoc, results);
  func.setType(b.getFunctionType(argTypes, ValueRange(results).getTypes()));
  for (size_t i = 0; i < results.size(); ++i)
    func.setResultAttr(i, kOnnxNameAttrName,
                       b.getStringAttr(graph->output(i).name()));
  if (failed(verify(*module)))
    return nullptr;
  return module;
}

//===----------------------------------------------------------------------===//
// Public API
//===----------------------------------------------------------------------===//

LogicalResult mlir::bitmod::parseInputShapeSpec(StringRef spec,
                                                std::string &name,
                                                SmallVector<int64_t> &shape,
                                                std::string &error) {
  auto [n, dims] = spec.rsplit('=');
  if (n.contains('=') || dims.contains(',')) {
    error = "--input-shape takes one input per option, got '" + spec.str() +
            "': repeat it (--input-shape=a=1x16 --input-shape=b=4)";
    return failure();
  }
  if (n.empty() || dims.empty() || !spec.contains('=')) {
    error = "--input-shape expects name=AxBxC, got '" + spec.str() + "'";
    return failure();
  }
  name = n.str();
  shape.clear();
  SmallVector<StringRef> parts;
  dims.split(parts, 'x');
  for (StringRef p : parts) {
    int64_t d;
    if (p.trim().getAsInteger(10, d) || d < 0) {
      error = "--input-shape: invalid dimension '" + p.str() + "' in '" +
              spec.str() + "'";
      return failure();
    }
    shape.push_back(d);
  }
  return success();
}

LogicalResult mlir::bitmod::parseInputDimSpec(StringRef spec, std::string &name,
                                              int64_t &value,
                                              std::string &error) {
  auto [n, v] = spec.rsplit('=');
  if (n.empty() || v.empty() || !spec.contains('=')) {
    error = "--input-dim expects name=N (a symbolic dimension of the "
            "model, e.g. seq=128), got '" +
            spec.str() + "'";
    return failure();
  }
  if (v.trim().getAsInteger(10, value) || value < 0) {
    error =
        "--input-dim: invalid value '" + v.str() + "' in '" + spec.str() + "'";
    return failure();
  }
  name = n.str();
  return success();
}

LogicalResult mlir::bitmod::parseBindInputSpec(StringRef spec,
                                               std::string &name,
                                               std::string &path,
                                               std::string &error) {
  auto [n, p] = spec.split('=');
  if (n.empty() || p.empty() || !spec.contains('=')) {
    error = "--bind-input expects name=file.pb or name=file.npy, got '" +
            spec.str() + "'";
    return failure();
  }
  name = n.str();
  path = p.str();
  return success();
}

void mlir::bitmod::registerONNXImportDialects(DialectRegistry &registry) {
  registry
      .insert<func::FuncDialect, tosa::TosaDialect, arith::ArithDialect,
              math::MathDialect, tensor::TensorDialect, linalg::LinalgDialect,
              BitMoDDialect, onnx_ir::BitMoDONNXDialect>();
}

OwningOpRef<ModuleOp>
mlir::bitmod::readONNXModel(StringRef buffer, StringRef fileName,
                            MLIRContext *context,
                            const ONNXImportOptions &options) {
  DialectRegistry registry;
  registerONNXImportDialects(registry);
  context->appendDialectRegistry(registry);
  context->loadAllAvailableDialects();

  Location fileLoc = FileLineColLoc::get(context, fileName, 0, 0);
  auto report = [&](llvm::Error err) {
    emitError(fileLoc) << llvm::toString(std::move(err));
    return nullptr;
  };
  onnx::ModelProto model;
  if (llvm::Error err = parseModel(buffer, model))
    return report(std::move(err));
  // Every unsupported op, listed once with a node name each.
  {
    std::string list;
    llvm::StringSet<> seen;
    const auto &graph = model.graph();
    for (int i = 0; i < graph.node_size(); ++i) {
      const auto &node = graph.node(i);
      bool defaultDomain = node.domain().empty() || node.domain() == "ai.onnx";
      std::string type = defaultDomain ? node.op_type()
                                       : node.domain() + "::" + node.op_type();
      if (defaultDomain && isSupportedONNXOp(node.op_type()))
        continue;
      if (!seen.insert(type).second)
        continue;
      list += "\n  " + type + " (node '" + nodeLabel(node, i) + "')";
    }
    if (!list.empty()) {
      emitError(fileLoc) << "unsupported ONNX operators:" << list;
      return nullptr;
    }
  }

  // Checked after the op types, so that a model using an unsupported op is
  // reported as such whatever its opset.
  int64_t opset = getDefaultOpset(model);
  if (opset < 1 || opset > kMaxOpset) {
    emitError(fileLoc) << "unsupported default-domain opset " << opset
                       << " (opsets 1 to " << kMaxOpset
                       << " are accepted; models older than "
                       << options.targetOpset << " are converted to "
                       << options.targetOpset << ")";
    return nullptr;
  }
  // libonnx 1.12 knows opsets up to 17 only: newer models get the
  // project's own structural checks and element-type propagation instead
  // of its checker and shape inference (the lowering computes every shape
  // itself).
  bool libOnnxKnowsOpset = opset <= kLibOnnxMaxOpset;
  // The version converter turns an opset-10 Resize into an opset-11 one
  // with the default half_pixel / round_prefer_floor attributes, which
  // changes its results (opset 10 maps coordinates asymmetrically).
  if (opset < 11) {
    const auto &graph = model.graph();
    for (int i = 0; i < graph.node_size(); ++i) {
      if (graph.node(i).op_type() != "Resize")
        continue;
      emitError(fileLoc) << "Resize: opset " << opset << " Resize (node '"
                         << nodeLabel(graph.node(i), i)
                         << "') is not supported: the ONNX version converter "
                            "would change its coordinate mapping; re-export "
                            "with opset >= 11";
      return nullptr;
    }
  }

  std::string dir = ".";
  if (fileName != "-" && !fileName.empty()) {
    StringRef parent = llvm::sys::path::parent_path(fileName);
    if (!parent.empty())
      dir = parent.str();
  }
  TensorLoader loader(dir);

  if (llvm::Error err = applyInputShapes(model, options))
    return report(std::move(err));
  if (llvm::Error err = checkTensorSizes(model))
    return report(std::move(err));
  // libonnx's version converter trusts the graph (an undefined input
  // crashes graphProtoToGraph): check the structure ourselves first.
  if (opset >= 0 && opset < options.targetOpset)
    if (llvm::Error err = checkModelStructure(model))
      return report(std::move(err));
  llvm::Expected<bool> converted = convertVersion(model, options.targetOpset);
  if (converted && *converted) {
    opset = getDefaultOpset(model);
  } else if (!converted && opset >= 9) {
    // The lowering reads the opset 9..12 forms itself.
    llvm::consumeError(converted.takeError());
  } else if (!converted) {
    emitError(fileLoc) << "cannot convert the opset " << opset
                       << " model to opset " << options.targetOpset
                       << " with the ONNX version converter: "
                       << llvm::toString(converted.takeError());
    return nullptr;
  }
  // After the conversion: the converter of libonnx 1.12 rejects
  // initializers that are not graph inputs.
  if (llvm::Error err = bindInputs(model, options))
    return report(std::move(err));
  if (!libOnnxKnowsOpset) {
    if (llvm::Error err = checkModelStructure(model))
      return report(std::move(err));
  } else {
    onnx::ModelProto viewStorage;
    onnx::ModelProto &view =
        makeLibOnnxView(model, loader, viewStorage) ? viewStorage : model;
    if (llvm::Error err = checkModel(view))
      return report(std::move(err));
    if (llvm::Error err = inferShapes(view))
      return report(std::move(err));
    if (&view != &model) {
      // Shape inference ran on the view: take its value_info back.
      *model.mutable_graph()->mutable_value_info() = view.graph().value_info();
    }
  }
  Reader reader(context, options, fileName, loader);
  if (!libOnnxKnowsOpset)
    reader.elemTypes = propagateElementTypes(model.graph());
  return reader.run(model, opset);
}

OwningOpRef<ModuleOp>
mlir::bitmod::importONNXModel(StringRef buffer, StringRef fileName,
                              MLIRContext *context,
                              const ONNXImportOptions &options) {
  OwningOpRef<ModuleOp> module =
      readONNXModel(buffer, fileName, context, options);
  if (!module)
    return nullptr;
  PassManager pm(context);
  BitMoDONNXToTOSAOptions lowering;
  lowering.denseElementLimit = options.denseElementLimit;
  lowering.lazyTransposeLimit = options.lazyTransposeElements;
  pm.addPass(createBitMoDONNXToTOSA(lowering));
  if (failed(pm.run(*module)))
    return nullptr;
  return module;
}
