//===- bitmod-opt.cpp - BitMoD optimizer driver -----------------*- C++ -*-===//
//
// mlir-opt with the BitMoD dialects and passes registered next to the
// upstream ones, so any pipeline stage can be run and lit-tested alone.
//
// Diagnostics without a location (bad pass options, unreadable side files)
// read `bitmod-opt: error: ...` instead of `<unknown>:0: error: ...`.
//
//===----------------------------------------------------------------------===//

#include "bitmod/Compiler/Pipelines.h"
#include "bitmod/Support/MemoryLimit.h"
#include "bitmod/Support/ToolDiagnostics.h"
#include "bitmod/Support/Version.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  ::bitmod::installVersionPrinter("bitmod-opt");
  ::bitmod::registerMemoryLimitOption();
  mlir::bitmod::registerAllBitMoDPasses();
  DialectRegistry registry;
  mlir::bitmod::registerAllBitMoDDialects(registry);
  auto [inputFilename, outputFilename] = registerAndParseCLIOptions(
      argc, argv, "BitMoD optimizer driver\n", registry);
  MlirOptMainConfig config = MlirOptMainConfig::createFromCLOptions();
  if (config.shouldShowDialects() || config.shouldListPasses())
    return asMainReturnCode(
        MlirOptMain(argc, argv, inputFilename, outputFilename, registry));
  // --verify-diagnostics must see every diagnostic, located or not.
  if (!config.shouldVerifyDiagnostics()) {
    MlirOptMainConfig cliConfig = config;
    config.setPassPipelineSetupFn([cliConfig](PassManager &pm) {
      // Every input chunk has its own context: the handler lives with it.
      pm.getContext()->getDiagEngine().registerHandler([](Diagnostic &diag) {
        return ::bitmod::printUnlocatedDiagnostic("bitmod-opt", diag);
      });
      return cliConfig.setupPassPipeline(pm);
    });
  }

  std::string errorMessage;
  std::unique_ptr<llvm::MemoryBuffer> file =
      openInputFile(inputFilename, &errorMessage);
  if (!file) {
    llvm::errs() << "bitmod-opt: error: " << errorMessage << "\n";
    return 1;
  }
  std::unique_ptr<llvm::ToolOutputFile> output =
      openOutputFile(outputFilename, &errorMessage);
  if (!output) {
    llvm::errs() << "bitmod-opt: error: " << errorMessage << "\n";
    return 1;
  }
  if (failed(MlirOptMain(output->os(), std::move(file), registry, config)))
    return 1;
  output->keep();
  return 0;
}
