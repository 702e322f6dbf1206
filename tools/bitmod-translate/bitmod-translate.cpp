//===- bitmod-translate.cpp - BitMoD translations driver ------------------===//
//
// mlir-translate with the BitMoD translations registered: --import-onnx
// (ONNX -> MLIR) and --emit-isa / --emit-asm (scheduled bitmod_hw IR ->
// .bmod instruction stream or its assembly listing).
//
//===----------------------------------------------------------------------===//

#include "bitmod/Import/ONNXImporter.h"
#include "bitmod/Target/ISA/EmitISA.h"

#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"

int main(int argc, char **argv) {
  mlir::bitmod::registerBitMoDImportTranslation();
  mlir::bitmod::registerBitMoDISATranslations();
  return mlir::failed(
      mlir::mlirTranslateMain(argc, argv, "BitMoD translation driver"));
}
