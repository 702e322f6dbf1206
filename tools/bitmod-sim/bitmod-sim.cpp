//===- bitmod-sim.cpp - Runs BitMoD programs (.bmod) ----------------------===//
//
//   bitmod-sim model.bmod --input x=x.npy --output-dir out [--report r.json]
//              [--trace t.json] [--timing-only] [--compare fp16,ant,olive]
//   bitmod-sim --disasm model.bmod [--no-weights]
//   bitmod-sim --assemble in.s -o out.bmod
//   bitmod-sim --make-linear dtype=bitmod3,m=8,k=384,n=40[,seed=1] -o f.bmod
//
//===----------------------------------------------------------------------===//

#include "bitmod/ISA/Assembly.h"
#include "bitmod/ISA/LinearProgram.h"
#include "bitmod/ISA/Program.h"
#include "bitmod/Quant/Quantizer.h"
#include "bitmod/Sim/Baselines.h"
#include "bitmod/Sim/CostModel.h"
#include "bitmod/Sim/Executor.h"
#include "bitmod/Sim/Trace.h"
#include "bitmod/Support/Npy.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

#include <random>

using namespace bitmod;
using namespace llvm;

static cl::OptionCategory cat("bitmod-sim options");
static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<file>"),
                                      cl::cat(cat));
static cl::list<std::string>
    inputs("input", cl::desc("Input tensor: name=file.npy (repeatable)"),
           cl::value_desc("name=file"), cl::cat(cat));
static cl::opt<std::string> outputDir("output-dir",
                                      cl::desc("Write outputs as .npy here"),
                                      cl::value_desc("dir"), cl::cat(cat));
static cl::opt<std::string> reportFile("report", cl::desc("Write JSON report"),
                                       cl::value_desc("file"), cl::cat(cat));
static cl::opt<std::string> traceFile("trace",
                                      cl::desc("Write Chrome trace JSON"),
                                      cl::value_desc("file"), cl::cat(cat));
static cl::opt<bool> timingOnly("timing-only",
                                cl::desc("Skip arithmetic; timing only"),
                                cl::cat(cat));
static cl::opt<std::string>
    compare("compare", cl::desc("Baselines to compare with: fp16,ant,olive"),
            cl::cat(cat));
static cl::opt<bool> disasm("disasm", cl::desc("Print the assembly listing"),
                            cl::cat(cat));
static cl::opt<bool> noWeights("no-weights",
                               cl::desc("With --disasm: omit weight bytes"),
                               cl::cat(cat));
static cl::opt<bool> assemble("assemble",
                              cl::desc("Assemble a listing into a .bmod"),
                              cl::cat(cat));
static cl::opt<std::string>
    makeLinear("make-linear",
               cl::desc("Build a one-layer example program from random "
                        "weights: dtype=..,m=..,k=..,n=..[,seed=..]"),
               cl::cat(cat));
static cl::opt<std::string> outputFile("o", cl::desc("Output file"),
                                       cl::value_desc("file"), cl::cat(cat));
static cl::opt<unsigned>
    randomInputs("random-inputs",
                 cl::desc("Fill missing inputs with N(0,1) values (seed)"),
                 cl::value_desc("seed"), cl::init(0), cl::cat(cat));

[[noreturn]] static void fatal(const Twine &msg) {
  llvm::errs() << "bitmod-sim: error: " << msg << "\n";
  std::exit(1);
}

static void check(Error e) {
  if (e)
    fatal(toString(std::move(e)));
}

template <typename T> static T check(Expected<T> v) {
  if (!v)
    fatal(toString(v.takeError()));
  return std::move(*v);
}

static void writeFile(StringRef path, StringRef data) {
  std::error_code ec;
  ToolOutputFile out(path, ec, sys::fs::OF_None);
  if (ec)
    fatal("cannot write '" + path + "': " + ec.message());
  out.os() << data;
  out.keep();
}

