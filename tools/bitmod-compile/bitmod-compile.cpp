//===- bitmod-compile.cpp - One-shot BitMoD compiler driver ---------------===//
//
//   bitmod-compile model.onnx -o OUT [--dtype=T | --dtype-config=layers.json]
//       [--group-size=G] [--scale-bits=S] [--input-shape name=dims ...]
//       [--bind-input name=file.pb|.npy ...]
//       [--prefill-model prefill.onnx] [--prefill-input-shape name=dims ...]
//       [--feed present=past ...]
//       [--accel=accel.json] [--emit=mlir|isa|asm|cpp|sim] [--time-stages]
//       [--cxx=c++] [--cxx-flags=-O1] [MLIR pass-manager/timing options]
//
// The command line of mlir::bitmod::compileModel (lib/Compiler,
// docs/driver.md): ONNX model -> OUT/model.mlir, model.bmod, model.s,
// model.cpp and the simulator binary OUT/model.sim.
//
//===----------------------------------------------------------------------===//

#include "bitmod/Compiler/Compiler.h"
#include "bitmod/Support/MemoryLimit.h"
#include "bitmod/Support/ToolDiagnostics.h"
#include "bitmod/Support/Version.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;
using namespace llvm;
namespace mb = ::mlir::bitmod;

static cl::OptionCategory cat("bitmod-compile options");
static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model.onnx>"),
                                      cl::cat(cat));
static cl::opt<std::string> outDir("o", cl::desc("Output directory"),
                                   cl::value_desc("dir"), cl::cat(cat));
static cl::opt<std::string>
    dtype("dtype",
          cl::desc("Weight data type of every linear layer (default bitmod3); "
                   "'none' keeps every op on the host in float32"),
          cl::init(mb::AccelPipelineOptions().dtype), cl::cat(cat));
static cl::opt<std::string>
    dtypeConfig("dtype-config",
                cl::desc("Per-layer data types (JSON, see --bitmod-quantize)"),
                cl::value_desc("file.json"), cl::cat(cat));
static cl::opt<std::string>
    method("method",
           cl::desc("Quantization method: rtn (default), awq or gptq (awq/gptq "
                    "need --calib-stats; docs/numerics.md)"),
           cl::init(mb::AccelPipelineOptions().method), cl::cat(cat));
static cl::opt<std::string>
    calibStats("calib-stats",
               cl::desc("Calibration statistics directory (one entry per "
                        "linear layer name) for --method=awq|gptq"),
               cl::value_desc("dir"), cl::cat(cat));
static cl::opt<std::string>
    svSet("sv",
          cl::desc("Special-value set of the bitmod3/bitmod4/fp3_*/fp4_* "
                   "layers (er_pos,er_neg,ea_pos,ea_neg), e.g. 3,-3,8,-8"),
          cl::value_desc("a,b,c,d"), cl::cat(cat));
static cl::opt<std::string>
    svSearch("sv-search",
             cl::desc("Choose the special-value set minimizing the weight "
                      "MSE: none (default), layer or model"),
             cl::init("none"), cl::cat(cat));
static cl::opt<unsigned>
    groupSize("group-size", cl::desc("Group size"),
              cl::init(mb::AccelPipelineOptions().groupSize), cl::cat(cat));
static cl::opt<unsigned>
    scaleBits("scale-bits", cl::desc("Bits of the group scales"),
              cl::init(mb::AccelPipelineOptions().scaleBits), cl::cat(cat));
static cl::list<std::string>
    inputShapes("input-shape",
                cl::desc("Static input shape, e.g. x=1x16x256 (repeatable)"),
                cl::value_desc("name=dims"), cl::cat(cat));
static cl::list<std::string> inputDims(
    "input-dim",
    cl::desc("Value of a symbolic dimension (ONNX dim_param), e.g. seq=128: "
             "every graph input and output dimension of that name "
             "(repeatable; --input-shape takes precedence)"),
    cl::value_desc("name=N"), cl::cat(cat));
static cl::list<std::string> bindInputs(
    "bind-input",
    cl::desc("Replace a graph input by the constant in a TensorProto (.pb) "
             "or numpy (.npy) file, e.g. Resize scales or Reshape shapes "
             "that must be constants (repeatable)"),
    cl::value_desc("name=file"), cl::cat(cat));
static cl::opt<std::string> prefillModel(
    "prefill-model",
    cl::desc("Language model in two phases (docs/llm.md): the positional "
             "model is the decode-with-past graph, this the prefill graph; "
             "they become the entries 'prefill' and 'decode' of model.sim "
             "(--generate, --perplexity)"),
    cl::value_desc("prefill.onnx"), cl::cat(cat));
static cl::list<std::string> prefillInputShapes(
    "prefill-input-shape",
    cl::desc("Static input shape of the prefill graph (repeatable); without "
             "--prefill-model the positional model is imported a second time "
             "as the prefill graph with these shapes"),
    cl::value_desc("name=dims"), cl::cat(cat));
static cl::list<std::string>
    feeds("feed",
          cl::desc("KV-cache pair of a two-phase model: decode output "
                   "'present' feeds decode input 'past' of the next step, "
                   "besides Optimum's present.N.key/value -> "
                   "past_key_values.N.key/value (repeatable)"),
          cl::value_desc("present=past"), cl::cat(cat));
static cl::opt<std::string> accel("accel",
                                  cl::desc("Accelerator parameters (JSON)"),
                                  cl::value_desc("accel.json"), cl::cat(cat));
