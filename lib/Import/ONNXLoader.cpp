//===- ONNXLoader.cpp - Parsing, checking and shape inference -------------===//

#include "ONNXLoader.h"

#include "bitmod/Support/Error.h"
#include "bitmod/Support/FileMappings.h"
#include "bitmod/Support/MemoryLimit.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <onnx/checker.h>
#include <onnx/defs/parser.h>
#include <onnx/shape_inference/implementation.h>
#include <onnx/version_converter/convert.h>

#include <cstring>
#include <exception>
#include <limits>

using namespace mlir;
using namespace mlir::bitmod;
using namespace mlir::bitmod::onnx_import;

static bool looksLikeText(StringRef buffer) {
  StringRef t = buffer.ltrim();
  if (t.starts_with("<") || t.starts_with("ir_version") || t.starts_with("#") ||
      t.starts_with("//"))
    return true;
  // A graph without a model header: `name (inputs) => (outputs) {`.
  size_t n = std::min<size_t>(t.size(), 256);
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = t[i];
    if (c < 0x09 || (c > 0x0d && c < 0x20) || c >= 0x7f)
      return false;
  }
  return t.contains("=>") && t.contains("{");
}

llvm::Error onnx_import::parseModel(StringRef buffer, onnx::ModelProto &model) {
  if (buffer.empty())
    return ::bitmod::makeError("the file is empty");
  if (looksLikeText(buffer)) {
    std::string text = buffer.str();
    try {
      onnx::OnnxParser parser(text.c_str());
      onnx::Status status = parser.Parse(model);
      if (!status.IsOK())
        return ::bitmod::makeError("cannot parse ONNX text syntax: " +
                                   status.ErrorMessage());
    } catch (const std::exception &e) {
      return ::bitmod::makeError(
          std::string("cannot parse ONNX text syntax: ") + e.what());
    }
    return llvm::Error::success();
  }
  if (buffer.size() > (size_t)std::numeric_limits<int>::max())
    return ::bitmod::makeError(
        "the file is larger than 2 GiB; store the weights as external data");
  if (!model.ParseFromArray(buffer.data(), (int)buffer.size()))
    return ::bitmod::makeError(
        "not a valid ONNX model: the binary protobuf could not be parsed "
        "(truncated or corrupt file?) and it is not ONNX text syntax");
  if (!model.has_graph())
    return ::bitmod::makeError("not a valid ONNX model: no graph");
  return llvm::Error::success();
}

int64_t onnx_import::getDefaultOpset(const onnx::ModelProto &model) {
  for (const auto &op : model.opset_import())
    if (op.domain().empty() || op.domain() == "ai.onnx")
      return op.version();
  return -1;
}

bool onnx_import::makeLibOnnxView(const onnx::ModelProto &model,
                                  TensorLoader &loader,
                                  onnx::ModelProto &view) {
  // libonnx resolves external data relative to the working directory and
  // cannot run shape inference through it. The checker and shape inference
  // therefore see a copy where small external tensors (shape constants) are
  // inlined and large ones (weights) become typed graph inputs.
  bool hasExternal = llvm::any_of(model.graph().initializer(), [](auto &t) {
    return t.data_location() == onnx::TensorProto::EXTERNAL;
  });
  if (!hasExternal)
    return false;
  view = model;
  auto *graph = view.mutable_graph();
  llvm::StringSet<> inputs;
  for (const auto &in : graph->input())
    inputs.insert(in.name());
  google::protobuf::RepeatedPtrField<onnx::TensorProto> kept;
  for (auto &init : *graph->mutable_initializer()) {
    if (init.data_location() != onnx::TensorProto::EXTERNAL) {
      *kept.Add() = std::move(init);
      continue;
    }
    int64_t n = 1;
    for (int64_t d : init.dims())
      n *= d;
    if (n <= 4096) {
      onnx::TensorProto copy = init;
      ConstTensor t;
      if (llvm::Error err = loader.load(copy, t)) {
        llvm::consumeError(std::move(err));
      } else {
        onnx::TensorProto *inl = kept.Add();
        *inl = init;
        inl->clear_external_data();
        inl->set_data_location(onnx::TensorProto::DEFAULT);
        inl->set_raw_data(std::string(t.data(), t.numBytes()));
        continue;
      }
    }
    if (inputs.contains(init.name()))
      continue;
    auto *in = graph->add_input();
    in->set_name(init.name());
    auto *tt = in->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(init.data_type());
    auto *shape = tt->mutable_shape();
    for (int64_t d : init.dims())
      shape->add_dim()->set_dim_value(d);
  }
  graph->mutable_initializer()->Swap(&kept);
  return true;
}

