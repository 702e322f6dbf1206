//===- ModelMain.cpp - model.sim's main and bitmod_rt_launch --------------===//

#include "bitmod/Runtime/Runtime.h"

#include "bitmod/Runtime/LanguageModel.h"
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
  std::string outputDir, reportFile, traceFile, compare, entry;
  bool printIO = false;
  /// --generate N (-1: not given), --perplexity file, --window, --stride.
  int64_t generate = -1;
  std::string perplexityFile;
  int64_t window = 0, stride = 0;
};

std::string sanitize(llvm::StringRef name) {
  std::string s;
  for (char c : name)
    s += (llvm::isAlnum(c) || c == '_' || c == '-' || c == '.') ? c : '_';
  return s;
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
  support::NpyDType want = getNpyType(info.elem);
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
            "representable in the model's " + getElemName(info.elem) +
            " input; convert the file to " + support::getNpyDTypeName(want));
    }
  }
  return bytes;
}

void printTensors(const EntryInfo &entry) {
  for (int64_t i = 0; i < entry.numInputs; ++i)
    llvm::outs() << "  input  " << entry.inputs[i].name << " "
                 << getElemName(entry.inputs[i].elem) << " "
                 << formatShape(
                        {entry.inputs[i].shape, size_t(entry.inputs[i].rank)})
                 << "\n";
  for (int64_t i = 0; i < entry.numOutputs; ++i)
    llvm::outs() << "  output " << entry.outputs[i].name << " "
                 << getElemName(entry.outputs[i].elem) << " "
                 << formatShape(
                        {entry.outputs[i].shape, size_t(entry.outputs[i].rank)})
                 << "\n";
}

void printUsage(const ModelInfo &model) {
  llvm::outs()
      << "usage: " << toolName
      << " [--entry E] --input name=file(.npy|.pb) ... [--output-dir D]\n"
         "       [--report r.json] [--trace t.json] "
         "[--compare fp16,ant,olive] [--print-io]\n"
      << "       " << toolName
      << " --generate N --input input_ids=prompt.npy [--output-dir D] ...\n"
      << "       " << toolName
      << " --perplexity tokens.npy [--window T] [--stride S] ...\n\n"
      << "Runs the compiled model '" << model.name
      << "': host ops on the CPU, accelerator layers through the "
         "BitMoD simulator.\n";
  if (model.numEntries == 1)
    return printTensors(model.entries[0]);
  for (int64_t e = 0; e < model.numEntries; ++e) {
    llvm::outs() << "entry " << model.entries[e].name
                 << (e == 0 ? " (default)" : "") << ":\n";
    printTensors(model.entries[e]);
  }
  for (int64_t f = 0; f < model.numFeeds; ++f)
    llvm::outs() << "feed " << model.feeds[f].output << " -> "
                 << model.feeds[f].input << "\n";
}

int64_t parseCount(llvm::StringRef opt, llvm::StringRef v) {
  int64_t n;
  if (v.getAsInteger(10, n) || n < 0)
    fatal(opt + " expects a non-negative integer, got '" + v + "'");
  return n;
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
    } else if (value("--generate", v)) {
      o.generate = parseCount("--generate", v);
    } else if (value("--window", v)) {
      o.window = parseCount("--window", v);
    } else if (value("--stride", v)) {
      o.stride = parseCount("--stride", v);
    } else if (value("--output-dir", o.outputDir) ||
               value("--report", o.reportFile) ||
               value("--trace", o.traceFile) || value("--compare", o.compare) ||
               value("--entry", o.entry) ||
               value("--perplexity", o.perplexityFile)) {
    } else {
      fatal("unknown argument '" + arg + "' (see --help)");
    }
  }
  if (o.generate >= 0 && !o.perplexityFile.empty())
    fatal("--generate and --perplexity are exclusive");
  if ((o.window || o.stride) && o.perplexityFile.empty())
    fatal("--window and --stride need --perplexity");
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

