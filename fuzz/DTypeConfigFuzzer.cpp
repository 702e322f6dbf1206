//===- DTypeConfigFuzzer.cpp - libFuzzer target for the dtype-config JSON -===//
//
// The per-layer data-type configuration (--bitmod-quantize dtype-config=,
// bitmod-compile --dtype-config) on arbitrary text: the bytes go to a file
// that --bitmod-quantize reads, on a three-layer model, through the public
// pass interface (the reader is private to the pass).
//
//===----------------------------------------------------------------------===//

#include "bitmod/Compiler/Pipelines.h"
#include "bitmod/Dialect/BitMoD/IR/BitMoDDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

using namespace mlir;

static const char *const kModel = R"mlir(
func.func @model(%x: tensor<2x8xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>) {
  %w = arith.constant dense<0.25> : tensor<4x8xf32>
  %a = bitmod.linear %x, %w {name = "mlp.up"} : tensor<2x8xf32>, tensor<4x8xf32> -> tensor<2x4xf32>
  %b = bitmod.linear %x, %w {name = "attn.q"} : tensor<2x8xf32>, tensor<4x8xf32> -> tensor<2x4xf32>
  %c = bitmod.linear %x, %w {name = "lm_head"} : tensor<2x8xf32>, tensor<4x8xf32> -> tensor<2x4xf32>
  return %a, %b, %c : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>
}
)mlir";

static const std::string &getConfigPath() {
  static const std::string configPath = [] {
    llvm::SmallString<128> p;
    llvm::sys::path::system_temp_directory(/*ErasedOnReboot=*/true, p);
    llvm::sys::path::append(
        p, "bitmod-fuzz-dtype-config-" +
               std::to_string(llvm::sys::Process::getProcessId()) + ".json");
    return std::string(p);
  }();
  return configPath;
}

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  mlir::bitmod::registerAllBitMoDPasses();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  {
    std::error_code ec;
    llvm::raw_fd_ostream out(getConfigPath(), ec);
    if (ec)
      return 0;
    out.write(reinterpret_cast<const char *>(data), size);
  }
  // One context for all inputs: loading the pass's dependent dialects takes
  // about a second under ASan, and the fixed model uniques the same
  // attributes every time (only the file contents vary).
  static MLIRContext context = [] {
    DialectRegistry registry;
    registry.insert<mlir::bitmod::BitMoDDialect, arith::ArithDialect,
                    func::FuncDialect, tensor::TensorDialect>();
    return MLIRContext(registry, MLIRContext::Threading::DISABLED);
  }();
  ScopedDiagnosticHandler quiet(&context,
                                [](Diagnostic &) { return success(); });
  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(kModel, ParserConfig(&context));
  if (!module)
    abort(); // the fixed model must parse
  PassManager pm(&context);
  std::string pipeline =
      "bitmod-quantize{dtype-config=" + getConfigPath() + " group-size=8}";
  if (failed(parsePassPipeline(pipeline, pm)))
    abort();
  (void)pm.run(*module);
  return 0;
}
