//===- Report.cpp - Simulation report JSON
//---------------------------------===//

#include "bitmod/Runtime/Report.h"

#include "bitmod/Sim/Baselines.h"
#include "bitmod/Sim/CostModel.h"
#include "bitmod/Support/Error.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <map>
#include <tuple>

using namespace bitmod;
using namespace bitmod::rt;
using llvm::Expected;
using llvm::json::Array;
using llvm::json::Object;

Expected<std::vector<sim::AcceleratorKind>>
rt::parseCompareList(llvm::StringRef list) {
  llvm::SmallVector<llvm::StringRef, 4> names;
  list.split(names, ',', -1, false);
  std::vector<sim::AcceleratorKind> kinds;
  for (llvm::StringRef name : names) {
    auto kind = sim::parseAcceleratorKind(name.trim());
    if (!kind)
      return makeError("--compare: unknown accelerator '" + name +
                       "' (expected fp16, ant, olive, bitmod)");
    kinds.push_back(*kind);
  }
  return kinds;
}

Object rt::energyToJSON(const sim::EnergyBreakdown &e) {
  return Object{{"dram", e.dramPJ},
                {"act_buffer", e.actBufferPJ},
                {"wgt_buffer", e.wgtBufferPJ},
                {"core", e.corePJ},
                {"total", e.getTotalPJ()}};
}

/// The CONFIG in effect at the first MATMUL of a layer.
static const isa::ConfigFields *getLayerConfig(const isa::Program &p,
                                               const isa::LayerRange &l) {
  const isa::ConfigFields *cfg = nullptr;
  for (uint32_t i = 0; i < l.firstInst + l.numInsts; ++i) {
    if (p.instructions[i].opcode == isa::Opcode::Config)
      cfg = &p.instructions[i].config;
    if (i >= l.firstInst && p.instructions[i].opcode == isa::Opcode::MatMul)
      return cfg;
  }
  return nullptr;
}

/// Bytes per output element of a layer's first MATMUL (2 when none).
static unsigned getLayerOutBytes(const isa::Program &p,
                                 const isa::LayerRange &l) {
  for (uint32_t i = l.firstInst; i < l.firstInst + l.numInsts; ++i)
    if (p.instructions[i].opcode == isa::Opcode::MatMul)
      return p.instructions[i].matmul.outFormat == isa::OutFormat::F32 ? 4 : 2;
  return 2;
}

static size_t getLayerIndex(const ReportInput &in, size_t i) {
  return in.layerIndex.empty() ? i : in.layerIndex[i];
}

Expected<Object> rt::buildCompare(const ReportInput &in,
                                  llvm::ArrayRef<sim::AcceleratorKind> kinds) {
  const isa::Program &p = *in.program;
  const sim::TimingResult &t = *in.timing;
  const arch::AccelConfig &cfg = *in.cfg;
  auto estimateAll = [&](sim::AcceleratorKind kind) -> Expected<Object> {
    uint64_t cycles = 0;
    sim::EnergyBreakdown energy;
    // Layers of the same shape and format are planned once.
    std::map<std::tuple<uint64_t, uint64_t, uint64_t, double, unsigned>,
             sim::GemmCost>
        planned;
    for (size_t i = 0; i < t.layers.size(); ++i) {
      const isa::LayerRange &l = p.layers[getLayerIndex(in, i)];
      const isa::ConfigFields *lc = getLayerConfig(p, l);
      if (!l.gemmM || !l.gemmN || !l.gemmK || !lc)
        continue;
      sim::GemmShape shape{l.gemmM, l.gemmN, l.gemmK};
      sim::WeightSpec spec;
      if (kind == sim::AcceleratorKind::BitMoD) {
        auto s = sim::getBitMoDWeightSpec(cfg, lc->dtype, lc->groupSize);
        if (!s)
          return s.takeError();
        spec = *s;
      } else {
        double bits =
            in.baselineBitsPerWeight
                ? in.baselineBitsPerWeight(kind, l.gemmM)
                : sim::getBaselineBitsPerWeight(
                      kind, /*generative=*/l.gemmM == 1, std::nullopt);
        spec = sim::getBaselineWeightSpec(bits);
      }
      // BitMoD: the closed-form formula (the simulated program is the
      // planned figure); baselines: planned by the same planner, storing
      // the program's output format.
      unsigned outBytes = getLayerOutBytes(p, l);
      auto key = std::make_tuple(l.gemmM, l.gemmN, l.gemmK, spec.bitsPerWeight,
                                 outBytes);
      auto it = planned.find(key);
      if (it == planned.end() || kind == sim::AcceleratorKind::BitMoD) {
        auto c = kind == sim::AcceleratorKind::BitMoD
                     ? sim::estimateAnalytic(cfg, kind, shape, spec)
                     : sim::estimate(cfg, kind, shape, spec,
                                     arch::ArrayArrangement::Auto, outBytes);
        if (!c)
          return c.takeError();
        it = planned.insert_or_assign(key, *c).first;
      }
      cycles += it->second.totalCycles;
      energy += it->second.energy;
    }
    double simEnergy = t.energy.getTotalPJ();
    return Object{{"cycles", int64_t(cycles)},
                  {"energy_pj", energyToJSON(energy)},
                  {"speedup_of_bitmod",
                   t.totalCycles ? double(cycles) / t.totalCycles : 0.0},
                  {"energy_ratio_to_bitmod",
                   simEnergy > 0 ? energy.getTotalPJ() / simEnergy : 0.0}};
  };
  Object result;
  Array skipped;
  for (size_t i = 0; i < t.layers.size(); ++i) {
    const isa::LayerRange &l = p.layers[getLayerIndex(in, i)];
    if (!l.gemmM || !l.gemmN || !l.gemmK || !getLayerConfig(p, l))
      skipped.push_back(l.name);
  }
  auto analytic = estimateAll(sim::AcceleratorKind::BitMoD);
  if (!analytic)
    return analytic.takeError();
  result["bitmod_analytic"] = std::move(*analytic);
  for (sim::AcceleratorKind kind : kinds) {
    auto e = estimateAll(kind);
    if (!e)
      return e.takeError();
    result[sim::getAcceleratorName(kind)] = std::move(*e);
  }
  result["layers_without_gemm_shape"] = std::move(skipped);
  return result;
}

