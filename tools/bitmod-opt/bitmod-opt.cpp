//===- bitmod-opt.cpp - BitMoD optimizer driver -----------------*- C++ -*-===//
//
// mlir-opt with the BitMoD dialects and passes registered next to the
// upstream ones, so any pipeline stage can be run and lit-tested alone.
//
//===----------------------------------------------------------------------===//

#include "bitmod/Conversion/ONNXToTOSA/ONNXToTOSA.h"
#include "bitmod/Conversion/Passes.h"
#include "bitmod/Dialect/BitMoD/IR/BitMoDDialect.h"
#include "bitmod/Dialect/BitMoD/Transforms/Passes.h"
#include "bitmod/Dialect/BitMoDHW/IR/BitMoDHWDialect.h"
#include "bitmod/Dialect/BitMoDHW/Transforms/Passes.h"
#include "bitmod/Dialect/ONNX/IR/ONNXDialect.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  mlir::bitmod::registerBitMoDPasses();
  mlir::bitmod::registerBitMoDHWPasses();
  mlir::bitmod::registerAccelPipeline();
  mlir::bitmod::registerBitMoDConversionPasses();
  mlir::bitmod::registerBitMoDONNXToTOSAPasses();
  mlir::bitmod::registerHostToEmitCPipeline();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry
      .insert<mlir::bitmod::BitMoDDialect, mlir::bitmod::hw::BitMoDHWDialect,
              mlir::bitmod::onnx_ir::BitMoDONNXDialect>();

  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "BitMoD optimizer driver\n", registry));
}