llvm::Error onnx_import::checkTensorSizes(const onnx::ModelProto &model) {
  const onnx::GraphProto &graph = model.graph();
  auto checkSize = [](const onnx::TensorProto &t,
                      const std::string &what) -> llvm::Error {
    size_t es = dtypeSize(t.data_type());
    SmallVector<int64_t> dims(t.dims().begin(), t.dims().end());
    return ::bitmod::checkTensorMemory(what + " '" + t.name() + "'", dims,
                                       es ? es : 1);
  };
  for (const auto &init : graph.initializer())
    if (llvm::Error err = checkSize(init, "initializer"))
      return err;
  for (const onnx::NodeProto &node : graph.node())
    for (const onnx::AttributeProto &a : node.attribute())
      if (a.has_t())
        if (llvm::Error err = checkSize(a.t(), node.op_type() + " attribute '" +
                                                   a.name() + "' tensor"))
          return err;
  return llvm::Error::success();
}

llvm::Error onnx_import::checkModelStructure(const onnx::ModelProto &model) {
  if (model.ir_version() > kMaxIRVersion)
    return ::bitmod::makeError(
        "unsupported IR version " + std::to_string(model.ir_version()) +
        " (IR versions up to " + std::to_string(kMaxIRVersion) +
        " are accepted)");
  const onnx::GraphProto &graph = model.graph();
  llvm::StringSet<> defined;
  auto define = [&](const std::string &name,
                    const std::string &what) -> llvm::Error {
    if (!name.empty() && !defined.insert(name).second)
      return ::bitmod::makeError("value '" + name + "' is defined twice (" +
                                 what + ")");
    return llvm::Error::success();
  };
  for (const auto &init : graph.initializer())
    if (llvm::Error err = define(init.name(), "initializer"))
      return err;
  for (const auto &in : graph.input())
    if (!defined.contains(in.name()))
      defined.insert(in.name());
  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto &node = graph.node(i);
    std::string label = node.name().empty()
                            ? node.op_type() + " #" + std::to_string(i)
                            : "'" + node.name() + "'";
    for (const std::string &in : node.input())
      if (!in.empty() && !defined.contains(in))
        return ::bitmod::makeError("node " + label + " (" + node.op_type() +
                                   "): input '" + in +
                                   "' is not defined before it is used");
    for (const std::string &out : node.output())
      if (llvm::Error err = define(out, "output of node " + label))
        return err;
  }
  for (const auto &out : graph.output())
    if (!defined.contains(out.name()))
      return ::bitmod::makeError("graph output '" + out.name() +
                                 "' is not produced by any node");
  return llvm::Error::success();
}

llvm::StringMap<int32_t>
onnx_import::propagateElementTypes(const onnx::GraphProto &graph) {
  llvm::StringMap<int32_t> types;
  auto declare = [&](const onnx::ValueInfoProto &v) {
    if (v.type().has_tensor_type())
      types[v.name()] = v.type().tensor_type().elem_type();
  };
  for (const auto &v : graph.input())
    declare(v);
  for (const auto &t : graph.initializer())
    types[t.name()] = t.data_type();
  auto typeOf = [&](const std::string &name) -> int32_t {
    auto it = types.find(name);
    return it == types.end() ? kUndefined : it->second;
  };
  for (const onnx::NodeProto &node : graph.node()) {
    const std::string &op = node.op_type();
    auto attr = [&](StringRef name) -> const onnx::AttributeProto * {
      for (const auto &a : node.attribute())
        if (a.name() == name)
          return &a;
      return nullptr;
    };
    int32_t first = kUndefined;
    for (const std::string &in : node.input())
      if (!in.empty() && (first = typeOf(in)) != kUndefined)
        break;
    for (int j = 0; j < node.output_size(); ++j) {
      int32_t t = first;
      if (op == "Cast") {
        const auto *to = attr("to");
        t = to ? (int32_t)to->i() : kUndefined;
      } else if (op == "CastLike") {
        t = node.input_size() > 1 ? typeOf(node.input(1)) : kUndefined;
      } else if (op == "Constant" || op == "ConstantOfShape") {
        t = op == "ConstantOfShape" ? kFloat : kUndefined;
        for (const auto &a : node.attribute()) {
          if (a.name() == "value")
            t = a.t().data_type();
          else if (a.name() == "value_float" || a.name() == "value_floats")
            t = kFloat;
          else if (a.name() == "value_int" || a.name() == "value_ints")
            t = kInt64;
          else if (a.name() == "value_string" || a.name() == "value_strings")
            t = kString;
        }
      } else if (op == "Shape" || op == "Size" || op == "ArgMax" ||
                 op == "ArgMin" || op == "NonZero" ||
                 (op == "TopK" && j == 1)) {
        t = kInt64;
      } else if (op == "Equal" || op == "Less" || op == "Greater" ||
                 op == "LessOrEqual" || op == "GreaterOrEqual" || op == "And" ||
                 op == "Or" || op == "Xor" || op == "Not" || op == "IsNaN" ||
                 op == "IsInf" || (op == "Dropout" && j == 1)) {
        t = kBool;
      } else if (op == "Where") {
        t = node.input_size() > 1 ? typeOf(node.input(1)) : kUndefined;
      } else if (const auto *dtype = attr("dtype")) {
        t = (int32_t)dtype->i(); // EyeLike, Random*
      }
      if (!node.output(j).empty() && !types.count(node.output(j)))
        types[node.output(j)] = t;
    }
  }
  return types;
}

