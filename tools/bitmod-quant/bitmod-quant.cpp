//===- bitmod-quant.cpp - Quantize .npy matrices and ONNX models ----------===//
//
//   bitmod-quant --dtype=T [--group-size=G] [--scale-bits=S] in.npy -o out.npy
//       [--report r.json] [--packed p.bmqw]
//   bitmod-quant --dtype=T model.onnx -o model.q.onnx [--report r.json]
//
// The .npy mode fake-quantizes a float32/float16 [N, K] matrix (rows are
// output channels, groups run along K) and writes the dequantized float32
// matrix. The ONNX mode replaces every MatMul / Gemm weight (input B, an
// initializer or Constant-node output) with its dequantized value.
//
//===----------------------------------------------------------------------===//

#include "bitmod/Quant/Quantizer.h"
#include "bitmod/Support/Error.h"
#include "bitmod/Support/Npy.h"
#include "bitmod/Support/Version.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include "onnx/onnx_pb.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <map>

using namespace bitmod;
using namespace bitmod::quant;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

namespace {
llvm::cl::OptionCategory category("bitmod-quant options");

llvm::cl::opt<std::string> inputPath(llvm::cl::Positional,
                                     llvm::cl::desc("<input .npy or .onnx>"),
                                     llvm::cl::Required,
                                     llvm::cl::cat(category));
llvm::cl::opt<std::string> outputPath("o", llvm::cl::desc("Output file"),
                                      llvm::cl::value_desc("path"),
                                      llvm::cl::Required,
                                      llvm::cl::cat(category));
llvm::cl::opt<std::string>
    dtypeOpt("dtype", llvm::cl::desc("Weight data type (e.g. bitmod3)"),
             llvm::cl::init("bitmod3"), llvm::cl::cat(category));
llvm::cl::opt<std::string>
    groupSizeOpt("group-size",
                 llvm::cl::desc("Group size along K (default 128; MX: 32)"),
                 llvm::cl::init("128"), llvm::cl::cat(category));
llvm::cl::opt<std::string> scaleBitsOpt(
    "scale-bits",
    llvm::cl::desc("Bits of the integer group scales: 0 (float) or 4..8"),
    llvm::cl::init("8"), llvm::cl::cat(category));
llvm::cl::opt<std::string> granularityOpt(
    "granularity",
    llvm::cl::desc("per-group (default), per-channel or per-tensor"),
    llvm::cl::init("per-group"), llvm::cl::cat(category));
llvm::cl::opt<std::string> reportPath("report",
                                      llvm::cl::desc("Write a JSON report"),
                                      llvm::cl::value_desc("path"),
                                      llvm::cl::cat(category));
llvm::cl::opt<std::string>
    packedPath("packed",
               llvm::cl::desc("Also write the packed weights (.npy mode)"),
               llvm::cl::value_desc("path"), llvm::cl::cat(category));
llvm::cl::opt<unsigned> threadsOpt("num-threads",
                                   llvm::cl::desc("Worker threads (0 = all)"),
                                   llvm::cl::init(0), llvm::cl::cat(category));

double seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

Expected<QuantConfig> parseConfig() {
  QuantConfig cfg;
  std::optional<DataType> dtype = parseDataType(dtypeOpt);
  if (!dtype)
    return makeError("unknown dtype '" + dtypeOpt +
                     "'; valid dtypes: " + listDataTypeNames());
  cfg.dtype = *dtype;
  long long g;
  if (StringRef(groupSizeOpt).getAsInteger(10, g) || g <= 0 || g > (1LL << 30))
    return makeError("bad group size '" + groupSizeOpt +
                     "': must be a positive integer");
  cfg.groupSize = static_cast<unsigned>(g);
  unsigned s;
  if (StringRef(scaleBitsOpt).getAsInteger(10, s) ||
      (s != 0 && (s < 4 || s > 8)))
    return makeError("bad scale bits '" + scaleBitsOpt +
                     "': must be 0 (float scales) or 4..8");
  cfg.scaleBits = s;
  std::optional<Granularity> gran = parseGranularity(granularityOpt);
  if (!gran)
    return makeError("unknown granularity '" + granularityOpt +
                     "'; valid: per-group, per-channel, per-tensor");
  cfg.granularity = *gran;
  cfg.numThreads = threadsOpt;
  return cfg;
}

llvm::json::Object statsJSON(const QuantStats &st) {
  llvm::json::Object o;
  o["mse"] = st.getMSE();
  double sqnr = st.getSQNRdB();
  if (std::isinf(sqnr))
    o["sqnr_db"] = nullptr; // exact
  else
    o["sqnr_db"] = sqnr;
  o["max_abs_err"] = st.maxAbsError;
  return o;
}

llvm::json::Array histogramJSON(const std::array<uint64_t, 4> &h) {
  return llvm::json::Array{h[0], h[1], h[2], h[3]};
}

Error writeFile(StringRef path, llvm::ArrayRef<uint8_t> bytes) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return makeError("cannot open '" + path + "' for writing: " + ec.message());
  os.write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  os.close();
  if (os.has_error())
    return makeError("cannot write '" + path + "': " + os.error().message());
  return Error::success();
}

