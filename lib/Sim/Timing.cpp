//===- Timing.cpp - Cycle-level timing of an instruction stream -----------===//

#include "bitmod/Sim/Timing.h"

#include "bitmod/ISA/WeightBlock.h"
#include "bitmod/Sim/Baselines.h"
#include "bitmod/Sim/CostModel.h"
#include "bitmod/Sim/Datapath.h"
#include "bitmod/Support/Error.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>
#include <deque>

using namespace bitmod;
using namespace bitmod::arch;
using namespace bitmod::sim;
using bitmod::isa::Instruction;
using bitmod::isa::Opcode;
using bitmod::isa::Queue;
using llvm::Expected;

static uint64_t ceilDiv(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

Expected<ArrayArrangement>
sim::getConfigArrangement(const AccelConfig &cfg,
                          const isa::ConfigFields &config,
                          AcceleratorKind kind) {
  for (ArrayArrangement a :
       {ArrayArrangement::Discriminative, ArrayArrangement::Generative}) {
    ArrayShape s = getAcceleratorShape(cfg, kind, a);
    if (s.tokenLanes == config.tokenLanes &&
        s.channelLanes == config.channelLanes)
      return a;
  }
  ArrayShape d =
      getAcceleratorShape(cfg, kind, ArrayArrangement::Discriminative);
  ArrayShape g = getAcceleratorShape(cfg, kind, ArrayArrangement::Generative);
  return makeError(llvm::formatv(
      "CONFIG array {0}x{1} (token x channel lanes) is neither the "
      "discriminative {2}x{3} nor the generative {4}x{5} arrangement",
      config.tokenLanes, config.channelLanes, d.tokenLanes, d.channelLanes,
      g.tokenLanes, g.channelLanes));
}

Expected<MatMulPipeline> sim::getMatMulPipeline(const AccelConfig &cfg,
                                                const isa::ConfigFields &config,
                                                const isa::MatMulFields &mm,
                                                const TimingTarget &target) {
  auto arr = getConfigArrangement(cfg, config, target.kind);
  if (!arr)
    return arr.takeError();
  if (target.kind != AcceleratorKind::BitMoD) {
    ArrayShape s = getAcceleratorShape(cfg, target.kind, *arr);
    uint64_t passes =
        ceilDiv(mm.m, s.tokenLanes) * ceilDiv(mm.n, s.channelLanes);
    MatMulPipeline pl;
    pl.passCycles =
        getPassCycles(cfg, target.kind, uint64_t(mm.kGroups) * config.groupSize,
                      getBaselineWeightSpec(target.bitsPerWeight));
    pl.issueCycles = passes * pl.passCycles;
    pl.fillCycles = getFillCycles(cfg, target.kind, *arr);
    pl.drainCycles = getDrainCycles(cfg, target.kind, *arr);
    return pl;
  }
  auto terms = getTermsPerWeight(config.dtype);
  if (!terms)
    return terms.takeError();
  ArrayShape s = cfg.getArrayShape(*arr);
  uint64_t passes = ceilDiv(mm.m, s.tokenLanes) * ceilDiv(mm.n, s.channelLanes);
  uint64_t group = getGroupCycles(cfg, config.groupSize, *terms);
  MatMulPipeline pl;
  pl.issueCycles = passes * mm.kGroups * group;
  pl.passCycles = uint64_t(mm.kGroups) * group;
  pl.fillCycles = getFillCycles(cfg, AcceleratorKind::BitMoD, *arr);
  pl.drainCycles = getDrainCycles(cfg, AcceleratorKind::BitMoD, *arr);
  return pl;
}

Expected<uint64_t> sim::getMatMulCycles(const AccelConfig &cfg,
                                        const isa::ConfigFields &config,
                                        const isa::MatMulFields &mm) {
  auto pl = getMatMulPipeline(cfg, config, mm);
  if (!pl)
    return pl.takeError();
  return pl->getLatency();
}

uint64_t sim::getDmaBusCycles(const AccelConfig &cfg, uint64_t bytes,
                              unsigned portBits) {
  uint64_t rate = cfg.dramBytesPerCycle;
  if (portBits && portBits / 8 < rate)
    rate = std::max(1u, portBits / 8);
  return ceilDiv(bytes, rate);
}

namespace {
/// Token channels as in the ISA verifier: 0 load->compute, 1 compute->load,
/// 2 compute->store, 3 store->compute.
void tokenUse(const Instruction &inst, int pops[4], int pushes[4]) {
  for (int i = 0; i < 4; ++i)
    pops[i] = pushes[i] = 0;
  const isa::TokenFlags &t = inst.tokens;
  switch (inst.getQueue()) {
  case Queue::Load:
    pops[1] = t.popNext;
    pushes[0] = t.pushNext;
    break;
  case Queue::Compute:
    pops[0] = t.popPrev;
    pops[3] = t.popNext;
    pushes[1] = t.pushPrev;
    pushes[2] = t.pushNext;
    break;
  case Queue::Store:
    pops[2] = t.popPrev;
    pushes[3] = t.pushPrev;
    break;
  }
}
} // namespace

Expected<TimingResult>
sim::simulateTiming(const isa::Program &p, const AccelConfig &cfg,
                    const TimingTarget &target,
                    ArrayArrangement initialArrangement) {
  const AcceleratorKind kind = target.kind;
  const bool bitSerial = kind == AcceleratorKind::BitMoD;
  TimingResult r;
  size_t numInsts = p.instructions.size();
  r.insts.resize(numInsts);
  std::vector<int32_t> layerOf(numInsts, -1);
  for (size_t l = 0; l < p.layers.size(); ++l)
    for (uint32_t i = 0; i < p.layers[l].numInsts; ++i)
      layerOf[p.layers[l].firstInst + i] = int32_t(l);

  // Per-instruction duration model needs the CONFIG in effect (program
  // order), resolved up front.
  std::vector<int64_t> configOf(numInsts, -1);
  int64_t cur = -1;
  for (size_t i = 0; i < numInsts; ++i) {
    if (p.instructions[i].opcode == Opcode::Config)
      cur = int64_t(i);
    configOf[i] = cur;
  }

  // MATMUL pipelines (need the CONFIG in effect).
  std::vector<MatMulPipeline> pipes(numInsts);
  for (size_t i = 0; i < numInsts; ++i) {
    if (p.instructions[i].opcode != Opcode::MatMul)
      continue;
    if (configOf[i] < 0)
      return makeError("instruction " + llvm::Twine(i) +
                       " (matmul): no CONFIG before it");
    auto pl = getMatMulPipeline(cfg, p.instructions[configOf[i]].config,
                                p.instructions[i].matmul, target);
    if (!pl)
      return makeError("instruction " + llvm::Twine(i) +
                       " (matmul): " + llvm::toString(pl.takeError()));
    pipes[i] = *pl;
  }

  std::deque<size_t> queues[isa::kNumQueues];
  for (size_t i = 0; i < numInsts; ++i)
    queues[unsigned(p.instructions[i].getQueue())].push_back(i);

  std::vector<uint64_t> pushTimes[4];
  size_t popped[4] = {0, 0, 0, 0};
  uint64_t queueFree[isa::kNumQueues] = {0, 0, 0};
  uint64_t dramFree = 0;
  uint64_t matmulDone = 0; // completion of every MATMUL issued so far
  uint64_t arrayBusyUntil = 0;
  uint64_t numPEs = getAcceleratorNumPEs(cfg, kind);
  ArrayArrangement arrangement = initialArrangement;
  double usefulTermSteps = 0;

  auto layerAct = [&](size_t i) -> ActivityCounts * {
    return layerOf[i] >= 0 ? &r.layers[layerOf[i]].activity : nullptr;
  };
  r.layers.resize(p.layers.size());
  for (size_t l = 0; l < p.layers.size(); ++l) {
    r.layers[l].name = p.layers[l].name;
    r.layers[l].gemmM = p.layers[l].gemmM;
    r.layers[l].gemmN = p.layers[l].gemmN;
    r.layers[l].gemmK = p.layers[l].gemmK;
  }

  for (size_t done = 0; done < numInsts;) {
    // Pick the ready queue head with the earliest start.
    int best = -1;
    uint64_t bestStart = 0;
    for (unsigned q = 0; q < isa::kNumQueues; ++q) {
      if (queues[q].empty())
        continue;
      const Instruction &inst = p.instructions[queues[q].front()];
      int pops[4], pushes[4];
      tokenUse(inst, pops, pushes);
      bool ready = true;
      uint64_t start = queueFree[q];
      for (int c = 0; c < 4 && ready; ++c) {
        if (!pops[c])
          continue;
        if (popped[c] >= pushTimes[c].size())
          ready = false;
        else
          start = std::max(start, pushTimes[c][popped[c]]);
      }
      if (inst.opcode == Opcode::Halt)
        for (unsigned o = 0; o < isa::kNumQueues; ++o)
          ready &= o == q || queues[o].empty();
      if (Queue(q) == Queue::Compute) {
        if (inst.opcode != Opcode::MatMul) {
          start = std::max(start, matmulDone);
        } else if (inst.matmul.accumulate) {
          // The first old output is read after fill + one pass.
          const MatMulPipeline &pl = pipes[queues[q].front()];
          uint64_t lead = pl.fillCycles + pl.passCycles;
          if (matmulDone > lead)
            start = std::max(start, matmulDone - lead);
        }
      }
      if (!ready)
        continue;
      if (best < 0 || start < bestStart) {
        best = int(q);
        bestStart = start;
      }
    }
    if (best < 0)
      return makeError("timing: deadlock (no queue can make progress); run "
                       "the program verifier");
    size_t i = queues[best].front();
    queues[best].pop_front();
    const Instruction &inst = p.instructions[i];
    int pops[4], pushes[4];
    tokenUse(inst, pops, pushes);
    for (int c = 0; c < 4; ++c)
      popped[c] += pops[c];

    InstTiming &t = r.insts[i];
    t.queue = Queue(best);
    t.layer = layerOf[i];
    t.start = bestStart;
    ActivityCounts local;
    unsigned actPort = getActPortBits(cfg, kind, arrangement);
    unsigned wgtPort = getWgtPortBits(cfg, kind, arrangement);
    local.actPortBits = actPort;
    local.wgtPortBits = wgtPort;
    uint64_t duration = 0;
    switch (inst.opcode) {
    case Opcode::Config: {
      auto arr = getConfigArrangement(cfg, inst.config, kind);
      if (!arr)
        return makeError("instruction " + llvm::Twine(i) +
                         " (config): " + llvm::toString(arr.takeError()));
      arrangement = *arr;
      duration = 1;
      break;
    }
    case Opcode::LoadAct:
    case Opcode::LoadWgt:
    case Opcode::Store: {
      bool wgt = inst.opcode == Opcode::LoadWgt;
      uint64_t bytes = wgt ? inst.loadWgt.bytes
                           : uint64_t(inst.dma.rows) * inst.dma.rowBytes;
      uint64_t bus = getDmaBusCycles(cfg, bytes, wgt ? wgtPort : actPort);
      uint64_t busStart = std::max(t.start, dramFree);
      dramFree = busStart + bus;
      r.dramBusyCycles += bus;
      t.issueEnd = busStart + bus;
      t.end = busStart + bus + cfg.dramLatencyCycles;
      t.dramBytes = bytes;
      if (inst.opcode == Opcode::Store) {
        local.dramWriteBytes = bytes;
        local.actReads = ceilDiv(bytes * 8, actPort);
      } else {
        local.dramReadBytes = bytes;
        if (wgt)
          local.wgtWrites = ceilDiv(bytes * 8, wgtPort);
        else
          local.actWrites = ceilDiv(bytes * 8, actPort);
      }
      break;
    }
    case Opcode::MatMul: {
      const isa::MatMulFields &mm = inst.matmul;
      const isa::ConfigFields &config = p.instructions[configOf[i]].config;
      duration = pipes[i].getLatency();
      t.issueEnd = t.start + pipes[i].issueCycles;
      matmulDone = std::max(matmulDone, t.start + duration);
      ArrayShape s = getAcceleratorShape(cfg, kind, arrangement);
      uint64_t kPad = uint64_t(mm.kGroups) * config.groupSize;
      uint64_t blockBytes;
      if (bitSerial) {
        auto layout = isa::getWeightBlockLayout(config, mm.n, mm.kGroups);
        if (!layout)
          return layout.takeError();
        blockBytes = layout->totalBytes;
      } else {
        blockBytes = ceilDiv(
            uint64_t(std::ceil(
                double(mm.n) * double(kPad) * target.bitsPerWeight - 1e-6)),
            8);
      }
      uint64_t outElem = mm.outFormat == isa::OutFormat::F32 ? 4 : 2;
      uint64_t outBits = uint64_t(mm.m) * mm.n * outElem * 8;
      local.wgtReads =
          ceilDiv(ceilDiv(mm.m, s.tokenLanes) * blockBytes * 8, wgtPort);
      local.actReads =
          ceilDiv(ceilDiv(mm.n, s.channelLanes) * mm.m * kPad * 16, actPort) +
          (mm.accumulate ? ceilDiv(outBits, actPort) : 0);
      local.actWrites = ceilDiv(outBits, actPort);
      // The whole array is clocked from the first issue to the last
      // completion of a run of MATMULs: count the union of their intervals
      // (fill/drain overlapped by the next MATMUL are not counted twice).
      uint64_t busyFrom = std::max(t.start, arrayBusyUntil);
      local.peActiveCycles =
          numPEs *
          (t.start + duration > busyFrom ? t.start + duration - busyFrom : 0);
      arrayBusyUntil = std::max(arrayBusyUntil, t.start + duration);
      t.macs = uint64_t(mm.m) * mm.n * kPad;
      if (bitSerial) {
        auto terms = getTermsPerWeight(config.dtype);
        if (!terms)
          return terms.takeError();
        usefulTermSteps += double(t.macs) * *terms / cfg.dotProductWidth;
      } else {
        usefulTermSteps +=
            double(t.macs) / getBaselineSpec(kind).macsPerPEPerCycle;
      }
      break;
    }
    case Opcode::Sync:
    case Opcode::Halt:
      duration = 0;
      break;
    }
    if (inst.opcode != Opcode::LoadAct && inst.opcode != Opcode::LoadWgt &&
        inst.opcode != Opcode::Store)
      t.end = t.start + duration;
    if (inst.opcode != Opcode::LoadAct && inst.opcode != Opcode::LoadWgt &&
        inst.opcode != Opcode::Store && inst.opcode != Opcode::MatMul)
      t.issueEnd = t.end;
    queueFree[best] = t.issueEnd;
    r.queueBusyCycles[best] += t.issueEnd - t.start;
    for (int c = 0; c < 4; ++c)
      if (pushes[c])
        pushTimes[c].push_back(t.end);
    // Energy per instruction: port widths may change with the arrangement.
    EnergyBreakdown e = computeEnergy(cfg, kind, local);
    r.activity += local;
    r.energy += e;
    if (ActivityCounts *la = layerAct(i)) {
      *la += local;
      r.layers[layerOf[i]].energy += e;
    }
    r.totalCycles = std::max(r.totalCycles, t.end);
    r.macs += t.macs;
    ++done;
  }

  r.peUtilization =
      r.totalCycles ? usefulTermSteps / (double(numPEs) * r.totalCycles) : 0;
  for (size_t l = 0; l < p.layers.size(); ++l) {
    LayerTiming &lt = r.layers[l];
    const isa::LayerRange &lr = p.layers[l];
    bool first = true;
    for (uint32_t k = 0; k < lr.numInsts; ++k) {
      const InstTiming &t = r.insts[lr.firstInst + k];
      const Instruction &inst = p.instructions[lr.firstInst + k];
      lt.start = first ? t.start : std::min(lt.start, t.start);
      lt.end = first ? t.end : std::max(lt.end, t.end);
      first = false;
      lt.macs += t.macs;
      if (inst.opcode == Opcode::Store)
        lt.dramWriteBytes += t.dramBytes;
      else
        lt.dramReadBytes += t.dramBytes;
      if (inst.opcode == Opcode::MatMul)
        lt.peBusyCycles += t.issueEnd - t.start;
    }
    lt.cycles = lt.end - lt.start;
  }
  return r;
}
