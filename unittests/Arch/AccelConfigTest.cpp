//===- AccelConfigTest.cpp ------------------------------------------------===//

#include "bitmod/Arch/AccelConfig.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/FileSystem.h"
#include "gtest/gtest.h"

using namespace bitmod::arch;

namespace {
std::string errorOf(llvm::Error e) { return llvm::toString(std::move(e)); }

TEST(AccelConfig, PaperDefaults) {
  AccelConfig c;
  EXPECT_EQ(c.getNumPEs(), 1024u);
  ArrayShape d = c.getArrayShape(ArrayArrangement::Discriminative);
  EXPECT_EQ(d.tokenLanes, 32u);
  EXPECT_EQ(d.channelLanes, 32u);
  ArrayShape g = c.getArrayShape(ArrayArrangement::Generative);
  EXPECT_EQ(g.tokenLanes, 16u);
  EXPECT_EQ(g.channelLanes, 64u);
  EXPECT_EQ(c.dramBytesPerCycle, 32u);
  EXPECT_EQ(c.sramTable.size(), 7u);
  EXPECT_FALSE(bool(c.validate()));
}

TEST(AccelConfig, JSONRoundTrip) {
  AccelConfig c;
  c.dramLatencyCycles = 77;
  c.arrangement = ArrayArrangement::Generative;
  c.sramTable[0].readPJ = 1.25;
  auto back = parseAccelConfigJSON(toJSONString(c));
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  EXPECT_TRUE(*back == c);

  llvm::SmallString<128> path;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("accel", "json", path));
  ASSERT_FALSE(bool(saveAccelConfig(c, path)));
  auto loaded = loadAccelConfig(path);
  ASSERT_TRUE(bool(loaded));
  EXPECT_TRUE(*loaded == c);
  llvm::sys::fs::remove(path);
}

TEST(AccelConfig, JSONErrorsNameTheKey) {
  auto a = parseAccelConfigJSON(R"({"tile_rows": 8, "bogus_key": 1})");
  ASSERT_FALSE(bool(a));
  EXPECT_NE(errorOf(a.takeError()).find("bogus_key"), std::string::npos);
  auto b = parseAccelConfigJSON(R"({"dram_bytes_per_cycle": "fast"})");
  ASSERT_FALSE(bool(b));
  EXPECT_NE(errorOf(b.takeError()).find("dram_bytes_per_cycle"),
            std::string::npos);
  auto c = parseAccelConfigJSON(R"({"tile_rows": 2.5})");
  ASSERT_FALSE(bool(c));
  EXPECT_NE(errorOf(c.takeError()).find("tile_rows"), std::string::npos);
  auto d = parseAccelConfigJSON(R"({"num_tiles": 8})"); // grids use 16
  ASSERT_FALSE(bool(d));
  EXPECT_NE(errorOf(d.takeError()).find("grid"), std::string::npos);
  auto e = parseAccelConfigJSON(R"({"sram_table": [{"port_bits": 64}]})");
  ASSERT_FALSE(bool(e));
  EXPECT_NE(errorOf(e.takeError()).find("sram_table[0]"), std::string::npos);
  auto f = parseAccelConfigJSON("{not json");
  ASSERT_FALSE(bool(f));
  llvm::consumeError(f.takeError());
  // Fuzzer finding: 0.21e309 parses as infinity, which passed ">= 0" and
  // then printed as JSON that does not parse back.
  auto g = parseAccelConfigJSON(
      R"({"sram_table": [{"port_bits": 512, "read_pj": 10.5, )"
      R"("write_pj": 11.0, "area_mm2": 0.21e309}]})");
  ASSERT_FALSE(bool(g));
  EXPECT_EQ(errorOf(g.takeError()),
            "accelerator config key 'sram_table': entry 0 has a zero port "
            "width or a negative, infinite or NaN value");
}

TEST(AccelConfig, KeyValue) {
  auto c = fromKeyValue("rows=4, cols=4,tiles=64,disc-grid=8x8,gen_grid=4x16,"
                        "dram-latency-cycles=50,arrangement=gen");
  ASSERT_TRUE(bool(c)) << llvm::toString(c.takeError());
  EXPECT_EQ(c->getNumPEs(), 1024u);
  EXPECT_EQ(c->getArrayShape(ArrayArrangement::Generative).channelLanes, 64u);
  EXPECT_EQ(c->dramLatencyCycles, 50u);
  EXPECT_EQ(c->arrangement, ArrayArrangement::Generative);

  auto bad = fromKeyValue("rows=8,frobnicate=3");
  ASSERT_FALSE(bool(bad));
  EXPECT_NE(errorOf(bad.takeError()).find("frobnicate"), std::string::npos);
  auto bad2 = fromKeyValue("freq=abc");
  ASSERT_FALSE(bool(bad2));
  EXPECT_NE(errorOf(bad2.takeError()).find("frequency_ghz"), std::string::npos);
  AccelConfig keep;
  llvm::Error err = applyKeyValueOptions(keep, "tile_rows=0");
  EXPECT_TRUE(bool(err));
  llvm::consumeError(std::move(err));
  EXPECT_EQ(keep.tileRows, 8u); // unchanged on error
}
} // namespace
