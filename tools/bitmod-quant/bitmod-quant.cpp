//===- bitmod-quant.cpp - Quantize .npy matrices and ONNX models ----------===//
//
//   bitmod-quant --dtype=T [--group-size=G] [--scale-bits=S] in.npy -o out.npy
//       [--report r.json] [--packed p.bmqw]
//   bitmod-quant --dtype=T model.onnx -o model.q.onnx [--report r.json]
//   SV types: [--sv=3,-3,6,-6] or [--sv-search=layer|model] (bitmod3/4).
//
// The .npy mode fake-quantizes a float32/float16 [N, K] matrix (rows are
// output channels, groups run along K) and writes the dequantized float32
// matrix. The ONNX mode replaces every MatMul / Gemm weight (input B, an
// initializer or Constant-node output) with its dequantized value.
//
//===----------------------------------------------------------------------===//

#include "Calibrate.h"

#include "bitmod/Quant/Quantizer.h"
#include "bitmod/Quant/SpecialValues.h"
#include "bitmod/Support/Error.h"
#include "bitmod/Support/Half.h"
#include "bitmod/Support/MemoryLimit.h"
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
#include <optional>
#include <set>

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
llvm::cl::opt<bool> externalDataOpt(
    "external-data",
    llvm::cl::desc("ONNX mode: store tensors of 1 KiB or more in OUT.data "
                   "next to the output model (chosen automatically when the "
                   "tensors approach protobuf's 2 GB limit)"),
    llvm::cl::init(false), llvm::cl::cat(category));
llvm::cl::opt<unsigned> threadsOpt("num-threads",
                                   llvm::cl::desc("Worker threads (0 = all)"),
                                   llvm::cl::init(0), llvm::cl::cat(category));

llvm::cl::opt<std::string> svOpt(
    "sv",
    llvm::cl::desc("Special-value set of a bitmod3/bitmod4/fp3_*/fp4_* type, "
                   "4 integers (er_pos,er_neg,ea_pos,ea_neg), e.g. 3,-3,6,-6"),
    llvm::cl::init(""), llvm::cl::cat(category));
llvm::cl::opt<std::string> svSearchOpt(
    "sv-search",
    llvm::cl::desc("Search the special-value set (bitmod3/bitmod4) "
                   "minimizing the weight MSE: layer (one set per weight) or "
                   "model (one set for all); none (default)"),
    llvm::cl::init("none"), llvm::cl::cat(category));

SVSearchMode svSearch = SVSearchMode::None;

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
  // MX types fix their block size: a different --group-size is refused
  // rather than silently replaced.
  if (unsigned required = getRequiredGroupSize(cfg.dtype);
      required && groupSizeOpt.getNumOccurrences() && cfg.groupSize != required)
    return makeError(llvm::Twine("--group-size=") + groupSizeOpt + ": " +
                     getName(cfg.dtype) + " has a fixed group size of " +
                     llvm::Twine(required) + " (its shared-exponent block)");
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
  std::optional<SVSearchMode> mode = parseSVSearchMode(svSearchOpt);
  if (!mode)
    return makeError("unknown --sv-search '" + svSearchOpt +
                     "'; valid: none, layer, model");
  svSearch = *mode;
  if (!svOpt.empty()) {
    if (svSearch != SVSearchMode::None)
      return makeError("--sv and --sv-search exclude each other");
    Expected<SpecialValueSet> sv = parseSpecialValues(cfg.dtype, svOpt);
    if (!sv)
      return makeError("--sv: " + llvm::toString(sv.takeError()));
    cfg.specialValues = *sv;
  }
  if (svSearch != SVSearchMode::None && !hasSelector(cfg.dtype))
    return makeError("--sv-search needs bitmod3 or bitmod4, not '" +
                     std::string(getName(cfg.dtype)) + "'");
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
  if (hasSpecialValue(cfg.dtype)) {
    SpecialValueSet sv = cfg.specialValues ? *cfg.specialValues
                                           : getDefaultSpecialValues(cfg.dtype);
    o["sv"] = llvm::json::Array{sv[0], sv[1], sv[2], sv[3]};
    o["sv_search"] = svSearchOpt.getValue();
  }
  return o;
}

