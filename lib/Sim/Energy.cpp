//===- Energy.cpp - Energy constants and breakdown ------------------------===//

#include "bitmod/Sim/Energy.h"

#include "llvm/ADT/StringExtras.h"

#include <cassert>
#include <cmath>

using namespace bitmod::arch;
using namespace bitmod::sim;

llvm::StringRef bitmod::sim::getAcceleratorName(AcceleratorKind kind) {
  switch (kind) {
  case AcceleratorKind::BitMoD:
    return "bitmod";
  case AcceleratorKind::FP16:
    return "fp16";
  case AcceleratorKind::ANT:
    return "ant";
  case AcceleratorKind::OliVe:
    return "olive";
  }
  return "bitmod";
}

std::optional<AcceleratorKind>
bitmod::sim::parseAcceleratorKind(llvm::StringRef name) {
  std::string n = name.lower();
  if (n == "bitmod")
    return AcceleratorKind::BitMoD;
  if (n == "fp16")
    return AcceleratorKind::FP16;
  if (n == "ant")
    return AcceleratorKind::ANT;
  if (n == "olive")
    return AcceleratorKind::OliVe;
  return std::nullopt;
}

llvm::ArrayRef<PEConstants> bitmod::sim::getPEConstantsTable() {
  static const PEConstants table[] = {
      {AcceleratorKind::BitMoD, "bitmod", 0.56, 1507.7,
       "REFERENCE.md Accelerators table (authors' evaluation setup)"},
      {AcceleratorKind::FP16, "fp16", 0.77, 1968.7,
       "REFERENCE.md Accelerators table (authors' evaluation setup)"},
      {AcceleratorKind::ANT, "ant", 0.56, 1318.6,
       "REFERENCE.md Accelerators table (authors' evaluation setup)"},
      {AcceleratorKind::OliVe, "olive", 0.613, 1318.6,
       "REFERENCE.md Accelerators table (authors' evaluation setup)"},
  };
  return table;
}

const PEConstants &bitmod::sim::getPEConstants(AcceleratorKind kind) {
  for (const PEConstants &c : getPEConstantsTable())
    if (c.kind == kind)
      return c;
  return getPEConstantsTable().front();
}

double bitmod::sim::getPEAreaUM2(const AccelConfig &cfg, AcceleratorKind kind) {
  return kind == AcceleratorKind::BitMoD ? cfg.peAreaUM2
                                         : getPEConstants(kind).peAreaUM2;
}

uint64_t bitmod::sim::getIsoAreaNumPEs(const AccelConfig &cfg,
                                       AcceleratorKind kind) {
  double area = double(cfg.getNumPEs()) * cfg.peAreaUM2;
  return uint64_t(std::floor(area / getPEAreaUM2(cfg, kind) + 1e-9));
}

double bitmod::sim::getPEEnergyPJ(const AccelConfig &cfg,
                                  AcceleratorKind kind) {
  double base = kind == AcceleratorKind::BitMoD
                    ? cfg.pePJPerCycle
                    : getPEConstants(kind).pePJPerCycle;
  return base * cfg.placeRouteFactor;
}

SramAccessEnergy bitmod::sim::lookupSramEnergy(const AccelConfig &cfg,
                                               unsigned portBits) {
  SramAccessEnergy r;
  if (cfg.sramTable.empty() || portBits == 0)
    return r;
  for (const SramEnergyEntry &e : cfg.sramTable)
    if (e.portBits >= portBits) {
      r.tableBits = e.portBits;
      r.readPJ = e.readPJ;
      r.writePJ = e.writePJ;
      return r;
    }
  // Wider than the widest row: several accesses of the widest row.
  const SramEnergyEntry &w = cfg.sramTable.back();
  r.tableBits = w.portBits;
  r.accessesPer = (portBits + w.portBits - 1) / w.portBits;
  r.readPJ = w.readPJ * r.accessesPer;
  r.writePJ = w.writePJ * r.accessesPer;
  return r;
}

ActivityCounts &ActivityCounts::operator+=(const ActivityCounts &o) {
  auto mergePort = [](unsigned &a, unsigned b) {
    if (a == 0)
      a = b;
    else if (b != 0 && a != b)
      a = ~0u; // mixed widths: only the summed EnergyBreakdown is meaningful
  };
  mergePort(actPortBits, o.actPortBits);
  mergePort(wgtPortBits, o.wgtPortBits);
  peActiveCycles += o.peActiveCycles;
  actReads += o.actReads;
  actWrites += o.actWrites;
  wgtReads += o.wgtReads;
  wgtWrites += o.wgtWrites;
  dramReadBytes += o.dramReadBytes;
  dramWriteBytes += o.dramWriteBytes;
  return *this;
}

EnergyBreakdown &EnergyBreakdown::operator+=(const EnergyBreakdown &o) {
  dramPJ += o.dramPJ;
  actBufferPJ += o.actBufferPJ;
  wgtBufferPJ += o.wgtBufferPJ;
  corePJ += o.corePJ;
  return *this;
}

EnergyBreakdown bitmod::sim::computeEnergy(const AccelConfig &cfg,
                                           AcceleratorKind kind,
                                           const ActivityCounts &c) {
  EnergyBreakdown e;
  e.dramPJ =
      double(c.dramReadBytes + c.dramWriteBytes) * 8.0 * cfg.dramPJPerBit;
  SramAccessEnergy act = lookupSramEnergy(cfg, c.actPortBits);
  SramAccessEnergy wgt = lookupSramEnergy(cfg, c.wgtPortBits);
  e.actBufferPJ =
      double(c.actReads) * act.readPJ + double(c.actWrites) * act.writePJ;
  e.wgtBufferPJ =
      double(c.wgtReads) * wgt.readPJ + double(c.wgtWrites) * wgt.writePJ;
  e.corePJ = double(c.peActiveCycles) * getPEEnergyPJ(cfg, kind);
  return e;
}