static std::string serialize(const isa::Program &p) {
  std::string s;
  raw_string_ostream os(s);
  check(isa::writeBmod(p, os));
  return s;
}

static int runAssemble() {
  if (inputFile.empty() || outputFile.empty())
    fatal("--assemble needs an input listing and -o <file>");
  auto buf = MemoryBuffer::getFileOrSTDIN(inputFile);
  if (!buf)
    fatal("cannot read '" + inputFile + "': " + buf.getError().message());
  isa::Program p = check(isa::parseAssembly((*buf)->getBuffer(), inputFile));
  writeFile(outputFile, serialize(p));
  return 0;
}

static int runMakeLinear() {
  if (outputFile.empty())
    fatal("--make-linear needs -o <file>");
  SmallVector<StringRef, 8> parts;
  StringRef(makeLinear).split(parts, ',', -1, false);
  std::string dtypeName = "bitmod3";
  uint64_t m = 8, k = 384, n = 40, seed = 1, group = 128;
  std::string out = "f32";
  for (StringRef part : parts) {
    auto [key, value] = part.split('=');
    uint64_t *num = StringSwitch<uint64_t *>(key)
                        .Case("m", &m)
                        .Case("k", &k)
                        .Case("n", &n)
                        .Case("seed", &seed)
                        .Case("group", &group)
                        .Default(nullptr);
    if (key == "dtype")
      dtypeName = value.str();
    else if (key == "out")
      out = value.str();
    else if (!num)
      fatal("--make-linear: unknown key '" + key + "'");
    else if (value.getAsInteger(10, *num))
      fatal("--make-linear: bad value for '" + key + "'");
  }
  auto dtype = quant::parseDataType(dtypeName);
  if (!dtype)
    fatal("--make-linear: unknown dtype '" + dtypeName + "'");
  if (!m || !n || !k || n * k > (uint64_t(1) << 28))
    fatal("--make-linear: m, n, k must be positive and n*k below 2^28");
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> dist(0.0f, 0.02f);
  std::vector<float> w(n * k);
  for (float &v : w)
    v = dist(rng);
  quant::QuantConfig qc;
  qc.dtype = *dtype;
  qc.groupSize = quant::isMXType(*dtype) ? 32 : unsigned(group);
  qc.tensorName = "w";
  auto packed = check(quant::quantize(w, int64_t(n), int64_t(k), qc));
  isa::LinearProgramOptions opt;
  if (out == "f16")
    opt.outFormat = isa::OutFormat::F16;
  else if (out != "f32")
    fatal("--make-linear: out must be f32 or f16");
  isa::Program p = check(isa::buildLinearProgram(packed, uint32_t(m), opt));
  writeFile(outputFile, serialize(p));
  return 0;
}