/// Runs the search on `tensors` and stores the set in `cfg`.
Error applySearch(QuantConfig &cfg, llvm::ArrayRef<SVSearchTensor> tensors,
                  llvm::json::Object *report) {
  Expected<SVSearchResult> r = searchSpecialValues(tensors, cfg);
  if (!r)
    return r.takeError();
  cfg.specialValues = r->sv;
  if (report) {
    (*report)["sv"] = llvm::json::Array{r->sv[0], r->sv[1], r->sv[2], r->sv[3]};
    (*report)["sv_search_mse"] = r->count ? r->sumSquaredError / r->count : 0;
    (*report)["sv_paper_mse"] =
        r->count ? r->paperSumSquaredError / r->count : 0;
  }
  return Error::success();
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
  // One matrix: the per-layer and per-model searches are the same.
  llvm::json::Object searchReport;
  if (svSearch != SVSearchMode::None)
    if (Error e = applySearch(
            cfg, {SVSearchTensor{WeightSpan::f32(w), N, K, cfg.tensorName}},
            &searchReport))
      return e;
  llvm::json::Object calibReport;
  std::vector<float> deq;
  Expected<PackedWeights> packed = PackedWeights();
  if (isCalibrationRequested()) {
    Expected<CalibratedWeights> r =
        quantizeNpyCalibrated(w, N, K, cfg, calibReport);
    if (!r)
      return r.takeError();
    deq = getEffectiveWeights(*r);
    *packed = std::move(r->packed);
  } else {
    packed = quantize(w, N, K, cfg);
    if (!packed)
      return packed.takeError();
    deq = dequantize(*packed);
  }
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
  for (auto &kv : calibReport)
    report[kv.first] = kv.second;
  for (auto &kv : searchReport)
    report[kv.first] = kv.second;
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

/// ONNX TensorProto data type names for diagnostics.
std::string onnxTypeName(int32_t type) {
  if (onnx::TensorProto::DataType_IsValid(type))
    return onnx::TensorProto::DataType_Name(
        static_cast<onnx::TensorProto::DataType>(type));
  return "data type " + std::to_string(type);
}

/// The weight element types the quantizer reads (exactly).
std::optional<WeightElementType> getWeightType(int32_t onnxType) {
  switch (onnxType) {
  case onnx::TensorProto::FLOAT:
    return WeightElementType::F32;
  case onnx::TensorProto::FLOAT16:
    return WeightElementType::F16;
  case onnx::TensorProto::BFLOAT16:
    return WeightElementType::BF16;
  default:
    return std::nullopt;
  }
}

int64_t getNumElements(const onnx::TensorProto &t) {
  int64_t count = 1;
  for (int64_t d : t.dims())
    count *= d;
  return count;
}

/// Bytes per element of the types bitmod-quant moves between files (0: a
/// type without a fixed-size raw encoding, e.g. strings).
size_t getElementBytes(int32_t type) {
  switch (type) {
  case onnx::TensorProto::DOUBLE:
  case onnx::TensorProto::INT64:
  case onnx::TensorProto::UINT64:
  case onnx::TensorProto::COMPLEX64:
    return 8;
  case onnx::TensorProto::FLOAT:
  case onnx::TensorProto::INT32:
  case onnx::TensorProto::UINT32:
    return 4;
  case onnx::TensorProto::FLOAT16:
  case onnx::TensorProto::BFLOAT16:
  case onnx::TensorProto::INT16:
  case onnx::TensorProto::UINT16:
    return 2;
  case onnx::TensorProto::INT8:
  case onnx::TensorProto::UINT8:
  case onnx::TensorProto::BOOL:
    return 1;
  case onnx::TensorProto::COMPLEX128:
    return 16;
  default:
    return 0;
  }
}

/// The external-data entries of a tensor. Offsets and lengths are 64-bit.
struct ExternalRef {
  std::string location;
  uint64_t offset = 0;
  std::optional<uint64_t> length;
};

Expected<ExternalRef> getExternalRef(const onnx::TensorProto &t) {
  ExternalRef ref;
  for (const onnx::StringStringEntryProto &e : t.external_data()) {
    if (e.key() == "location") {
      ref.location = e.value();
    } else if (e.key() == "offset" || e.key() == "length") {
      uint64_t v;
      if (StringRef(e.value()).getAsInteger(10, v))
        return makeError("tensor '" + t.name() + "': invalid external data " +
                         e.key() + " '" + e.value() + "'");
      if (e.key() == "offset")
        ref.offset = v;
      else
        ref.length = v;
    }
  }
  if (ref.location.empty())
    return makeError("tensor '" + t.name() +
                     "': external data without a location");
  return ref;
}

/// A tensor's payload as raw little-endian bytes: a view into the protobuf
/// string or the memory-mapped external data file, or (for the typed
/// repeated fields) a copy.
struct Payload {
  const char *data = nullptr;
  size_t bytes = 0;
  std::vector<char> owned;
};

/// Memory-maps external data files (once each) relative to the model.
class ExternalFiles {
public:
  explicit ExternalFiles(std::string modelDir)
      : modelDir(std::move(modelDir)) {}

  Expected<const llvm::MemoryBuffer *> get(const onnx::TensorProto &t,
                                           StringRef location) {
    auto found = files.find(location);
    if (found != files.end())
      return found->second.get();
    llvm::SmallString<256> path(modelDir);
    llvm::sys::path::append(path, location);
    auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                           /*RequiresNullTerminator=*/false);
    if (!buf)
      return makeError("tensor '" + t.name() +
                       "': cannot read external data '" + path +
                       "': " + buf.getError().message());
    const llvm::MemoryBuffer *ptr = buf->get();
    files[location] = std::move(*buf);
    paths.push_back(std::string(path));
    return ptr;
  }
  /// The paths of every file mapped so far.
  const std::vector<std::string> &getPaths() const { return paths; }

private:
  std::string modelDir;
  llvm::StringMap<std::unique_ptr<llvm::MemoryBuffer>> files;
  std::vector<std::string> paths;
};

