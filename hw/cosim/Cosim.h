//===- Cosim.h - Verilator co-simulation of the BitMoD RTL ------*- C++ -*-===//
//
// Shared pieces of the co-simulation driver (hw/cosim): options, the random
// group generator (the distributions of unittests/Sim/DatapathTest.cpp:
// every code incl. negative zero, +-0, subnormal and largest-binade
// activations, random selectors, zero points, SV files and scales) and the
// two harnesses (PE level, tile level).
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_HW_COSIM_H
#define BITMOD_HW_COSIM_H

#include "bitmod/Quant/DataType.h"
#include "bitmod/Sim/Datapath.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace bitmod::cosim {

/// RTL parameters the models are verilated with (hw/CMakeLists.txt).
constexpr unsigned kAccBits = 96;
constexpr unsigned kScaleBits = 8;
constexpr unsigned kTileRows = 8, kTileCols = 8;

using Rng = std::mt19937_64;

struct CosimOptions {
  uint64_t vectors = 1000;
  unsigned seed = 1;
  unsigned maxGroup = 32; // PE level: group sizes 1..maxGroup
  bool verbose = false;
};

struct Stats {
  uint64_t vectors = 0;
  uint64_t mismatches = 0;
  uint64_t cycleMismatches = 0;
};

/// One random group of one output channel.
struct Group {
  unsigned count = 0;
  std::vector<uint16_t> act;
  std::vector<uint8_t> codes;
  unsigned selector = 0;
  unsigned zeroPoint = 0;
  int32_t scale = 0; // IntCode 0..2^kScaleBits-1, MX exponent -128..127
  sim::SpecialValueFile sv;
};

uint16_t randomAct(Rng &rng);
/// A random SV register file (half the time the paper's values).
sim::SpecialValueFile randomSV(Rng &rng, quant::DataType t);
int32_t randomScale(Rng &rng, quant::DataType t);
Group randomGroup(Rng &rng, quant::DataType t, unsigned maxCount);

uint32_t floatBits(float f);
std::string toString(__int128 v);
/// The types the PE runs (every DataType but fp16).
std::vector<quant::DataType> peTypes();

bool runPECosim(const CosimOptions &opt, quant::DataType t, Stats &st);
bool runTileCosim(const CosimOptions &opt, quant::DataType t, Stats &st);

} // namespace bitmod::cosim

#endif // BITMOD_HW_COSIM_H
