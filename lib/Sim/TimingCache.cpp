//===- TimingCache.cpp - Layer-by-layer timing with memoization -----------===//

#include "bitmod/Sim/TimingCache.h"

#include "bitmod/Support/Error.h"

#include "llvm/ADT/Twine.h"

using namespace bitmod;
using namespace bitmod::sim;
using ::bitmod::makeError;
using llvm::Error;
using llvm::Expected;

/// The cache key of a layer: its encoded instructions with the DRAM
/// addresses cleared (the timing model does not read them).
static std::string getLayerKey(const isa::Program &p,
                               const isa::LayerRange &l) {
  std::string key;
  key.reserve(size_t(l.numInsts) * isa::kInstructionBytes);
  for (uint32_t i = 0; i < l.numInsts; ++i) {
    isa::Instruction inst = p.instructions[l.firstInst + i];
    inst.dma.dramAddr = 0;
    inst.loadWgt.dramAddr = 0;
    isa::EncodedInstruction enc = isa::encode(inst);
    key.append(reinterpret_cast<const char *>(enc.data()), enc.size());
  }
  return key;
}

/// The layer as a program of its own (its instructions + HALT); the timing
/// model needs neither weights nor symbols.
static isa::Program getLayerProgram(const isa::Program &p,
                                    const isa::LayerRange &l) {
  isa::Program sub;
  sub.instructions.assign(p.instructions.begin() + l.firstInst,
                          p.instructions.begin() + l.firstInst + l.numInsts);
  isa::Instruction halt;
  halt.opcode = isa::Opcode::Halt;
  sub.instructions.push_back(halt);
  isa::LayerRange range = l;
  range.firstInst = 0;
  sub.layers.push_back(range);
  return sub;
}

Expected<TimingResult> sim::simulateTimingByLayer(const isa::Program &p,
                                                  const arch::AccelConfig &cfg,
                                                  LayerTimingCache &cache,
                                                  uint64_t repeat) {
  if (p.layers.empty())
    return makeError("layer-by-layer timing needs a program with layers");
  uint64_t covered = 0;
  for (size_t l = 0; l < p.layers.size(); ++l) {
    if (p.layers[l].firstInst != covered)
      return makeError(llvm::Twine("layer-by-layer timing: instruction ") +
                       llvm::Twine(covered) + " is outside every layer");
    covered += p.layers[l].numInsts;
  }
  if (covered + 1 < p.instructions.size() ||
      (covered < p.instructions.size() &&
       p.instructions[covered].opcode != isa::Opcode::Halt))
    return makeError(llvm::Twine("layer-by-layer timing: instruction ") +
                     llvm::Twine(covered) + " is outside every layer");

  // The standalone timing of every layer, simulated once per key. The key
  // includes the arrangement the layer starts with (the previous layer's
  // last CONFIG): it sets the port widths of what runs before the layer's
  // own CONFIG. A repeated run starts with the last layer's.
  auto arrangementAfter =
      [&](const isa::LayerRange &l,
          arch::ArrayArrangement a) -> Expected<arch::ArrayArrangement> {
    for (uint32_t i = 0; i < l.numInsts; ++i)
      if (p.instructions[l.firstInst + i].opcode == isa::Opcode::Config) {
        auto next =
            getConfigArrangement(cfg, p.instructions[l.firstInst + i].config);
        if (!next)
          return next.takeError();
        a = *next;
      }
    return a;
  };
  size_t numLayers = p.layers.size();
  // Entry l: layer l of the first run; entry numLayers + l: of later runs
  // (they can start with another arrangement only at layer 0).
  std::vector<const TimingResult *> layerTiming(2 * numLayers);
  arch::ArrayArrangement start = arch::ArrayArrangement::Discriminative;
  for (size_t e = 0; e < layerTiming.size(); ++e) {
    size_t l = e % numLayers;
    if (e >= numLayers && repeat < 2)
      break;
    std::string key = getLayerKey(p, p.layers[l]);
    key.push_back(char(start));
    auto after = arrangementAfter(p.layers[l], start);
    if (!after)
      return after.takeError();
    auto [it, inserted] = cache.entries.try_emplace(key);
    arch::ArrayArrangement layerStart = start;
    start = *after;
    if (inserted) {
      ++cache.misses;
      auto t = simulateTiming(getLayerProgram(p, p.layers[l]), cfg, TimingTarget(), layerStart);
      if (!t) {
        cache.entries.erase(it);
        return makeError("layer '" + p.layers[l].name +
                         "': " + llvm::toString(t.takeError()));
      }
      t->insts.clear(); // only the totals and the layer entry are kept
      it->second = std::move(*t);
    } else {
      ++cache.hits;
    }
    layerTiming[e] = &it->second;
  }

  TimingResult r;
  r.layers.reserve(size_t(repeat) * p.layers.size());
  double usefulPESteps = 0;
  double numPEs = double(cfg.getNumPEs());
  for (uint64_t run = 0; run < repeat; ++run)
    for (size_t l = 0; l < p.layers.size(); ++l) {
      const TimingResult &t = *layerTiming[run ? numLayers + l : l];
      LayerTiming lt = t.layers[0];
      lt.name = p.layers[l].name;
      lt.start += r.totalCycles;
      lt.end += r.totalCycles;
      r.layers.push_back(std::move(lt));
      r.totalCycles += t.totalCycles;
      for (unsigned q = 0; q < isa::kNumQueues; ++q)
        r.queueBusyCycles[q] += t.queueBusyCycles[q];
      r.dramBusyCycles += t.dramBusyCycles;
      r.macs += t.macs;
      r.activity += t.activity;
      r.energy += t.energy;
      usefulPESteps += t.peUtilization * numPEs * double(t.totalCycles);
    }
  r.peUtilization =
      r.totalCycles ? usefulPESteps / (numPEs * double(r.totalCycles)) : 0.0;
  return r;
}
