//===- Compiler.cpp - The BitMoD one-shot compiler ------------------------===//
//
// The stages of compileModel(), each a timer of the caller's timing scope:
// import -> quantize+tile+schedule (or lower-to-host) -> model.mlir ->
// model.bmod/.s -> host lowering -> model.cpp -> model.sim.
//
//===----------------------------------------------------------------------===//

#include "bitmod/Compiler/Compiler.h"

#include "ModelSim.h"

#include "bitmod/Conversion/Passes.h"
#include "bitmod/Dialect/BitMoD/IR/BitMoDOps.h"
#include "bitmod/Dialect/BitMoDHW/IR/BitMoDHWOps.h"
#include "bitmod/ISA/Assembly.h"
#include "bitmod/Import/ONNXImporter.h"
#include "bitmod/Runtime/LanguageModel.h"
#include "bitmod/Runtime/Session.h"
#include "bitmod/Target/ISA/EmitISA.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "mlir/Target/Cpp/CppEmitter.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::bitmod;
namespace isa = ::bitmod::isa;

/// model.mlir of a model with more weight-blob bytes than this omits the
/// resource blobs longer than kModelMlirResourceLimit hex characters, and
/// model.s the weight bytes of its program.
constexpr int64_t kModelMlirWeightLimit = int64_t(1) << 30;
/// 64 Ki hex characters: the quantized codes and the group scales of every
/// LLM linear layer go (the scales alone are 160 MB of text for a 7B
/// model), the norm weights (8 KiB at hidden size 4096) stay.
constexpr int64_t kModelMlirResourceLimit = int64_t(1) << 16;

namespace {
/// One compilation: the options, where errors go and the stage timers.
class ModelCompiler {
public:
  ModelCompiler(MLIRContext &context, const CompilerOptions &options,
                TimingScope &timing)
      : context(context), options(options), timing(timing),
        loc(UnknownLoc::get(&context)) {}

  LogicalResult run();

private:
  LogicalResult checkOptions();
  /// Removes what an earlier compilation wrote to the output directory, so
  /// that a run which stops earlier (--emit, --dtype=none, no accelerator
  /// layer, an error) leaves none of it next to its own files.
  LogicalResult removeStaleArtifacts();
  OwningOpRef<ModuleOp> importModel(StringRef file,
                                    ArrayRef<std::string> inputShapes);
  /// Imports the prefill and decode graphs into one module with public
  /// functions @prefill and @decode (CompilerOptions::isTwoPhase).
  OwningOpRef<ModuleOp> importTwoPhase(std::string &modelName);
  /// Binds the lowered @prefill/@decode entries as a language model
  /// (input_ids, logits, KV-cache pairs), as model.sim --generate will.
  LogicalResult checkLanguageModel(ArrayRef<HostEntryInterface> entries);
  /// The public function model.sim runs, named for model.name.
  FailureOr<std::string> getModelName(ModuleOp module);
  LogicalResult
  runPasses(ModuleOp module, TimingScope &stage,
            function_ref<LogicalResult(OpPassManager &)> populate);
  /// The quantize+tile+schedule (or lower-to-host) pass list.
  LogicalResult populateMappingPipeline(OpPassManager &pm);
  /// Writes model.bmod and model.s; `bmodPath` stays empty when no layer
  /// runs on the accelerator.
  LogicalResult emitProgram(ModuleOp module, std::string &bmodPath);
  LogicalResult emitCpp(ModuleOp module, StringRef modelName,
                        StringRef bmodPath, StringRef cppPath);
  /// The --feed pairs as (present, past).
  std::vector<std::pair<std::string, std::string>> getFeeds() const;

  std::string getOutputPath(StringRef file) const {
    SmallString<256> path(options.outputDir);
    llvm::sys::path::append(path, file);
    return std::string(path);
  }
  LogicalResult writeFile(StringRef path,
                          function_ref<LogicalResult(raw_ostream &)> write);
  void progress(const Twine &message) const {
    if (!options.quiet)
      llvm::errs() << "bitmod-compile: " << message << "\n";
  }

