//===- ImportTranslation.cpp - "import-onnx" translation registration -----===//

#include "bitmod/Import/ONNXImporter.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Tools/mlir-translate/Translation.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;

namespace {
struct ImportCLOptions {
  llvm::cl::list<std::string> inputShapes{
      "input-shape",
      llvm::cl::desc("Static shape of a graph input for --import-onnx: "
                     "name=AxBxC (repeatable)"),
      llvm::cl::value_desc("name=AxBxC")};
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
};
} // namespace

static ImportCLOptions &getCLOptions() {
  static ImportCLOptions opts;
  return opts;
}

void mlir::bitmod::registerBitMoDImportTranslation() {
  ImportCLOptions &cl = getCLOptions();
  static TranslateToMLIRRegistration registration(
      "import-onnx", "Import an ONNX model (binary or text syntax)",
      [&cl](llvm::SourceMgr &sourceMgr,
            MLIRContext *context) -> OwningOpRef<Operation *> {
        const llvm::MemoryBuffer *buffer =
            sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
        ONNXImportOptions options;
        options.denseElementLimit = cl.denseLimit;
        for (const std::string &spec : cl.inputShapes) {
          std::string name, error;
          SmallVector<int64_t> shape;
          if (failed(parseInputShapeSpec(spec, name, shape, error))) {
            emitError(UnknownLoc::get(context)) << error;
            return nullptr;
          }
          options.inputShapes.emplace_back(name, shape);
        }
        for (const std::string &spec : cl.bindInputs) {
          std::string name, path, error;
          if (failed(parseBindInputSpec(spec, name, path, error))) {
            emitError(UnknownLoc::get(context)) << error;
            return nullptr;
          }
          options.boundInputs.emplace_back(name, path);
        }
        return importONNXModel(buffer->getBuffer(),
                               buffer->getBufferIdentifier(), context, options);
      },
      [](DialectRegistry &registry) { registerONNXImportDialects(registry); });
  (void)registration;
}