llvm::Error onnx_import::checkModel(const onnx::ModelProto &model) {
  try {
    onnx::checker::check_model(model);
  } catch (const onnx::checker::ValidationError &e) {
    return ::bitmod::makeError(std::string("ONNX checker: ") + e.what());
  } catch (const std::exception &e) {
    return ::bitmod::makeError(std::string("ONNX checker: ") + e.what());
  }
  return llvm::Error::success();
}

llvm::Error onnx_import::applyInputShapes(onnx::ModelProto &model,
                                          const ONNXImportOptions &options) {
  onnx::GraphProto *graph = model.mutable_graph();
  llvm::StringSet<> inits;
  for (const auto &init : graph->initializer())
    inits.insert(init.name());
  for (const auto &[name, shape] : options.inputShapes) {
    onnx::ValueInfoProto *input = nullptr;
    std::string known;
    for (auto &in : *graph->mutable_input()) {
      if (inits.contains(in.name()))
        continue;
      known += (known.empty() ? "" : ", ") + in.name();
      if (in.name() == name)
        input = &in;
    }
    if (!input)
      return ::bitmod::makeError(
          "--input-shape: the graph has no input named '" + name +
          "' (inputs: " + known + ")");
    auto *tensorType = input->mutable_type()->mutable_tensor_type();
    if (tensorType->has_shape() &&
        tensorType->shape().dim_size() != (int)shape.size())
      return ::bitmod::makeError(
          "--input-shape: input '" + name + "' has rank " +
          std::to_string(tensorType->shape().dim_size()) +
          " in the model but " + std::to_string(shape.size()) +
          " dimensions were given");
    auto *shapeProto = tensorType->mutable_shape();
    for (size_t i = 0; i < shape.size(); ++i) {
      if (shapeProto->dim_size() > (int)i) {
        const auto &dim = shapeProto->dim(i);
        if (dim.has_dim_value() && dim.dim_value() != shape[i])
          return ::bitmod::makeError(
              "--input-shape: input '" + name + "' dimension " +
              std::to_string(i) + " is " + std::to_string(dim.dim_value()) +
              " in the model but " + std::to_string(shape[i]) + " was given");
      }
    }
    shapeProto->clear_dim();
    for (int64_t d : shape)
      shapeProto->add_dim()->set_dim_value(d);
  }
  if (options.inputDims.empty())
    return llvm::Error::success();
  // Symbolic dimensions: every input and output dimension of that name.
  llvm::StringMap<int64_t> dims;
  for (const auto &[name, value] : options.inputDims)
    dims[name] = value;
  llvm::StringSet<> used, unbound;
  std::string symbols;
  auto bindDims = [&](onnx::ValueInfoProto &v) {
    if (!v.type().has_tensor_type() || !v.type().tensor_type().has_shape())
      return;
    auto *shapeProto = v.mutable_type()->mutable_tensor_type()->mutable_shape();
    for (auto &dim : *shapeProto->mutable_dim()) {
      if (!dim.has_dim_param())
        continue;
      std::string param = dim.dim_param();
      auto it = dims.find(param);
      if (it == dims.end()) {
        if (unbound.insert(param).second)
          symbols += (symbols.empty() ? "" : ", ") + param;
        continue;
      }
      used.insert(param);
      dim.set_dim_value(it->second);
    }
  };
  for (auto &in : *graph->mutable_input())
    if (!inits.contains(in.name()))
      bindDims(in);
  for (auto &out : *graph->mutable_output())
    bindDims(out);
  for (const auto &[name, value] : options.inputDims)
    if (!used.contains(name))
      return ::bitmod::makeError(
          "--input-dim: no graph input or output has a dimension named '" +
          name + "'" +
          (symbols.empty() ? std::string(" (the model has no other symbolic "
                                         "dimensions)")
                           : " (other symbolic dimensions: " + symbols + ")"));
  return llvm::Error::success();
}