Expected<Payload> getPayload(const onnx::TensorProto &t, ExternalFiles &files) {
  size_t elementBytes = getElementBytes(t.data_type());
  if (!elementBytes)
    return makeError("tensor '" + t.name() + "': element type " +
                     onnxTypeName(t.data_type()) + " has no raw encoding");
  uint64_t bytes = static_cast<uint64_t>(getNumElements(t)) * elementBytes;
  Payload p;
  p.bytes = bytes;
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    Expected<ExternalRef> ref = getExternalRef(t);
    if (!ref)
      return ref.takeError();
    Expected<const llvm::MemoryBuffer *> file = files.get(t, ref->location);
    if (!file)
      return file.takeError();
    if (ref->length && *ref->length != bytes)
      return makeError("tensor '" + t.name() + "': external data length " +
                       llvm::Twine(*ref->length) + " does not match the " +
                       llvm::Twine(bytes) + " bytes of its type and shape");
    uint64_t size = (*file)->getBufferSize();
    if (ref->offset > size || size - ref->offset < bytes)
      return makeError("tensor '" + t.name() + "': external data '" +
                       ref->location + "' too short for offset " +
                       llvm::Twine(ref->offset) + " + " + llvm::Twine(bytes) +
                       " bytes");
    p.data = (*file)->getBufferStart() + ref->offset;
    return p;
  }
  if (t.has_raw_data()) {
    if (t.raw_data().size() != bytes)
      return makeError("tensor '" + t.name() + "': raw_data has " +
                       llvm::Twine(t.raw_data().size()) + " bytes, expected " +
                       llvm::Twine(bytes));
    p.data = t.raw_data().data();
    return p;
  }
  auto copy = [&](const auto &field, int64_t count) -> Error {
    if (field.size() != count)
      return makeError("tensor '" + t.name() + "' has " +
                       llvm::Twine(field.size()) + " values, expected " +
                       llvm::Twine(count));
    p.owned.resize(bytes);
    using T = typename std::decay_t<decltype(field)>::value_type;
    if (sizeof(T) == elementBytes) {
      std::memcpy(p.owned.data(), field.data(), bytes);
    } else { // 16-bit and 8-bit values are stored widened in int32_data
      for (int64_t i = 0; i < count; ++i) {
        auto v = field.Get(static_cast<int>(i));
        std::memcpy(p.owned.data() + i * elementBytes, &v, elementBytes);
      }
    }
    return Error::success();
  };
  int64_t count = getNumElements(t);
  Error err = Error::success();
  switch (t.data_type()) {
  case onnx::TensorProto::FLOAT:
    err = copy(t.float_data(), count);
    break;
  case onnx::TensorProto::DOUBLE:
    err = copy(t.double_data(), count);
    break;
  case onnx::TensorProto::INT64:
    err = copy(t.int64_data(), count);
    break;
  case onnx::TensorProto::UINT64:
  case onnx::TensorProto::UINT32:
    err = copy(t.uint64_data(), count);
    break;
  default:
    err = copy(t.int32_data(), count);
    break;
  }
  if (err)
    return std::move(err);
  p.data = p.owned.data();
  return p;
}

