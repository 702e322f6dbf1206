//===- ImportTranslation.cpp - "import-onnx" translation registration -----===//

#include "bitmod/Import/ONNXImporter.h"
#include "bitmod/Support/ToolDiagnostics.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Tools/mlir-translate/Translation.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/SourceMgr.h"

#include <optional>

using namespace mlir;
using namespace mlir::bitmod;

namespace {
struct ImportCLOptions {
  llvm::cl::list<std::string> inputShapes{
      "input-shape",
      llvm::cl::desc("Static shape of a graph input for --import-onnx: "
                     "name=AxBxC (repeatable)"),
      llvm::cl::value_desc("name=AxBxC")};
  llvm::cl::list<std::string> inputDims{
      "input-dim",
      llvm::cl::desc("--import-onnx: value of a symbolic dimension (ONNX "
                     "dim_param, e.g. seq=128) wherever a graph input or "
                     "output uses it (repeatable)"),
      llvm::cl::value_desc("name=N")};
  llvm::cl::list<std::string> bindInputs{
      "bind-input",
      llvm::cl::desc("--import-onnx: replace a graph input by the constant "
                     "in a TensorProto (.pb) or numpy (.npy) file "
                     "(repeatable)"),
      llvm::cl::value_desc("name=file")};
  llvm::cl::opt<int64_t> denseLimit{
      "import-dense-limit",
      llvm::cl::desc("--import-onnx: constants with more elements are "
                     "stored as dense_resource blobs"),
      llvm::cl::init(64)};
  llvm::cl::opt<int64_t> lazyTransposeLimit{
      "import-lazy-transpose-limit",
      llvm::cl::desc("--import-onnx: MatMul weights with at least this many "
                     "elements stay [K, N] behind a tosa.transpose"),
      llvm::cl::init(int64_t(1) << 22)};
};
} // namespace

static ImportCLOptions &getCLOptions() {
  static ImportCLOptions opts;
  return opts;
}

/// The import options from the command line; null after reporting an error.
static std::optional<ONNXImportOptions> getImportOptions(MLIRContext *context) {
  ImportCLOptions &cl = getCLOptions();
  ONNXImportOptions options;
  options.denseElementLimit = cl.denseLimit;
  options.lazyTransposeElements = cl.lazyTransposeLimit;
  for (const std::string &spec : cl.inputShapes) {
    std::string name, error;
    SmallVector<int64_t> shape;
    if (failed(parseInputShapeSpec(spec, name, shape, error))) {
      emitError(UnknownLoc::get(context)) << error;
      return std::nullopt;
    }
    options.inputShapes.emplace_back(name, shape);
  }
  for (const std::string &spec : cl.inputDims) {
    std::string name, error;
    int64_t value;
    if (failed(parseInputDimSpec(spec, name, value, error))) {
      emitError(UnknownLoc::get(context)) << error;
      return std::nullopt;
    }
    options.inputDims.emplace_back(name, value);
  }
  for (const std::string &spec : cl.bindInputs) {
    std::string name, path, error;
    if (failed(parseBindInputSpec(spec, name, path, error))) {
      emitError(UnknownLoc::get(context)) << error;
      return std::nullopt;
    }
    options.boundInputs.emplace_back(name, path);
  }
  return options;
}

void mlir::bitmod::registerBitMoDImportTranslation() {
  (void)getCLOptions();
  using ImportFn = OwningOpRef<ModuleOp> (*)(
      StringRef, StringRef, MLIRContext *, const ONNXImportOptions &);
  auto translate = [](ImportFn fn) {
    return [fn](llvm::SourceMgr &sourceMgr,
                MLIRContext *context) -> OwningOpRef<Operation *> {
      // Errors about the file as a whole (or the options) have no location:
      // `bitmod-translate: error: ...`, not `<unknown>:0: error: ...`.
      ScopedDiagnosticHandler unlocated(context, [](Diagnostic &diag) {
        return ::bitmod::printUnlocatedDiagnostic("bitmod-translate", diag);
      });
      const llvm::MemoryBuffer *buffer =
          sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
      std::optional<ONNXImportOptions> options = getImportOptions(context);
      if (!options)
        return nullptr;
      return fn(buffer->getBuffer(), buffer->getBufferIdentifier(), context,
                *options);
    };
  };
  auto dialects = [](DialectRegistry &registry) {
    registerONNXImportDialects(registry);
  };
  static TranslateToMLIRRegistration import(
      "import-onnx", "Import an ONNX model (binary or text syntax)",
      translate(importONNXModel), dialects);
  static TranslateToMLIRRegistration raw(
      "import-onnx-raw",
      "Read an ONNX model into bitmod_onnx ops without lowering them "
      "(--bitmod-onnx-to-tosa lowers them)",
      translate(readONNXModel), dialects);
  (void)import;
  (void)raw;
}
