//===- bitmod-opt.cpp - BitMoD optimizer driver -----------------*- C++ -*-===//
//
// mlir-opt with the BitMoD dialects and passes registered next to the
// upstream ones, so any pipeline stage can be run and lit-tested alone.
//
//===----------------------------------------------------------------------===//

#include "bitmod/Compiler/Pipelines.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::bitmod::registerAllBitMoDPasses();
  mlir::DialectRegistry registry;
  mlir::bitmod::registerAllBitMoDDialects(registry);
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "BitMoD optimizer driver\n", registry));
}
