//===- Session.cpp - BitMoD model runtime session
//--------------------------===//

#include "bitmod/Runtime/Session.h"

#include "bitmod/Sim/Executor.h"
#include "bitmod/Support/Error.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"

#include <algorithm>
#include <cstring>

using namespace bitmod;
using namespace bitmod::rt;
using llvm::Error;
using llvm::Expected;

static uint64_t alignTo64(uint64_t v) { return (v + 63) & ~uint64_t(63); }

Expected<isa::Program> rt::extractLayerProgram(const isa::Program &p,
                                               size_t layerIndex) {
  if (layerIndex >= p.layers.size())
    return makeError(llvm::formatv("no layer #{0}", layerIndex));
  const isa::LayerRange &layer = p.layers[layerIndex];
  const isa::Symbol *x = p.findSymbol(layer.name + ".x");
  const isa::Symbol *y = p.findSymbol(layer.name + ".y");
  if (!x || x->kind != isa::SymbolKind::Input || !y ||
      y->kind != isa::SymbolKind::Output)
    return makeError("layer '" + layer.name + "' has no input symbol '" +
                     layer.name + ".x' and output symbol '" + layer.name +
                     ".y'");

  isa::Program sub;
  sub.actBufferBytes = p.actBufferBytes;
  sub.wgtBufferBytes = p.wgtBufferBytes;
  sub.accelConfig = p.accelConfig;
  // The CONFIG in effect when the layer starts (a layer normally begins with
  // its own CONFIG; if not, carry the previous one over).
  const isa::Instruction *config = nullptr;
  for (uint32_t i = 0; i < layer.firstInst; ++i)
    if (p.instructions[i].opcode == isa::Opcode::Config)
      config = &p.instructions[i];
  bool ownConfig = false;
  uint64_t lo = UINT64_MAX, hi = 0;
  for (uint32_t i = 0; i < layer.numInsts; ++i) {
    const isa::Instruction &inst = p.instructions[layer.firstInst + i];
    if (inst.opcode == isa::Opcode::Config)
      ownConfig = true;
    if (inst.opcode == isa::Opcode::LoadWgt) {
      lo = std::min(lo, inst.loadWgt.dramAddr);
      hi = std::max(hi, inst.loadWgt.dramAddr + inst.loadWgt.bytes);
    }
  }
  if (lo == UINT64_MAX)
    lo = hi = p.weightBase;
  if (lo < p.weightBase || hi > p.weightBase + p.weights.size())
    return makeError("layer '" + layer.name +
                     "' loads weights outside the weight blob");
  sub.weightBase = 0;
  sub.weights.assign(p.weights.begin() + (lo - p.weightBase),
                     p.weights.begin() + (hi - p.weightBase));
  uint64_t xAddr = alignTo64(sub.weights.size());
  uint64_t yAddr = alignTo64(xAddr + x->bytes);
  sub.dramSize = alignTo64(yAddr + y->bytes);

  // Rebases a DMA range [addr, addr + extent) that must lie in `s`.
  auto rebase = [&](uint64_t addr, uint64_t extent, uint64_t &out) -> bool {
    for (auto [s, base] : {std::pair(x, xAddr), std::pair(y, yAddr)})
      if (addr >= s->dramAddr && addr + extent <= s->dramAddr + s->bytes) {
        out = addr - s->dramAddr + base;
        return true;
      }
    return false;
  };
  if (config && !ownConfig)
    sub.instructions.push_back(*config);
  for (uint32_t i = 0; i < layer.numInsts; ++i) {
    isa::Instruction inst = p.instructions[layer.firstInst + i];
    switch (inst.opcode) {
    case isa::Opcode::Halt:
      continue;
    case isa::Opcode::LoadWgt:
      inst.loadWgt.dramAddr -= lo;
      break;
    case isa::Opcode::LoadAct:
    case isa::Opcode::Store: {
      const isa::DmaFields &d = inst.dma;
      uint64_t extent =
          d.rows ? uint64_t(d.rows - 1) * d.dramStride + d.rowBytes : 0;
      if (!rebase(d.dramAddr, extent, inst.dma.dramAddr))
        return makeError(llvm::formatv(
            "layer '{0}': instruction {1} accesses DRAM outside the layer's "
            "input and output tensors",
            layer.name, layer.firstInst + i));
      break;
    }
    default:
      break;
    }
    sub.instructions.push_back(inst);
  }
  isa::LayerRange subLayer = layer;
  subLayer.firstInst = 0;
  subLayer.numInsts = uint32_t(sub.instructions.size());
  sub.layers.push_back(subLayer);
  isa::Instruction halt;
  halt.opcode = isa::Opcode::Halt;
  sub.instructions.push_back(halt);
  isa::Symbol xs = *x, ys = *y;
  xs.dramAddr = xAddr;
  ys.dramAddr = yAddr;
  sub.symbols = {xs, ys};
  if (Error e = isa::verifyProgram(sub))
    return makeError(
        "layer '" + layer.name +
        "' is not a self-contained program: " + llvm::toString(std::move(e)));
  return sub;
}