Error writeReport(llvm::json::Object report) {
  if (reportPath.empty())
    return Error::success();
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(report))) << "\n";
  os.flush();
  return writeFile(
      reportPath,
      llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(text.data()),
                              text.size()));
}

llvm::json::Object configJSON(const QuantConfig &cfg, unsigned effectiveG) {
  llvm::json::Object o;
  o["dtype"] = std::string(getName(cfg.dtype));
  o["group_size"] = effectiveG;
  o["scale_bits"] = cfg.scaleBits;
  o["granularity"] = std::string(getGranularityName(cfg.granularity));
  return o;
}

//===----------------------------------------------------------------------===//
// .npy mode
//===----------------------------------------------------------------------===//

Error runNpy(const QuantConfig &baseCfg) {
  auto start = std::chrono::steady_clock::now();
  Expected<support::NpyArray> arr = support::readNpy(inputPath);
  if (!arr)
    return arr.takeError();
  if (arr->shape.size() != 2)
    return makeError("'" + inputPath + "': expected a 2-D [N, K] array, got " +
                     llvm::Twine(arr->shape.size()) + "-D");
  if (arr->dtype != support::NpyDType::Float32 &&
      arr->dtype != support::NpyDType::Float16)
    return makeError("'" + inputPath + "': expected float32 or float16, got " +
                     support::getNpyDTypeName(arr->dtype));
  int64_t N = arr->shape[0], K = arr->shape[1];
  if (N == 0 || K == 0)
    return makeError("'" + inputPath + "': empty matrix [" + llvm::Twine(N) +
                     ", " + llvm::Twine(K) + "]");
  std::vector<float> w = arr->toFloat32();
  QuantConfig cfg = baseCfg;
  cfg.tensorName = llvm::sys::path::filename(inputPath).str();
  Expected<PackedWeights> packed = quantize(w, N, K, cfg);
  if (!packed)
    return packed.takeError();
  std::vector<float> deq = dequantize(*packed);
  double elapsed = seconds(start);
  if (Error e = support::writeNpy(outputPath,
                                  support::NpyArray::fromFloat32(deq, {N, K})))
    return e;
  if (!packedPath.empty())
    if (Error e = writeFile(packedPath, serializePacked(*packed)))
      return e;
  QuantStats st = computeStats(w, deq);
  llvm::json::Object report = configJSON(cfg, packed->getGroupSize());
  report["input"] = inputPath;
  report["shape"] = llvm::json::Array{N, K};
  report["bits_per_weight"] = getNominalBitsPerWeight(
      cfg.dtype, packed->getGroupSize(), packed->scaleBits);
  report["storage_bits_per_weight"] = packed->getStorageBitsPerWeight();
  for (auto &kv : statsJSON(st))
    report[kv.first] = kv.second;
  report["selector_histogram"] = histogramJSON(getSelectorHistogram(*packed));
  report["time_s"] = elapsed;
  return writeReport(std::move(report));
}

//===----------------------------------------------------------------------===//
// ONNX mode
//===----------------------------------------------------------------------===//

/// Orientation of a linear weight operand.
enum class Orient {
  KN,
  NK
}; // MatMul / Gemm transB=0: [K, N]; transB=1: [N, K]

struct WeightUse {
  int node;
  int input;
  Orient orient;
};

/// Collects every tensor name read inside subgraphs (If/Loop/Scan bodies).
void collectSubgraphInputs(const onnx::GraphProto &g, llvm::StringSet<> &out) {
  for (const onnx::NodeProto &n : g.node()) {
    for (const std::string &in : n.input())
      out.insert(in);
    for (const onnx::AttributeProto &a : n.attribute()) {
      if (a.has_g())
        collectSubgraphInputs(a.g(), out);
      for (const onnx::GraphProto &sg : a.graphs())
        collectSubgraphInputs(sg, out);
    }
  }
}

