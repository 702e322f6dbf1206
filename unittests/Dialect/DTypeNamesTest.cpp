//===- DTypeNamesTest.cpp - One name per dtype in dialect and Quant -------===//
//
// The dialect's `#bitmod.dtype<...>` enum (ODS, BitMoDAttrs.td) and
// quant::DataType (lib/Quant/DataType.cpp) list the same data types and
// convert by a cast (toQuantType): both must have the same values, and each
// value the same spelling on both sides.
//
//===----------------------------------------------------------------------===//

#include "bitmod/Dialect/BitMoD/IR/BitMoDOps.h"
#include "bitmod/Quant/DataType.h"

#include "gtest/gtest.h"

#include <string>

using namespace mlir::bitmod;

namespace {

TEST(DTypeNames, SameNumberOfValues) {
  EXPECT_EQ(getMaxEnumValForDType() + 1, quant::kNumDataTypes);
}

TEST(DTypeNames, EveryValueHasTheSameName) {
  for (uint32_t value = 0; value <= getMaxEnumValForDType(); ++value) {
    std::optional<DType> dialectType = symbolizeDType(value);
    ASSERT_TRUE(dialectType) << "no dialect dtype has value " << value;
    quant::DataType quantType = toQuantType(*dialectType);
    ASSERT_EQ(static_cast<uint32_t>(quantType), value);
    std::string dialectName = stringifyDType(*dialectType).str();
    std::string quantName(quant::getName(quantType));
    EXPECT_EQ(dialectName, quantName) << "value " << value;
    // Each side parses the other's spelling back to the same value.
    EXPECT_EQ(symbolizeDType(quantName), dialectType) << quantName;
    EXPECT_EQ(quant::parseDataType(dialectName), quantType) << dialectName;
  }
}

} // namespace