/// Writes the payloads of large tensors to one external data file next to
/// the output model (64-bit offsets, 64-byte aligned), so outputs beyond
/// protobuf's 2 GB limit can be written; tensors are appended as they are
/// produced, so nothing waits in memory for the final serialization.
class ExternalWriter {
public:
  static constexpr size_t kMinBytes = 1024; // smaller tensors stay inline

  Error open(StringRef modelPath, const std::vector<std::string> &inputs) {
    location = (llvm::sys::path::filename(modelPath) + ".data").str();
    llvm::SmallString<256> path(llvm::sys::path::parent_path(modelPath));
    llvm::sys::path::append(path, location);
    for (const std::string &in : inputs)
      if (llvm::sys::fs::equivalent(in, path))
        return makeError("the external data file '" + path +
                         "' of the output is an input of the model; choose "
                         "another output path");
    std::error_code ec;
    os = std::make_unique<llvm::raw_fd_ostream>(path, ec,
                                                llvm::sys::fs::OF_None);
    if (ec)
      return makeError("cannot open '" + path +
                       "' for writing: " + ec.message());
    filePath = std::string(path);
    return Error::success();
  }
  bool isOpen() const { return os != nullptr; }
  /// True if `t` already has its payload in the output file.
  bool wrote(const onnx::TensorProto *t) const { return written.count(t); }

  /// Stores `bytes` as the payload of `t` in the data file.
  void store(onnx::TensorProto &t, const char *data, size_t bytes) {
    static const char zeros[64] = {};
    os->write(zeros, (64 - offset % 64) % 64);
    offset = (offset + 63) / 64 * 64;
    os->write(data, bytes);
    t.clear_raw_data();
    t.clear_float_data();
    t.clear_int32_data();
    t.clear_int64_data();
    t.clear_double_data();
    t.clear_uint64_data();
    t.clear_external_data();
    t.set_data_location(onnx::TensorProto::EXTERNAL);
    auto add = [&](const char *key, const std::string &value) {
      onnx::StringStringEntryProto *e = t.add_external_data();
      e->set_key(key);
      e->set_value(value);
    };
    add("location", location);
    add("offset", std::to_string(offset));
    add("length", std::to_string(bytes));
    offset += bytes;
    written.insert(&t);
  }

  Error close() {
    if (!os)
      return Error::success();
    os->close();
    if (os->has_error())
      return makeError("cannot write '" + filePath +
                       "': " + os->error().message());
    return Error::success();
  }

private:
  std::unique_ptr<llvm::raw_fd_ostream> os;
  std::string location, filePath;
  uint64_t offset = 0;
  std::set<const onnx::TensorProto *> written;
};

/// Stores a payload in the tensor's own representation: raw_data inline, or
/// the external data file for large tensors when `writer` is open.
void storePayload(onnx::TensorProto &t, llvm::ArrayRef<char> bytes,
                  ExternalWriter &writer) {
  if (writer.isOpen() && bytes.size() >= ExternalWriter::kMinBytes) {
    writer.store(t, bytes.data(), bytes.size());
    return;
  }
  std::string raw(bytes.data(), bytes.size());
  t.clear_float_data();
  t.clear_int32_data();
  t.clear_external_data();
  t.set_data_location(onnx::TensorProto::DEFAULT);
  t.set_raw_data(std::move(raw));
}

