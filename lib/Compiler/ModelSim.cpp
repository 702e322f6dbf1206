//===- ModelSim.cpp - model.cpp main() and the model.sim build ------------===//

#include "ModelSim.h"

#include "BitMoDCompilerConfig.h"
#include "bitmod/Conversion/Passes.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/SymbolTable.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::bitmod;

StringRef mlir::bitmod::getDefaultModelCompiler() { return BITMOD_DEFAULT_CXX; }

/// The runtime headers and libraries model.sim compiles against. An
/// installed bitmod-compile (<prefix>/bin) uses <prefix>/include and
/// <prefix>/<libdir> when they hold the runtime header and every runtime
/// library; the build tree's tools use the paths baked in at configure time
/// (its include/ has only generated headers, so the test fails there).
static void getRuntimePaths(std::vector<std::string> &includeDirs,
                            std::vector<std::string> &libraries) {
  SmallVector<StringRef, 8> builtLibs;
  StringRef(BITMOD_RUNTIME_LIBRARIES).split(builtLibs, ';', -1, false);
  std::string exe = llvm::sys::fs::getMainExecutable(nullptr, nullptr);
  if (!exe.empty()) {
    SmallString<256> prefix =
        llvm::sys::path::parent_path(llvm::sys::path::parent_path(exe));
    SmallString<256> include(prefix), header;
    llvm::sys::path::append(include, BITMOD_INSTALL_INCLUDEDIR);
    header = include;
    llvm::sys::path::append(header, "bitmod", "Runtime", "Runtime.h");
    std::vector<std::string> installed;
    for (StringRef lib : builtLibs) {
      SmallString<256> path(prefix);
      llvm::sys::path::append(path, BITMOD_INSTALL_LIBDIR,
                              llvm::sys::path::filename(lib));
      installed.push_back(std::string(path));
    }
    if (llvm::sys::fs::exists(header) &&
        llvm::all_of(installed, [](const std::string &path) {
          return llvm::sys::fs::exists(path);
        })) {
      includeDirs = {std::string(include)};
      libraries = std::move(installed);
      return;
    }
  }
  SmallVector<StringRef, 4> dirs;
  StringRef(BITMOD_RUNTIME_INCLUDE_DIRS).split(dirs, ';', -1, false);
  includeDirs.assign(dirs.begin(), dirs.end());
  libraries.assign(builtLibs.begin(), builtLibs.end());
}

FailureOr<std::vector<HostEntryInterface>>
mlir::bitmod::readHostEntryInterfaces(ModuleOp module) {
  std::vector<HostEntryInterface> entries;
  for (Operation &op : *module.getBody()) {
    auto desc = op.getAttrOfType<ArrayAttr>(kHostIOAttrName);
    auto sym = op.getAttrOfType<StringAttr>(SymbolTable::getSymbolAttrName());
    if (!desc)
      continue;
    if (!sym)
      return op.emitError() << "a `" << kHostIOAttrName
                            << "` descriptor on an operation without a name";
    HostEntryInterface result;
    result.symbol = sym.str();
    StringRef name = sym.getValue();
    name.consume_front(kModelEntryPrefix);
    result.name = name.str();
    for (Attribute a : desc) {
      auto d = dyn_cast<DictionaryAttr>(a);
      auto tname = d ? d.getAs<StringAttr>("name") : StringAttr();
      auto kind = d ? d.getAs<StringAttr>("kind") : StringAttr();
      auto shape = d ? d.getAs<ArrayAttr>("shape") : ArrayAttr();
      if (!tname || !kind || !shape)
        return op.emitError()
               << "malformed `" << kHostIOAttrName << "` entry " << a;
      HostTensor t;
      t.name = tname.str();
      t.isInput = kind.getValue() == "input";
      if (auto elem = d.getAs<StringAttr>("elem"))
        t.elem = elem.str();
      for (Attribute e : shape)
        if (auto i = dyn_cast<IntegerAttr>(e))
          t.shape.push_back(i.getInt());
      result.tensors.push_back(std::move(t));
    }
    entries.push_back(std::move(result));
  }
  if (entries.empty())
    return module.emitError() << "the host lowering left no model entry "
                                 "with a `"
                              << kHostIOAttrName << "` descriptor";
  return entries;
}

namespace {
/// The bitmod::rt::ElemType enumerator and the C element type the entry
/// takes for a `bitmod.io` element name. Unsigned elements are signless in
/// MLIR, so the entry takes the signed C type of their width; the runtime
/// reads and writes them as unsigned.
struct ElemInfo {
  const char *name, *enumerator, *cType;
};
} // namespace

static const ElemInfo *lookupElem(StringRef name) {
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

/// A C/C++ string literal.
static std::string cString(StringRef s) {
  std::string r = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\')
      r += '\\', r += char(c);
    else if (c >= 0x20 && c < 0x7f)
      r += char(c);
    else
      r += llvm::formatv("\\{0:o3}", unsigned(c)).str();
  }
  return r + "\"";
}