  MLIRContext &context;
  const CompilerOptions &options;
  TimingScope &timing;
  /// Where driver-level errors are reported: no location (they name their
  /// files); bitmod-compile prints them as its own.
  Location loc;
};
} // namespace

LogicalResult ModelCompiler::checkOptions() {
  if (options.inputFile.empty())
    return emitError(loc) << "no input model (see --help)";
  if (options.outputDir.empty())
    return emitError(loc) << "no output directory: use -o <dir>";
  if (options.isHostOnly() && !options.accel.dtypeConfig.empty())
    return emitError(loc) << "--dtype=none and --dtype-config are exclusive";
  if (options.isHostOnly() && options.accel.method != "rtn")
    return emitError(loc) << "--dtype=none and --method="
                          << options.accel.method << " are exclusive";
  if (options.isHostOnly() &&
      (options.emit == CompileEmit::ISA || options.emit == CompileEmit::Asm))
    return emitError(loc) << "--dtype=none produces no accelerator program "
                             "(--emit=isa/asm)";
  for (StringRef spec : options.feeds) {
    auto [out, in] = spec.split('=');
    if (out.empty() || in.empty())
      return emitError(loc)
             << "--feed expects present=past, got '" << spec << "'";
  }
  // What the tiler would refuse for every layer, before the import and the
  // quantization of a large model.
  if (!options.isHostOnly() && options.mappingPipeline.empty()) {
    const isa::FieldInfo &groupField =
        isa::getFieldInfo(isa::FieldId::config_groupSize);
    if (options.accel.groupSize < groupField.min ||
        options.accel.groupSize > groupField.max)
      return emitError(loc)
             << "--group-size=" << options.accel.groupSize
             << " is outside the accelerator's [" << groupField.min << ", "
             << groupField.max << "] (the group_size field of CONFIG)";
    if (options.accel.scaleBits == 0)
      return emitError(loc)
             << "--scale-bits=0 (float group scales) is not a hardware "
                "format: the accelerator takes 4..8-bit integer group scales "
                "(--dtype=none runs the model on the host in float32)";
  }
  if (!options.feeds.empty() && !options.isTwoPhase())
    return emitError(loc) << "--feed needs a two-phase model (--prefill-model "
                             "or --prefill-input-shape)";
  if (std::error_code ec = llvm::sys::fs::create_directories(options.outputDir))
    return emitError(loc) << "cannot create '" << options.outputDir
                          << "': " << ec.message();
  return success();
}

OwningOpRef<ModuleOp>
ModelCompiler::importModel(StringRef file, ArrayRef<std::string> inputShapes) {
  ONNXImportOptions importOptions;
  for (const std::string &spec : inputShapes) {
    std::string name, error;
    SmallVector<int64_t> shape;
    if (failed(parseInputShapeSpec(spec, name, shape, error))) {
      emitError(loc) << error; // the message names --input-shape
      return nullptr;
    }
    importOptions.inputShapes.emplace_back(name, shape);
  }
  for (const std::string &spec : options.inputDims) {
    std::string name, error;
    int64_t value;
    if (failed(parseInputDimSpec(spec, name, value, error))) {
      emitError(loc) << error; // the message names --input-dim
      return nullptr;
    }
    importOptions.inputDims.emplace_back(name, value);
  }
  for (const std::string &spec : options.bindInputs) {
    std::string name, path, error;
    if (failed(parseBindInputSpec(spec, name, path, error))) {
      emitError(loc) << error; // the message names --bind-input
      return nullptr;
    }
    importOptions.boundInputs.emplace_back(name, path);
  }
  auto buffer = llvm::MemoryBuffer::getFile(file,
                                            /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer) {
    emitError(loc) << "cannot read '" << file
                   << "': " << buffer.getError().message();
    return nullptr;
  }
  OwningOpRef<ModuleOp> module =
      importONNXModel((*buffer)->getBuffer(), file, &context, importOptions);
  if (!module)
    emitError(loc) << "import of '" << file << "' failed";
  return module;
}