/// libonnx 1.12's Reshape 4->5 adapter turns the `shape` attribute into a
/// Constant whose tensor has no dims although it holds one value per output
/// dimension; give such tensors their 1-D shape.
static void fixConvertedConstants(onnx::GraphProto &graph) {
  for (auto &node : *graph.mutable_node()) {
    if (node.op_type() != "Constant")
      continue;
    for (auto &a : *node.mutable_attribute()) {
      if (a.name() != "value" || !a.has_t() || a.t().dims_size() != 0)
        continue;
      onnx::TensorProto *t = a.mutable_t();
      int64_t count = t->int64_data_size() + t->int32_data_size() +
                      t->float_data_size() + t->double_data_size();
      if (t->has_raw_data() && dtypeSize(t->data_type()))
        count = t->raw_data().size() / dtypeSize(t->data_type());
      if (count > 1)
        t->add_dims(count);
    }
  }
}

llvm::Expected<bool> onnx_import::convertVersion(onnx::ModelProto &model,
                                                 int targetOpset) {
  int64_t opset = getDefaultOpset(model);
  if (opset < 0 || opset >= targetOpset)
    return false;
  try {
    onnx::ModelProto converted =
        onnx::version_conversion::ConvertVersion(model, targetOpset);
    model = std::move(converted);
    fixConvertedConstants(*model.mutable_graph());
    return true;
  } catch (const std::exception &e) {
    return ::bitmod::makeError(e.what());
  }
}

llvm::Error onnx_import::inferShapes(onnx::ModelProto &model) {
  try {
    onnx::ShapeInferenceOptions opts(/*check_type=*/true, /*strict=*/1,
                                     /*data_prop=*/true);
    onnx::shape_inference::InferShapes(
        model, onnx::OpSchemaRegistry::Instance(), opts);
  } catch (const onnx::InferenceError &e) {
    return ::bitmod::makeError(std::string("ONNX shape inference: ") +
                               e.what());
  } catch (const std::exception &e) {
    return ::bitmod::makeError(std::string("ONNX shape inference: ") +
                               e.what());
  }
  return llvm::Error::success();
}

llvm::Error TensorLoader::mapFile(StringRef location,
                                  std::shared_ptr<llvm::MemoryBuffer> &buffer) {
  if (location.empty())
    return ::bitmod::makeError("external data has an empty location");
  if (llvm::sys::path::is_absolute(location) || location.starts_with("/") ||
      location.starts_with("\\"))
    return ::bitmod::makeError(
        "external data location '" + location.str() +
        "' is an absolute path; only paths relative to the model folder "
        "are accepted");
  for (auto it = llvm::sys::path::begin(location),
            e = llvm::sys::path::end(location);
       it != e; ++it)
    if (*it == "..")
      return ::bitmod::makeError(
          "external data location '" + location.str() +
          "' contains '..'; only paths inside the model folder are "
          "accepted");
  auto found = files.find(location);
  if (found != files.end()) {
    buffer = found->second;
    return llvm::Error::success();
  }
  llvm::SmallString<256> path(modelDir);
  llvm::sys::path::append(path, location);
  auto fileOrErr =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!fileOrErr)
    return ::bitmod::makeError("cannot open external data file '" +
                               std::string(path) +
                               "': " + fileOrErr.getError().message());
  std::unique_ptr<llvm::MemoryBuffer> file = std::move(*fileOrErr);
  if (file->getBufferKind() == llvm::MemoryBuffer::MemoryBuffer_MMap) {
    // Lets the quantizer unmap the pages of a weight it has read (they
    // stay in the page cache) while the mapping lives.
    ::bitmod::support::registerReadOnlyFileMapping(file->getBufferStart(),
                                                   file->getBufferSize());
    buffer = std::shared_ptr<llvm::MemoryBuffer>(
        file.release(), [](llvm::MemoryBuffer *b) {
          ::bitmod::support::unregisterReadOnlyFileMapping(b->getBufferStart());
          delete b;
        });
  } else {
    buffer = std::shared_ptr<llvm::MemoryBuffer>(std::move(file));
  }
  files[location] = buffer;
  return llvm::Error::success();
}

