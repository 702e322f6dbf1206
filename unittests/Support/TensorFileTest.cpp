//===- TensorFileTest.cpp - Tests of the TensorProto reader ---------------===//
//
// Regressions from fuzz/ (the tensorproto target).
//
//===----------------------------------------------------------------------===//

#include "bitmod/Runtime/Session.h"

#include "gtest/gtest.h"

using namespace bitmod;

namespace {

std::string parseError(std::vector<uint8_t> bytes) {
  auto array = rt::parseTensorProto(bytes, "t.pb");
  if (array)
    return "";
  return llvm::toString(array.takeError());
}

// dims = [2^33 + ...] with data_type float and no data: refused before the
// 15 GB the dims ask for are allocated (it ran out of memory).
TEST(TensorProto, DimsWithoutDataAllocateNothing) {
  std::string err =
      parseError({0x00, 0x00, 0x10, 0x02, 0x08, 0xc1, 0xc1, 0xc1, 0xc1, 0x3a});
  EXPECT_NE(err, "");
  // dims = [1 << 34] (field 1, varint), data_type = 1 (float), no data.
  err = parseError({0x08, 0x80, 0x80, 0x80, 0x80, 0x40, 0x10, 0x01});
  EXPECT_NE(err.find("TensorProto holds 0 values, dims need 17179869184"),
            std::string::npos)
      << err;
  // The same with raw_data of 4 bytes.
  err = parseError(
      {0x08, 0x80, 0x80, 0x80, 0x80, 0x40, 0x10, 0x01, 0x4a, 0x04, 0, 0, 0, 0});
  EXPECT_NE(err.find("raw_data has 4 bytes, dims 17179869184 need"),
            std::string::npos)
      << err;
}

// An empty tensor with an empty raw_data: no memcpy from a null buffer
// (UBSan: null pointer passed as argument 2 of memcpy).
TEST(TensorProto, EmptyRawData) {
  // dims = [3, 2, 16, 0], raw_data = "", data_type = 10 (float16).
  auto a = rt::parseTensorProto(std::vector<uint8_t>{0x08, 0x03, 0x08, 0x02,
                                                     0x4a, 0x00, 0x08, 0x10,
                                                     0x10, 0x0a, 0x08, 0x00},
                                "t.pb");
  ASSERT_TRUE(bool(a)) << llvm::toString(a.takeError());
  EXPECT_EQ(a->shape, (std::vector<int64_t>{3, 2, 16, 0}));
  EXPECT_TRUE(a->data.empty());
}

TEST(TensorProto, ReadsTypedAndRawData) {
  // dims = [2], data_type = 6 (int32), int32_data = [3, 4] (packed).
  auto a = rt::parseTensorProto(
      std::vector<uint8_t>{0x08, 0x02, 0x10, 0x06, 0x2a, 0x02, 0x03, 0x04},
      "t.pb");
  ASSERT_TRUE(bool(a)) << llvm::toString(a.takeError());
  EXPECT_EQ(a->shape, std::vector<int64_t>{2});
  EXPECT_EQ(a->toFloat32(), (std::vector<float>{3, 4}));
}

} // namespace
