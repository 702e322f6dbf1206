//===- bitmod-compile.cpp - One-shot BitMoD compiler driver ---------------===//
//
//   bitmod-compile model.onnx -o OUT [--dtype=T | --dtype-config=layers.json]
//       [--group-size=G] [--scale-bits=S] [--input-shape name=dims ...]
//       [--bind-input name=file.pb|.npy ...]
//       [--accel=accel.json] [--emit=mlir|isa|asm|cpp|sim] [--time-stages]
//       [--cxx=c++] [--cxx-flags=-O1]
//
// Runs the whole pipeline in process (docs/driver.md): ONNX import ->
// --bitmod-quantize -> --bitmod-tile -> --bitmod-bit-serial-schedule ->
// .bmod + assembly listing -> host lowering to EmitC -> model.cpp -> the
// system C++ compiler -> OUT/model.sim (the .bmod embedded with .incbin,
// linked against BitMoDRuntime). `--dtype=none` keeps every op on the host
// (--bitmod-lower-to-host instead of quantize/tile/schedule).
//
//===----------------------------------------------------------------------===//

#include "BitMoDCompileConfig.h"

#include "bitmod/Conversion/Passes.h"
#include "bitmod/Dialect/BitMoD/IR/BitMoDDialect.h"
#include "bitmod/Dialect/BitMoD/Transforms/Passes.h"
#include "bitmod/Dialect/BitMoDHW/IR/BitMoDHWDialect.h"
#include "bitmod/Dialect/BitMoDHW/IR/BitMoDHWOps.h"
#include "bitmod/Dialect/BitMoDHW/Transforms/Passes.h"
#include "bitmod/ISA/Assembly.h"
#include "bitmod/Import/ONNXImporter.h"
#include "bitmod/Target/ISA/EmitISA.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/Cpp/CppEmitter.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

using namespace mlir;
using namespace llvm;
namespace isa = ::bitmod::isa;
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
          cl::init("bitmod3"), cl::cat(cat));
static cl::opt<std::string>
    dtypeConfig("dtype-config",
                cl::desc("Per-layer data types (JSON, see --bitmod-quantize)"),
                cl::value_desc("file.json"), cl::cat(cat));
static cl::opt<unsigned> groupSize("group-size", cl::desc("Group size"),
                                   cl::init(128), cl::cat(cat));
static cl::opt<unsigned> scaleBits("scale-bits",
                                   cl::desc("Bits of the group scales"),
                                   cl::init(8), cl::cat(cat));
static cl::list<std::string>
    inputShapes("input-shape",
                cl::desc("Static input shape, e.g. x=1x16x256 (repeatable)"),
                cl::value_desc("name=dims"), cl::cat(cat));
static cl::list<std::string> bindInputs(
    "bind-input",
    cl::desc("Replace a graph input by the constant in a TensorProto (.pb) "
             "or numpy (.npy) file, e.g. Resize scales or Reshape shapes "
             "that must be constants (repeatable)"),
    cl::value_desc("name=file"), cl::cat(cat));
static cl::opt<std::string> accel("accel",
                                  cl::desc("Accelerator parameters (JSON)"),
                                  cl::value_desc("accel.json"), cl::cat(cat));
enum class Emit { MLIR, ISA, Asm, Cpp, Sim };
static cl::opt<Emit>
    emit("emit", cl::desc("Last artifact to produce (default sim)"),
         cl::values(clEnumValN(Emit::MLIR, "mlir", "OUT/model.mlir"),
                    clEnumValN(Emit::ISA, "isa", "... and OUT/model.bmod"),
                    clEnumValN(Emit::Asm, "asm", "... and OUT/model.s"),
                    clEnumValN(Emit::Cpp, "cpp", "... and OUT/model.cpp"),
                    clEnumValN(Emit::Sim, "sim", "... and OUT/model.sim")),
         cl::init(Emit::Sim), cl::cat(cat));
static cl::opt<bool> timeStages("time-stages",
                                cl::desc("Print a per-stage timing summary"),
                                cl::cat(cat));
static cl::opt<bool> quiet("quiet", cl::desc("No progress messages"),
                           cl::cat(cat));