static cl::opt<std::string> passPipeline(
    "pass-pipeline",
    cl::desc("Textual pass pipeline run instead of quantize+tile+schedule "
             "(or --bitmod-lower-to-host), e.g. 'builtin.module("
             "bitmod-quantize{dtype=int8},bitmod-tile,"
             "bitmod-bit-serial-schedule)'"),
    cl::value_desc("pipeline"), cl::cat(cat));
static cl::opt<mb::CompileEmit>
    emit("emit", cl::desc("Last artifact to produce (default sim)"),
         cl::values(
             clEnumValN(mb::CompileEmit::MLIR, "mlir", "OUT/model.mlir"),
             clEnumValN(mb::CompileEmit::ISA, "isa", "... and OUT/model.bmod"),
             clEnumValN(mb::CompileEmit::Asm, "asm", "... and OUT/model.s"),
             clEnumValN(mb::CompileEmit::Cpp, "cpp", "... and OUT/model.cpp"),
             clEnumValN(mb::CompileEmit::Sim, "sim", "... and OUT/model.sim")),
         cl::init(mb::CompileEmit::Sim), cl::cat(cat));
static cl::opt<bool>
    timeStages("time-stages",
               cl::desc("Print the time of every stage and pass (MLIR's "
                        "timing report, as --mlir-timing)"),
               cl::cat(cat));
static cl::opt<bool> quiet("quiet", cl::desc("No progress messages"),
                           cl::cat(cat));
static const std::string cxxDesc =
    ("C++ compiler for model.sim (default $CXX, else the clang++ of the LLVM "
     "installation: " +
     mb::getDefaultModelCompiler() + ")")
        .str();
static cl::opt<std::string> cxx("cxx", cl::desc(cxxDesc), cl::cat(cat));
static cl::opt<std::string> cxxFlags(
    "cxx-flags",
    cl::desc("Flags for the C++ compiler of model.sim (default -O1; -O0 "
             "compiles faster, -O2 gains little over -O1 on host code)"),
    cl::init(mb::CompilerOptions().cxxFlags), cl::cat(cat));

static mb::CompilerOptions getCompilerOptions() {
  mb::CompilerOptions options;
  options.inputFile = inputFile;
  options.outputDir = outDir;
  options.accel.dtype = dtype;
  options.accel.dtypeConfig = dtypeConfig;
  options.accel.method = method;
  options.accel.calibStats = calibStats;
  options.accel.sv = svSet;
  options.accel.svSearch = svSearch;
  options.accel.groupSize = groupSize;
  options.accel.scaleBits = scaleBits;
  options.accel.accel = accel;
  options.mappingPipeline = passPipeline;
  options.inputShapes.assign(inputShapes.begin(), inputShapes.end());
  options.inputDims.assign(inputDims.begin(), inputDims.end());
  options.bindInputs.assign(bindInputs.begin(), bindInputs.end());
  options.prefillInputFile = prefillModel;
  options.prefillInputShapes.assign(prefillInputShapes.begin(),
                                    prefillInputShapes.end());
  options.feeds.assign(feeds.begin(), feeds.end());
  options.emit = emit;
  options.cxx = cxx;
  options.cxxFlags = cxxFlags;
  options.quiet = quiet;
  // --mlir-print-ir-*, --mlir-pass-statistics, crash reproducers, ...
  options.configurePassManager = [](PassManager &pm) {
    return applyPassManagerCLOptions(pm);
  };
  return options;
}

/// Diagnostics without a location (the command line, files, the compiler
/// of model.sim) read `bitmod-compile: error: ...`; located ones go on to
/// the SourceMgr handler.
static LogicalResult printUnlocatedDiagnostic(Diagnostic &diag) {
  return ::bitmod::printUnlocatedDiagnostic("bitmod-compile", diag);
}

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  ::bitmod::installVersionPrinter("bitmod-compile");
  ::bitmod::registerMemoryLimitOption(&cat);
  // Before the pass-manager options: --mlir-print-ir-after=<pass> lists the
  // passes registered when it is created.
  mb::registerAllBitMoDPasses();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  registerAsmPrinterCLOptions();
  registerDefaultTimingManagerCLOptions();
  // --help lists this tool's options and MLIR's, not LLVM's code generators'.
  SmallVector<cl::Option *> mlirOptions;
  for (auto &entry : cl::getRegisteredOptions())
    if (entry.first.starts_with("mlir-") &&
        entry.second->getOptionHiddenFlag() == cl::NotHidden)
      mlirOptions.push_back(entry.second);
  cl::HideUnrelatedOptions(cat);
  for (cl::Option *option : mlirOptions)
    option->setHiddenFlag(cl::NotHidden);
  cl::ParseCommandLineOptions(
      argc, argv,
      "BitMoD one-shot compiler: ONNX model -> instruction stream + "
      "simulator binary\n");

  // One timing manager for the whole compilation: every stage is a timer of
  // its root and the passes of a stage nest in it (one report, at exit).
  DefaultTimingManager timingManager;
  applyDefaultTimingManagerCLOptions(timingManager);
  if (timeStages)
    timingManager.setEnabled(true);
  TimingScope timing = timingManager.getRootScope();

  DialectRegistry registry;
  mb::registerAllBitMoDDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  ScopedDiagnosticHandler unlocatedDiagnostics(&context,
                                               printUnlocatedDiagnostic);

  LogicalResult result =
      mb::compileModel(context, getCompilerOptions(), timing);
  return failed(result) ? 1 : 0;
}