/// Embeds the instruction stream: the assembler copies the file in. On
/// x86-64 the image goes to the large read-only section (.lrodata, placed
/// after .data and .bss by the linker), and the code reaches it through a
/// 64-bit address stored next to the other data, so that a .bmod beyond
/// 2 GiB (a 7B LLM's weights) does not overflow the 32-bit PC-relative
/// references of the small code model.
static void printEmbeddedProgram(raw_ostream &os, StringRef bmodPath) {
  // The path sits in a .incbin string inside a C string literal.
  std::string path;
  for (char c : bmodPath) {
    if (c == '"' || c == '\\')
      path += "\\\\\\";
    path += c;
  }
  os << "#if defined(__x86_64__)\n"
     << "#define BITMOD_BMOD_SECTION \".lrodata,\\\"al\\\",@progbits\\n\"\n"
     << "#else\n"
     << "#define BITMOD_BMOD_SECTION \".rodata\\n\"\n"
     << "#endif\n"
     << "__asm__(\".pushsection \" BITMOD_BMOD_SECTION\n"
     << "        \".balign 16\\n\"\n"
     << "        \"bitmod_embedded_bmod:\\n\"\n"
     << "        \".incbin \\\"" << path << "\\\"\\n\"\n"
     << "        \"bitmod_embedded_bmod_end:\\n\"\n"
     << "        \".byte 0\\n\"\n"
     << "        \".popsection\\n\"\n"
     << "        \".pushsection .data.rel.ro,\\\"aw\\\",@progbits\\n\"\n"
     << "        \".balign 8\\n\"\n"
     << "        \".globl bitmod_embedded_bmod_ref\\n\"\n"
     << "        \"bitmod_embedded_bmod_ref:\\n\"\n"
     << "        \".quad bitmod_embedded_bmod\\n\"\n"
     << "        \".quad bitmod_embedded_bmod_end - bitmod_embedded_bmod\\n\"\n"
     << "        \".popsection\\n\");\n"
     << "struct BitmodEmbeddedProgram {\n"
     << "  const unsigned char *data;\n"
     << "  unsigned long long size;\n"
     << "};\n"
     << "extern \"C\" const BitmodEmbeddedProgram "
        "bitmod_embedded_bmod_ref;\n\n";
}

LogicalResult mlir::bitmod::printModelSimMain(
    raw_ostream &os, StringRef modelName, ArrayRef<HostEntryInterface> entries,
    ArrayRef<std::pair<std::string, std::string>> feeds, StringRef bmodPath,
    Location loc) {
  os << "\n// ===--- model.sim entry (generated by bitmod-compile) ---=== //\n"
     << "#include \"bitmod/Runtime/Runtime.h\"\n\n";
  bool hasProgram = !bmodPath.empty();
  if (hasProgram)
    printEmbeddedProgram(os, bmodPath);
  os << "namespace {\n";
  for (auto [e, entry] : llvm::enumerate(entries)) {
    const std::vector<HostTensor> &io = entry.tensors;
    SmallVector<const ElemInfo *> elems;
    for (const HostTensor &t : io) {
      elems.push_back(lookupElem(t.elem));
      if (!elems.back())
        return emitError(loc)
               << "unknown element type '" << t.elem << "' of '" << t.name
               << "' in the " << kHostIOAttrName << " descriptor";
    }
    std::string p = "bitmod_" + std::to_string(e) + "_";
    std::vector<std::string> inputs, outputs;
    for (size_t i = 0; i < io.size(); ++i) {
      os << "const int64_t " << p << "shape_" << i << "[] = {";
      for (int64_t d : io[i].shape)
        os << d << ", ";
      os << "0};\n";
      std::string info = llvm::formatv(
          "  {{{0}, {1}, {2}shape_{3}, bitmod::rt::ElemType::{4}},\n",
          cString(io[i].name), io[i].shape.size(), p, i, elems[i]->enumerator);
      (io[i].isInput ? inputs : outputs).push_back(info);
    }
    os << "const bitmod::rt::TensorInfo " << p << "inputs[] = {\n";
    for (const std::string &i : inputs)
      os << i;
    os << "  {nullptr, 0, nullptr}};\n";
    os << "const bitmod::rt::TensorInfo " << p << "outputs[] = {\n";
    for (const std::string &o : outputs)
      os << o;
    os << "  {nullptr, 0, nullptr}};\n";
    os << "void " << p << "run(void *ctx, void *const *buffers) {\n  "
       << entry.symbol << "(ctx";
    for (size_t i = 0; i < io.size(); ++i)
      os << ", static_cast<" << elems[i]->cType << " *>(buffers[" << i << "])";
    os << ");\n}\n";
  }
  os << "const bitmod::rt::EntryInfo bitmod_entries[] = {\n";
  for (auto [e, entry] : llvm::enumerate(entries)) {
    size_t numInputs = llvm::count_if(
        entry.tensors, [](const HostTensor &t) { return t.isInput; });
    os << llvm::formatv("  {{{0}, {1}, bitmod_{2}_inputs, {3}, "
                        "bitmod_{2}_outputs, bitmod_{2}_run},\n",
                        cString(entries.size() == 1 ? modelName : entry.name),
                        numInputs, e, entry.tensors.size() - numInputs);
  }
  os << "};\n";
  os << "const bitmod::rt::FeedInfo bitmod_feeds[] = {\n";
  for (const auto &[out, in] : feeds)
    os << "  {" << cString(out) << ", " << cString(in) << "},\n";
  os << "  {nullptr, nullptr}};\n";
  os << "} // namespace\n\n";
  os << "int main(int argc, char **argv) {\n"
     << "  bitmod::rt::ModelInfo model;\n"
     << "  model.name = " << cString(modelName) << ";\n"
     << "  model.numEntries = " << entries.size() << ";\n"
     << "  model.entries = bitmod_entries;\n"
     << "  model.numFeeds = " << feeds.size() << ";\n"
     << "  model.feeds = bitmod_feeds;\n";
  if (hasProgram)
    os << "  model.program = bitmod_embedded_bmod_ref.data;\n"
       << "  model.programSize = uint64_t(bitmod_embedded_bmod_ref.size);\n";
  else
    os << "  model.program = nullptr;\n  model.programSize = 0;\n";
  os << "  return bitmod::rt::modelMain(argc, argv, model);\n}\n";
  return success();
}