llvm::Error TensorLoader::load(onnx::TensorProto &proto, ConstTensor &out) {
  const std::string &name = proto.name();
  int32_t dtype = proto.data_type();
  size_t es = dtypeSize(dtype);
  if (es == 0)
    return ::bitmod::makeError(
        "tensor '" + name + "' has unsupported data type " + dtypeName(dtype));
  SmallVector<int64_t> shape;
  int64_t n = 1;
  for (int64_t d : proto.dims()) {
    if (d < 0)
      return ::bitmod::makeError("tensor '" + name +
                                 "' has a negative dimension");
    shape.push_back(d);
    n *= d;
  }
  size_t bytes = n * es;

  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    std::string location;
    int64_t offset = 0, length = -1;
    for (const auto &kv : proto.external_data()) {
      if (kv.key() == "location") {
        location = kv.value();
      } else if (kv.key() == "offset" || kv.key() == "length") {
        int64_t v;
        if (StringRef(kv.value()).getAsInteger(10, v) || v < 0)
          return ::bitmod::makeError("tensor '" + name +
                                     "': invalid external data " + kv.key() +
                                     " '" + kv.value() + "'");
        (kv.key() == "offset" ? offset : length) = v;
      }
    }
    std::shared_ptr<llvm::MemoryBuffer> file;
    if (llvm::Error err = mapFile(location, file))
      return ::bitmod::makeError("tensor '" + name +
                                 "': " + llvm::toString(std::move(err)));
    if (length >= 0 && (size_t)length != bytes)
      return ::bitmod::makeError(
          "tensor '" + name + "': external data length " +
          std::to_string(length) + " does not match the " +
          std::to_string(bytes) + " bytes of its type and shape");
    size_t fileSize = file->getBufferSize();
    if ((size_t)offset > fileSize || fileSize - offset < bytes)
      return ::bitmod::makeError(
          "tensor '" + name + "': external data file '" + location +
          "' is too short (" + std::to_string(fileSize) +
          " bytes, need offset " + std::to_string(offset) + " + " +
          std::to_string(bytes) + ")");
    out = ConstTensor(dtype, shape, file, file->getBufferStart() + offset);
    return llvm::Error::success();
  }

  if (proto.has_raw_data()) {
    if (proto.raw_data().size() != bytes)
      return ::bitmod::makeError("tensor '" + name + "': raw_data has " +
                                 std::to_string(proto.raw_data().size()) +
                                 " bytes, expected " + std::to_string(bytes));
    // Steal the protobuf string: no copy of the weight bytes.
    std::shared_ptr<std::string> raw(proto.release_raw_data());
    const char *data = raw->data();
    out = ConstTensor(dtype, shape, std::move(raw), data);
    return llvm::Error::success();
  }

  out = ConstTensor::allocate(dtype, shape);
  auto mismatch = [&](int64_t got) {
    return ::bitmod::makeError("tensor '" + name + "' has " +
                               std::to_string(got) + " values, expected " +
                               std::to_string(n));
  };
  switch (dtype) {
  case kFloat:
    if (proto.float_data_size() != n)
      return mismatch(proto.float_data_size());
    std::memcpy(out.mutableData(), proto.float_data().data(), bytes);
    break;
  case kDouble:
    if (proto.double_data_size() != n)
      return mismatch(proto.double_data_size());
    std::memcpy(out.mutableData(), proto.double_data().data(), bytes);
    break;
  case kInt64:
    if (proto.int64_data_size() != n)
      return mismatch(proto.int64_data_size());
    std::memcpy(out.mutableData(), proto.int64_data().data(), bytes);
    break;
  case kUInt32:
  case kUInt64:
    if (proto.uint64_data_size() != n)
      return mismatch(proto.uint64_data_size());
    for (int64_t i = 0; i < n; ++i)
      out.setInt(i, (int64_t)proto.uint64_data(i));
    break;
  case kFloat16:
  case kBFloat16:
    // 16-bit floats are stored as their bit patterns in int32_data.
    if (proto.int32_data_size() != n)
      return mismatch(proto.int32_data_size());
    for (int64_t i = 0; i < n; ++i) {
      uint16_t bits = (uint16_t)proto.int32_data(i);
      std::memcpy(out.mutableData() + 2 * i, &bits, 2);
    }
    break;
  default:
    if (proto.int32_data_size() != n)
      return mismatch(proto.int32_data_size());
    for (int64_t i = 0; i < n; ++i)
      out.setInt(i, proto.int32_data(i));
    break;
  }
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// --bind-input
//===----------------------------------------------------------------------===//