namespace {
/// The entry named `name`, or null.
const EntryInfo *findEntry(const ModelInfo &model, llvm::StringRef name) {
  for (int64_t e = 0; e < model.numEntries; ++e)
    if (name == model.entries[e].name)
      return &model.entries[e];
  return nullptr;
}

std::string entryNames(const ModelInfo &model) {
  std::string names;
  for (int64_t e = 0; e < model.numEntries; ++e)
    names += (e ? ", " : "") + std::string(model.entries[e].name);
  return names;
}

/// A token file ([n] or [1, n], any integer dtype) as int64 ids.
std::vector<int64_t> readTokens(llvm::StringRef what, llvm::StringRef path) {
  support::NpyArray arr = check(readTensorFile(path));
  if (!(arr.shape.size() == 1 || (arr.shape.size() == 2 && arr.shape[0] == 1)))
    fatal(what + ": '" + path + "' has shape " + formatShape(arr.shape) +
          "; expected [n] or [1,n] token ids");
  std::vector<int64_t> ids;
  for (int64_t i = 0; i < arr.getNumElements(); ++i) {
    long double v = loadElement(arr, i);
    if (v != std::floor(v) || v < -9.2e18L || v > 9.2e18L)
      fatal(what + ": '" + path + "' element " + llvm::Twine(i) +
            " is not an integer token id");
    ids.push_back(int64_t(v));
  }
  return ids;
}

/// Runs one entry on --input files and writes its outputs.
void runEntry(const Options &opts, const EntryInfo &model, Session &session) {
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
            formatShape(arr.shape) + ", the model needs " + formatShape(want));
    buffers[it->second] = convertInput(arr, info, path);
  }
  for (int64_t i = 0; i < model.numInputs; ++i)
    if (!seen[i])
      fatal(llvm::Twine("missing --input for '") + model.inputs[i].name +
            "' (shape " +
            formatShape({model.inputs[i].shape, size_t(model.inputs[i].rank)}) +
            ")");
  // A language model's token ids index the embedding table with a host
  // Gather that does not check bounds: refuse ids outside the vocabulary.
  EntryDesc desc = describeEntry(model);
  auto ids = llvm::find_if(
      desc.inputs, [](const TensorDesc &t) { return t.name == "input_ids"; });
  auto logits = llvm::find_if(
      desc.outputs, [](const TensorDesc &t) { return t.name == "logits"; });
  if (ids != desc.inputs.end() && logits != desc.outputs.end() &&
      !logits->shape.empty()) {
    int64_t index = ids - desc.inputs.begin();
    support::NpyArray arr = support::NpyArray::fromBytes(
        getNpyType(ids->elem), buffers[index], ids->shape);
    std::vector<int64_t> tokens;
    for (int64_t i = 0; i < arr.getNumElements(); ++i)
      tokens.push_back(int64_t(loadElement(arr, i)));
    if (llvm::Error e =
            checkTokenIds(tokens, logits->shape.back(), "--input input_ids"))
      fatal(llvm::toString(std::move(e)));
  }
  for (int64_t i = 0; i < model.numOutputs; ++i) {
    int64_t n = 1;
    for (int64_t d = 0; d < model.outputs[i].rank; ++d)
      n *= model.outputs[i].shape[d];
    buffers[model.numInputs + i].assign(
        size_t(n) *
            support::getNpyElementSize(getNpyType(model.outputs[i].elem)),
        0);
  }
  // The entry takes an empty tensor as a one-element buffer (C has no
  // zero-length arrays) and may store that element.
  std::vector<int64_t> emptyElement(buffers.size(), 0);
  std::vector<void *> ptrs;
  for (size_t i = 0; i < buffers.size(); ++i)
    ptrs.push_back(buffers[i].empty() ? static_cast<void *>(&emptyElement[i])
                                      : buffers[i].data());

  model.run(&session, ptrs.data());

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
                  getNpyType(info.elem), buffers[model.numInputs + i],
                  llvm::ArrayRef<int64_t>(info.shape, size_t(info.rank)))))
        fatal(llvm::toString(std::move(e)));
    }
  }
}

std::string formatTotals(const AcceleratorTotals &t, double frequencyGHz) {
  return llvm::formatv("{0} launches, {1} cycles ({2:f3} us), energy {3:f1} nJ",
                       t.launches, t.cycles, t.cycles / (frequencyGHz * 1000.0),
                       t.energy.getTotalPJ() / 1000.0)
      .str();
}

/// The entries --generate and --perplexity use: "prefill" (or the only
/// entry) and "decode" (may be null), bound.
struct LanguageModel {
  const EntryInfo *prefill = nullptr, *decode = nullptr;
  LanguageModelBinding binding;
};

LanguageModel bindModel(const ModelInfo &model, bool needDecode) {
  LanguageModel lm;
  lm.prefill =
      model.numEntries == 1 ? &model.entries[0] : findEntry(model, "prefill");
  if (!lm.prefill)
    fatal("the model has no 'prefill' entry (entries: " + entryNames(model) +
          ")");
  lm.decode = findEntry(model, "decode");
  if (needDecode && lm.decode) {
    std::vector<std::pair<std::string, std::string>> feeds;
    for (int64_t f = 0; f < model.numFeeds; ++f)
      feeds.emplace_back(model.feeds[f].output, model.feeds[f].input);
    lm.binding = check(bindLanguageModel(describeEntry(*lm.prefill),
                                         describeEntry(*lm.decode), feeds));
  } else {
    lm.binding = check(bindPrefill(describeEntry(*lm.prefill)));
  }
  return lm;
}

