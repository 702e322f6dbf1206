//===- AccelConfig.h - BitMoD accelerator parameters ------------*- C++ -*-===//
//
// Every parameter of the BitMoD accelerator model (DESIGN.md "Accelerator
// model", REFERENCE.md). Defaults reproduce the paper's evaluation setup.
// Plain C++ (LLVM Support only). docs/simulator.md is the long form.
//
// Array orientation. The PE array is output stationary: a PE row holds one
// token (the activation is broadcast along the row), a PE column holds one
// output channel (the weight terms are broadcast along the column and the
// column's accumulator adds the dequantized group partial sums). So
//   tokenLanes   = gridRows * tileRows   (PE rows)
//   channelLanes = gridCols * tileCols   (PE columns)
// REFERENCE.md quotes shapes as "channels x tokens" (the authors' script
// calls channels rows): its 64x16 generative arrangement is 16 token lanes x
// 64 channel lanes here (gen grid 2x8 tiles).
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_ARCH_ACCELCONFIG_H
#define BITMOD_ARCH_ACCELCONFIG_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bitmod {
namespace arch {

/// Tile arrangement of the array. Discriminative (prefill) and generative
/// (decode) use different grids of the same tiles; Auto lets the cost model
/// pick the cheaper one per GEMM (selectArrangement() in CostModel.h).
enum class ArrayArrangement : uint8_t { Discriminative = 0, Generative, Auto };

llvm::StringRef getArrangementName(ArrayArrangement a); // "disc"/"gen"/"auto"
std::optional<ArrayArrangement> parseArrangement(llvm::StringRef name);

/// How the baseline accelerators (FP16, ANT, OliVe) of a comparison are
/// sized. Paper: the REFERENCE.md arrays (768 / 1024 / 1152 PEs). IsoArea:
/// as many PEs as fit the compute area of this BitMoD array (num PEs x
/// pe_area_um2) at each baseline's PE area, so a synthesized pe_area_um2
/// (hw/synth/accel-rtl-area.json) re-sizes the baselines.
enum class BaselineSizing : uint8_t { Paper = 0, IsoArea };

llvm::StringRef getBaselineSizingName(BaselineSizing s); // "paper"/"iso_area"
std::optional<BaselineSizing> parseBaselineSizing(llvm::StringRef name);

/// Concrete lanes of one arrangement.
struct ArrayShape {
  unsigned gridRows = 0;     // tiles along the token dimension
  unsigned gridCols = 0;     // tiles along the channel dimension
  unsigned tokenLanes = 0;   // PE rows = gridRows * tileRows
  unsigned channelLanes = 0; // PE columns = gridCols * tileCols
};

/// One row of the SRAM energy table (CACTI 7, 28 nm, 512 KB, 8 banks).
struct SramEnergyEntry {
  unsigned portBits = 0;
  double readPJ = 0;  // energy of one full-width read access
  double writePJ = 0; // energy of one full-width write access
  double areaMM2 = 0;
};

/// The paper's SRAM table (REFERENCE.md "Memory"), ascending port width.
const std::vector<SramEnergyEntry> &getPaperSramTable();

struct AccelConfig {
  //--- PE array ------------------------------------------------------------
  unsigned numTiles = 16;
  unsigned tileRows = 8;                       // PEs per tile along tokens
  unsigned tileCols = 8;                       // PEs per tile along channels
  unsigned discGridRows = 4, discGridCols = 4; // 32 tokens x 32 channels
  unsigned genGridRows = 2, genGridCols = 8;   // 16 tokens x 64 channels
  ArrayArrangement arrangement = ArrayArrangement::Auto;
  /// Terms x activations multiplied and added per PE per cycle.
  unsigned dotProductWidth = 4;
  double frequencyGHz = 1.0;

  //--- Numerics (documentation of the fixed datapath; validated) ----------
  unsigned actMantissaBits = 11; // FP16 mantissa incl. hidden bit
  unsigned guardBits = 3;        // alignment shifter extra bits (RNE)
  unsigned scaleBits = 8;        // INT8 group scale, 1 bit per dequant cycle
  unsigned selectorBits = 2;     // bitmod3/4 special-value selector
  unsigned svRegisterEntries = 4;