/// ONNX data type of a numpy `descr` such as '<f4' (kUndefined if none).
static int32_t npyDType(StringRef descr, std::string &error) {
  if (descr.size() < 3) {
    error = "unrecognized dtype '" + descr.str() + "'";
    return kUndefined;
  }
  char order = descr[0];
  StringRef code = descr.drop_front();
  if (order == '>' && code != "b1" && code != "i1" && code != "u1") {
    error = "big-endian dtype '" + descr.str() + "' is not supported";
    return kUndefined;
  }
  static const std::pair<const char *, int32_t> table[] = {
      {"f4", kFloat},  {"f8", kDouble}, {"f2", kFloat16}, {"i1", kInt8},
      {"i2", kInt16},  {"i4", kInt32},  {"i8", kInt64},   {"u1", kUInt8},
      {"u2", kUInt16}, {"u4", kUInt32}, {"u8", kUInt64},  {"b1", kBool}};
  for (const auto &[c, t] : table)
    if (code == c)
      return t;
  error = "unsupported dtype '" + descr.str() + "'";
  return kUndefined;
}

/// Reads a numpy .npy file (format 1.0-3.0, C order, little endian).
static llvm::Error parseNpy(StringRef data, onnx::TensorProto &tensor) {
  if (data.size() < 10)
    return ::bitmod::makeError("truncated .npy header");
  unsigned major = (unsigned char)data[6];
  size_t headerLen, headerStart;
  if (major == 1) {
    headerLen = (unsigned char)data[8] | ((unsigned char)data[9] << 8);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (data.size() < 12)
      return ::bitmod::makeError("truncated .npy header");
    headerLen = 0;
    for (int i = 3; i >= 0; --i)
      headerLen = (headerLen << 8) | (unsigned char)data[8 + i];
    headerStart = 12;
  } else {
    return ::bitmod::makeError("unsupported .npy format version " +
                               std::to_string(major));
  }
  if (data.size() < headerStart + headerLen)
    return ::bitmod::makeError("truncated .npy header");
  StringRef header = data.substr(headerStart, headerLen);
  auto field = [&](StringRef key) -> StringRef {
    size_t pos = header.find("'" + key.str() + "'");
    if (pos == StringRef::npos)
      return {};
    StringRef rest = header.drop_front(pos + key.size() + 2).ltrim();
    if (!rest.consume_front(":"))
      return {};
    return rest.ltrim();
  };
  StringRef descr = field("descr");
  if (!descr.consume_front("'"))
    return ::bitmod::makeError("the .npy header has no 'descr'");
  descr = descr.take_until([](char c) { return c == '\''; });
  std::string error;
  int32_t dtype = npyDType(descr, error);
  if (dtype == kUndefined)
    return ::bitmod::makeError(".npy: " + error);
  if (field("fortran_order").starts_with("True"))
    return ::bitmod::makeError(".npy: Fortran-order arrays are not supported");
  StringRef shapeText = field("shape");
  if (!shapeText.consume_front("("))
    return ::bitmod::makeError("the .npy header has no 'shape'");
  shapeText = shapeText.take_until([](char c) { return c == ')'; });
  SmallVector<StringRef> parts;
  shapeText.split(parts, ',', -1, /*KeepEmpty=*/false);
  int64_t n = 1;
  for (StringRef p : parts) {
    p = p.trim();
    if (p.empty())
      continue;
    int64_t d;
    if (p.getAsInteger(10, d) || d < 0)
      return ::bitmod::makeError(".npy: invalid shape '(" + shapeText.str() +
                                 ")'");
    tensor.add_dims(d);
    n *= d;
  }
  size_t bytes = n * dtypeSize(dtype);
  StringRef payload = data.drop_front(headerStart + headerLen);
  if (payload.size() != bytes)
    return ::bitmod::makeError(".npy: data has " +
                               std::to_string(payload.size()) +
                               " bytes, expected " + std::to_string(bytes));
  tensor.set_data_type(dtype);
  tensor.set_raw_data(payload.data(), payload.size());
  return llvm::Error::success();
}

