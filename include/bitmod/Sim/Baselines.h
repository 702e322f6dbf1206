//===- Baselines.h - Iso-area baseline accelerators -------------*- C++ -*-===//
//
// The comparison accelerators of the paper's Fig. 7/8 (REFERENCE.md table):
// same memory system (AccelConfig buffers, DRAM), iso compute area.
//   FP16 : 768 PEs, 32x24 disc / 64x12 gen (channels x tokens), 16-bit W
//   ANT  : 1024 PEs, 32x32 / 64x16, 5.5 bits/weight disc (per-model gen)
//   OliVe: 1152 PEs, 36x32 / 72x16, 4.5 bits/weight disc (per-model gen)
// All bit-parallel: 1 MAC per PE per cycle, per-channel weights (no group
// scales). BitMoD's own row is built from AccelConfig. With
// AccelConfig::baselineSizing = IsoArea the token lanes are re-derived from
// the iso-area PE count (getIsoAreaNumPEs) and the channel lanes kept.
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_SIM_BASELINES_H
#define BITMOD_SIM_BASELINES_H

#include "bitmod/Arch/AccelConfig.h"
#include "bitmod/Sim/Energy.h"

#include "llvm/ADT/StringRef.h"

#include <array>
#include <optional>

namespace bitmod {
namespace sim {

/// The paper's six models, in REFERENCE.md order.
enum class PaperModel : uint8_t {
  OPT_1_3B = 0,
  Phi2,
  Yi6B,
  Llama2_7B,
  Llama2_13B,
  Llama3_8B
};
constexpr unsigned kNumPaperModels = 6;
llvm::StringRef getPaperModelName(PaperModel m); // "opt-1.3b", "phi-2", ...
std::optional<PaperModel> parsePaperModel(llvm::StringRef name);

struct BaselineSpec {
  AcceleratorKind kind;
  llvm::StringRef name;
  /// Array lanes (tokens x channels, see AccelConfig.h orientation note).
  unsigned discTokenLanes, discChannelLanes;
  unsigned genTokenLanes, genChannelLanes;
  unsigned macsPerPEPerCycle;
  /// Average bits per weight (traffic), discriminative.
  double discBitsPerWeight;
  /// Average bits per weight, generative, per PaperModel.
  std::array<double, kNumPaperModels> genBitsPerWeight;
  /// Bits per K/V element when the accelerator runs QK^T / PV.
  double attentionOperandBits;

  unsigned getNumPEs() const { return discTokenLanes * discChannelLanes; }
};

/// Spec of FP16, ANT or OliVe (asserting on BitMoD: use AccelConfig).
const BaselineSpec &getBaselineSpec(AcceleratorKind kind);

/// Bits per weight a baseline uses for a model in a phase (generative =
/// per-model table, discriminative = the single figure).
double getBaselineBitsPerWeight(AcceleratorKind kind, bool generative,
                                std::optional<PaperModel> model);

/// Array shape of any accelerator for an arrangement. BitMoD: from cfg;
/// baselines: the table above, or iso-area sized (cfg.baselineSizing).
arch::ArrayShape getAcceleratorShape(const arch::AccelConfig &cfg,
                                     AcceleratorKind kind,
                                     arch::ArrayArrangement arrangement);

/// PEs of an accelerator (baselines: its discriminative array).
uint64_t getAcceleratorNumPEs(const arch::AccelConfig &cfg,
                              AcceleratorKind kind);

} // namespace sim
} // namespace bitmod

#endif // BITMOD_SIM_BASELINES_H