/// Rounds a fake-quantized float32 value to the weight's type (once, to
/// nearest even) and appends it to `out`. Returns false if a finite value
/// overflows the type.
bool narrowTo(WeightElementType type, float v, char *out) {
  switch (type) {
  case WeightElementType::F32:
    std::memcpy(out, &v, 4);
    return true;
  case WeightElementType::F16: {
    uint16_t h = support::floatToHalf(v);
    std::memcpy(out, &h, 2);
    return (h & 0x7c00) != 0x7c00;
  }
  case WeightElementType::BF16: {
    uint16_t h = support::floatToBFloat16(v);
    std::memcpy(out, &h, 2);
    return (h & 0x7f80) != 0x7f80;
  }
  }
  return false;
}

struct OnnxRewriter {
  onnx::ModelProto model;
  QuantConfig cfg;
  std::string outputPath;
  bool forceExternal = false;
  std::unique_ptr<ExternalFiles> files;
  ExternalWriter writer;
  llvm::json::Array weightReports;
  llvm::json::Array skipped;
  QuantStats total;
  std::array<uint64_t, 4> totalHist = {0, 0, 0, 0};
  int64_t numQuantized = 0;

  /// Records a linear operand left alone; constants are also warned about
  /// (an activation operand, e.g. attention's K^T, is the normal case).
  void skip(StringRef name, const llvm::Twine &reason, bool constant = true) {
    if (constant)
      llvm::errs() << "bitmod-quant: warning: weight '" << name
                   << "' left unquantized: " << reason << "\n";
    skipped.push_back(
        llvm::json::Object{{"name", name.str()}, {"reason", reason.str()}});
  }

