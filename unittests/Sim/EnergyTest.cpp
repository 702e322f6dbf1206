//===- EnergyTest.cpp -----------------------------------------------------===//

#include "bitmod/Sim/Energy.h"
#include "bitmod/Sim/Baselines.h"

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

// baseline_sizing = iso_area re-sizes the baselines from the PE areas; the
// paper's table stays the default.
TEST(Energy, IsoAreaBaselineSizing) {
  auto shape = [](const AccelConfig &cfg, AcceleratorKind k, bool gen) {
    ArrayShape s = getAcceleratorShape(cfg, k,
                                       gen ? ArrayArrangement::Generative
                                           : ArrayArrangement::Discriminative);
    return std::make_pair(s.tokenLanes, s.channelLanes);
  };
  AccelConfig paper;
  EXPECT_EQ(shape(paper, AcceleratorKind::FP16, false),
            std::make_pair(24u, 32u));
  EXPECT_EQ(shape(paper, AcceleratorKind::ANT, true), std::make_pair(16u, 64u));
  EXPECT_EQ(getAcceleratorNumPEs(paper, AcceleratorKind::OliVe), 1152u);
  EXPECT_EQ(getAcceleratorNumPEs(paper, AcceleratorKind::BitMoD), 1024u);

  auto iso = parseAccelConfigJSON(R"({"baseline_sizing": "iso_area"})");
  ASSERT_TRUE(bool(iso)) << llvm::toString(iso.takeError());
  // FP16 (784 PEs fit) and OliVe (1170) keep the paper's arrays: those are
  // iso-area. ANT's 1024 are not: 1170 of its PEs fit, 36 token rows.
  EXPECT_EQ(shape(*iso, AcceleratorKind::FP16, false),
            std::make_pair(24u, 32u));
  EXPECT_EQ(shape(*iso, AcceleratorKind::FP16, true), std::make_pair(12u, 64u));
  EXPECT_EQ(shape(*iso, AcceleratorKind::OliVe, false),
            std::make_pair(32u, 36u));
  EXPECT_EQ(shape(*iso, AcceleratorKind::ANT, false), std::make_pair(36u, 32u));
  EXPECT_EQ(shape(*iso, AcceleratorKind::ANT, true), std::make_pair(18u, 64u));
  EXPECT_EQ(getAcceleratorNumPEs(*iso, AcceleratorKind::ANT), 1152u);

  // The Yosys-derived PE area (hw/synth/accel-rtl-area.json): 1376 FP16 PEs.
  auto rtl = fromKeyValue("pe_area_um2=2646.9,baseline_sizing=iso_area");
  ASSERT_TRUE(bool(rtl)) << llvm::toString(rtl.takeError());
  EXPECT_EQ(shape(*rtl, AcceleratorKind::FP16, false),
            std::make_pair(43u, 32u));
  EXPECT_EQ(getAcceleratorNumPEs(*rtl, AcceleratorKind::FP16), 1376u);
  EXPECT_NE(toJSONString(*rtl).find(R"("baseline_sizing": "iso_area")"),
            std::string::npos);
  auto back = parseAccelConfigJSON(toJSONString(*rtl));
  ASSERT_TRUE(bool(back));
  EXPECT_EQ(*back, *rtl);

  auto bad = parseAccelConfigJSON(R"({"baseline_sizing": "bigger"})");
  ASSERT_FALSE(bool(bad));
  EXPECT_EQ(llvm::toString(bad.takeError()),
            "accelerator config key 'baseline_sizing': unknown baseline "
            "sizing 'bigger' (expected paper or iso_area)");
  auto notString = parseAccelConfigJSON(R"({"baseline_sizing": 1})");
  ASSERT_FALSE(bool(notString));
  EXPECT_EQ(llvm::toString(notString.takeError()),
            "accelerator config key 'baseline_sizing': expected a string");
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