/// Loads the float32 payload of a tensor (raw, float_data or external).
Expected<std::vector<float>> loadFloats(const onnx::TensorProto &t,
                                        StringRef modelDir) {
  int64_t count = 1;
  for (int64_t d : t.dims())
    count *= d;
  std::vector<float> v(static_cast<size_t>(count));
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    std::string location;
    int64_t offset = 0, length = -1;
    for (const onnx::StringStringEntryProto &e : t.external_data()) {
      if (e.key() == "location")
        location = e.value();
      else if (e.key() == "offset")
        StringRef(e.value()).getAsInteger(10, offset);
      else if (e.key() == "length")
        StringRef(e.value()).getAsInteger(10, length);
    }
    if (location.empty())
      return makeError("tensor '" + t.name() +
                       "': external data without a location");
    llvm::SmallString<256> path(modelDir);
    llvm::sys::path::append(path, location);
    auto buf = llvm::MemoryBuffer::getFile(path, false, false);
    if (!buf)
      return makeError("tensor '" + t.name() +
                       "': cannot read external data '" + path +
                       "': " + buf.getError().message());
    int64_t bytes = count * 4;
    if (length >= 0 && length != bytes)
      return makeError("tensor '" + t.name() + "': external data length " +
                       llvm::Twine(length) + " does not match " +
                       llvm::Twine(bytes) + " bytes of float32");
    if (offset < 0 ||
        offset + bytes > static_cast<int64_t>((*buf)->getBufferSize()))
      return makeError("tensor '" + t.name() + "': external data '" + path +
                       "' too short for offset " + llvm::Twine(offset) + " + " +
                       llvm::Twine(bytes) + " bytes");
    std::memcpy(v.data(), (*buf)->getBufferStart() + offset, bytes);
    return v;
  }
  if (t.has_raw_data()) {
    if (t.raw_data().size() != static_cast<size_t>(count) * 4)
      return makeError("tensor '" + t.name() + "': raw_data has " +
                       llvm::Twine(t.raw_data().size()) + " bytes, expected " +
                       llvm::Twine(count * 4));
    std::memcpy(v.data(), t.raw_data().data(), count * 4);
    return v;
  }
  if (t.float_data_size() != count)
    return makeError("tensor '" + t.name() + "': float_data has " +
                     llvm::Twine(t.float_data_size()) + " values, expected " +
                     llvm::Twine(count));
  for (int64_t i = 0; i < count; ++i)
    v[i] = t.float_data(static_cast<int>(i));
  return v;
}

void storeFloats(onnx::TensorProto &t, llvm::ArrayRef<float> v) {
  t.clear_float_data();
  t.clear_external_data();
  t.set_data_location(onnx::TensorProto::DEFAULT);
  t.set_raw_data(std::string(reinterpret_cast<const char *>(v.data()),
                             v.size() * sizeof(float)));
}

struct OnnxRewriter {
  onnx::ModelProto model;
  QuantConfig cfg;
  std::string modelDir;
  llvm::json::Array weightReports;
  llvm::json::Array skipped;
  QuantStats total;
  std::array<uint64_t, 4> totalHist = {0, 0, 0, 0};
  int64_t numQuantized = 0;

  void skip(StringRef name, const llvm::Twine &reason) {
    skipped.push_back(
        llvm::json::Object{{"name", name.str()}, {"reason", reason.str()}});
  }

  /// Quantizes a weight tensor in the given orientation; returns the new
  /// float payload (same layout as the tensor).
  Expected<std::vector<float>> quantizeTensor(const onnx::TensorProto &t,
                                              Orient orient,
                                              llvm::json::Array consumers) {
    Expected<std::vector<float>> data = loadFloats(t, modelDir);
    if (!data)
      return data.takeError();
    int64_t d0 = t.dims(0), d1 = t.dims(1);
    int64_t N = orient == Orient::NK ? d0 : d1;
    int64_t K = orient == Orient::NK ? d1 : d0;
    std::vector<float> w(static_cast<size_t>(N * K));
    if (orient == Orient::NK) {
      w = *data;
    } else {
      for (int64_t k = 0; k < K; ++k)
        for (int64_t n = 0; n < N; ++n)
          w[n * K + k] = (*data)[k * N + n];
    }
    QuantConfig c = cfg;
    c.tensorName = t.name();
    Expected<PackedWeights> packed = quantize(w, N, K, c);
    if (!packed)
      return packed.takeError();
    std::vector<float> deq = dequantize(*packed);
    QuantStats st = computeStats(w, deq);
    std::array<uint64_t, 4> hist = getSelectorHistogram(*packed);
    total.merge(st);
    for (int i = 0; i < 4; ++i)
      totalHist[i] += hist[i];
    ++numQuantized;
    llvm::json::Object rep = statsJSON(st);
    rep["name"] = t.name();
    rep["shape_nk"] = llvm::json::Array{N, K};
    rep["orientation"] = orient == Orient::NK ? "NK" : "KN";
    rep["consumers"] = std::move(consumers);
    rep["selector_histogram"] = histogramJSON(hist);
    weightReports.push_back(std::move(rep));
    if (orient == Orient::NK)
      return deq;
    std::vector<float> out(deq.size());
    for (int64_t k = 0; k < K; ++k)
      for (int64_t n = 0; n < N; ++n)
        out[k * N + n] = deq[n * K + k];
    return out;
  }