  /// Quantizes a weight tensor in the given orientation in blocks of rows;
  /// returns the fake-quantized payload in the tensor's own element type and
  /// layout (the value computed in float32, then rounded once).
  Expected<std::vector<char>> quantizeTensor(const onnx::TensorProto &t,
                                             Orient orient,
                                             llvm::json::Array consumers) {
    WeightElementType type = *getWeightType(t.data_type());
    Expected<Payload> payload = getPayload(t, *files);
    if (!payload)
      return payload.takeError();
    int64_t d0 = t.dims(0), d1 = t.dims(1);
    int64_t N = orient == Orient::NK ? d0 : d1;
    int64_t K = orient == Orient::NK ? d1 : d0;
    WeightSpan span{payload->data, static_cast<size_t>(N * K), type};
    QuantConfig c = cfg;
    c.tensorName = t.name();
    llvm::json::Object searchReport;
    if (svSearch == SVSearchMode::Layer) {
      Expected<std::vector<float>> nk = getRowsNK(t, orient);
      if (!nk)
        return nk.takeError();
      if (Error e = applySearch(
              c, {SVSearchTensor{WeightSpan::f32(*nk), N, K, t.name()}},
              &searchReport))
        return std::move(e);
    }
    if (c.granularity == Granularity::PerTensor) {
      Expected<TensorRange> range = computeTensorRange(span, d0, d1, t.name());
      if (!range)
        return range.takeError();
      c.tensorRange = *range;
    }
    size_t elementBytes = type == WeightElementType::F32 ? 4 : 2;
    std::vector<char> out(static_cast<size_t>(N * K) * elementBytes);
    // Blocks of about 4M weights: the float32 rows and their dequantized
    // values are all the memory the quantization adds.
    int64_t blockRows =
        std::max<int64_t>(1, std::min<int64_t>(N, (1 << 22) / K));
    std::vector<float> block, deq, column;
    QuantStats st;
    std::array<uint64_t, 4> hist = {0, 0, 0, 0};
    for (int64_t n0 = 0; n0 < N; n0 += blockRows) {
      int64_t rows = std::min(blockRows, N - n0);
      block.resize(static_cast<size_t>(rows * K));
      if (orient == Orient::NK) {
        span.widen(n0 * K, rows * K, block.data());
      } else {
        // Row k of the [K, N] tensor holds the block's rows at column k.
        column.resize(static_cast<size_t>(rows));
        for (int64_t k = 0; k < K; ++k) {
          span.widen(k * N + n0, rows, column.data());
          for (int64_t n = 0; n < rows; ++n) {
            // Checked here, where the tensor's own [k, n] index is known:
            // the quantizer sees the transposed block and would report
            // [n, k].
            float v = column[n];
            if (!std::isfinite(v))
              return makeError("tensor '" + t.name() + "': non-finite weight " +
                               (std::isnan(v) ? "nan"
                                : v > 0       ? "+inf"
                                              : "-inf") +
                               " at [" + llvm::Twine(k) + ", " +
                               llvm::Twine(n0 + n) + "]");
            block[n * K + k] = v;
          }
        }
      }
      Expected<PackedWeights> packed = quantize(block, rows, K, c, n0);
      if (!packed)
        return packed.takeError();
      deq = dequantize(*packed);
      st.merge(computeStats(block, deq));
      std::array<uint64_t, 4> h = getSelectorHistogram(*packed);
      for (int i = 0; i < 4; ++i)
        hist[i] += h[i];
      // Stores element (n, k) of the block; the loops below walk the
      // output tensor in memory order for either orientation.
      auto store = [&](int64_t n, int64_t k) -> Error {
        int64_t index =
            orient == Orient::NK ? (n0 + n) * K + k : k * N + n0 + n;
        float v = deq[n * K + k];
        if (narrowTo(type, v, out.data() + index * elementBytes))
          return Error::success();
        return makeError("tensor '" + t.name() +
                         "': the fake-quantized value " +
                         llvm::Twine(std::to_string(v)) + " at [" +
                         llvm::Twine(orient == Orient::NK ? n0 + n : k) + ", " +
                         llvm::Twine(orient == Orient::NK ? k : n0 + n) +
                         "] overflows " + onnxTypeName(t.data_type()));
      };
      if (orient == Orient::NK) {
        for (int64_t n = 0; n < rows; ++n)
          for (int64_t k = 0; k < K; ++k)
            if (Error e = store(n, k))
              return std::move(e);
      } else {
        for (int64_t k = 0; k < K; ++k)
          for (int64_t n = 0; n < rows; ++n)
            if (Error e = store(n, k))
              return std::move(e);
      }
    }
    total.merge(st);
    for (int i = 0; i < 4; ++i)
      totalHist[i] += hist[i];
    ++numQuantized;
    llvm::json::Object rep = statsJSON(st);
    rep["name"] = t.name();
    rep["element_type"] = std::string(getWeightElementTypeName(type));
    rep["shape_nk"] = llvm::json::Array{N, K};
    rep["orientation"] = orient == Orient::NK ? "NK" : "KN";
    rep["consumers"] = std::move(consumers);
    rep["selector_histogram"] = histogramJSON(hist);
    for (auto &kv : searchReport)
      rep[kv.first] = kv.second;
    weightReports.push_back(std::move(rep));
    return out;
  }

  /// The weight as a float32 [N, K] matrix (the search reads whole rows).
  Expected<std::vector<float>> getRowsNK(const onnx::TensorProto &t,
                                         Orient orient) {
    WeightElementType type = *getWeightType(t.data_type());
    Expected<Payload> payload = getPayload(t, *files);
    if (!payload)
      return payload.takeError();
    int64_t d0 = t.dims(0), d1 = t.dims(1);
    int64_t N = orient == Orient::NK ? d0 : d1;
    int64_t K = orient == Orient::NK ? d1 : d0;
    WeightSpan span{payload->data, static_cast<size_t>(N * K), type};
    std::vector<float> nk(static_cast<size_t>(N * K));
    if (orient == Orient::NK) {
      span.widen(0, N * K, nk.data());
      return nk;
    }
    std::vector<float> row(static_cast<size_t>(N));
    for (int64_t k = 0; k < K; ++k) {
      span.widen(k * N, N, row.data());
      for (int64_t n = 0; n < N; ++n)
        nk[n * K + k] = row[n];
    }
    return nk;
  }