LogicalResult mlir::bitmod::compileModelSim(StringRef cppPath,
                                            StringRef simPath,
                                            const CompilerOptions &options,
                                            Location loc) {
  std::string compiler = options.cxx;
  if (compiler.empty())
    if (std::optional<std::string> env = llvm::sys::Process::GetEnv("CXX"))
      compiler = *env;
  if (compiler.empty())
    compiler = getDefaultModelCompiler().str();
  std::string program = compiler;
  if (!llvm::sys::path::is_absolute(compiler)) {
    auto found = llvm::sys::findProgramByName(compiler);
    if (!found)
      return emitError(loc) << "C++ compiler '" << compiler
                            << "' not found (use --cxx or $CXX)";
    program = *found;
  }
  // -Wno-narrowing: the emitter writes INT64_MIN as -9223372036854775808,
  // whose literal is unsigned; clang rejects that narrowing in an array
  // initializer unless the diagnostic is disabled (the value is right).
  std::vector<std::string> args = {compiler, "-std=c++17", "-w",
                                   "-Wno-narrowing"};
  SmallVector<StringRef, 8> flags;
  StringRef(options.cxxFlags).split(flags, ' ', -1, false);
  for (StringRef f : flags)
    args.push_back(f.str());
  std::vector<std::string> dirs, libs;
  getRuntimePaths(dirs, libs);
  for (StringRef d : dirs)
    args.push_back(("-I" + d).str());
  args.push_back(cppPath.str());
  args.push_back("-o");
  args.push_back(simPath.str());
  args.push_back("-Wl,--start-group");
  for (StringRef l : libs) {
    if (!llvm::sys::fs::exists(l))
      return emitError(loc) << "runtime library '" << l
                            << "' is missing (build the BitMoDRuntime target)";
    args.push_back(l.str());
  }
  args.push_back("-Wl,--end-group");
  args.push_back(
      ("-Wl,-rpath," + llvm::sys::path::parent_path(BITMOD_LLVM_LIBRARY))
          .str());
  args.push_back(BITMOD_LLVM_LIBRARY);
  args.push_back("-lpthread");
  args.push_back("-lm");
  SmallVector<StringRef, 32> argRefs(args.begin(), args.end());
  std::string log = (simPath + ".log").str();
  std::optional<StringRef> redirects[] = {std::nullopt, StringRef(log),
                                          StringRef(log)};
  std::string err;
  int rc = llvm::sys::ExecuteAndWait(program, argRefs, std::nullopt, redirects,
                                     0, 0, &err);
  if (rc != 0) {
    InFlightDiagnostic diag = emitError(loc) << "the C++ compiler failed";
    if (!err.empty())
      diag << " (" << err << ")";
    diag << ":\n  " << llvm::join(args, " ") << "\n";
    if (auto buf = llvm::MemoryBuffer::getFile(log)) {
      StringRef text = (*buf)->getBuffer();
      diag << (text.size() > 4000 ? text.take_back(4000) : text);
    }
    return diag;
  }
  llvm::sys::fs::remove(log);
  return success();
}
