//===- Baselines.cpp - Iso-area baseline accelerators ---------------------===//

#include "bitmod/Sim/Baselines.h"

#include "llvm/ADT/StringExtras.h"

#include <algorithm>
#include <cassert>

using namespace bitmod::arch;
using namespace bitmod::sim;

static const char *const kModelNames[kNumPaperModels] = {
    "opt-1.3b", "phi-2", "yi-6b", "llama-2-7b", "llama-2-13b", "llama-3-8b"};

llvm::StringRef bitmod::sim::getPaperModelName(PaperModel m) {
  return kModelNames[static_cast<unsigned>(m) % kNumPaperModels];
}

std::optional<PaperModel> bitmod::sim::parsePaperModel(llvm::StringRef name) {
  std::string n = name.lower();
  for (char &c : n)
    if (c == '_')
      c = '-';
  for (unsigned i = 0; i < kNumPaperModels; ++i)
    if (n == kModelNames[i])
      return static_cast<PaperModel>(i);
  return std::nullopt;
}

const BaselineSpec &bitmod::sim::getBaselineSpec(AcceleratorKind kind) {
  // REFERENCE.md "Accelerators": shapes quoted there as channels x tokens.
  static const BaselineSpec kFP16 = {
      AcceleratorKind::FP16,    "fp16", 24, 32, 12, 64, 1, 16.0,
      {16, 16, 16, 16, 16, 16}, 16.0};
  static const BaselineSpec kANT = {
      AcceleratorKind::ANT,    "ant", 32, 32, 16, 64, 1, 5.5,
      {5, 5, 5.25, 5, 5, 4.5}, 8.0};
  static const BaselineSpec kOliVe = {AcceleratorKind::OliVe,
                                      "olive",
                                      32,
                                      36,
                                      16,
                                      72,
                                      1,
                                      4.5,
                                      {3.875, 4, 4.25, 3.75, 3.75, 3.5},
                                      8.0};
  switch (kind) {
  case AcceleratorKind::FP16:
    return kFP16;
  case AcceleratorKind::ANT:
    return kANT;
  case AcceleratorKind::OliVe:
    return kOliVe;
  case AcceleratorKind::BitMoD:
    break;
  }
  assert(false && "BitMoD has no baseline spec; use AccelConfig");
  return kANT;
}

double bitmod::sim::getBaselineBitsPerWeight(AcceleratorKind kind,
                                             bool generative,
                                             std::optional<PaperModel> model) {
  const BaselineSpec &s = getBaselineSpec(kind);
  if (!generative || !model)
    return s.discBitsPerWeight;
  return s.genBitsPerWeight[static_cast<unsigned>(*model) % kNumPaperModels];
}

ArrayShape bitmod::sim::getAcceleratorShape(const AccelConfig &cfg,
                                            AcceleratorKind kind,
                                            ArrayArrangement arrangement) {
  if (kind == AcceleratorKind::BitMoD)
    return cfg.getArrayShape(arrangement);
  const BaselineSpec &s = getBaselineSpec(kind);
  ArrayShape shape;
  bool gen = arrangement == ArrayArrangement::Generative;
  shape.tokenLanes = gen ? s.genTokenLanes : s.discTokenLanes;
  shape.channelLanes = gen ? s.genChannelLanes : s.discChannelLanes;
  if (cfg.baselineSizing == BaselineSizing::IsoArea) {
    // Keep the paper's channel lanes (the width weights stream into) and
    // give the array as many token rows as the iso-area PE count fills.
    uint64_t pes = getIsoAreaNumPEs(cfg, kind);
    shape.tokenLanes =
        unsigned(std::max<uint64_t>(1, pes / shape.channelLanes));
  }
  // Bit-parallel arrays are modelled as one monolithic systolic grid.
  shape.gridRows = 1;
  shape.gridCols = 1;
  return shape;
}

uint64_t bitmod::sim::getAcceleratorNumPEs(const AccelConfig &cfg,
                                           AcceleratorKind kind) {
  if (kind == AcceleratorKind::BitMoD)
    return cfg.getNumPEs();
  ArrayShape s =
      getAcceleratorShape(cfg, kind, ArrayArrangement::Discriminative);
  return uint64_t(s.tokenLanes) * s.channelLanes;
}