  /// --sv-search=model: one set for every weight that will be quantized
  /// (all of them held as float32 [N, K] during the search).
  Error searchModel(
      const std::vector<std::pair<onnx::TensorProto *, Orient>> &weights) {
    std::vector<std::vector<float>> mats;
    std::vector<SVSearchTensor> tensors;
    for (auto &[t, orient] : weights) {
      Expected<std::vector<float>> nk = getRowsNK(*t, orient);
      if (!nk)
        return nk.takeError();
      mats.push_back(std::move(*nk));
      int64_t N = orient == Orient::NK ? t->dims(0) : t->dims(1);
      int64_t K = orient == Orient::NK ? t->dims(1) : t->dims(0);
      tensors.push_back({WeightSpan::f32(mats.back()), N, K, t->name()});
    }
    return applySearch(cfg, tensors, &modelSearchReport);
  }
  llvm::json::Object modelSearchReport;

  /// Every tensor of the top-level graph: initializers and Constant values.
  std::vector<onnx::TensorProto *> getGraphTensors() {
    std::vector<onnx::TensorProto *> tensors;
    onnx::GraphProto &graph = *model.mutable_graph();
    for (onnx::TensorProto &t : *graph.mutable_initializer())
      tensors.push_back(&t);
    for (onnx::NodeProto &n : *graph.mutable_node())
      if (n.op_type() == "Constant")
        for (onnx::AttributeProto &a : *n.mutable_attribute())
          if (a.name() == "value" && a.has_t())
            tensors.push_back(a.mutable_t());
    return tensors;
  }

  /// External output when asked for, or when the tensors alone come close
  /// to protobuf's 2 GB limit (decided before quantizing, so quantized
  /// tensors can go to the file as they are produced).
  Error chooseOutputStorage() {
    uint64_t payloadBytes = 0;
    for (onnx::TensorProto *t : getGraphTensors())
      payloadBytes += static_cast<uint64_t>(getNumElements(*t)) *
                      getElementBytes(t->data_type());
    // Copies made for shared weights can at most double the linear weights.
    uint64_t limit = (uint64_t(1) << 30) - (uint64_t(64) << 20);
    if (!forceExternal && payloadBytes < limit)
      return Error::success();
    std::vector<std::string> inputs;
    for (onnx::TensorProto *t : getGraphTensors())
      if (t->data_location() == onnx::TensorProto::EXTERNAL)
        if (Expected<ExternalRef> ref = getExternalRef(*t)) {
          llvm::SmallString<256> path(llvm::sys::path::parent_path(inputPath));
          llvm::sys::path::append(path, ref->location);
          inputs.push_back(std::string(path));
        } else {
          return ref.takeError();
        }
    return writer.open(outputPath, inputs);
  }