  Error run() {
    onnx::GraphProto &graph = *model.mutable_graph();
    // Where each candidate weight lives.
    llvm::StringMap<int> initIndex;
    for (int i = 0; i < graph.initializer_size(); ++i)
      initIndex[graph.initializer(i).name()] = i;
    llvm::StringMap<int> constIndex; // Constant node with a 'value' tensor
    for (int i = 0; i < graph.node_size(); ++i) {
      const onnx::NodeProto &n = graph.node(i);
      if (n.op_type() == "Constant" && n.output_size() == 1)
        for (const onnx::AttributeProto &a : n.attribute())
          if (a.name() == "value" && a.has_t())
            constIndex[n.output(0)] = i;
    }
    // Uses of every tensor name.
    std::map<std::string, std::vector<WeightUse>> linearUses;
    llvm::StringMap<int> otherUses;
    for (int i = 0; i < graph.node_size(); ++i) {
      const onnx::NodeProto &n = graph.node(i);
      bool isMatMul = n.op_type() == "MatMul" && n.domain().empty();
      bool isGemm = n.op_type() == "Gemm" && n.domain().empty();
      Orient orient = Orient::KN;
      if (isGemm)
        for (const onnx::AttributeProto &a : n.attribute())
          if (a.name() == "transB" && a.i() != 0)
            orient = Orient::NK;
      for (int j = 0; j < n.input_size(); ++j) {
        if (n.input(j).empty())
          continue;
        if ((isMatMul || isGemm) && j == 1)
          linearUses[n.input(j)].push_back({i, j, orient});
        else
          ++otherUses[n.input(j)];
      }
      for (const onnx::AttributeProto &a : n.attribute()) {
        llvm::StringSet<> sub;
        if (a.has_g())
          collectSubgraphInputs(a.g(), sub);
        for (const onnx::GraphProto &sg : a.graphs())
          collectSubgraphInputs(sg, sub);
        for (auto &s : sub)
          ++otherUses[s.getKey()];
      }
    }
    for (const onnx::ValueInfoProto &o : graph.output())
      ++otherUses[o.name()];

    llvm::StringSet<> usedNames;
    for (const onnx::NodeProto &n : graph.node())
      for (const std::string &o : n.output())
        usedNames.insert(o);
    for (const onnx::TensorProto &t : graph.initializer())
      usedNames.insert(t.name());
    for (const onnx::ValueInfoProto &v : graph.input())
      usedNames.insert(v.name());

    for (auto &[name, uses] : linearUses) {
      onnx::TensorProto *tensor = nullptr;
      auto ii = initIndex.find(name);
      auto ci = constIndex.find(name);
      if (ii != initIndex.end()) {
        tensor = graph.mutable_initializer(ii->second);
      } else if (ci != constIndex.end()) {
        for (onnx::AttributeProto &a :
             *graph.mutable_node(ci->second)->mutable_attribute())
          if (a.name() == "value")
            tensor = a.mutable_t();
      } else {
        skip(name, "not a constant (graph input or computed tensor)");
        continue;
      }
      if (tensor->data_type() != onnx::TensorProto::FLOAT) {
        skip(name, "element type is not float32 (ONNX data_type " +
                       llvm::Twine(tensor->data_type()) + ")");
        continue;
      }
      if (tensor->dims_size() != 2) {
        skip(name, llvm::Twine(tensor->dims_size()) +
                       "-D weight (only 2-D MatMul/Gemm weights are "
                       "quantized)");
        continue;
      }
      if (tensor->dims(0) <= 0 || tensor->dims(1) <= 0) {
        skip(name, "empty weight");
        continue;
      }
      std::map<Orient, std::vector<WeightUse>> byOrient;
      for (const WeightUse &u : uses)
        byOrient[u.orient].push_back(u);
      bool inPlace = byOrient.size() == 1 && otherUses.count(name) == 0;
      for (auto &[orient, ous] : byOrient) {
        llvm::json::Array consumers;
        for (const WeightUse &u : ous) {
          const onnx::NodeProto &n = graph.node(u.node);
          consumers.push_back(n.name().empty()
                                  ? n.op_type() + "#" + std::to_string(u.node)
                                  : n.name());
        }
        Expected<std::vector<float>> deq =
            quantizeTensor(*tensor, orient, std::move(consumers));
        if (!deq)
          return deq.takeError();
        if (inPlace) {
          storeFloats(*tensor, *deq);
          continue;
        }
        // Shared with a non-linear use or another orientation: give these
        // consumers their own quantized copy, keep the original.
        std::string base =
            name + (orient == Orient::NK ? "__bitmod_nk" : "__bitmod_kn");
        std::string newName = base;
        for (int s = 1; usedNames.count(newName); ++s)
          newName = base + "_" + std::to_string(s);
        usedNames.insert(newName);
        onnx::TensorProto *copy = graph.add_initializer();
        copy->set_name(newName);
        copy->set_data_type(onnx::TensorProto::FLOAT);
        for (int64_t d : tensor->dims())
          copy->add_dims(d);
        storeFloats(*copy, *deq);
        for (const WeightUse &u : ous)
          graph.mutable_node(u.node)->set_input(u.input, newName);
        // The ONNX graph requires initializers to be named before use only
        // in topological order for nodes; initializers are always visible.
        weightReports.back().getAsObject()->try_emplace("duplicated_as",
                                                        newName);
        // Re-find the tensor pointer: add_initializer may reallocate.
        if (ii != initIndex.end())
          tensor = graph.mutable_initializer(ii->second);
      }
    }
    return Error::success();
  }
};

