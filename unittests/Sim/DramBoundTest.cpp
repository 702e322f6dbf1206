//===- DramBoundTest.cpp --------------------------------------------------===//

#include "bitmod/Sim/DramBound.h"

#include "llvm/Support/Error.h"
#include "gtest/gtest.h"

using namespace bitmod;
using namespace bitmod::arch;
using namespace bitmod::sim;

namespace {

DramLowerBound mustBound(const AccelConfig &cfg, GemmShape s, quant::DataType t,
                         unsigned outElem) {
  auto spec = getBitMoDWeightSpec(cfg, t, 128);
  if (!spec) {
    ADD_FAILURE() << llvm::toString(spec.takeError());
    return {};
  }
  auto b = getDramLowerBound(cfg, s, *spec, outElem);
  if (!b) {
    ADD_FAILURE() << llvm::toString(b.takeError());
    return {};
  }
  return *b;
}

TEST(DramBound, DecodeIsOnePass) {
  AccelConfig cfg;
  DramLowerBound b =
      mustBound(cfg, {1, 4096, 4096}, quant::DataType::int8, /*outElem=*/4);
  EXPECT_EQ(b.compulsoryBytes, b.weightBytes + 1 * 4096 * 2 + 1 * 4096 * 4ull);
  EXPECT_EQ(b.bytes, b.compulsoryBytes);
  EXPECT_EQ(b.weightPasses, 1u);
  EXPECT_EQ(b.actPasses, 1u);
}

// Llama-2-7B down_proj prefill, int8, f32 outputs, 512 KiB buffers. Nothing
// of K fits resident; the best blocking keeps all 256 tokens x Nb channels
// of Y on chip with one group of X beside it: Nb <= (512 KiB - 256 * 128 *
// 2) / (256 * 4) = 448, so X is read ceil(4096 / 448) = 10 times and W once.
// (128 tokens: Nb <= 960, W twice and X 5 times, 17 MB more.)
TEST(DramBound, DownProjPrefill) {
  AccelConfig cfg;
  DramLowerBound b =
      mustBound(cfg, {256, 4096, 11008}, quant::DataType::int8, 4);
  EXPECT_EQ(b.weightBytes, 4096ull * 11008 * (8 * 128 + 8) / 128 / 8);
  EXPECT_EQ(b.bytes, b.weightBytes + 10 * b.actBytes + b.outBytes);
  EXPECT_EQ(b.blockTokens, 256u);
  EXPECT_EQ(b.blockChannels, 410u);
  EXPECT_EQ(b.blockK, 128u);
  EXPECT_EQ(b.actPasses, 10u);
  EXPECT_EQ(b.outPasses, 1u);
  std::printf("[ measured ] %s\n", b.toString().c_str());
}

// With buffers big enough for all of X, the bound is one pass.
TEST(DramBound, EverythingFitsIsOnePass) {
  AccelConfig cfg;
  cfg.actBufferBytes = 64ull << 20;
  DramLowerBound b =
      mustBound(cfg, {256, 4096, 11008}, quant::DataType::bitmod4, 2);
  EXPECT_EQ(b.bytes, b.compulsoryBytes);
}

// Tiny buffers: partial sums leaving the chip are counted (Y written and
// read back), and the bound still never drops below one pass.
TEST(DramBound, NeverBelowOnePass) {
  AccelConfig cfg;
  cfg.actBufferBytes = 4096;
  cfg.wgtBufferBytes = 4096;
  for (uint64_t M : {1, 7, 64})
    for (uint64_t K : {128, 1000, 8192}) {
      DramLowerBound b =
          mustBound(cfg, {M, 96, K}, quant::DataType::int4_asym, 2);
      EXPECT_GE(b.bytes, b.compulsoryBytes) << M << " " << K;
    }
}

TEST(DramBound, NothingFits) {
  AccelConfig cfg;
  cfg.actBufferBytes = 128; // one token x one group of FP16 is 256 bytes
  auto spec = getBitMoDWeightSpec(cfg, quant::DataType::int8, 128);
  ASSERT_TRUE(bool(spec));
  auto b = getDramLowerBound(cfg, {4, 4, 128}, *spec, 2);
  ASSERT_FALSE(bool(b));
  EXPECT_NE(llvm::toString(b.takeError()).find("fits"), std::string::npos);
}

} // namespace