static cl::opt<std::string>
    cxx("cxx",
        cl::desc("C++ compiler for model.sim (default $CXX, else the "
                 "clang++ of the LLVM installation: " BITMOD_DEFAULT_CXX ")"),
        cl::cat(cat));
static cl::opt<std::string> cxxFlags(
    "cxx-flags",
    cl::desc("Flags for the C++ compiler of model.sim (default -O1; -O0 "
             "compiles faster, -O2 gains little over -O1 on host code)"),
    cl::init("-O1"), cl::cat(cat));

static const char *const kTool = "bitmod-compile";

[[noreturn]] static void fatal(const Twine &msg) {
  errs() << kTool << ": error: " << msg << "\n";
  std::exit(1);
}

static void progress(const Twine &msg) {
  if (!quiet)
    errs() << kTool << ": " << msg << "\n";
}

namespace {
/// Wall-clock time per stage, printed with --time-stages.
class StageTimer {
public:
  void start(StringRef name) {
    stop();
    current = name.str();
    begin = std::chrono::steady_clock::now();
  }
  void stop() {
    if (current.empty())
      return;
    double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - begin)
            .count();
    stages.emplace_back(current, s);
    current.clear();
  }
  void print(raw_ostream &os) {
    stop();
    double total = 0;
    for (auto &s : stages)
      total += s.second;
    os << "===-------------------------------------------------------===\n"
       << "  bitmod-compile stage timing\n"
       << "===-------------------------------------------------------===\n";
    for (auto &[name, s] : stages)
      os << formatv("  {0,10:f4} s  {1,5:f1}%  {2}\n", s,
                    total > 0 ? 100 * s / total : 0.0, name);
    os << formatv("  {0,10:f4} s  100.0%  total\n", total);
  }

private:
  std::string current;
  std::chrono::steady_clock::time_point begin;
  std::vector<std::pair<std::string, double>> stages;
};
} // namespace

static std::string outPath(StringRef file) {
  SmallString<256> p(outDir);
  sys::path::append(p, file);
  return std::string(p);
}

static void writeFile(StringRef path,
                      llvm::function_ref<void(raw_ostream &)> fn) {
  std::string err;
  auto out = openOutputFile(path, &err);
  if (!out)
    fatal(err);
  fn(out->os());
  out->os().flush();
  if (out->os().has_error())
    fatal("cannot write '" + path + "'");
  out->keep();
}

static void writeModule(ModuleOp module, StringRef name) {
  writeFile(outPath(name), [&](raw_ostream &os) { module.print(os); });
}

/// A C/C++ string literal.
static std::string cString(StringRef s) {
  std::string r = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\')
      r += '\\', r += char(c);
    else if (c >= 0x20 && c < 0x7f)
      r += char(c);
    else
      r += formatv("\\{0:o3}", unsigned(c)).str();
  }
  return r + "\"";
}

namespace {
struct IOTensor {
  std::string name;
  bool input = true;
  SmallVector<int64_t> shape;
  std::string elem = "f32";
};

/// The bitmod::rt::ElemType enumerator and the C element type the entry
/// takes for a `bitmod.io` element name (nullptr for an unknown name).
/// Unsigned elements are signless in MLIR, so the entry takes the signed C
/// type of their width; the runtime reads and writes them as unsigned.
struct ElemInfo {
  const char *name, *enumerator, *cType;
};
const ElemInfo *lookupElem(StringRef name) {
  static const ElemInfo table[] = {
      {"f32", "F32", "float"},   {"f16", "F16", "_Float16"},
      {"f64", "F64", "double"},  {"i8", "I8", "int8_t"},
      {"u8", "U8", "int8_t"},    {"i16", "I16", "int16_t"},
      {"i32", "I32", "int32_t"}, {"i64", "I64", "int64_t"},
      {"bool", "Bool", "bool"},  {"u16", "U16", "int16_t"},
      {"u32", "U32", "int32_t"}, {"u64", "U64", "int64_t"},
  };
  for (const ElemInfo &e : table)
    if (name == e.name)
      return &e;
  return nullptr;
}
} // namespace