  /// In external mode, moves the payload of every large tensor not written
  /// yet (inline raw data or the input's external data) to the output file;
  /// otherwise inlines the input's external data.
  Error finishTensors() {
    for (onnx::TensorProto *t : getGraphTensors()) {
      if (writer.wrote(t))
        continue;
      if (t->data_location() != onnx::TensorProto::EXTERNAL &&
          (!writer.isOpen() || !t->has_raw_data()))
        continue; // stays inline
      Expected<Payload> payload = getPayload(*t, *files);
      if (!payload)
        return payload.takeError();
      // The payload is written (or copied into raw_data) before the tensor's
      // old fields are cleared, so it may point into them.
      storePayload(*t, llvm::ArrayRef<char>(payload->data, payload->bytes),
                   writer);
    }
    return Error::success();
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

    if (svSearch == SVSearchMode::Model) {
      // The weights the loop below quantizes (same checks, no errors here).
      std::vector<std::pair<onnx::TensorProto *, Orient>> weights;
      for (auto &[name, uses] : linearUses) {
        onnx::TensorProto *tensor = nullptr;
        auto ii = initIndex.find(name);
        auto ci = constIndex.find(name);
        if (ii != initIndex.end())
          tensor = graph.mutable_initializer(ii->second);
        else if (ci != constIndex.end())
          for (onnx::AttributeProto &a :
               *graph.mutable_node(ci->second)->mutable_attribute())
            if (a.name() == "value")
              tensor = a.mutable_t();
        if (!tensor || !getWeightType(tensor->data_type()) ||
            tensor->dims_size() != 2 || tensor->dims(0) <= 0 ||
            tensor->dims(1) <= 0)
          continue;
        std::set<Orient> orients;
        for (const WeightUse &u : uses)
          orients.insert(u.orient);
        for (Orient o : orients)
          weights.push_back({tensor, o});
      }
      if (Error e = searchModel(weights))
        return e;
    }
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
        skip(name, "not a constant (graph input or computed tensor)",
             /*constant=*/false);
        continue;
      }
      if (!getWeightType(tensor->data_type())) {
        const onnx::NodeProto &n = graph.node(uses.front().node);
        return makeError(
            "weight '" + name + "' of " + n.op_type() + " '" +
            (n.name().empty()
                 ? n.op_type() + "#" + std::to_string(uses.front().node)
                 : n.name()) +
            "' has element type " + onnxTypeName(tensor->data_type()) +
            ", which cannot be quantized (float32, float16 and bfloat16 "
            "weights can)");
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
        Expected<std::vector<char>> deq =
            quantizeTensor(*tensor, orient, std::move(consumers));
        if (!deq)
          return deq.takeError();
        if (inPlace) {
          storePayload(*tensor, *deq, writer);
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
        copy->set_data_type(tensor->data_type());
        for (int64_t d : tensor->dims())
          copy->add_dims(d);
        storePayload(*copy, *deq, writer);
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
    return finishTensors();
  }
};

Error runOnnx(const QuantConfig &cfg) {
  auto start = std::chrono::steady_clock::now();
  if (!packedPath.empty())
    return makeError("--packed writes the packed weights of a .npy input; "
                     "in ONNX mode the quantized model (-o) and --report are "
                     "the outputs");
  auto buf = llvm::MemoryBuffer::getFile(inputPath, false, false);
  if (!buf)
    return makeError("cannot read '" + inputPath +
                     "': " + buf.getError().message());
  OnnxRewriter rw;
  rw.cfg = cfg;
  rw.outputPath = outputPath;
  rw.forceExternal = externalDataOpt;
  rw.files = std::make_unique<ExternalFiles>(
      llvm::sys::path::parent_path(inputPath).str());
  if ((*buf)->getBufferSize() > static_cast<size_t>(INT32_MAX))
    return makeError("'" + inputPath +
                     "': models larger than 2 GB must use external data");
  if (!rw.model.ParseFromArray((*buf)->getBufferStart(),
                               static_cast<int>((*buf)->getBufferSize())) ||
      !rw.model.has_graph())
    return makeError("'" + inputPath + "' is not a valid ONNX model");
  if (Error e = rw.chooseOutputStorage())
    return e;
  if (Error e = rw.run())
    return e;
  if (Error e = rw.writer.close())
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
  for (auto &kv : rw.modelSearchReport)
    report[kv.first] = kv.second;
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
  bitmod::registerMemoryLimitOption(&category);
  llvm::cl::HideUnrelatedOptions({&category, &getCalibCategory()});
  llvm::cl::ParseCommandLineOptions(
      argc, argv,
      "bitmod-quant: quantize weights to BitMoD data types\n\n"
      "  bitmod-quant --dtype=T in.npy -o out.npy [--report r.json] "
      "[--packed p.bmqw]\n"
      "  bitmod-quant --dtype=T model.onnx -o model.q.onnx [--report "
      "r.json]\n");
  Expected<QuantConfig> cfg = parseConfig();
  bool npy = looksLikeNpy(inputPath);
  Error err = !cfg  ? cfg.takeError()
              : npy ? runNpy(*cfg)
              : isCalibrationRequested()
                  ? makeError("--method/--calib-* apply to the .npy mode; "
                              "calibrate models with bitmod-compile "
                              "--calibrate")
                  : runOnnx(*cfg);
  if (err) {
    llvm::errs() << "bitmod-quant: error: " << llvm::toString(std::move(err))
                 << "\n";
    return 1;
  }
  return 0;
}