/// The single public function of an imported graph.
static func::FuncOp getGraphFunction(ModuleOp module, StringRef file,
                                     Location loc) {
  func::FuncOp entry;
  for (auto f : module.getOps<func::FuncOp>())
    if (f.isPublic() && !f.isExternal()) {
      if (entry) {
        emitError(loc) << "'" << file << "' imports to several public "
                       << "functions; a phase of a language model is one graph";
        return nullptr;
      }
      entry = f;
    }
  if (!entry)
    emitError(loc) << "'" << file << "' imports to no public function";
  return entry;
}

/// Prefixes the layer names (`name` of bitmod ops: launch symbols, .bmod
/// layers, dtype-config matching) with `prefix`; unnamed linear layers get
/// `<prefix>linear<i>`.
static void prefixLayerNames(ModuleOp module, StringRef prefix) {
  unsigned unnamed = 0;
  module.walk([&](Operation *op) {
    if (op->getDialect() == nullptr ||
        op->getDialect()->getNamespace() != "bitmod")
      return;
    auto name = op->getAttrOfType<StringAttr>("name");
    if (name && !name.getValue().empty())
      op->setAttr("name",
                  StringAttr::get(op->getContext(), prefix + name.getValue()));
    else if (llvm::isa<LinearOp>(op))
      op->setAttr("name",
                  StringAttr::get(op->getContext(),
                                  prefix + "linear" + Twine(unnamed++)));
  });
}

OwningOpRef<ModuleOp> ModelCompiler::importTwoPhase(std::string &modelName) {
  StringRef prefillFile = options.prefillInputFile.empty()
                              ? StringRef(options.inputFile)
                              : StringRef(options.prefillInputFile);
  progress("importing " + prefillFile + " (prefill)");
  OwningOpRef<ModuleOp> prefill =
      importModel(prefillFile, options.prefillInputShapes);
  if (!prefill)
    return nullptr;
  progress("importing " + options.inputFile + " (decode)");
  OwningOpRef<ModuleOp> decode =
      importModel(options.inputFile, options.inputShapes);
  if (!decode)
    return nullptr;
  func::FuncOp prefillFunc = getGraphFunction(*prefill, prefillFile, loc);
  func::FuncOp decodeFunc = getGraphFunction(*decode, options.inputFile, loc);
  if (!prefillFunc || !decodeFunc)
    return nullptr;
  modelName = (getHostModelName(prefillFunc.getSymName()) + "+" +
               getHostModelName(decodeFunc.getSymName()));
  prefixLayerNames(*prefill, "prefill.");
  prefixLayerNames(*decode, "decode.");
  // The prefill graph's other symbols (private helpers) must not collide.
  SymbolTable decodeSymbols(*decode);
  for (Operation &op : llvm::make_early_inc_range(*prefill->getBody())) {
    auto sym = op.getAttrOfType<StringAttr>(SymbolTable::getSymbolAttrName());
    if (!sym || &op == prefillFunc.getOperation() || !decodeSymbols.lookup(sym))
      continue;
    std::string unique = ("prefill_" + sym.getValue()).str();
    if (failed(SymbolTable::replaceAllSymbolUses(
            &op, StringAttr::get(&context, unique), *prefill))) {
      emitError(loc) << "cannot rename the prefill symbol @" << sym.getValue();
      return nullptr;
    }
    SymbolTable::setSymbolName(&op, unique);
  }
  for (auto [func, name] :
       {std::pair(prefillFunc, "prefill"), std::pair(decodeFunc, "decode")}) {
    if (func.getSymName() == name)
      continue;
    ModuleOp owner = func->getParentOfType<ModuleOp>();
    if (SymbolTable::lookupSymbolIn(owner, name) ||
        failed(SymbolTable::replaceAllSymbolUses(
            func, StringAttr::get(&context, name), owner))) {
      emitError(loc) << "cannot rename @" << func.getSymName() << " to @"
                     << name;
      return nullptr;
    }
    func.setSymName(name);
  }
  if (decodeSymbols.lookup("prefill")) {
    emitError(loc) << "the decode graph already has a symbol @prefill";
    return nullptr;
  }
  // Prefill first: model.sim's default entry.
  Block *body = decode->getBody();
  Operation *first = body->empty() ? nullptr : &body->front();
  for (Operation &op : llvm::make_early_inc_range(*prefill->getBody())) {
    op.remove();
    if (first)
      body->getOperations().insert(first->getIterator(), &op);
    else
      body->push_back(&op);
  }
  for (NamedAttribute attr : (*prefill)->getAttrs())
    if (!(*decode)->hasAttr(attr.getName()))
      (*decode)->setAttr(attr.getName(), attr.getValue());
  return decode;
}

