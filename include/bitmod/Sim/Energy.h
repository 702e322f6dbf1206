//===- Energy.h - Energy constants and breakdown ----------------*- C++ -*-===//
//
// One table of energy constants (sources: REFERENCE.md, i.e. the authors'
// evaluation setup) and the energy of a run from its activity counts.
//
//  * PE energy per PE per active cycle, scaled by the place-and-route
//    factor (1.5, as the authors do): FP16 0.77, ANT 0.56, OliVe 0.613,
//    BitMoD 0.56 pJ (BitMoD's value comes from AccelConfig::pePJPerCycle).
//  * SRAM: pJ per full-width access of a 512 KB 8-bank buffer (CACTI 7,
//    28 nm) by port width; a port width between table rows uses the next
//    wider row, a port wider than the widest row is split into several
//    accesses of the widest row.
//  * DRAM: 18.75 pJ per bit read or written (1200 pJ / 64 bit).
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_SIM_ENERGY_H
#define BITMOD_SIM_ENERGY_H

#include "bitmod/Arch/AccelConfig.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>

namespace bitmod {
namespace sim {

enum class AcceleratorKind : uint8_t { BitMoD = 0, FP16, ANT, OliVe };

llvm::StringRef getAcceleratorName(AcceleratorKind kind); // "bitmod", ...
std::optional<AcceleratorKind> parseAcceleratorKind(llvm::StringRef name);

/// One row of the PE constants table.
struct PEConstants {
  AcceleratorKind kind;
  llvm::StringRef name;
  double pePJPerCycle; // before place and route
  double peAreaUM2;    // before place and route
  llvm::StringRef source;
};

/// The table (REFERENCE.md "Accelerators").
llvm::ArrayRef<PEConstants> getPEConstantsTable();
const PEConstants &getPEConstants(AcceleratorKind kind);

/// PE area before place and route (um^2): cfg.peAreaUM2 for BitMoD (the
/// paper's figure, or the synthesized one of docs/rtl.md), the table's for
/// the baselines.
double getPEAreaUM2(const arch::AccelConfig &cfg, AcceleratorKind kind);
/// PEs of `kind` that fit the compute area of cfg's BitMoD array
/// (cfg.getNumPEs() x cfg.peAreaUM2), rounded down: the iso-area count.
uint64_t getIsoAreaNumPEs(const arch::AccelConfig &cfg, AcceleratorKind kind);

/// PE energy per PE per cycle including the place-and-route factor. For
/// BitMoD the value is cfg.pePJPerCycle, for baselines the table's.
double getPEEnergyPJ(const arch::AccelConfig &cfg, AcceleratorKind kind);

/// Energy of one logical access of `portBits` through the SRAM table.
struct SramAccessEnergy {
  unsigned tableBits = 0;   // table row used
  unsigned accessesPer = 1; // physical accesses per logical access
  double readPJ = 0;        // per logical access
  double writePJ = 0;       // per logical access
};
SramAccessEnergy lookupSramEnergy(const arch::AccelConfig &cfg,
                                  unsigned portBits);

/// Activity counts of a run (one GEMM, a layer, a whole model).
struct ActivityCounts {
  uint64_t peActiveCycles = 0; // PE-cycles: sum over PEs of busy cycles
  unsigned actPortBits = 0;    // activation buffer port width
  unsigned wgtPortBits = 0;    // weight buffer port width
  uint64_t actReads = 0, actWrites = 0; // accesses at actPortBits
  uint64_t wgtReads = 0, wgtWrites = 0; // accesses at wgtPortBits
  uint64_t dramReadBytes = 0, dramWriteBytes = 0;

  uint64_t getSramAccesses() const {
    return actReads + actWrites + wgtReads + wgtWrites;
  }
  /// Adds counts; port widths must match or be unset (0) on one side.
  ActivityCounts &operator+=(const ActivityCounts &o);
};

/// Energy in pJ.
struct EnergyBreakdown {
  double dramPJ = 0;
  double actBufferPJ = 0; // activation buffer reads + writes
  double wgtBufferPJ = 0; // weight buffer reads + writes
  double corePJ = 0;      // PE array
  double getBufferPJ() const { return actBufferPJ + wgtBufferPJ; }
  double getTotalPJ() const { return dramPJ + getBufferPJ() + corePJ; }
  EnergyBreakdown &operator+=(const EnergyBreakdown &o);
};

EnergyBreakdown computeEnergy(const arch::AccelConfig &cfg,
                              AcceleratorKind kind,
                              const ActivityCounts &counts);

} // namespace sim
} // namespace bitmod

#endif // BITMOD_SIM_ENERGY_H
