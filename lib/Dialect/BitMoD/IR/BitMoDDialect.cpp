//===- BitMoDDialect.cpp - BitMoD dialect registration ----------*- C++ -*-===//

#include "bitmod/Dialect/BitMoD/IR/BitMoDDialect.h"
#include "bitmod/Dialect/BitMoD/IR/BitMoDOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::bitmod;

#include "bitmod/Dialect/BitMoD/IR/BitMoDDialect.cpp.inc"
#include "bitmod/Dialect/BitMoD/IR/BitMoDEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "bitmod/Dialect/BitMoD/IR/BitMoDAttrs.cpp.inc"

static_assert(static_cast<uint32_t>(DType::fp16) ==
                  static_cast<uint32_t>(quant::DataType::fp16),
              "bitmod.dtype and quant::DataType must share their values");
static_assert(static_cast<uint32_t>(DType::bitmod3) ==
                  static_cast<uint32_t>(quant::DataType::bitmod3),
              "bitmod.dtype and quant::DataType must share their values");

void BitMoDDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "bitmod/Dialect/BitMoD/IR/BitMoDAttrs.cpp.inc"
      >();
  registerTypes();
  addOperations<
#define GET_OP_LIST
#include "bitmod/Dialect/BitMoD/IR/BitMoDOps.cpp.inc"
      >();
}
