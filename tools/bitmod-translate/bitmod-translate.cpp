//===- bitmod-translate.cpp - BitMoD translations driver ------------------===//
//
// mlir-translate with the BitMoD translations registered (--import-onnx).
//
//===----------------------------------------------------------------------===//

#include "bitmod/Import/ONNXImporter.h"

#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"

int main(int argc, char **argv) {
  mlir::bitmod::registerBitMoDImportTranslation();
  return mlir::failed(
      mlir::mlirTranslateMain(argc, argv, "BitMoD translation driver"));
}