void runGeneration(const Options &opts, const ModelInfo &model,
                   Session &session, llvm::json::Object &report) {
  if (opts.inputs.size() != 1 || opts.inputs[0].first != "input_ids")
    fatal("--generate takes exactly one --input, input_ids=prompt.npy");
  std::vector<int64_t> prompt =
      readTokens("--input input_ids", opts.inputs[0].second);
  LanguageModel lm = bindModel(model, opts.generate > 1);
  GenerationResult r = check(generate(session, *lm.prefill, lm.decode,
                                      lm.binding, prompt, opts.generate));
  double ghz = session.getConfig().frequencyGHz;
  llvm::json::Array phases;
  for (const PhaseStats &p : r.phases) {
    llvm::outs() << toolName << ": " << p.name << ": " << p.tokens
                 << " token(s), context " << p.context << ", "
                 << formatTotals(p.totals, ghz) << "\n";
    llvm::json::Object o = totalsToJSON(p.totals, ghz);
    o["name"] = p.name;
    o["tokens"] = p.tokens;
    o["context"] = p.context;
    phases.push_back(std::move(o));
  }
  llvm::outs() << toolName << ": generated " << r.tokens.size() << " tokens:";
  for (int64_t t : r.tokens)
    llvm::outs() << " " << t;
  llvm::outs() << "\n"
               << toolName
               << ": generation total: " << formatTotals(r.total, ghz) << "\n";
  if (!opts.outputDir.empty()) {
    if (std::error_code ec = llvm::sys::fs::create_directories(opts.outputDir))
      fatal("cannot create '" + opts.outputDir + "': " + ec.message());
    llvm::SmallString<128> path(opts.outputDir);
    llvm::sys::path::append(path, "generated_ids.npy");
    std::vector<uint8_t> bytes(r.tokens.size() * sizeof(int64_t));
    std::memcpy(bytes.data(), r.tokens.data(), bytes.size());
    if (llvm::Error e = support::writeNpy(
            path, support::NpyArray::fromBytes(support::NpyDType::Int64, bytes,
                                               {1, int64_t(r.tokens.size())})))
      fatal(llvm::toString(std::move(e)));
  }
  llvm::json::Array ids;
  for (int64_t t : r.tokens)
    ids.push_back(t);
  report["generation"] =
      llvm::json::Object{{"prompt_tokens", int64_t(prompt.size())},
                         {"prefill_length", lm.binding.prefillLength},
                         {"cache_slots", lm.binding.cacheSlots},
                         {"generated_ids", std::move(ids)},
                         {"phases", std::move(phases)},
                         {"total", totalsToJSON(r.total, ghz)}};
}

void runPerplexity(const Options &opts, const ModelInfo &model,
                   Session &session, llvm::json::Object &report) {
  if (!opts.inputs.empty())
    fatal("--perplexity takes no --input (the token stream is its file)");
  std::vector<int64_t> tokens = readTokens("--perplexity", opts.perplexityFile);
  LanguageModel lm = bindModel(model, /*needDecode=*/false);
  PerplexityResult r = check(computePerplexity(
      session, *lm.prefill, lm.binding, tokens, opts.window, opts.stride));
  double ghz = session.getConfig().frequencyGHz;
  llvm::outs() << llvm::formatv(
      "{0}: perplexity: {1:f6} (mean NLL {2:f6} nats over {3} tokens scored, "
      "{4} windows of {5}, stride {6}); {7}\n",
      toolName, r.perplexity, r.meanNLL, r.tokensScored, r.windows, r.window,
      r.stride, formatTotals(r.total, ghz));
  report["perplexity"] =
      llvm::json::Object{{"perplexity", r.perplexity},
                         {"mean_nll", r.meanNLL},
                         {"tokens", int64_t(tokens.size())},
                         {"tokens_scored", r.tokensScored},
                         {"windows", r.windows},
                         {"window", r.window},
                         {"stride", r.stride},
                         {"total", totalsToJSON(r.total, ghz)}};
}
} // namespace

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

  llvm::json::Object extra;
  if (opts.generate >= 0 || !opts.perplexityFile.empty()) {
    if (!opts.entry.empty())
      fatal("--entry is for single runs; --generate and --perplexity use the "
            "prefill and decode entries");
    if (opts.generate >= 0)
      runGeneration(opts, model, *session, extra);
    else
      runPerplexity(opts, model, *session, extra);
  } else {
    const EntryInfo *entry = &model.entries[0];
    if (!opts.entry.empty() && !(entry = findEntry(model, opts.entry)))
      fatal("--entry: the model has no entry '" + opts.entry +
            "' (entries: " + entryNames(model) + ")");
    runEntry(opts, *entry, *session);
  }

  ReportInput report = session->getReportInput(model.name);
  llvm::outs() << toolName << ": " << session->getNumLaunches()
               << " accelerator launches, " << formatSummary(report) << "\n";
  if (!opts.reportFile.empty()) {
    llvm::json::Object r = check(buildReport(report, compareKinds));
    r["launches"] = int64_t(session->getNumLaunches());
    for (auto &kv : extra)
      r[kv.first] = std::move(kv.second);
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
