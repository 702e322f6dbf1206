//===- bitmod-sim.cpp - Runs BitMoD programs (.bmod) ----------------------===//
//
//   bitmod-sim model.bmod --input x=x.npy --output-dir out [--report r.json]
//              [--trace t.json] [--timing-only] [--compare fp16,ant,olive]
//   bitmod-sim model.bmod --timing-only --layer-cache [--repeat N]
//   bitmod-sim --disasm model.bmod [--no-weights]
//   bitmod-sim --assemble in.s -o out.bmod
//   bitmod-sim --make-linear dtype=bitmod3,m=8,k=384,n=40[,seed=1] -o f.bmod
//
//===----------------------------------------------------------------------===//

#include "bitmod/ISA/Assembly.h"
#include "bitmod/ISA/LinearProgram.h"
#include "bitmod/ISA/Program.h"
#include "bitmod/Quant/Quantizer.h"
#include "bitmod/Quant/SpecialValues.h"
#include "bitmod/Runtime/Report.h"
#include "bitmod/Sim/Baselines.h"
#include "bitmod/Sim/CostModel.h"
#include "bitmod/Sim/DramBound.h"
#include "bitmod/Sim/Executor.h"
#include "bitmod/Sim/TimingCache.h"
#include "bitmod/Sim/Trace.h"
#include "bitmod/Support/MemoryLimit.h"
#include "bitmod/Support/Npy.h"
#include "bitmod/Support/Version.h"

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

#include <algorithm>
#include <map>
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
static cl::opt<bool>
    goldenOpt("golden",
              cl::desc("Compute every MATMUL with the golden datapath model "
                       "(bit-identical to the fast one, slower)"),
              cl::cat(cat));
static cl::opt<bool> timingOnly("timing-only",
                                cl::desc("Skip arithmetic; timing only"),
                                cl::cat(cat));
static cl::opt<bool> layerCache(
    "layer-cache",
    cl::desc("With --timing-only: simulate layer by layer, each distinct "
             "layer once (sim/TimingCache.h; no --trace)"),
    cl::cat(cat));
static cl::opt<uint64_t>
    repeatRuns("repeat",
               cl::desc("With --timing-only --layer-cache: time N back-to-back "
                        "runs of the program (e.g. decode steps)"),
               cl::value_desc("N"), cl::init(1), cl::cat(cat));
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
                        "weights: dtype=..,m=..,k=..,n=..[,seed=..]"
                        "[,sv=a:b:c:d]"),
               cl::cat(cat));
static cl::opt<std::string> outputFile("o", cl::desc("Output file"),
                                       cl::value_desc("file"), cl::cat(cat));
static cl::opt<std::string> baselineModel(
    "model",
    cl::desc("Paper model for the per-model generative bit widths of the "
             "ANT/OliVe baselines (opt-1.3b, phi-2, yi-6b, llama-2-7b, "
             "llama-2-13b, llama-3-8b)"),
    cl::cat(cat));
static cl::opt<std::string> baselinePhase(
    "phase",
    cl::desc("Baseline weight widths: auto (generative when M == 1), disc "
             "or gen"),
    cl::init("auto"), cl::cat(cat));
static cl::opt<std::string> estimateFile(
    "estimate",
    cl::desc("Cost-model estimate of the GEMMs listed in a JSON file on "
             "BitMoD and the --compare baselines (no program needed)"),
    cl::value_desc("gemms.json"), cl::cat(cat));
static cl::opt<bool> useAnalytic(
    "analytic",
    cl::desc("With --estimate: the closed-form cost formula (ablation) "
             "instead of the planned estimate (plan search + timing model)"),
    cl::init(false), cl::cat(cat));