/// The graph interface of the (single) public function before lowering,
/// named as --bitmod-host-entry names it (onnx.name, else in<i>/out<i>).
static FailureOr<std::pair<std::string, std::vector<IOTensor>>>
getEntryInterface(ModuleOp module) {
  func::FuncOp entry;
  for (auto f : module.getOps<func::FuncOp>()) {
    if (!f.isPublic() || f.isExternal())
      continue;
    if (entry) {
      module.emitError() << "the model has several public functions (@"
                         << entry.getSymName() << ", @" << f.getSymName()
                         << "); model.sim runs exactly one";
      return failure();
    }
    entry = f;
  }
  if (!entry) {
    module.emitError("the model has no public function");
    return failure();
  }
  std::vector<IOTensor> io;
  FunctionType type = entry.getFunctionType();
  auto add = [&](Type t, DictionaryAttr attrs, bool input, unsigned i) {
    IOTensor tensor;
    tensor.input = input;
    auto name = attrs ? attrs.getAs<StringAttr>(mlir::bitmod::kOnnxNameAttrName) : StringAttr();
    tensor.name =
        name ? name.str() : (Twine(input ? "in" : "out") + Twine(i)).str();
    if (auto ranked = dyn_cast<RankedTensorType>(t))
      tensor.shape.assign(ranked.getShape().begin(), ranked.getShape().end());
    io.push_back(tensor);
  };
  for (unsigned i = 0; i < type.getNumInputs(); ++i)
    add(type.getInput(i), entry.getArgAttrDict(i), true, i);
  for (unsigned i = 0; i < type.getNumResults(); ++i)
    add(type.getResult(i), entry.getResultAttrDict(i), false, i);
  std::string name;
  for (char c : entry.getSymName())
    name.push_back(isAlnum(c) || c == '_' ? c : '_');
  return std::make_pair(name, io);
}

/// Reads the `bitmod.io` descriptor the host lowering leaves on the entry
/// (if any) and the entry's C name; falls back to `fallback`.
static void readLoweredInterface(ModuleOp module, std::string &entryName,
                                 std::vector<IOTensor> &io) {
  module.walk([&](Operation *op) {
    auto desc = op->getAttrOfType<ArrayAttr>("bitmod.io");
    auto sym = op->getAttrOfType<StringAttr>(SymbolTable::getSymbolAttrName());
    if (!desc || !sym)
      return WalkResult::advance();
    std::vector<IOTensor> parsed;
    for (Attribute a : desc) {
      auto d = dyn_cast<DictionaryAttr>(a);
      auto name = d ? d.getAs<StringAttr>("name") : StringAttr();
      auto kind = d ? d.getAs<StringAttr>("kind") : StringAttr();
      auto shape = d ? d.get("shape") : Attribute();
      if (!name || !kind || !shape)
        return WalkResult::interrupt();
      IOTensor t;
      t.name = name.str();
      t.input = kind.getValue() == "input";
      if (auto elem = d.getAs<StringAttr>("elem"))
        t.elem = elem.str();
      if (auto dense = dyn_cast<DenseI64ArrayAttr>(shape))
        t.shape.assign(dense.asArrayRef().begin(), dense.asArrayRef().end());
      else if (auto arr = dyn_cast<ArrayAttr>(shape))
        for (Attribute e : arr)
          if (auto i = dyn_cast<IntegerAttr>(e))
            t.shape.push_back(i.getInt());
      parsed.push_back(t);
    }
    entryName = sym.str();
    io = std::move(parsed);
    return WalkResult::interrupt();
  });
}