Session::Session() = default;

Expected<std::unique_ptr<Session>>
Session::create(llvm::ArrayRef<uint8_t> bmod) {
  auto s = std::make_unique<Session>();
  llvm::MemoryBufferRef ref(
      llvm::StringRef(reinterpret_cast<const char *>(bmod.data()), bmod.size()),
      "embedded program");
  auto p = isa::readBmod(ref);
  if (!p)
    return p.takeError();
  auto cfg = sim::getProgramAccelConfig(*p);
  if (!cfg)
    return cfg.takeError();
  s->cfg = *cfg;
  s->program = std::move(*p);
  for (size_t i = 0; i < s->program->layers.size(); ++i)
    s->layerByName.try_emplace(s->program->layers[i].name, i);
  s->layerPrograms.resize(s->program->layers.size());
  s->executed.accelConfig = s->program->accelConfig;
  return s;
}

Error Session::launch(llvm::StringRef layer, const float *input,
                      int64_t inputElements, float *output,
                      int64_t outputElements) {
  if (!program)
    return makeError("launch of '" + layer +
                     "' but the model has no accelerator program");
  auto it = layerByName.find(layer);
  if (it == layerByName.end())
    return makeError("the accelerator program has no layer '" + layer + "'");
  size_t index = it->second;
  std::optional<isa::Program> &sub = layerPrograms[index];
  if (!sub) {
    auto extracted = extractLayerProgram(*program, index);
    if (!extracted)
      return extracted.takeError();
    sub = std::move(*extracted);
  }
  const isa::Symbol &xs = sub->symbols[0], &ys = sub->symbols[1];
  if (inputElements != xs.getNumElements() ||
      outputElements != ys.getNumElements())
    return makeError(llvm::formatv(
        "launch of '{0}' with {1} input / {2} output elements, the layer "
        "needs {3} / {4}",
        layer, inputElements, outputElements, xs.getNumElements(),
        ys.getNumElements()));
  llvm::StringMap<std::vector<float>> inputs;
  inputs[xs.name] = std::vector<float>(input, input + inputElements);
  auto r = sim::execute(*sub, cfg, inputs);
  if (!r)
    return makeError("layer '" + layer + "': " + llvm::toString(r.takeError()));
  const std::vector<float> &y = r->outputs[ys.name];
  std::copy(y.begin(), y.end(), output);

  // Merge the timing, shifted to start where the previous launch ended.
  const sim::TimingResult &t = r->timing;
  uint64_t offset = timing.totalCycles;
  uint32_t firstInst = uint32_t(executed.instructions.size());
  size_t numInsts = sub->instructions.size() - 1; // without the HALT
  for (size_t i = 0; i < numInsts; ++i) {
    sim::InstTiming it = t.insts[i];
    it.start += offset;
    it.end += offset;
    it.issueEnd += offset;
    it.layer = it.layer >= 0 ? int32_t(executed.layers.size()) : -1;
    timing.insts.push_back(it);
    executed.instructions.push_back(sub->instructions[i]);
  }
  isa::LayerRange range = sub->layers[0];
  range.firstInst = firstInst;
  range.numInsts = uint32_t(numInsts);
  executed.layers.push_back(range);
  sim::LayerTiming lt = t.layers[0];
  lt.start += offset;
  lt.end += offset;
  timing.layers.push_back(lt);
  launchLayers.push_back(index);

  timing.totalCycles += t.totalCycles;
  for (unsigned q = 0; q < isa::kNumQueues; ++q)
    timing.queueBusyCycles[q] += t.queueBusyCycles[q];
  timing.dramBusyCycles += t.dramBusyCycles;
  timing.macs += t.macs;
  // Port widths differ between arrangements: add the counts only.
  sim::ActivityCounts &a = timing.activity;
  a.peActiveCycles += t.activity.peActiveCycles;
  a.actReads += t.activity.actReads;
  a.actWrites += t.activity.actWrites;
  a.wgtReads += t.activity.wgtReads;
  a.wgtWrites += t.activity.wgtWrites;
  a.dramReadBytes += t.activity.dramReadBytes;
  a.dramWriteBytes += t.activity.dramWriteBytes;
  timing.energy += t.energy;
  usefulPESteps +=
      t.peUtilization * double(cfg.getNumPEs()) * double(t.totalCycles);
  timing.peUtilization =
      timing.totalCycles
          ? usefulPESteps / (double(cfg.getNumPEs()) * timing.totalCycles)
          : 0.0;
  instructionsExecuted += numInsts;
  return Error::success();
}

ReportInput Session::getReportInput(llvm::StringRef programName) const {
  ReportInput in;
  in.program = program ? &*program : &executed;
  in.cfg = &cfg;
  in.timing = &timing;
  in.layerIndex = launchLayers;
  in.programName = programName.str();
  in.instructions = instructionsExecuted;
  return in;
}
