//===- ModelMain.cpp - model.sim's main and bitmod_rt_launch
//---------------===//

#include "bitmod/Runtime/Runtime.h"

#include "bitmod/Runtime/Report.h"
#include "bitmod/Runtime/Session.h"
#include "bitmod/Sim/Trace.h"
#include "bitmod/Support/Half.h"
#include "bitmod/Support/Npy.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

using namespace bitmod;
using namespace bitmod::rt;

namespace {
/// The tool name used in messages (argv[0]'s file name).
std::string toolName = "model.sim";

[[noreturn]] void fatal(const llvm::Twine &msg) {
  llvm::errs() << toolName << ": error: " << msg << "\n";
  llvm::errs().flush();
  std::exit(1);
}

struct Options {
  std::vector<std::pair<std::string, std::string>> inputs;
  std::string outputDir, reportFile, traceFile, compare;
  bool printIO = false;
};

std::string shapeString(llvm::ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string sanitize(llvm::StringRef name) {
  std::string s;
  for (char c : name)
    s += (llvm::isAlnum(c) || c == '_' || c == '-' || c == '.') ? c : '_';
  return s;
}

/// The .npy dtype holding a model element type.
support::NpyDType npyTypeOf(ElemType t) {
  using support::NpyDType;
  switch (t) {
  case ElemType::F32:
    return NpyDType::Float32;
  case ElemType::F16:
    return NpyDType::Float16;
  case ElemType::F64:
    return NpyDType::Float64;
  case ElemType::I8:
    return NpyDType::Int8;
  case ElemType::U8:
    return NpyDType::UInt8;
  case ElemType::I16:
    return NpyDType::Int16;
  case ElemType::I32:
    return NpyDType::Int32;
  case ElemType::I64:
    return NpyDType::Int64;
  case ElemType::Bool:
    return NpyDType::Bool;
  case ElemType::U16:
    return NpyDType::UInt16;
  case ElemType::U32:
    return NpyDType::UInt32;
  case ElemType::U64:
    return NpyDType::UInt64;
  }
  fatal("unknown model element type " + llvm::Twine(int(t)));
}

/// The `bitmod.io` name of an element type ("f32", "i64", "bool", ...).
llvm::StringRef elemName(ElemType t) {
  static const char *const names[] = {"f32", "f16", "f64",  "i8",
                                      "u8",  "i16", "i32",  "i64",
                                      "bool", "u16", "u32", "u64"};
  unsigned i = unsigned(t);
  return i < sizeof(names) / sizeof(names[0]) ? names[i] : "?";
}

/// One element of an .npy array as a long double (exact for every
/// supported dtype: x86 long double has a 64-bit significand).
long double loadElement(const support::NpyArray &a, int64_t i) {
  using support::NpyDType;
  const uint8_t *p = a.data.data() + i * support::getNpyElementSize(a.dtype);
  auto get = [&](auto v) {
    std::memcpy(&v, p, sizeof(v));
    return static_cast<long double>(v);
  };
  switch (a.dtype) {
  case NpyDType::Bool:
    return *p ? 1.0L : 0.0L;
  case NpyDType::Int8:
    return get(int8_t());
  case NpyDType::Int16:
    return get(int16_t());
  case NpyDType::Int32:
    return get(int32_t());
  case NpyDType::Int64:
    return get(int64_t());
  case NpyDType::UInt8:
    return get(uint8_t());
  case NpyDType::UInt16:
    return get(uint16_t());
  case NpyDType::UInt32:
    return get(uint32_t());
  case NpyDType::UInt64:
    return get(uint64_t());
  case NpyDType::Float16: {
    uint16_t bits;
    std::memcpy(&bits, p, 2);
    return support::halfToFloat(bits);
  }
  case NpyDType::Float32:
    return get(float());
  case NpyDType::Float64:
    return get(double());
  }
  return 0;
}

/// Stores `v` as element `i` of `out` (type `t`) if it is exactly
/// representable (NaN and infinities only in floating-point types).
bool storeElement(ElemType t, long double v, uint8_t *out, int64_t i) {
  auto putInt = [&](auto zero) {
    using T = decltype(zero);
    if (!(v == std::floor(v)) ||
        v < static_cast<long double>(std::numeric_limits<T>::min()) ||
        v > static_cast<long double>(std::numeric_limits<T>::max()))
      return false;
    T x = static_cast<T>(v);
    std::memcpy(out + i * sizeof(T), &x, sizeof(T));
    return true;
  };
  auto putFloat = [&](auto zero) {
    using T = decltype(zero);
    T x = static_cast<T>(v);
    if (!(static_cast<long double>(x) == v) && !(std::isnan(v)))
      return false;
    std::memcpy(out + i * sizeof(T), &x, sizeof(T));
    return true;
  };
  switch (t) {
  case ElemType::F32:
    return putFloat(float());
  case ElemType::F64:
    return putFloat(double());
  case ElemType::F16: {
    uint16_t bits = support::doubleToHalf(double(v));
    if (!(static_cast<long double>(support::halfToFloat(bits)) == v) &&
        !std::isnan(v))
      return false;
    std::memcpy(out + i * 2, &bits, 2);
    return true;
  }
  case ElemType::I8:
    return putInt(int8_t());
  case ElemType::U8:
    return putInt(uint8_t());
  case ElemType::I16:
    return putInt(int16_t());
  case ElemType::I32:
    return putInt(int32_t());
  case ElemType::I64:
    // int64 max is not a long double boundary problem: 2^63 is exact.
    if (v >= 9223372036854775808.0L)
      return false;
    return putInt(int64_t());
  case ElemType::U16:
    return putInt(uint16_t());
  case ElemType::U32:
    return putInt(uint32_t());
  case ElemType::U64:
    // 2^64 is exact in long double; uint64 max is not a double boundary.
    if (v >= 18446744073709551616.0L)
      return false;
    return putInt(uint64_t());
  case ElemType::Bool:
    if (v != 0 && v != 1)
      return false;
    out[i] = v != 0;
    return true;
  }
  return false;
}

/// Converts an input file's array to the model's element type: f32 inputs
/// take any numeric file (as before); other types take a file of the same
/// dtype, or of another dtype when every value converts exactly.
std::vector<uint8_t> convertInput(const support::NpyArray &arr,
                                  const TensorInfo &info,
                                  llvm::StringRef path) {
  if (info.elem == ElemType::F32) {
    std::vector<float> f = arr.toFloat32();
    std::vector<uint8_t> bytes(f.size() * sizeof(float));
    std::memcpy(bytes.data(), f.data(), bytes.size());
    return bytes;
  }
  support::NpyDType want = npyTypeOf(info.elem);
  if (arr.dtype == want)
    return arr.data;
  int64_t n = arr.getNumElements();
  std::vector<uint8_t> bytes(size_t(n) * support::getNpyElementSize(want));
  for (int64_t i = 0; i < n; ++i) {
    long double v = loadElement(arr, i);
    if (!storeElement(info.elem, v, bytes.data(), i)) {
      char value[64];
      std::snprintf(value, sizeof(value), "%.17Lg", v);
      fatal(llvm::Twine("--input ") + info.name + ": '" + path + "' holds " +
            support::getNpyDTypeName(arr.dtype) + " data and element " +
            llvm::Twine(i) + " (" + value + ") is not exactly " +
            "representable in the model's " + elemName(info.elem) +
            " input; convert the file to " + support::getNpyDTypeName(want));
    }
  }
  return bytes;
}

void printUsage(const ModelInfo &model) {
  llvm::outs() << "usage: " << toolName
               << " --input name=file(.npy|.pb) ... [--output-dir D]\n"
                  "       [--report r.json] [--trace t.json] "
                  "[--compare fp16,ant,olive] [--print-io]\n\n"
               << "Runs the compiled model '" << model.name
               << "': host ops on the CPU, accelerator layers through the "
                  "BitMoD simulator.\n";
  for (int64_t i = 0; i < model.numInputs; ++i)
    llvm::outs() << "  input  " << model.inputs[i].name << " "
                 << elemName(model.inputs[i].elem) << " "
                 << shapeString(
                        {model.inputs[i].shape, size_t(model.inputs[i].rank)})
                 << "\n";
  for (int64_t i = 0; i < model.numOutputs; ++i)
    llvm::outs() << "  output " << model.outputs[i].name << " "
                 << elemName(model.outputs[i].elem) << " "
                 << shapeString(
                        {model.outputs[i].shape, size_t(model.outputs[i].rank)})
                 << "\n";
}

Options parseArgs(int argc, char **argv, const ModelInfo &model) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef arg = argv[i];
    // Accept "--opt value" and "--opt=value".
    auto value = [&](llvm::StringRef opt, std::string &out) -> bool {
      if (arg == opt) {
        if (i + 1 >= argc)
          fatal(opt + " needs a value");
        out = argv[++i];
        return true;
      }
      if (arg.starts_with(opt) && arg.drop_front(opt.size()).starts_with("=")) {
        out = arg.drop_front(opt.size() + 1).str();
        return true;
      }
      return false;
    };
    std::string v;
    if (arg == "--help" || arg == "-h") {
      printUsage(model);
      std::exit(0);
    } else if (arg == "--print-io") {
      o.printIO = true;
    } else if (value("--input", v)) {
      auto [name, path] = llvm::StringRef(v).split('=');
      if (name.empty() || path.empty())
        fatal("--input expects name=file(.npy|.pb), got '" + v + "'");
      o.inputs.emplace_back(name.str(), path.str());
    } else if (value("--output-dir", o.outputDir) ||
               value("--report", o.reportFile) ||
               value("--trace", o.traceFile) || value("--compare", o.compare)) {
    } else {
      fatal("unknown argument '" + arg + "' (see --help)");
    }
  }
  return o;
}

