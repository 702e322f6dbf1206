//===- NpyTest.cpp - Tests of the .npy reader/writer and fp16 -------------===//

#include "bitmod/Support/Npy.h"
#include "bitmod/Support/Half.h"

#include "llvm/Support/FileSystem.h"
#include "gtest/gtest.h"

#include <cmath>
#include <cstring>

using namespace bitmod::support;

namespace {

TEST(HalfTest, RoundTripAllHalves) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    float f = halfToFloat(static_cast<uint16_t>(h));
    if (std::isnan(f))
      continue;
    EXPECT_EQ(floatToHalf(f), h);
  }
  EXPECT_EQ(halfToFloat(0x3c00), 1.0f);
  EXPECT_EQ(halfToFloat(0x0001), std::ldexp(1.0f, -24));
  // Ties to even: 1 + 2^-11 lies between 1 and 1 + 2^-10.
  EXPECT_EQ(floatToHalf(1.0f + std::ldexp(1.0f, -11)), 0x3c00);
  EXPECT_EQ(floatToHalf(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);
  EXPECT_EQ(floatToHalf(70000.0f), 0x7c00);
  EXPECT_EQ(floatToHalf(std::ldexp(1.0f, -26)), 0x0000);
  EXPECT_EQ(floatToHalf(std::ldexp(1.5f, -25)), 0x0001);
}

TEST(NpyTest, RoundTripFloatAndInts) {
  std::vector<float> v = {1.5f, -2.0f, 3.25f, 0.0f, 7.0f, -8.5f};
  NpyArray a = NpyArray::fromFloat32(v, {2, 3});
  auto bytes = serializeNpy(a);
  EXPECT_EQ((bytes.size() - a.data.size()) % 64, 0u);
  auto b = parseNpy(bytes, "mem");
  ASSERT_TRUE(bool(b)) << llvm::toString(b.takeError());
  EXPECT_EQ(b->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(b->toFloat32(), v);

  int64_t ints[3] = {-1, 5, 1LL << 40};
  NpyArray c = NpyArray::fromBytes(
      NpyDType::Int64,
      llvm::ArrayRef<uint8_t>(reinterpret_cast<uint8_t *>(ints), 24), {3});
  auto d = parseNpy(serializeNpy(c), "mem");
  ASSERT_TRUE(bool(d));
  EXPECT_EQ(d->dtype, NpyDType::Int64);
  EXPECT_EQ(d->shape, (std::vector<int64_t>{3}));
  EXPECT_EQ(d->data, c.data);

  llvm::SmallString<64> path;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("npytest", "npy", path));
  ASSERT_FALSE(bool(writeNpy(path, a)));
  auto e = readNpy(path);
  ASSERT_TRUE(bool(e));
  EXPECT_EQ(e->toFloat32(), v);
  llvm::sys::fs::remove(path);
}

std::vector<uint8_t> makeRaw(const std::string &header,
                             const std::vector<uint8_t> &data) {
  std::vector<uint8_t> out = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  out.push_back(header.size() & 0xff);
  out.push_back(header.size() >> 8);
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

TEST(NpyTest, FortranOrderBigEndianAndHalf) {
  // Fortran [2, 3] of uint8 0..5 -> C order is [[0,2,4],[1,3,5]].
  auto raw =
      makeRaw("{'descr': '|u1', 'fortran_order': True, 'shape': (2, 3), }\n",
              {0, 1, 2, 3, 4, 5});
  auto a = parseNpy(raw, "f");
  ASSERT_TRUE(bool(a));
  EXPECT_EQ(a->data, (std::vector<uint8_t>{0, 2, 4, 1, 3, 5}));
  auto be =
      makeRaw("{'descr': '>i4', 'fortran_order': False, 'shape': (1,), }\n",
              {0, 0, 1, 2});
  auto b = parseNpy(be, "be");
  ASSERT_TRUE(bool(b));
  EXPECT_EQ(b->toFloat32()[0], 258.0f);
  auto h =
      makeRaw("{'descr': '<f2', 'fortran_order': False, 'shape': (1,), }\n",
              {0x00, 0x3c});
  auto c = parseNpy(h, "h");
  ASSERT_TRUE(bool(c));
  EXPECT_EQ(c->toFloat32()[0], 1.0f);
}

TEST(NpyTest, Errors) {
  std::vector<uint8_t> garbage = {'h', 'e', 'l', 'l', 'o', 0, 0, 0, 0, 0, 0};
  auto a = parseNpy(garbage, "g.npy");
  ASSERT_FALSE(bool(a));
  EXPECT_NE(llvm::toString(a.takeError()).find("g.npy"), std::string::npos);
  auto trunc = makeRaw(
      "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }\n", {0, 0, 0});
  auto b = parseNpy(trunc, "t");
  ASSERT_FALSE(bool(b));
  EXPECT_NE(llvm::toString(b.takeError()).find("truncated"), std::string::npos);
  auto cplx =
      makeRaw("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }\n",
              {0, 0, 0, 0, 0, 0, 0, 0});
  auto c = parseNpy(cplx, "c");
  ASSERT_FALSE(bool(c));
  llvm::consumeError(c.takeError());
  // Fuzzer findings: dims whose product overflows 64 bits (signed overflow
  // in getNumElements before), and a count whose byte size does.
  auto huge = makeRaw("{'descr': '<f4', 'fortran_order': False, 'shape': "
                      "(144, 100000000000000000), }\n",
                      {0, 0, 0, 0});
  auto h = parseNpy(huge, "h.npy");
  ASSERT_FALSE(bool(h));
  EXPECT_EQ(llvm::toString(h.takeError()),
            "'h.npy': shape (144, 100000000000000000) has more elements than "
            "a 64-bit count holds");
  auto wide = makeRaw("{'descr': '<f8', 'fortran_order': False, 'shape': "
                      "(2305843009213693952,), }\n",
                      {0, 0, 0, 0});
  auto w = parseNpy(wide, "w.npy");
  ASSERT_FALSE(bool(w));
  EXPECT_NE(llvm::toString(w.takeError()).find("overflows a 64-bit size"),
            std::string::npos);
  auto d = readNpy("/nonexistent/x.npy");
  ASSERT_FALSE(bool(d));
  EXPECT_NE(llvm::toString(d.takeError()).find("/nonexistent/x.npy"),
            std::string::npos);
}

} // namespace
