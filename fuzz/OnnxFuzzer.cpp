//===- OnnxFuzzer.cpp - libFuzzer target for the ONNX frontend ------------===//
//
// ONNX model bytes (binary protobuf or the ONNX text syntax) through
// importONNXModel: the reader (libonnx parsing, checker, shape inference,
// version conversion -> bitmod_onnx IR) and --bitmod-onnx-to-tosa. A module
// that imports must verify.
//
//===----------------------------------------------------------------------===//

#include "bitmod/Import/ONNXImporter.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include <cstdlib>

using namespace mlir;

static DialectRegistry &getRegistry() {
  static DialectRegistry registry = [] {
    DialectRegistry r;
    bitmod::registerONNXImportDialects(r);
    return r;
  }();
  return registry;
}

static OwningOpRef<ModuleOp> import(llvm::StringRef bytes,
                                    MLIRContext &context) {
  context.loadAllAvailableDialects();
  ScopedDiagnosticHandler quiet(&context,
                                [](Diagnostic &) { return success(); });
  return bitmod::importONNXModel(bytes, "fuzz.onnx", &context,
                                 bitmod::ONNXImportOptions());
}

/// libonnx registers every operator schema on first use (seconds under
/// ASan); done here, so the first input is not charged with it.
extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  MLIRContext context(getRegistry(), MLIRContext::Threading::DISABLED);
  (void)import("<ir_version: 8, opset_import: [\"\" : 13]>\n"
               "g (float[2] x) => (float[2] y) { y = Relu(x) }\n",
               context);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  MLIRContext context(getRegistry(), MLIRContext::Threading::DISABLED);
  // Files reach the importer NUL-terminated (MemoryBuffer), and the ONNX
  // text parser relies on it; the fuzzer's bytes are copied to match.
  std::string copy(reinterpret_cast<const char *>(data), size);
  OwningOpRef<ModuleOp> module =
      import(llvm::StringRef(copy.c_str(), size), context);
  if (module && failed(verify(*module)))
    std::abort(); // the frontend returned invalid IR
  return 0;
}