std::vector<std::pair<std::string, std::string>>
ModelCompiler::getFeeds() const {
  std::vector<std::pair<std::string, std::string>> feeds;
  for (StringRef spec : options.feeds) {
    auto [out, in] = spec.split('=');
    feeds.emplace_back(out.str(), in.str());
  }
  return feeds;
}

LogicalResult
ModelCompiler::checkLanguageModel(ArrayRef<HostEntryInterface> entries) {
  std::vector<::bitmod::rt::EntryDesc> descs;
  for (const HostEntryInterface &entry : entries) {
    ::bitmod::rt::EntryDesc desc;
    desc.name = entry.name;
    for (const HostTensor &t : entry.tensors) {
      ::bitmod::rt::TensorDesc td;
      td.name = t.name;
      td.shape.assign(t.shape.begin(), t.shape.end());
      if (std::optional<::bitmod::rt::ElemType> elem =
              ::bitmod::rt::parseElemName(t.elem))
        td.elem = *elem;
      (t.isInput ? desc.inputs : desc.outputs).push_back(std::move(td));
    }
    descs.push_back(std::move(desc));
  }
  auto find = [&](StringRef name) -> const ::bitmod::rt::EntryDesc * {
    for (const ::bitmod::rt::EntryDesc &d : descs)
      if (d.name == name)
        return &d;
    return nullptr;
  };
  const ::bitmod::rt::EntryDesc *prefill = find("prefill"),
                                *decode = find("decode");
  if (!prefill || !decode)
    return emitError(loc) << "the host lowering lost the prefill or decode "
                             "entry";
  auto binding = ::bitmod::rt::bindLanguageModel(*prefill, *decode, getFeeds());
  if (!binding)
    return emitError(loc) << llvm::toString(binding.takeError());
  progress(llvm::formatv("language model: prompt length P = {0}, {1} cache "
                         "slots, vocabulary {2}, {3} KV-cache pairs",
                         binding->prefillLength, binding->cacheSlots,
                         binding->vocab, binding->cache.size()));
  return success();
}

FailureOr<std::string> ModelCompiler::getModelName(ModuleOp module) {
  func::FuncOp entry;
  for (auto f : module.getOps<func::FuncOp>()) {
    if (!f.isPublic() || f.isExternal())
      continue;
    if (entry)
      return module.emitError() << "the model has several public functions (@"
                                << entry.getSymName() << ", @" << f.getSymName()
                                << "); model.sim runs exactly one";
    entry = f;
  }
  if (!entry)
    return module.emitError("the model has no public function");
  return getHostModelName(entry.getSymName());
}

LogicalResult ModelCompiler::runPasses(
    ModuleOp module, TimingScope &stage,
    function_ref<LogicalResult(OpPassManager &)> populate) {
  PassManager pm(&context);
  if (failed(populate(pm)))
    return failure();
  if (options.configurePassManager && failed(options.configurePassManager(pm)))
    return failure();
  // After every other instrumentation, so that it does not time them.
  pm.enableTiming(stage);
  return pm.run(module);
}

LogicalResult ModelCompiler::populateMappingPipeline(OpPassManager &pm) {
  if (!options.mappingPipeline.empty()) {
    std::string error;
    llvm::raw_string_ostream errorStream(error);
    // The anchored form, `builtin.module(...)`, as mlir-opt takes it.
    FailureOr<OpPassManager> parsed =
        parsePassPipeline(options.mappingPipeline, errorStream);
    if (failed(parsed))
      return emitError(loc) << "--pass-pipeline: " << error;
    pm = std::move(*parsed);
    return success();
  }
  if (options.isHostOnly())
    populateLowerToHostPipeline(pm);
  else
    populateAccelPipeline(pm, options.accel);
  return success();
}