static std::string shapeString(ArrayRef<int64_t> dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i)
    s += (i ? "," : "") +
         (dims[i] < 0 ? std::string("?") : std::to_string(dims[i]));
  return s + "]";
}

llvm::Error onnx_import::bindInputs(onnx::ModelProto &model,
                                    const ONNXImportOptions &options) {
  onnx::GraphProto *graph = model.mutable_graph();
  for (const auto &[name, path] : options.boundInputs) {
    std::string prefix = "--bind-input " + name + ": ";
    llvm::StringSet<> inits;
    for (const auto &init : graph->initializer())
      inits.insert(init.name());
    int index = -1;
    std::string known;
    for (int i = 0; i < graph->input_size(); ++i) {
      const std::string &in = graph->input(i).name();
      if (inits.contains(in))
        continue;
      known += (known.empty() ? "" : ", ") + in;
      if (in == name)
        index = i;
    }
    if (index < 0)
      return ::bitmod::makeError(
          prefix + "the graph has no input named '" + name +
          "' (inputs: " + (known.empty() ? "none" : known) + ")");

    auto fileOrErr = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                                 /*RequiresNullTerminator=*/
                                                 false);
    if (!fileOrErr)
      return ::bitmod::makeError(prefix + "cannot read '" + path +
                                 "': " + fileOrErr.getError().message());
    StringRef data = (*fileOrErr)->getBuffer();
    onnx::TensorProto tensor;
    if (data.starts_with("\x93NUMPY")) {
      if (llvm::Error err = parseNpy(data, tensor))
        return ::bitmod::makeError(prefix + "'" + path +
                                   "': " + llvm::toString(std::move(err)));
    } else {
      bool ok = false;
      try {
        ok = data.size() <= (size_t)std::numeric_limits<int>::max() &&
             tensor.ParseFromArray(data.data(), (int)data.size());
      } catch (const std::exception &) {
        ok = false;
      }
      if (!ok)
        return ::bitmod::makeError(
            prefix + "'" + path +
            "' is neither a .npy file nor a serialized TensorProto");
      if (tensor.data_location() == onnx::TensorProto::EXTERNAL)
        return ::bitmod::makeError(prefix + "'" + path +
                                   "' refers to external data");
    }
    if (dtypeSize(tensor.data_type()) == 0)
      return ::bitmod::makeError(prefix + "'" + path +
                                 "' has unsupported element type " +
                                 dtypeName(tensor.data_type()));

    const onnx::ValueInfoProto &input = graph->input(index);
    SmallVector<int64_t> given(tensor.dims().begin(), tensor.dims().end());
    if (input.type().has_tensor_type()) {
      const auto &tt = input.type().tensor_type();
      if (tt.elem_type() != tensor.data_type())
        return ::bitmod::makeError(
            prefix + "the tensor in '" + path + "' has element type " +
            dtypeName(tensor.data_type()) + " but the input is " +
            dtypeName(tt.elem_type()));
      if (tt.has_shape()) {
        SmallVector<int64_t> declared;
        for (const auto &d : tt.shape().dim())
          declared.push_back(d.has_dim_value() ? d.dim_value() : -1);
        bool match = declared.size() == given.size();
        for (size_t i = 0; match && i < given.size(); ++i)
          match = declared[i] < 0 || declared[i] == given[i];
        if (!match)
          return ::bitmod::makeError(prefix + "the tensor in '" + path +
                                     "' has shape " + shapeString(given) +
                                     " but the input is declared as " +
                                     shapeString(declared));
      }
    } else {
      return ::bitmod::makeError(prefix + "input '" + name +
                                 "' is not a tensor");
    }
    tensor.set_name(name);
    *graph->add_initializer() = std::move(tensor);
    graph->mutable_input()->DeleteSubrange(index, 1);
    // IR version 4 is the first that allows initializers that are not
    // graph inputs (the checker enforces it).
    if (model.ir_version() < 4)
      model.set_ir_version(4);
  }
  return llvm::Error::success();
}
