//===- Pipeline.cpp - the accelerator pipeline ------------------*- C++ -*-===//
//
// The named pipeline from tensor-level linear layers to scheduled
// accelerator launches, so the whole mapping is one bitmod-opt flag.
//
//===----------------------------------------------------------------------===//

#include "bitmod/Dialect/BitMoD/Transforms/Passes.h"
#include "bitmod/Dialect/BitMoDHW/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

using namespace mlir;
using namespace mlir::bitmod;

void mlir::bitmod::buildAccelPipeline(OpPassManager &pm,
                                      const AccelPipelineOptions &options) {
  BitMoDQuantizeOptions quantize;
  quantize.dtype = options.dtype;
  quantize.groupSize = options.groupSize;
  quantize.scaleBits = options.scaleBits;
  quantize.dtypeConfig = options.dtypeConfig;
  pm.addPass(createBitMoDQuantize(quantize));
  BitMoDTileOptions tile;
  tile.accel = options.accel;
  pm.addPass(createBitMoDTile(tile));
  pm.addPass(createBitMoDBitSerialSchedule());
}

void mlir::bitmod::registerAccelPipeline() {
  PassPipelineRegistration<AccelPipelineOptions>(
      "bitmod-accel-pipeline",
      "Quantize linear layers, tile them onto the PE array and schedule the "
      "bit-serial work (bitmod.linear -> bitmod_hw.launch)",
      buildAccelPipeline);
}