LogicalResult
ModelCompiler::writeFile(StringRef path,
                         function_ref<LogicalResult(raw_ostream &)> write) {
  std::string error;
  std::unique_ptr<llvm::ToolOutputFile> out = openOutputFile(path, &error);
  if (!out)
    return emitError(loc) << error;
  if (failed(write(out->os())))
    return failure();
  out->os().flush();
  if (out->os().has_error())
    return emitError(loc) << "cannot write '" << path << "'";
  out->keep();
  return success();
}

LogicalResult ModelCompiler::emitProgram(ModuleOp module,
                                         std::string &bmodPath) {
  bool hasLaunch = false;
  module.walk([&](hw::LaunchOp) { hasLaunch = true; });
  if (!hasLaunch) {
    progress("no linear layer to offload: the model runs on the host");
    if (options.emit == CompileEmit::ISA || options.emit == CompileEmit::Asm)
      return emitError(loc)
             << "the model has no accelerator layer (no .bmod to emit)";
    return success();
  }
  FailureOr<isa::Program> program = buildISAProgram(module);
  if (failed(program))
    return emitError(loc) << "cannot build the instruction stream";
  bmodPath = getOutputPath("model.bmod");
  if (failed(writeFile(bmodPath, [&](raw_ostream &os) -> LogicalResult {
        if (llvm::Error e = isa::writeBmod(*program, os))
          return emitError(loc)
                 << "cannot write model.bmod: " << llvm::toString(std::move(e));
        return success();
      })))
    return failure();
  // The listing of an LLM leaves the weights out, like model.mlir: their
  // hex text would be 2.2x the .bmod (5 GiB for a 7B model at 3 bits) and
  // take most of the compile time. Such a listing says so and does not
  // assemble; `bitmod-sim model.bmod --disasm` prints it with the weights.
  isa::AsmPrintOptions asmOptions;
  asmOptions.printWeights =
      int64_t(program->weights.size()) <= kModelMlirWeightLimit;
  if (failed(writeFile(getOutputPath("model.s"), [&](raw_ostream &os) {
        isa::printAssembly(*program, os, asmOptions);
        return success();
      })))
    return failure();
  progress(llvm::formatv("wrote model.bmod ({0} instructions, {1} layers, "
                         "{2} weight bytes) and model.s{3}",
                         program->instructions.size(), program->layers.size(),
                         program->weights.size(),
                         asmOptions.printWeights
                             ? ""
                             : " (weight bytes elided: the weights are in "
                               "model.bmod)"));
  return success();
}

LogicalResult ModelCompiler::emitCpp(ModuleOp module, StringRef modelName,
                                     StringRef bmodPath, StringRef cppPath) {
  FailureOr<std::vector<HostEntryInterface>> entries =
      readHostEntryInterfaces(module);
  if (failed(entries))
    return failure();
  if (options.isTwoPhase() && failed(checkLanguageModel(*entries)))
    return failure();
  // model.sim may run from anywhere: embed the program by absolute path.
  SmallString<256> absBmod(bmodPath);
  if (!bmodPath.empty())
    llvm::sys::fs::make_absolute(absBmod);
  return writeFile(cppPath, [&](raw_ostream &os) -> LogicalResult {
    if (failed(emitc::translateToCpp(module, os)))
      return emitError(loc) << "cannot translate the host code to C++";
    return printModelSimMain(os, modelName, *entries, getFeeds(), absBmod, loc);
  });
}

/// Every file compileModel() writes to the output directory.
static constexpr StringLiteral kArtifacts[] = {
    "model.mlir", "model.bmod", "model.s", "model.cpp", "model.sim"};

LogicalResult ModelCompiler::removeStaleArtifacts() {
  for (StringRef name : kArtifacts) {
    std::string path = getOutputPath(name);
    if (std::error_code ec =
            llvm::sys::fs::remove(path, /*IgnoreNonExisting=*/true))
      return emitError(loc) << "cannot remove the stale '" << path
                            << "' of an earlier compilation: " << ec.message();
  }
  return success();
}