/// The main() of model.sim, appended to model.cpp.
static std::string buildMainStub(StringRef modelName, StringRef entryName,
                                 const std::vector<IOTensor> &io,
                                 StringRef bmodPath) {
  std::string s;
  raw_string_ostream os(s);
  os << "\n// ===--- model.sim entry (generated by bitmod-compile) ---=== //\n"
     << "#include \"bitmod/Runtime/Runtime.h\"\n\n";
  bool hasProgram = !bmodPath.empty();
  if (hasProgram) {
    // Embed the instruction stream: the assembler copies the file in.
    std::string path;
    for (char c : bmodPath) {
      if (c == '"' || c == '\\')
        path += "\\\\\\";
      path += c;
    }
    os << "__asm__(\".section .rodata\\n\"\n"
       << "        \".balign 16\\n\"\n"
       << "        \".globl bitmod_embedded_bmod\\n\"\n"
       << "        \"bitmod_embedded_bmod:\\n\"\n"
       << "        \".incbin \\\"" << path << "\\\"\\n\"\n"
       << "        \".globl bitmod_embedded_bmod_end\\n\"\n"
       << "        \"bitmod_embedded_bmod_end:\\n\"\n"
       << "        \".byte 0\\n\"\n"
       << "        \".previous\\n\");\n"
       << "extern \"C\" const unsigned char bitmod_embedded_bmod[];\n"
       << "extern \"C\" const unsigned char bitmod_embedded_bmod_end[];\n\n";
  }
  os << "namespace {\n";
  std::vector<std::string> inputs, outputs;
  for (size_t i = 0; i < io.size(); ++i) {
    os << "const int64_t bitmod_shape_" << i << "[] = {";
    for (int64_t d : io[i].shape)
      os << d << ", ";
    os << "0};\n";
    const ElemInfo *elem = lookupElem(io[i].elem);
    if (!elem)
      fatal("unknown element type '" + io[i].elem + "' of '" + io[i].name +
            "' in the bitmod.io descriptor");
    std::string info =
        formatv("  {{{0}, {1}, bitmod_shape_{2}, bitmod::rt::ElemType::{3}},\n",
                cString(io[i].name), io[i].shape.size(), i, elem->enumerator);
    (io[i].input ? inputs : outputs).push_back(info);
  }
  os << "const bitmod::rt::TensorInfo bitmod_inputs[] = {\n";
  for (auto &i : inputs)
    os << i;
  os << "  {nullptr, 0, nullptr}};\n";
  os << "const bitmod::rt::TensorInfo bitmod_outputs[] = {\n";
  for (auto &o : outputs)
    os << o;
  os << "  {nullptr, 0, nullptr}};\n";
  os << "void bitmod_run(void *ctx, void *const *buffers) {\n  " << entryName
     << "(ctx";
  for (size_t i = 0; i < io.size(); ++i)
    os << ", static_cast<" << lookupElem(io[i].elem)->cType << " *>(buffers["
       << i << "])";
  os << ");\n}\n} // namespace\n\n";
  os << "int main(int argc, char **argv) {\n"
     << "  bitmod::rt::ModelInfo model;\n"
     << "  model.name = " << cString(modelName) << ";\n"
     << "  model.numInputs = " << inputs.size() << ";\n"
     << "  model.inputs = bitmod_inputs;\n"
     << "  model.numOutputs = " << outputs.size() << ";\n"
     << "  model.outputs = bitmod_outputs;\n"
     << "  model.run = bitmod_run;\n";
  if (hasProgram)
    os << "  model.program = bitmod_embedded_bmod;\n"
       << "  model.programSize = uint64_t(bitmod_embedded_bmod_end - "
          "bitmod_embedded_bmod);\n";
  else
    os << "  model.program = nullptr;\n  model.programSize = 0;\n";
  os << "  return bitmod::rt::modelMain(argc, argv, model);\n}\n";
  return s;
}

