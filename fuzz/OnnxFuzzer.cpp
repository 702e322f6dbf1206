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

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static DialectRegistry registry = [] {
    DialectRegistry r;
    bitmod::registerONNXImportDialects(r);
    return r;
  }();
  MLIRContext context(registry, MLIRContext::Threading::DISABLED);
  context.loadAllAvailableDialects();
  ScopedDiagnosticHandler quiet(&context,
                                [](Diagnostic &) { return success(); });
  // Files reach the importer NUL-terminated (MemoryBuffer), and the ONNX
  // text parser relies on it; the fuzzer's bytes are copied to match.
  std::string copy(reinterpret_cast<const char *>(data), size);
  llvm::StringRef bytes(copy.c_str(), size);
  bitmod::ONNXImportOptions options;
  OwningOpRef<ModuleOp> module =
      bitmod::importONNXModel(bytes, "fuzz.onnx", &context, options);
  if (module && failed(verify(*module)))
    std::abort(); // the frontend returned invalid IR
  return 0;
}