  //--- On-chip buffers -----------------------------------------------------
  uint64_t actBufferBytes = 512 * 1024; // activations and outputs
  uint64_t wgtBufferBytes = 512 * 1024; // codes, scales, selectors
  unsigned actBufferBanks = 8;
  unsigned wgtBufferBanks = 8;
  unsigned bufferReadPorts = 1;
  unsigned bufferWritePorts = 1;

  //--- DRAM ----------------------------------------------------------------
  /// DDR4, 128-bit bus, double data rate at 1 GHz: 32 B/cycle.
  unsigned dramBytesPerCycle = 32;
  /// First-beat latency of a DRAM request (not in the paper; a typical
  /// DDR4 row miss ~ 100 ns at 1 GHz). Charged once per exposed transfer.
  unsigned dramLatencyCycles = 100;

  //--- Energy (REFERENCE.md; see Energy.h for the per-accelerator table) ---
  double pePJPerCycle = 0.56; // BitMoD PE, before place and route
  /// BitMoD PE area before place and route (um^2): the paper's 1507.7, or
  /// the project's Yosys figure (hw/synth/accel-rtl-area.json, docs/rtl.md).
  double peAreaUM2 = 1507.7;
  double placeRouteFactor = 1.5; // authors scale PE energy/area by 1.5
  /// Array sizes of the baselines compared against (Baselines.h).
  BaselineSizing baselineSizing = BaselineSizing::Paper;
  double dramPJPerBit = 18.75; // 1200 pJ / 64 bit, read and write
  std::vector<SramEnergyEntry> sramTable = getPaperSramTable();

  //--- Derived -------------------------------------------------------------
  unsigned getNumPEs() const { return numTiles * tileRows * tileCols; }
  /// Lanes of a concrete arrangement (Auto is treated as Discriminative).
  ArrayShape getArrayShape(ArrayArrangement a) const;
  /// Shape of `arrangement` (Auto -> Discriminative).
  ArrayShape getArrayShape() const { return getArrayShape(arrangement); }

  /// Checks ranges and consistency (grids use exactly numTiles tiles,
  /// positive sizes, sorted SRAM table, ...). The error names the key.
  llvm::Error validate() const;

  bool operator==(const AccelConfig &o) const;
  bool operator!=(const AccelConfig &o) const { return !(*this == o); }
};

/// JSON with one key per field (snake_case names as listed in
/// docs/simulator.md, e.g. "tile_rows", "dram_bytes_per_cycle",
/// "sram_table": [{"port_bits":..,"read_pj":..,"write_pj":..,"area_mm2":..}]).
/// Missing keys keep their defaults; unknown keys and bad values are errors
/// naming the key. The result is validated.
llvm::Expected<AccelConfig> parseAccelConfigJSON(llvm::StringRef text);
llvm::Expected<AccelConfig> accelConfigFromJSON(const llvm::json::Value &v);
llvm::json::Value toJSON(const AccelConfig &cfg);
/// Pretty-printed JSON of every field.
std::string toJSONString(const AccelConfig &cfg);
llvm::Expected<AccelConfig> loadAccelConfig(llvm::StringRef path);
llvm::Error saveAccelConfig(const AccelConfig &cfg, llvm::StringRef path);

/// Applies "key=value,key=value" (pass-option syntax) on top of `cfg`. Keys
/// are the JSON keys; '-' and '_' are interchangeable, and the aliases
/// rows/cols (tile_rows/tile_cols), tiles (num_tiles), freq (frequency_ghz)
/// are accepted. Grids are also accepted as "disc_grid=4x4", "gen_grid=2x8".
/// sram_table cannot be set this way. The result is validated.
llvm::Error applyKeyValueOptions(AccelConfig &cfg, llvm::StringRef options);
/// applyKeyValueOptions() on the paper defaults.
llvm::Expected<AccelConfig> fromKeyValue(llvm::StringRef options);

} // namespace arch
} // namespace bitmod

#endif // BITMOD_ARCH_ACCELCONFIG_H