/// Compiles OUT/model.cpp into OUT/model.sim; the compiler's output goes to
/// OUT/model.sim.log.
static void compileModel(StringRef cppPath, StringRef simPath) {
  std::string compiler = cxx;
  if (compiler.empty())
    if (std::optional<std::string> env = sys::Process::GetEnv("CXX"))
      compiler = *env;
  if (compiler.empty())
    compiler = BITMOD_DEFAULT_CXX;
  std::string program = compiler;
  if (!sys::path::is_absolute(compiler)) {
    auto found = sys::findProgramByName(compiler);
    if (!found)
      fatal("C++ compiler '" + compiler + "' not found (use --cxx or $CXX)");
    program = *found;
  }
  // -Wno-narrowing: the emitter writes INT64_MIN as -9223372036854775808,
  // whose literal is unsigned; clang rejects that narrowing in an array
  // initializer unless the diagnostic is disabled (the value is right).
  std::vector<std::string> args = {compiler, "-std=c++17", "-w",
                                   "-Wno-narrowing"};
  SmallVector<StringRef, 8> flags;
  StringRef(cxxFlags).split(flags, ' ', -1, false);
  for (StringRef f : flags)
    args.push_back(f.str());
  SmallVector<StringRef, 4> dirs;
  StringRef(BITMOD_RUNTIME_INCLUDE_DIRS).split(dirs, ';', -1, false);
  for (StringRef d : dirs)
    args.push_back(("-I" + d).str());
  args.push_back(cppPath.str());
  args.push_back("-o");
  args.push_back(simPath.str());
  SmallVector<StringRef, 8> libs;
  StringRef(BITMOD_RUNTIME_LIBRARIES).split(libs, ';', -1, false);
  args.push_back("-Wl,--start-group");
  for (StringRef l : libs) {
    if (!sys::fs::exists(l))
      fatal("runtime library '" + l +
            "' is missing (build the BitMoDRuntime target)");
    args.push_back(l.str());
  }
  args.push_back("-Wl,--end-group");
  args.push_back(
      ("-Wl,-rpath," + sys::path::parent_path(BITMOD_LLVM_LIBRARY)).str());
  args.push_back(BITMOD_LLVM_LIBRARY);
  args.push_back("-lpthread");
  args.push_back("-lm");
  SmallVector<StringRef, 32> argRefs(args.begin(), args.end());
  std::string log = (simPath + ".log").str();
  std::optional<StringRef> redirects[] = {std::nullopt, StringRef(log),
                                          StringRef(log)};
  std::string err;
  int rc = sys::ExecuteAndWait(program, argRefs, std::nullopt, redirects, 0, 0,
                               &err);
  if (rc != 0) {
    std::string cmd = join(args, " ");
    std::string tail;
    if (auto buf = MemoryBuffer::getFile(log)) {
      StringRef text = (*buf)->getBuffer();
      tail = text.size() > 4000 ? text.take_back(4000).str() : text.str();
    }
    fatal("the C++ compiler failed" +
          (err.empty() ? Twine("") : Twine(" (") + err + ")") + ":\n  " + cmd +
          "\n" + tail);
  }
  sys::fs::remove(log);
}

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(cat);
  cl::ParseCommandLineOptions(
      argc, argv,
      "BitMoD one-shot compiler: ONNX model -> instruction stream + "
      "simulator binary\n");
  if (inputFile.empty())
    fatal("no input model (see --help)");
  if (outDir.empty())
    fatal("no output directory: use -o <dir>");
  bool hostOnly = dtype == "none";
  if (hostOnly && !dtypeConfig.empty())
    fatal("--dtype=none and --dtype-config are exclusive");
  if (hostOnly && (emit == Emit::ISA || emit == Emit::Asm))
    fatal("--dtype=none produces no accelerator program (--emit=isa/asm)");
  if (std::error_code ec = sys::fs::create_directories(outDir))
    fatal("cannot create '" + outDir + "': " + ec.message());

  StageTimer timer;
  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  mb::registerONNXImportDialects(registry);
  registry.insert<mb::BitMoDDialect, mb::hw::BitMoDHWDialect>();
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);

  // 1. Import.
  timer.start("import");
  progress("importing " + inputFile);
  auto buffer = MemoryBuffer::getFile(inputFile, /*IsText=*/false,
                                      /*RequiresNullTerminator=*/false);
  if (!buffer)
    fatal("cannot read '" + inputFile + "': " + buffer.getError().message());
  mb::ONNXImportOptions importOptions;
  for (const std::string &spec : inputShapes) {
    std::string name, error;
    SmallVector<int64_t> shape;
    if (failed(mb::parseInputShapeSpec(spec, name, shape, error)))
      fatal("--input-shape: " + error);
    importOptions.inputShapes.emplace_back(name, shape);
  }
  for (const std::string &spec : bindInputs) {
    std::string name, path, error;
    if (failed(mb::parseBindInputSpec(spec, name, path, error)))
      fatal(error); // the message names --bind-input
    importOptions.boundInputs.emplace_back(name, path);
  }
  OwningOpRef<ModuleOp> module = mb::importONNXModel(
      (*buffer)->getBuffer(), inputFile, &context, importOptions);
  if (!module)
    fatal("import of '" + inputFile + "' failed");
  auto interface = getEntryInterface(*module);
  if (failed(interface))
    fatal("unsupported model interface");
  std::string modelName = interface->first;
  std::vector<IOTensor> io = interface->second;

  // 2. Quantize + tile + schedule (or everything on the host).
  {
    timer.start(hostOnly ? "lower-to-host" : "quantize+tile+schedule");
    progress(hostOnly ? Twine("lowering every op to the host (float32)")
                      : "quantizing to " +
                            (dtypeConfig.empty() ? Twine(dtype)
                                                 : Twine(dtypeConfig)) +
                            ", tiling and scheduling");
    PassManager pm(&context);
    if (hostOnly) {
      pm.addPass(mb::createBitMoDLowerToHost());
    } else {
      mb::BitMoDQuantizeOptions q;
      q.dtype = dtype;
      q.groupSize = groupSize;
      q.scaleBits = scaleBits;
      q.dtypeConfig = dtypeConfig;
      pm.addPass(mb::createBitMoDQuantize(q));
      mb::BitMoDTileOptions t;
      t.accel = accel;
      pm.addPass(mb::createBitMoDTile(t));
      pm.addPass(mb::createBitMoDBitSerialSchedule());
    }
    if (failed(pm.run(*module)))
      fatal("compilation failed");
  }
  timer.start("write model.mlir");
  writeModule(*module, "model.mlir");
  if (emit == Emit::MLIR) {
    if (timeStages)
      timer.print(errs());
    return 0;
  }

  // 3. The accelerator program (absent when no layer runs on it).
  std::string bmodPath;
  if (!hostOnly) {
    timer.start("emit .bmod/.s");
    bool hasLaunch = false;
    module->walk([&](mb::hw::LaunchOp) { hasLaunch = true; });
    if (hasLaunch) {
      FailureOr<isa::Program> program = mb::buildISAProgram(*module);
      if (failed(program))
        fatal("cannot build the instruction stream");
      bmodPath = outPath("model.bmod");
      std::string err;
      writeFile(bmodPath, [&](raw_ostream &os) {
        if (Error e = isa::writeBmod(*program, os))
          fatal("cannot write model.bmod: " + toString(std::move(e)));
      });
      writeFile(outPath("model.s"),
                [&](raw_ostream &os) { isa::printAssembly(*program, os); });
      progress(formatv("wrote model.bmod ({0} instructions, {1} layers, {2} "
                       "weight bytes) and model.s",
                       program->instructions.size(), program->layers.size(),
                       program->weights.size()));
    } else {
      progress("no linear layer to offload: the model runs on the host");
      if (emit == Emit::ISA || emit == Emit::Asm)
        fatal("the model has no accelerator layer (no .bmod to emit)");
    }
  }
  if (emit == Emit::ISA || emit == Emit::Asm) {
    if (timeStages)
      timer.print(errs());
    return 0;
  }

  // 4. Host lowering to EmitC and C++.
  timer.start("host lowering");
  progress("lowering the host code to C++");
  {
    PassManager pm(&context);
    mb::buildHostToEmitCPipeline(pm);
    if (failed(pm.run(*module)))
      fatal("host lowering failed");
  }
  std::string entryName = "bitmod_model_" + modelName;
  readLoweredInterface(*module, entryName, io);
  timer.start("emit model.cpp");
  std::string cppPath = outPath("model.cpp");
  writeFile(cppPath, [&](raw_ostream &os) {
    if (failed(emitc::translateToCpp(*module, os)))
      fatal("cannot translate the host code to C++");
    SmallString<256> absBmod(bmodPath);
    if (!bmodPath.empty())
      sys::fs::make_absolute(absBmod);
    os << buildMainStub(modelName, entryName, io, absBmod);
  });
  if (emit == Emit::Cpp) {
    if (timeStages)
      timer.print(errs());
    return 0;
  }

  // 5. model.sim.
  timer.start("c++ compile");
  progress("compiling model.sim");
  compileModel(cppPath, outPath("model.sim"));
  progress("wrote " + outPath("model.sim"));
  if (timeStages)
    timer.print(errs());
  return 0;
}
