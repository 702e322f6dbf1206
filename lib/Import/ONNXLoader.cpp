//===- ONNXLoader.cpp - Parsing, checking and shape inference -------------===//

#include "ONNXLoader.h"

#include "llvm/ADT/StringExtras.h"
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

std::string onnx_import::parseModel(StringRef buffer, onnx::ModelProto &model) {
  if (buffer.empty())
    return "the file is empty";
  if (looksLikeText(buffer)) {
    std::string text = buffer.str();
    try {
      onnx::OnnxParser parser(text.c_str());
      onnx::Status status = parser.Parse(model);
      if (!status.IsOK())
        return "cannot parse ONNX text syntax: " + status.ErrorMessage();
    } catch (const std::exception &e) {
      return std::string("cannot parse ONNX text syntax: ") + e.what();
    }
    return "";
  }
  if (buffer.size() > (size_t)std::numeric_limits<int>::max())
    return "the file is larger than 2 GiB; store the weights as external data";
  if (!model.ParseFromArray(buffer.data(), (int)buffer.size()))
    return "not a valid ONNX model: the binary protobuf could not be parsed "
           "(truncated or corrupt file?) and it is not ONNX text syntax";
  if (!model.has_graph())
    return "not a valid ONNX model: no graph";
  return "";
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
      if (loader.load(copy, t).empty()) {
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

std::string onnx_import::checkModel(const onnx::ModelProto &model) {
  try {
    onnx::checker::check_model(model);
  } catch (const onnx::checker::ValidationError &e) {
    return std::string("ONNX checker: ") + e.what();
  } catch (const std::exception &e) {
    return std::string("ONNX checker: ") + e.what();
  }
  return "";
}

std::string onnx_import::applyInputShapes(onnx::ModelProto &model,
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
      return "--input-shape: the graph has no input named '" + name +
             "' (inputs: " + known + ")";
    auto *tensorType = input->mutable_type()->mutable_tensor_type();
    if (tensorType->has_shape() &&
        tensorType->shape().dim_size() != (int)shape.size())
      return "--input-shape: input '" + name + "' has rank " +
             std::to_string(tensorType->shape().dim_size()) +
             " in the model but " + std::to_string(shape.size()) +
             " dimensions were given";
    auto *shapeProto = tensorType->mutable_shape();
    for (size_t i = 0; i < shape.size(); ++i) {
      if (shapeProto->dim_size() > (int)i) {
        const auto &dim = shapeProto->dim(i);
        if (dim.has_dim_value() && dim.dim_value() != shape[i])
          return "--input-shape: input '" + name + "' dimension " +
                 std::to_string(i) + " is " + std::to_string(dim.dim_value()) +
                 " in the model but " + std::to_string(shape[i]) + " was given";
      }
    }
    shapeProto->clear_dim();
    for (int64_t d : shape)
      shapeProto->add_dim()->set_dim_value(d);
  }
  return "";
}

bool onnx_import::convertVersion(onnx::ModelProto &model, int targetOpset,
                                 std::string &note) {
  int64_t opset = getDefaultOpset(model);
  if (opset < 0 || opset >= targetOpset)
    return false;
  try {
    onnx::ModelProto converted =
        onnx::version_conversion::ConvertVersion(model, targetOpset);
    model = std::move(converted);
    return true;
  } catch (const std::exception &e) {
    note = e.what();
  }
  return false;
}

std::string onnx_import::inferShapes(onnx::ModelProto &model) {
  try {
    onnx::ShapeInferenceOptions opts(/*check_type=*/true, /*strict=*/1,
                                     /*data_prop=*/true);
    onnx::shape_inference::InferShapes(
        model, onnx::OpSchemaRegistry::Instance(), opts);
  } catch (const onnx::InferenceError &e) {
    return std::string("ONNX shape inference: ") + e.what();
  } catch (const std::exception &e) {
    return std::string("ONNX shape inference: ") + e.what();
  }
  return "";
}

std::string TensorLoader::mapFile(StringRef location,
                                  std::shared_ptr<llvm::MemoryBuffer> &buffer) {
  if (location.empty())
    return "external data has an empty location";
  if (llvm::sys::path::is_absolute(location) || location.starts_with("/") ||
      location.starts_with("\\"))
    return "external data location '" + location.str() +
           "' is an absolute path; only paths relative to the model folder "
           "are accepted";
  for (auto it = llvm::sys::path::begin(location),
            e = llvm::sys::path::end(location);
       it != e; ++it)
    if (*it == "..")
      return "external data location '" + location.str() +
             "' contains '..'; only paths inside the model folder are "
             "accepted";
  auto found = files.find(location);
  if (found != files.end()) {
    buffer = found->second;
    return "";
  }
  llvm::SmallString<256> path(modelDir);
  llvm::sys::path::append(path, location);
  auto fileOrErr =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!fileOrErr)
    return "cannot open external data file '" + std::string(path) +
           "': " + fileOrErr.getError().message();
  buffer = std::shared_ptr<llvm::MemoryBuffer>(std::move(*fileOrErr));
  files[location] = buffer;
  return "";
}

std::string TensorLoader::load(onnx::TensorProto &proto, ConstTensor &out) {
  const std::string &name = proto.name();
  int32_t dtype = proto.data_type();
  size_t es = dtypeSize(dtype);
  if (es == 0)
    return "tensor '" + name + "' has unsupported data type " +
           dtypeName(dtype);
  SmallVector<int64_t> shape;
  int64_t n = 1;
  for (int64_t d : proto.dims()) {
    if (d < 0)
      return "tensor '" + name + "' has a negative dimension";
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
          return "tensor '" + name + "': invalid external data " + kv.key() +
                 " '" + kv.value() + "'";
        (kv.key() == "offset" ? offset : length) = v;
      }
    }
    std::shared_ptr<llvm::MemoryBuffer> file;
    std::string err = mapFile(location, file);
    if (!err.empty())
      return "tensor '" + name + "': " + err;
    if (length >= 0 && (size_t)length != bytes)
      return "tensor '" + name + "': external data length " +
             std::to_string(length) + " does not match the " +
             std::to_string(bytes) + " bytes of its type and shape";
    size_t fileSize = file->getBufferSize();
    if ((size_t)offset > fileSize || fileSize - offset < bytes)
      return "tensor '" + name + "': external data file '" + location +
             "' is too short (" + std::to_string(fileSize) +
             " bytes, need offset " + std::to_string(offset) + " + " +
             std::to_string(bytes) + ")";
    out = ConstTensor(dtype, shape, file, file->getBufferStart() + offset);
    return "";
  }

  if (proto.has_raw_data()) {
    if (proto.raw_data().size() != bytes)
      return "tensor '" + name + "': raw_data has " +
             std::to_string(proto.raw_data().size()) + " bytes, expected " +
             std::to_string(bytes);
    // Steal the protobuf string: no copy of the weight bytes.
    std::shared_ptr<std::string> raw(proto.release_raw_data());
    const char *data = raw->data();
    out = ConstTensor(dtype, shape, std::move(raw), data);
    return "";
  }

  out = ConstTensor::allocate(dtype, shape);
  auto mismatch = [&](int64_t got) {
    return "tensor '" + name + "' has " + std::to_string(got) +
           " values, expected " + std::to_string(n);
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
  return "";
}