void writeFile(llvm::StringRef path, llvm::StringRef data) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    fatal("cannot write '" + path + "': " + ec.message());
  os << data;
  os.close();
  if (os.has_error())
    fatal("cannot write '" + path + "': " + os.error().message());
}

template <typename T> T check(llvm::Expected<T> v) {
  if (!v)
    fatal(llvm::toString(v.takeError()));
  return std::move(*v);
}

} // namespace

extern "C" void bitmod_rt_launch(void *ctx, const char *layer,
                                 const float *input, int64_t inputElements,
                                 float *output, int64_t outputElements) {
  if (!ctx || !layer)
    fatal("bitmod_rt_launch called without a context or layer name");
  if (llvm::Error e = static_cast<Session *>(ctx)->launch(
          layer, input, inputElements, output, outputElements))
    fatal("accelerator launch: " + llvm::toString(std::move(e)));
}

int rt::modelMain(int argc, char **argv, const ModelInfo &model) {
  if (argc > 0 && argv[0])
    toolName = llvm::sys::path::filename(argv[0]).str();
  Options opts = parseArgs(argc, argv, model);
  if (opts.printIO) {
    printUsage(model);
    return 0;
  }
  std::vector<sim::AcceleratorKind> compareKinds =
      check(parseCompareList(opts.compare));

  std::unique_ptr<Session> session;
  if (model.program && model.programSize)
    session = check(Session::create(
        llvm::ArrayRef<uint8_t>(model.program, model.programSize)));
  else
    session = std::make_unique<Session>();

  // Inputs: every model input exactly once, with its shape.
  llvm::StringMap<int64_t> inputIndex;
  for (int64_t i = 0; i < model.numInputs; ++i)
    inputIndex[model.inputs[i].name] = i;
  std::vector<std::vector<uint8_t>> buffers(model.numInputs + model.numOutputs);
  std::vector<bool> seen(model.numInputs, false);
  for (auto &[name, path] : opts.inputs) {
    auto it = inputIndex.find(name);
    if (it == inputIndex.end()) {
      std::string names;
      for (int64_t i = 0; i < model.numInputs; ++i)
        names += (i ? ", " : "") + std::string(model.inputs[i].name);
      fatal("--input: the model has no input '" + name + "' (inputs: " + names +
            ")");
    }
    if (seen[it->second])
      fatal("--input: '" + name + "' given twice");
    seen[it->second] = true;
    const TensorInfo &info = model.inputs[it->second];
    llvm::ArrayRef<int64_t> want(info.shape, size_t(info.rank));
    support::NpyArray arr = check(readTensorFile(path));
    if (llvm::ArrayRef<int64_t>(arr.shape) != want)
      fatal("--input " + name + ": '" + path + "' has shape " +
            shapeString(arr.shape) + ", the model needs " + shapeString(want));
    buffers[it->second] = convertInput(arr, info, path);
  }
  for (int64_t i = 0; i < model.numInputs; ++i)
    if (!seen[i])
      fatal(llvm::Twine("missing --input for '") + model.inputs[i].name +
            "' (shape " +
            shapeString({model.inputs[i].shape, size_t(model.inputs[i].rank)}) +
            ")");
  for (int64_t i = 0; i < model.numOutputs; ++i) {
    int64_t n = 1;
    for (int64_t d = 0; d < model.outputs[i].rank; ++d)
      n *= model.outputs[i].shape[d];
    buffers[model.numInputs + i].assign(
        size_t(n) *
            support::getNpyElementSize(npyTypeOf(model.outputs[i].elem)),
        0);
  }
  // The entry takes an empty tensor as a one-element buffer (C has no
  // zero-length arrays) and may store that element.
  std::vector<int64_t> emptyElement(buffers.size(), 0);
  std::vector<void *> ptrs;
  for (size_t i = 0; i < buffers.size(); ++i)
    ptrs.push_back(buffers[i].empty() ? static_cast<void *>(&emptyElement[i])
                                      : buffers[i].data());

  model.run(session.get(), ptrs.data());

  if (!opts.outputDir.empty()) {
    if (std::error_code ec = llvm::sys::fs::create_directories(opts.outputDir))
      fatal("cannot create '" + opts.outputDir + "': " + ec.message());
    for (int64_t i = 0; i < model.numOutputs; ++i) {
      const TensorInfo &info = model.outputs[i];
      llvm::SmallString<128> path(opts.outputDir);
      llvm::sys::path::append(path, sanitize(info.name) + ".npy");
      if (llvm::Error e = support::writeNpy(
              path,
              support::NpyArray::fromBytes(
                  npyTypeOf(info.elem), buffers[model.numInputs + i],
                  llvm::ArrayRef<int64_t>(info.shape, size_t(info.rank)))))
        fatal(llvm::toString(std::move(e)));
    }
  }

  ReportInput report = session->getReportInput(model.name);
  llvm::outs() << toolName << ": " << session->getNumLaunches()
               << " accelerator launches, " << formatSummary(report) << "\n";
  if (!opts.reportFile.empty()) {
    llvm::json::Object r = check(buildReport(report, compareKinds));
    r["launches"] = int64_t(session->getNumLaunches());
    writeFile(opts.reportFile, formatJSON(std::move(r)));
  } else if (!compareKinds.empty()) {
    llvm::outs() << formatJSON(check(buildCompare(report, compareKinds)));
  }
  if (!opts.traceFile.empty()) {
    std::string s;
    llvm::raw_string_ostream os(s);
    sim::writeChromeTrace(session->getExecutedProgram(), session->getTiming(),
                          session->getConfig(), os);
    writeFile(opts.traceFile, s);
  }
  return 0;
}