Error runOnnx(const QuantConfig &cfg) {
  auto start = std::chrono::steady_clock::now();
  auto buf = llvm::MemoryBuffer::getFile(inputPath, false, false);
  if (!buf)
    return makeError("cannot read '" + inputPath +
                     "': " + buf.getError().message());
  OnnxRewriter rw;
  rw.cfg = cfg;
  rw.modelDir = llvm::sys::path::parent_path(inputPath).str();
  if ((*buf)->getBufferSize() > static_cast<size_t>(INT32_MAX))
    return makeError("'" + inputPath +
                     "': models larger than 2 GB must use external data");
  if (!rw.model.ParseFromArray((*buf)->getBufferStart(),
                               static_cast<int>((*buf)->getBufferSize())) ||
      !rw.model.has_graph())
    return makeError("'" + inputPath + "' is not a valid ONNX model");
  if (Error e = rw.run())
    return e;
  std::string out;
  if (!rw.model.SerializeToString(&out))
    return makeError("cannot serialize the quantized model");
  if (Error e = writeFile(
          outputPath,
          llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(out.data()),
                                  out.size())))
    return e;
  llvm::json::Object report =
      configJSON(cfg, isMXType(cfg.dtype) ? 32u : cfg.groupSize);
  report["input"] = inputPath;
  report["output"] = outputPath;
  report["bits_per_weight"] = getNominalBitsPerWeight(
      cfg.dtype, isMXType(cfg.dtype) ? 32u : cfg.groupSize, cfg.scaleBits);
  report["num_quantized"] = rw.numQuantized;
  for (auto &kv : statsJSON(rw.total))
    report[kv.first] = kv.second;
  report["selector_histogram"] = histogramJSON(rw.totalHist);
  report["weights"] = std::move(rw.weightReports);
  report["skipped"] = std::move(rw.skipped);
  report["time_s"] = seconds(start);
  return writeReport(std::move(report));
}

bool looksLikeNpy(StringRef path) {
  if (path.ends_with_insensitive(".npy"))
    return true;
  if (path.ends_with_insensitive(".onnx"))
    return false;
  auto buf = llvm::MemoryBuffer::getFileSlice(path, 6, 0);
  return buf && (*buf)->getBuffer() == "\x93NUMPY";
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM x(argc, argv);
  bitmod::installVersionPrinter("bitmod-quant");
  llvm::cl::HideUnrelatedOptions(category);
  llvm::cl::ParseCommandLineOptions(
      argc, argv,
      "bitmod-quant: quantize weights to BitMoD data types\n\n"
      "  bitmod-quant --dtype=T in.npy -o out.npy [--report r.json] "
      "[--packed p.bmqw]\n"
      "  bitmod-quant --dtype=T model.onnx -o model.q.onnx [--report "
      "r.json]\n");
  Expected<QuantConfig> cfg = parseConfig();
  Error err = cfg ? (looksLikeNpy(inputPath) ? runNpy(*cfg) : runOnnx(*cfg))
                  : cfg.takeError();
  if (err) {
    llvm::errs() << "bitmod-quant: error: " << llvm::toString(std::move(err))
                 << "\n";
    return 1;
  }
  return 0;
}
