//===- ModelMain.cpp - model.sim's main and bitmod_rt_launch
//---------------===//

#include "bitmod/Runtime/Runtime.h"

#include "bitmod/Runtime/Report.h"
#include "bitmod/Runtime/Session.h"
#include "bitmod/Sim/Trace.h"
#include "bitmod/Support/Npy.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
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

void printUsage(const ModelInfo &model) {
  llvm::outs() << "usage: " << toolName
               << " --input name=file(.npy|.pb) ... [--output-dir D]\n"
                  "       [--report r.json] [--trace t.json] "
                  "[--compare fp16,ant,olive] [--print-io]\n\n"
               << "Runs the compiled model '" << model.name
               << "': host ops on the CPU, accelerator layers through the "
                  "BitMoD simulator.\n";
  for (int64_t i = 0; i < model.numInputs; ++i)
    llvm::outs() << "  input  " << model.inputs[i].name << " f32 "
                 << shapeString(
                        {model.inputs[i].shape, size_t(model.inputs[i].rank)})
                 << "\n";
  for (int64_t i = 0; i < model.numOutputs; ++i)
    llvm::outs() << "  output " << model.outputs[i].name << " f32 "
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
  std::vector<std::vector<float>> buffers(model.numInputs + model.numOutputs);
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
    buffers[it->second] = arr.toFloat32();
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
    buffers[model.numInputs + i].assign(size_t(n), 0.0f);
  }
  std::vector<float *> ptrs;
  for (auto &b : buffers)
    ptrs.push_back(b.data());

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
              support::NpyArray::fromFloat32(
                  buffers[model.numInputs + i],
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