static cl::opt<std::string>
    accelFile("accel",
              cl::desc("With --estimate: accelerator JSON (default: paper)"),
              cl::value_desc("file.json"), cl::cat(cat));
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
  std::string svText;
  for (StringRef part : parts) {
    auto [key, value] = part.split('=');
    if (key == "sv") {
      svText = value.str(); // a:b:c:d
      std::replace(svText.begin(), svText.end(), ':', ',');
      continue;
    }
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
  if (!svText.empty()) {
    auto sv = quant::parseSpecialValues(*dtype, svText);
    if (!sv)
      fatal("--make-linear: sv: " + toString(sv.takeError()));
    qc.specialValues = *sv;
  }
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

/// "[4, 256]".
static std::string formatShape(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
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
    if (outputFile.empty() || outputFile == "-") {
      isa::printAssembly(p, outs(), opt);
      return 0;
    }
    std::string s;
    raw_string_ostream os(s);
    isa::printAssembly(p, os, opt);
    writeFile(outputFile, s);
    return 0;
  }
  if (!outputFile.empty())
    fatal("-o is for --disasm, --assemble and --make-linear; a simulation "
          "writes its outputs with --output-dir");
  arch::AccelConfig cfg = check(sim::getProgramAccelConfig(p));
  if (layerCache && !timingOnly)
    fatal("--layer-cache needs --timing-only");
  if (repeatRuns != 1 && !layerCache)
    fatal("--repeat needs --timing-only --layer-cache");
  if (repeatRuns == 0)
    fatal("--repeat must be at least 1");
  if (layerCache && !traceFile.empty())
    fatal("--trace needs the per-instruction timings: drop --layer-cache");
  std::vector<sim::AcceleratorKind> compareKinds =
      check(rt::parseCompareList(compare));

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
    // The whole shape must match: a transposed or flattened array has the
    // right element count but puts every value in the wrong place.
    if (arr.shape != sym->shape)
      fatal(formatv("--input {0}: {1} has shape {2}, the symbol needs {3}",
                    name, path, formatShape(arr.shape),
                    formatShape(sym->shape)));
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
  opts.golden = goldenOpt;
  sim::ExecResult r;
  std::vector<size_t> layerIndex;
  if (layerCache) {
    check(isa::verifyProgram(p));
    sim::LayerTimingCache cache;
    r.timing = check(sim::simulateTimingByLayer(p, cfg, cache, repeatRuns));
    for (uint64_t run = 0; run < repeatRuns; ++run)
      for (size_t l = 0; l < p.layers.size(); ++l)
        layerIndex.push_back(l);
    outs() << formatv("bitmod-sim: {0} layer runs, {1} distinct layers "
                      "simulated\n",
                      repeatRuns * p.layers.size(), cache.misses);
  } else {
    r = check(sim::execute(p, cfg, inputValues, opts));
  }

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
  rt::ReportInput report;
  report.program = &p;
  report.cfg = &cfg;
  report.timing = &t;
  report.programName = inputFile.getValue();
  report.instructions = p.instructions.size() * repeatRuns;
  report.timingOnly = timingOnly;
  report.layerIndex = layerIndex;
  outs() << "bitmod-sim: " << rt::formatSummary(report) << "\n";

  if (!reportFile.empty())
    writeFile(reportFile,
              rt::formatJSON(check(rt::buildReport(report, compareKinds))));
  else if (!compareKinds.empty())
    outs() << rt::formatJSON(check(rt::buildCompare(report, compareKinds)));
  if (!traceFile.empty()) {
    std::string s;
    raw_string_ostream os(s);
    sim::writeChromeTrace(p, t, cfg, os);
    writeFile(traceFile, s);
  }
  return 0;
}

//===- --estimate: per-GEMM cost model (bench/paper) ----------------------===//

/// Bits per weight of a baseline under --model / --phase.
static double getEstimateBaselineBits(sim::AcceleratorKind kind,
                                      uint64_t gemmM) {
  std::optional<sim::PaperModel> model;
  if (!baselineModel.empty()) {
    model = sim::parsePaperModel(baselineModel);
    if (!model)
      fatal("--model: unknown paper model '" + baselineModel +
            "' (expected opt-1.3b, phi-2, yi-6b, llama-2-7b, llama-2-13b, "
            "llama-3-8b)");
  }
  bool generative;
  if (baselinePhase == "auto")
    generative = gemmM == 1;
  else if (baselinePhase == "gen")
    generative = true;
  else if (baselinePhase == "disc")
    generative = false;
  else
    fatal("--phase: expected auto, disc or gen, got '" + baselinePhase + "'");
  return sim::getBaselineBitsPerWeight(kind, generative, model);
}

static json::Object estimateCostJSON(const sim::GemmCost &c, uint64_t count) {
  sim::EnergyBreakdown e;
  for (uint64_t i = 0; i < count; ++i)
    e += c.energy;
  return json::Object{
      {"cycles", int64_t(c.totalCycles * count)},
      {"compute_cycles", int64_t(c.computeCycles * count)},
      {"dram_cycles", int64_t(c.dramCycles * count)},
      {"fill_drain_cycles", int64_t((c.fillCycles + c.drainCycles) * count)},
      {"load_store_latency_cycles",
       int64_t((c.firstLoadCycles + c.lastStoreCycles) * count)},
      {"dram_bytes", int64_t(c.dramBytes * count)},
      {"arrangement", c.plan.arrangement == arch::ArrayArrangement::Generative
                          ? "gen"
                          : "disc"},
      {"bits_per_weight", c.spec.bitsPerWeight},
      {"energy_pj", rt::energyToJSON(e)}};
}

