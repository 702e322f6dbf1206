//===- MlirFuzzer.cpp - libFuzzer target for MLIR text on BitMoD dialects -===//
//
// Parses arbitrary text as an MLIR module with the BitMoD dialects (bitmod,
// bitmod_hw, bitmod_onnx) and the upstream dialects their IR uses
// registered, which runs every op, type and attribute verifier, then prints
// the module in both forms. Fuzzes our parsers, printers and verifiers (the
// rest of MLIR is only along for the ride: a crash found there is upstream's).
//
//===----------------------------------------------------------------------===//

#include "bitmod/Dialect/BitMoD/IR/BitMoDDialect.h"
#include "bitmod/Dialect/BitMoDHW/IR/BitMoDHWDialect.h"
#include "bitmod/Dialect/ONNX/IR/ONNXDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include "llvm/Support/raw_ostream.h"

using namespace mlir;

static DialectRegistry &getRegistry() {
  static DialectRegistry registry = [] {
    DialectRegistry r;
    r.insert<bitmod::BitMoDDialect, bitmod::hw::BitMoDHWDialect,
             bitmod::onnx_ir::BitMoDONNXDialect, arith::ArithDialect,
             func::FuncDialect, tensor::TensorDialect, tosa::TosaDialect>();
    return r;
  }();
  return registry;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // A fresh context per input: nothing uniqued by one input leaks into the
  // next.
  MLIRContext context(getRegistry(), MLIRContext::Threading::DISABLED);
  ScopedDiagnosticHandler quiet(&context,
                                [](Diagnostic &) { return success(); });
  // MLIR's lexer relies on a NUL after the buffer (files are read so); the
  // fuzzer's bytes have none, so they are copied.
  std::string text(reinterpret_cast<const char *>(data), size);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(
      llvm::StringRef(text.c_str(), size), ParserConfig(&context));
  if (!module)
    return 0;
  std::string printed;
  llvm::raw_string_ostream os(printed);
  module->print(os);
  module->print(os, OpPrintingFlags().printGenericOpForm());
  return 0;
}
