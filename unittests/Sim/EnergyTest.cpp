//===- EnergyTest.cpp -----------------------------------------------------===//

#include "bitmod/Sim/Energy.h"

#include "gtest/gtest.h"

using namespace bitmod::arch;
using namespace bitmod::sim;

TEST(Energy, PEConstantsWithPlaceAndRoute) {
  AccelConfig cfg;
  EXPECT_DOUBLE_EQ(getPEEnergyPJ(cfg, AcceleratorKind::FP16), 0.77 * 1.5);
  EXPECT_DOUBLE_EQ(getPEEnergyPJ(cfg, AcceleratorKind::ANT), 0.56 * 1.5);
  EXPECT_DOUBLE_EQ(getPEEnergyPJ(cfg, AcceleratorKind::OliVe), 0.613 * 1.5);
  EXPECT_DOUBLE_EQ(getPEEnergyPJ(cfg, AcceleratorKind::BitMoD), 0.56 * 1.5);
  EXPECT_EQ(parseAcceleratorKind("OliVe"), AcceleratorKind::OliVe);
  EXPECT_FALSE(parseAcceleratorKind("tpu").has_value());
}

// The PE area of the accelerator description feeds the iso-area counts
// (docs/rtl.md "Area feed").
TEST(Energy, PEAreaAndIsoAreaCount) {
  AccelConfig cfg;
  EXPECT_DOUBLE_EQ(getPEAreaUM2(cfg, AcceleratorKind::BitMoD), 1507.7);
  EXPECT_DOUBLE_EQ(getPEAreaUM2(cfg, AcceleratorKind::FP16), 1968.7);
  // 1024 x 1507.7 / 1968.7 = 784.2 (the paper rounds its array to 768).
  EXPECT_EQ(getIsoAreaNumPEs(cfg, AcceleratorKind::FP16), 784u);
  EXPECT_EQ(getIsoAreaNumPEs(cfg, AcceleratorKind::BitMoD), 1024u);
  auto synthesized = parseAccelConfigJSON(R"({"pe_area_um2": 984.35})");
  ASSERT_TRUE(bool(synthesized)) << llvm::toString(synthesized.takeError());
  EXPECT_DOUBLE_EQ(synthesized->peAreaUM2, 984.35);
  EXPECT_EQ(getIsoAreaNumPEs(*synthesized, AcceleratorKind::FP16), 512u);
  auto bad = parseAccelConfigJSON(R"({"pe_area_um2": 0})");
  ASSERT_FALSE(bool(bad));
  EXPECT_NE(llvm::toString(bad.takeError()).find("pe_area_um2"),
            std::string::npos);
}

TEST(Energy, SramLookupNextWider) {
  AccelConfig cfg;
  SramAccessEnergy e = lookupSramEnergy(cfg, 256);
  EXPECT_EQ(e.tableBits, 256u);
  EXPECT_DOUBLE_EQ(e.readPJ, 70.09);
  e = lookupSramEnergy(cfg, 300); // -> 384
  EXPECT_EQ(e.tableBits, 384u);
  EXPECT_DOUBLE_EQ(e.writePJ, 64.05);
  e = lookupSramEnergy(cfg, 2048); // 2 x 1024
  EXPECT_EQ(e.accessesPer, 2u);
  EXPECT_DOUBLE_EQ(e.readPJ, 2 * 138.44);
}

TEST(Energy, Breakdown) {
  AccelConfig cfg;
  ActivityCounts c;
  c.peActiveCycles = 1000;
  c.actPortBits = 1024;
  c.wgtPortBits = 256;
  c.actReads = 10;
  c.actWrites = 2;
  c.wgtReads = 5;
  c.wgtWrites = 1;
  c.dramReadBytes = 64;
  c.dramWriteBytes = 8;
  EnergyBreakdown e = computeEnergy(cfg, AcceleratorKind::BitMoD, c);
  EXPECT_DOUBLE_EQ(e.dramPJ, 72 * 8 * 18.75);
  EXPECT_DOUBLE_EQ(e.actBufferPJ, 10 * 138.44 + 2 * 156.09);
  EXPECT_DOUBLE_EQ(e.wgtBufferPJ, 5 * 70.09 + 1 * 51.72);
  EXPECT_DOUBLE_EQ(e.corePJ, 1000 * 0.56 * 1.5);
  EXPECT_DOUBLE_EQ(e.getTotalPJ(),
                   e.dramPJ + e.actBufferPJ + e.wgtBufferPJ + e.corePJ);
}