LogicalResult ModelCompiler::run() {
  if (failed(checkOptions()) || failed(removeStaleArtifacts()))
    return failure();
  bool hostOnly = options.isHostOnly();

  TimingScope importTimer = timing.nest("import");
  OwningOpRef<ModuleOp> module;
  FailureOr<std::string> modelName;
  if (options.isTwoPhase()) {
    std::string name;
    module = importTwoPhase(name);
    modelName = name;
  } else {
    progress("importing " + options.inputFile);
    module = importModel(options.inputFile, options.inputShapes);
    if (module)
      modelName = getModelName(*module);
  }
  if (!module || failed(modelName))
    return failure();
  importTimer.stop();

  {
    StringRef stageName = !options.mappingPipeline.empty() ? "pass-pipeline"
                          : hostOnly                       ? "lower-to-host"
                                     : "quantize+tile+schedule";
    TimingScope stage = timing.nest(stageName);
    if (!options.mappingPipeline.empty())
      progress("running the --pass-pipeline passes");
    else if (hostOnly)
      progress("lowering every op to the host (float32)");
    else
      progress("quantizing to " +
               (options.accel.dtypeConfig.empty()
                    ? Twine(options.accel.dtype)
                    : Twine(options.accel.dtypeConfig)) +
               (options.accel.method == "rtn"
                    ? Twine("")
                    : " with " + Twine(options.accel.method)) +
               ", tiling and scheduling");
    if (failed(runPasses(*module, stage, [&](OpPassManager &pm) {
          return populateMappingPipeline(pm);
        })))
      return emitError(loc) << "compilation failed";
  }
  {
    TimingScope stage = timing.nest("write model.mlir");
    // The command line's printer options, and for a model whose weight blob
    // exceeds kModelMlirWeightLimit (an LLM) without the large quantized
    // weight blobs unless the IR is what was asked for: the .bmod holds
    // them, and their hex text would be twice their size.
    OpPrintingFlags flags;
    auto memory = (*module)->getAttrOfType<DictionaryAttr>(hw::kMemoryAttrName);
    auto weightBytes =
        memory ? memory.getAs<IntegerAttr>("weight_bytes") : IntegerAttr();
    if (options.emit != CompileEmit::MLIR && weightBytes &&
        weightBytes.getInt() > kModelMlirWeightLimit) {
      flags.elideLargeResourceString(kModelMlirResourceLimit);
      progress("model.mlir: weight blobs elided (the weights are in "
               "model.bmod; --emit=mlir keeps them)");
    }
    if (failed(writeFile(getOutputPath("model.mlir"), [&](raw_ostream &os) {
          module->print(os, flags);
          return success();
        })))
      return failure();
  }
  if (options.emit == CompileEmit::MLIR)
    return success();

  std::string bmodPath;
  if (!hostOnly) {
    TimingScope stage = timing.nest("emit .bmod/.s");
    if (failed(emitProgram(*module, bmodPath)))
      return failure();
  }
  if (options.emit == CompileEmit::ISA || options.emit == CompileEmit::Asm)
    return success();

  {
    TimingScope stage = timing.nest("host lowering");
    progress("lowering the host code to C++");
    if (failed(runPasses(*module, stage, [&](OpPassManager &pm) {
          populateHostToEmitCPipeline(pm, options.host);
          return success();
        })))
      return emitError(loc) << "host lowering failed";
  }
  std::string cppPath = getOutputPath("model.cpp");
  {
    TimingScope stage = timing.nest("emit model.cpp");
    if (failed(emitCpp(*module, *modelName, bmodPath, cppPath)))
      return failure();
  }
  if (options.emit == CompileEmit::Cpp)
    return success();

  TimingScope stage = timing.nest("c++ compile");
  progress("compiling model.sim");
  std::string simPath = getOutputPath("model.sim");
  if (failed(compileModelSim(cppPath, simPath, options, loc)))
    return failure();
  progress("wrote " + simPath);
  return success();
}

LogicalResult mlir::bitmod::compileModel(MLIRContext &context,
                                         const CompilerOptions &options,
                                         TimingScope &timing) {
  return ModelCompiler(context, options, timing).run();
}
