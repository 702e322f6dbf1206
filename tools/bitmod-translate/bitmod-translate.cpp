//===- bitmod-translate.cpp - BitMoD translations driver ------------------===//
//
// mlir-translate with the BitMoD translations registered: --import-onnx
// (ONNX -> MLIR), --emit-isa / --emit-asm (scheduled bitmod_hw IR ->
// .bmod instruction stream or its assembly listing) and --mlir-to-cpp
// (EmitC host module -> C++).
//
//===----------------------------------------------------------------------===//

#include "bitmod/Import/ONNXImporter.h"
#include "bitmod/Support/MemoryLimit.h"
#include "bitmod/Support/Version.h"
#include "bitmod/Target/ISA/EmitISA.h"

#include "mlir/InitAllTranslations.h"
#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"

int main(int argc, char **argv) {
  ::bitmod::installVersionPrinter("bitmod-translate");
  ::bitmod::registerMemoryLimitOption();
  mlir::bitmod::registerBitMoDImportTranslation();
  mlir::bitmod::registerBitMoDISATranslations();
  // --mlir-to-cpp: C++ from the EmitC host module (bitmod-opt
  // --bitmod-host-to-emitc), docs/host-lowering.md.
  mlir::registerToCppTranslation();
  return mlir::failed(
      mlir::mlirTranslateMain(argc, argv, "BitMoD translation driver"));
}