/// bitmod-sim --estimate gemms.json [--compare ..] [--model ..] [--phase ..]
/// [--accel a.json] [--report out.json]: the cost model (docs/simulator.md)
/// on a list of GEMMs, without a program. Entries: {"name", "m", "n", "k",
/// "count" (1), "attention" (false; true: W is a runtime FP16 activation,
/// K/V of QK^T / PV), "dtype" (bitmod4), "group" (128), "out_bytes" (2:
/// FP16 outputs, or 4: F32)}; every accelerator planned by sim::estimate,
/// or with --analytic the formula of sim::estimateAnalytic. Output:
/// {"gemms": [{"name", .., "<accel>": cost}], "total": {"<accel>": ..}}.
static constexpr const char *kEstimateKeys[] = {
    "name", "m", "n", "k", "count", "attention", "dtype", "group", "out_bytes"};

static int runEstimate() {
  auto buf = MemoryBuffer::getFileOrSTDIN(estimateFile);
  if (!buf)
    fatal("cannot read '" + estimateFile + "': " + buf.getError().message());
  json::Value root = check(json::parse((*buf)->getBuffer()));
  const json::Array *list = root.getAsArray();
  if (!list)
    fatal("--estimate: '" + estimateFile + "' must hold a JSON array");
  arch::AccelConfig cfg;
  if (!accelFile.empty())
    cfg = check(arch::loadAccelConfig(accelFile));
  std::vector<sim::AcceleratorKind> kinds{sim::AcceleratorKind::BitMoD};
  for (sim::AcceleratorKind k : check(rt::parseCompareList(compare)))
    if (k != sim::AcceleratorKind::BitMoD)
      kinds.push_back(k);
  json::Array out;
  std::map<std::string, std::pair<sim::GemmCost, uint64_t>> planned;
  std::vector<sim::EnergyBreakdown> totalE(kinds.size());
  std::vector<uint64_t> totalC(kinds.size(), 0);
  for (size_t i = 0; i < list->size(); ++i) {
    const json::Object *g = (*list)[i].getAsObject();
    std::string where = formatv("--estimate: entry {0}", i).str();
    if (!g)
      fatal(where + " is not an object");
    for (const auto &kv : *g)
      if (!llvm::is_contained(kEstimateKeys, kv.first.str()))
        fatal(where + ": unknown key '" + kv.first.str() +
              "' (expected name, m, n, k, count, attention, dtype, group, "
              "out_bytes)");
    auto getString = [&](StringRef key, StringRef dflt) -> std::string {
      const json::Value *v = g->get(key);
      if (!v)
        return dflt.str();
      std::optional<StringRef> str = v->getAsString();
      if (!str)
        fatal(where + ": '" + key + "' must be a string");
      return str->str();
    };
    auto getInt = [&](StringRef key, uint64_t dflt) -> uint64_t {
      const json::Value *v = g->get(key);
      if (!v)
        return dflt;
      std::optional<int64_t> n = v->getAsInteger();
      if (!n || *n < 0)
        fatal(where + ": '" + key + "' must be a non-negative integer");
      return uint64_t(*n);
    };
    uint64_t m = getInt("m", 0), n = getInt("n", 0), k = getInt("k", 0);
    uint64_t count = getInt("count", 1), group = getInt("group", 128);
    uint64_t outBytes = getInt("out_bytes", 2);
    if (outBytes != 2 && outBytes != 4)
      fatal(where + ": 'out_bytes' must be 2 (FP16) or 4 (F32)");
    if (!m || !n || !k)
      fatal(where + ": 'm', 'n' and 'k' must be positive");
    bool attention = false;
    if (const json::Value *v = g->get("attention")) {
      std::optional<bool> b = v->getAsBoolean();
      if (!b)
        fatal(where + ": 'attention' must be true or false");
      attention = *b;
    }
    std::string dtypeName = getString("dtype", "bitmod4");
    auto dtype = quant::parseDataType(dtypeName);
    if (!dtype)
      fatal(where + ": unknown dtype '" + dtypeName + "'");
    json::Object entry{{"name", getString("name", "")},
                       {"m", int64_t(m)},
                       {"n", int64_t(n)},
                       {"k", int64_t(k)},
                       {"count", int64_t(count)},
                       {"attention", attention}};
    sim::GemmShape shape{m, n, k};
    for (size_t ki = 0; ki < kinds.size(); ++ki) {
      sim::AcceleratorKind kind = kinds[ki];
      sim::WeightSpec spec;
      if (attention && kind == sim::AcceleratorKind::BitMoD)
        spec = sim::getBitMoDAttentionSpec(cfg, unsigned(group));
      else if (attention)
        spec = sim::getBaselineWeightSpec(
            sim::getBaselineSpec(kind).attentionOperandBits);
      else if (kind == sim::AcceleratorKind::BitMoD)
        spec = check(sim::getBitMoDWeightSpec(
            cfg, *dtype, quant::isMXType(*dtype) ? 32u : unsigned(group)));
      else
        spec = sim::getBaselineWeightSpec(getEstimateBaselineBits(kind, m));
      // Planned estimates simulate every candidate plan: identical GEMMs
      // (q/o, k/v, attention heads) are planned once.
      std::string key =
          formatv("{0}/{1}/{2}/{3}/{4}/{5}/{6}/{7}/{8}", unsigned(kind), m, n,
                  k, spec.bitsPerWeight, spec.groupSize, spec.termsPerWeight,
                  spec.dtype ? int(*spec.dtype) : -1, outBytes)
              .str();
      auto it = planned.find(key);
      if (it == planned.end()) {
        sim::GemmCost c =
            check(useAnalytic ? sim::estimateAnalytic(cfg, kind, shape, spec)
                              : sim::estimate(cfg, kind, shape, spec,
                                              arch::ArrayArrangement::Auto,
                                              unsigned(outBytes)));
        // The DRAM lower bound at the planner's K granularity (per-channel
        // baselines: chunks of a power of two up to 128 dividing K).
        sim::WeightSpec lbSpec = spec;
        if (!lbSpec.groupSize) {
          lbSpec.groupSize = 128;
          while (k % lbSpec.groupSize)
            lbSpec.groupSize /= 2;
        }
        auto lb = check(
            sim::getDramLowerBound(cfg, shape, lbSpec, unsigned(outBytes)));
        it = planned.insert({key, {c, lb.bytes}}).first;
      }
      const sim::GemmCost &c = it->second.first;
      json::Object cost = estimateCostJSON(c, count);
      cost["dram_lower_bound_bytes"] = int64_t(it->second.second * count);
      entry[sim::getAcceleratorName(kind)] = std::move(cost);
      totalC[ki] += c.totalCycles * count;
      for (uint64_t r = 0; r < count; ++r)
        totalE[ki] += c.energy;
    }
    out.push_back(std::move(entry));
  }
  json::Object total;
  for (size_t ki = 0; ki < kinds.size(); ++ki)
    total[sim::getAcceleratorName(kinds[ki])] = json::Object{
        {"cycles", int64_t(totalC[ki])},
        {"energy_pj", rt::energyToJSON(totalE[ki])},
        // The array the figures are for (baseline_sizing re-sizes it).
        {"num_pes", int64_t(sim::getAcceleratorNumPEs(cfg, kinds[ki]))}};
  std::string s = rt::formatJSON(
      json::Object{{"gemms", std::move(out)}, {"total", std::move(total)}});
  if (!reportFile.empty())
    writeFile(reportFile, s);
  else
    outs() << s;
  return 0;
}

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  bitmod::installVersionPrinter("bitmod-sim");
  bitmod::registerMemoryLimitOption(&cat);
  cl::HideUnrelatedOptions(cat);
  cl::ParseCommandLineOptions(argc, argv,
                              "BitMoD accelerator simulator and assembler\n");
  if (assemble)
    return runAssemble();
  if (!makeLinear.empty())
    return runMakeLinear();
  if (!estimateFile.empty())
    return runEstimate();
  // The baseline widths and the accelerator file only shape --estimate; a
  // program carries its own accelerator description.
  for (cl::Option *option : std::initializer_list<cl::Option *>{
           &baselineModel, &baselinePhase, &accelFile})
    if (option->getNumOccurrences())
      fatal("--" + option->ArgStr + " is only used with --estimate");
  return runSim();
}