Expected<Object> rt::buildReport(const ReportInput &in,
                                 llvm::ArrayRef<sim::AcceleratorKind> kinds) {
  const sim::TimingResult &t = *in.timing;
  const arch::AccelConfig &cfg = *in.cfg;
  Array layers;
  for (const sim::LayerTiming &l : t.layers)
    layers.push_back(Object{
        {"name", l.name},
        {"start_cycle", int64_t(l.start)},
        {"end_cycle", int64_t(l.end)},
        {"cycles", int64_t(l.cycles)},
        {"macs", int64_t(l.macs)},
        {"pe_busy_cycles", int64_t(l.peBusyCycles)},
        {"dram_read_bytes", int64_t(l.dramReadBytes)},
        {"dram_write_bytes", int64_t(l.dramWriteBytes)},
        {"gemm", Array{int64_t(l.gemmM), int64_t(l.gemmN), int64_t(l.gemmK)}},
        {"energy_pj", energyToJSON(l.energy)}});
  Object report{
      {"program", in.programName},
      {"instructions", int64_t(in.instructions)},
      {"timing_only", in.timingOnly},
      {"total_cycles", int64_t(t.totalCycles)},
      {"time_us", t.totalCycles / (cfg.frequencyGHz * 1000.0)},
      {"pe_utilization", t.peUtilization},
      {"macs", int64_t(t.macs)},
      {"queue_busy_cycles", Object{{"load", int64_t(t.queueBusyCycles[0])},
                                   {"compute", int64_t(t.queueBusyCycles[1])},
                                   {"store", int64_t(t.queueBusyCycles[2])}}},
      {"dram", Object{{"read_bytes", int64_t(t.activity.dramReadBytes)},
                      {"write_bytes", int64_t(t.activity.dramWriteBytes)},
                      {"busy_cycles", int64_t(t.dramBusyCycles)}}},
      {"sram_accesses", Object{{"act_reads", int64_t(t.activity.actReads)},
                               {"act_writes", int64_t(t.activity.actWrites)},
                               {"wgt_reads", int64_t(t.activity.wgtReads)},
                               {"wgt_writes", int64_t(t.activity.wgtWrites)}}},
      {"energy_pj", energyToJSON(t.energy)},
      {"layers", std::move(layers)}};
  if (!kinds.empty()) {
    auto c = buildCompare(in, kinds);
    if (!c)
      return c.takeError();
    report["compare"] = std::move(*c);
  }
  return report;
}

std::string rt::formatSummary(const ReportInput &in) {
  const sim::TimingResult &t = *in.timing;
  return llvm::formatv("{0} instructions, {1} cycles ({2:f3} us), "
                       "PE utilization {3:f3}, DRAM {4} B, energy {5:f1} nJ",
                       in.instructions, t.totalCycles,
                       t.totalCycles / (in.cfg->frequencyGHz * 1000.0),
                       t.peUtilization,
                       t.activity.dramReadBytes + t.activity.dramWriteBytes,
                       t.energy.getTotalPJ() / 1000.0)
      .str();
}

std::string rt::formatJSON(llvm::json::Value value) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << llvm::formatv("{0:2}", value) << '\n';
  return s;
}
