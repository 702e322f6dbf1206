//===- BitMoDHWDialect.cpp - bitmod_hw dialect and attributes ---*- C++ -*-===//

#include "bitmod/Dialect/BitMoDHW/IR/BitMoDHWDialect.h"
#include "bitmod/Dialect/BitMoDHW/IR/BitMoDHWOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::bitmod;
using namespace mlir::bitmod::hw;

#include "bitmod/Dialect/BitMoDHW/IR/BitMoDHWDialect.cpp.inc"
#include "bitmod/Dialect/BitMoDHW/IR/BitMoDHWEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "bitmod/Dialect/BitMoDHW/IR/BitMoDHWAttrs.cpp.inc"

static_assert(static_cast<unsigned>(Queue::store) ==
                  static_cast<unsigned>(::bitmod::isa::Queue::Store),
              "bitmod_hw queue and isa::Queue must share their values");
static_assert(
    static_cast<unsigned>(Arrangement::gen) ==
        static_cast<unsigned>(::bitmod::arch::ArrayArrangement::Generative),
    "bitmod_hw arrangement and arch::ArrayArrangement must agree");

void BitMoDHWDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "bitmod/Dialect/BitMoDHW/IR/BitMoDHWAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "bitmod/Dialect/BitMoDHW/IR/BitMoDHWOps.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// AccelAttr
//===----------------------------------------------------------------------===//

::bitmod::arch::AccelConfig hw::toAccelConfig(AccelAttr a) {
  ::bitmod::arch::AccelConfig c;
  c.numTiles = a.getNumTiles();
  c.tileRows = a.getTileRows();
  c.tileCols = a.getTileCols();
  c.discGridRows = a.getDiscGridRows();
  c.discGridCols = a.getDiscGridCols();
  c.genGridRows = a.getGenGridRows();
  c.genGridCols = a.getGenGridCols();
  c.dotProductWidth = a.getDotProductWidth();
  c.actBufferBytes = a.getActBufferBytes();
  c.wgtBufferBytes = a.getWgtBufferBytes();
  c.actBufferBanks = a.getActBufferBanks();
  c.wgtBufferBanks = a.getWgtBufferBanks();
  c.dramBytesPerCycle = a.getDramBytesPerCycle();
  c.dramLatencyCycles = a.getDramLatencyCycles();
  c.frequencyGHz = a.getFrequencyMhz() / 1000.0;
  return c;
}

AccelAttr hw::getAccelAttr(MLIRContext *ctx,
                           const ::bitmod::arch::AccelConfig &c) {
  return AccelAttr::get(
      ctx, c.numTiles, c.tileRows, c.tileCols, c.discGridRows, c.discGridCols,
      c.genGridRows, c.genGridCols, c.dotProductWidth, c.actBufferBytes,
      c.wgtBufferBytes, c.actBufferBanks, c.wgtBufferBanks, c.dramBytesPerCycle,
      c.dramLatencyCycles, unsigned(c.frequencyGHz * 1000.0 + 0.5));
}

::bitmod::arch::AccelConfig hw::getAccelConfig(Operation *op) {
  for (Operation *p = op; p; p = p->getParentOp())
    if (auto a = p->getAttrOfType<AccelAttr>(kAccelAttrName))
      return toAccelConfig(a);
  return ::bitmod::arch::AccelConfig();
}

LogicalResult
AccelAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                  unsigned numTiles, unsigned tileRows, unsigned tileCols,
                  unsigned discGridRows, unsigned discGridCols,
                  unsigned genGridRows, unsigned genGridCols,
                  unsigned dotProductWidth, uint64_t actBufferBytes,
                  uint64_t wgtBufferBytes, unsigned actBufferBanks,
                  unsigned wgtBufferBanks, unsigned dramBytesPerCycle,
                  unsigned dramLatencyCycles, unsigned frequencyMhz) {
  if (frequencyMhz == 0)
    return emitError() << "frequency_mhz must be positive";
  ::bitmod::arch::AccelConfig c;
  c.numTiles = numTiles;
  c.tileRows = tileRows;
  c.tileCols = tileCols;
  c.discGridRows = discGridRows;
  c.discGridCols = discGridCols;
  c.genGridRows = genGridRows;
  c.genGridCols = genGridCols;
  c.dotProductWidth = dotProductWidth;
  c.actBufferBytes = actBufferBytes;
  c.wgtBufferBytes = wgtBufferBytes;
  c.actBufferBanks = actBufferBanks;
  c.wgtBufferBanks = wgtBufferBanks;
  c.dramBytesPerCycle = dramBytesPerCycle;
  c.dramLatencyCycles = dramLatencyCycles;
  c.frequencyGHz = frequencyMhz / 1000.0;
  if (llvm::Error e = c.validate())
    return emitError() << "invalid accelerator: "
                       << llvm::toString(std::move(e));
  return success();
}