static json::Object energyJSON(const sim::EnergyBreakdown &e) {
  return json::Object{{"dram", e.dramPJ},
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

static json::Object buildCompare(const isa::Program &p,
                                 const sim::AccelConfig &cfg,
                                 const sim::TimingResult &t) {
  SmallVector<StringRef, 4> names;
  StringRef(compare).split(names, ',', -1, false);
  std::vector<sim::AcceleratorKind> kinds;
  for (StringRef name : names) {
    auto kind = sim::parseAcceleratorKind(name.trim());
    if (!kind)
      fatal("--compare: unknown accelerator '" + name +
            "' (expected fp16, ant, olive, bitmod)");
    kinds.push_back(*kind);
  }
  json::Object result;
  json::Array skipped;
  auto estimateAll = [&](sim::AcceleratorKind kind) -> json::Object {
    uint64_t cycles = 0;
    sim::EnergyBreakdown energy;
    for (size_t li = 0; li < p.layers.size(); ++li) {
      const isa::LayerRange &l = p.layers[li];
      const isa::ConfigFields *lc = getLayerConfig(p, l);
      if (!l.gemmM || !l.gemmN || !l.gemmK || !lc)
        continue;
      sim::GemmShape shape{l.gemmM, l.gemmN, l.gemmK};
      sim::WeightSpec spec;
      if (kind == sim::AcceleratorKind::BitMoD) {
        spec = check(sim::getBitMoDWeightSpec(cfg, lc->dtype, lc->groupSize));
      } else {
        bool generative = l.gemmM == 1;
        spec = sim::getBaselineWeightSpec(
            sim::getBaselineBitsPerWeight(kind, generative, std::nullopt));
      }
      sim::GemmCost c = check(sim::estimate(cfg, kind, shape, spec));
      cycles += c.totalCycles;
      energy += c.energy;
    }
    double simEnergy = t.energy.getTotalPJ();
    return json::Object{
        {"cycles", int64_t(cycles)},
        {"energy_pj", energyJSON(energy)},
        {"speedup_of_bitmod",
         t.totalCycles ? double(cycles) / t.totalCycles : 0.0},
        {"energy_ratio_to_bitmod",
         simEnergy > 0 ? energy.getTotalPJ() / simEnergy : 0.0}};
  };
  for (size_t li = 0; li < p.layers.size(); ++li) {
    const isa::LayerRange &l = p.layers[li];
    if (!l.gemmM || !l.gemmN || !l.gemmK || !getLayerConfig(p, l))
      skipped.push_back(l.name);
  }
  result["bitmod_analytic"] = estimateAll(sim::AcceleratorKind::BitMoD);
  for (sim::AcceleratorKind kind : kinds)
    result[sim::getAcceleratorName(kind)] = estimateAll(kind);
  result["layers_without_gemm_shape"] = std::move(skipped);
  return result;
}

static std::string sanitize(StringRef name) {
  std::string s;
  for (char c : name)
    s += (isAlnum(c) || c == '_' || c == '-' || c == '.') ? c : '_';
  return s;
}

static int runSim() {
  if (inputFile.empty())
    fatal("no input file (see --help)");
  isa::Program p = check(isa::readBmodFile(inputFile));
  if (disasm) {
    isa::AsmPrintOptions opt;
    opt.printWeights = !noWeights;
    isa::printAssembly(p, outs(), opt);
    return 0;
  }
  sim::AccelConfig cfg = check(sim::getProgramAccelConfig(p));

  StringMap<std::vector<float>> inputValues;
  for (const std::string &spec : inputs) {
    auto [name, path] = StringRef(spec).split('=');
    if (name.empty() || path.empty())
      fatal("--input expects name=file.npy, got '" + spec + "'");
    const isa::Symbol *sym = p.findSymbol(name);
    if (!sym || sym->kind != isa::SymbolKind::Input)
      fatal("--input: '" + name + "' is not an input symbol of '" + inputFile +
            "'");
    bitmod::support::NpyArray arr = check(bitmod::support::readNpy(path));
    if (arr.getNumElements() != sym->getNumElements())
      fatal(formatv("--input {0}: {1} has {2} elements, the symbol needs {3}",
                    name, path, arr.getNumElements(), sym->getNumElements()));
    inputValues[name] = arr.toFloat32();
  }
  if (!timingOnly)
    for (const isa::Symbol &s : p.symbols) {
      if (s.kind != isa::SymbolKind::Input || inputValues.count(s.name))
        continue;
      if (!randomInputs)
        fatal("missing --input for symbol '" + s.name + "'");
      std::mt19937_64 rng(randomInputs);
      std::normal_distribution<float> dist(0.0f, 1.0f);
      std::vector<float> v(s.getNumElements());
      for (float &x : v)
        x = dist(rng);
      inputValues[s.name] = std::move(v);
    }

  sim::ExecOptions opts;
  opts.timingOnly = timingOnly;
  sim::ExecResult r = check(sim::execute(p, cfg, inputValues, opts));

  if (!outputDir.empty() && !timingOnly) {
    if (std::error_code ec = sys::fs::create_directories(outputDir))
      fatal("cannot create '" + outputDir + "': " + ec.message());
    for (const isa::Symbol &s : p.symbols) {
      if (s.kind != isa::SymbolKind::Output)
        continue;
      SmallString<128> path(outputDir);
      sys::path::append(path, sanitize(s.name) + ".npy");
      check(bitmod::support::writeNpy(
          path,
          bitmod::support::NpyArray::fromFloat32(r.outputs[s.name], s.shape)));
    }
  }

  const sim::TimingResult &t = r.timing;
  outs() << formatv("bitmod-sim: {0} instructions, {1} cycles ({2:f3} us), "
                    "PE utilization {3:f3}, DRAM {4} B, energy {5:f1} nJ\n",
                    p.instructions.size(), t.totalCycles,
                    t.totalCycles / (cfg.frequencyGHz * 1000.0),
                    t.peUtilization,
                    t.activity.dramReadBytes + t.activity.dramWriteBytes,
                    t.energy.getTotalPJ() / 1000.0);

  if (!reportFile.empty()) {
    json::Array layers;
    for (const sim::LayerTiming &l : t.layers)
      layers.push_back(
          json::Object{{"name", l.name},
                       {"start_cycle", int64_t(l.start)},
                       {"end_cycle", int64_t(l.end)},
                       {"cycles", int64_t(l.cycles)},
                       {"macs", int64_t(l.macs)},
                       {"pe_busy_cycles", int64_t(l.peBusyCycles)},
                       {"dram_read_bytes", int64_t(l.dramReadBytes)},
                       {"dram_write_bytes", int64_t(l.dramWriteBytes)},
                       {"gemm", json::Array{int64_t(l.gemmM), int64_t(l.gemmN),
                                            int64_t(l.gemmK)}},
                       {"energy_pj", energyJSON(l.energy)}});
    json::Object report{
        {"program", inputFile.getValue()},
        {"instructions", int64_t(p.instructions.size())},
        {"timing_only", bool(timingOnly)},
        {"total_cycles", int64_t(t.totalCycles)},
        {"time_us", t.totalCycles / (cfg.frequencyGHz * 1000.0)},
        {"pe_utilization", t.peUtilization},
        {"macs", int64_t(t.macs)},
        {"queue_busy_cycles",
         json::Object{{"load", int64_t(t.queueBusyCycles[0])},
                      {"compute", int64_t(t.queueBusyCycles[1])},
                      {"store", int64_t(t.queueBusyCycles[2])}}},
        {"dram",
         json::Object{{"read_bytes", int64_t(t.activity.dramReadBytes)},
                      {"write_bytes", int64_t(t.activity.dramWriteBytes)},
                      {"busy_cycles", int64_t(t.dramBusyCycles)}}},
        {"sram_accesses",
         json::Object{{"act_reads", int64_t(t.activity.actReads)},
                      {"act_writes", int64_t(t.activity.actWrites)},
                      {"wgt_reads", int64_t(t.activity.wgtReads)},
                      {"wgt_writes", int64_t(t.activity.wgtWrites)}}},
        {"energy_pj", energyJSON(t.energy)},
        {"layers", std::move(layers)}};
    if (!compare.empty())
      report["compare"] = buildCompare(p, cfg, t);
    std::string s;
    raw_string_ostream os(s);
    os << formatv("{0:2}", json::Value(std::move(report))) << '\n';
    writeFile(reportFile, s);
  } else if (!compare.empty()) {
    std::string s;
    raw_string_ostream os(s);
    os << formatv("{0:2}", json::Value(buildCompare(p, cfg, t))) << '\n';
    outs() << s;
  }
  if (!traceFile.empty()) {
    std::string s;
    raw_string_ostream os(s);
    sim::writeChromeTrace(p, t, cfg, os);
    writeFile(traceFile, s);
  }
  return 0;
}

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(cat);
  cl::ParseCommandLineOptions(argc, argv,
                              "BitMoD accelerator simulator and assembler\n");
  if (assemble)
    return runAssemble();
  if (!makeLinear.empty())
    return runMakeLinear();
  return runSim();
}
