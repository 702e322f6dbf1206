//===- Calibrate.cpp - bitmod-quant's calibration-aware .npy mode ---------===//
//
//   bitmod-quant --method=awq|gptq --calib-stats=DIR [--calib-layer=NAME]
//       w.npy -o wq.npy
//   bitmod-quant --method=... --calib-acts=x.npy [--save-calib-stats=DIR] ...
//
// The statistics come from a statistics directory (docs/numerics.md,
// "Calibration statistics") or are accumulated from an activation matrix
// x[T, K]. -o receives the effective weight (dequantized codes times the
// AWQ input scale), --input-scale the AWQ activation multiplier 1/s.
//
//===----------------------------------------------------------------------===//

#include "Calibrate.h"

#include "bitmod/Support/Error.h"
#include "bitmod/Support/Npy.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Path.h"

using namespace bitmod;
using namespace bitmod::quant;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

namespace {
llvm::cl::OptionCategory calibCategory("bitmod-quant calibration options");

llvm::cl::opt<std::string>
    methodOpt("method",
              llvm::cl::desc("Quantization method: rtn (default), awq, gptq "
                             "(.npy mode; awq/gptq need calibration data)"),
              llvm::cl::init("rtn"), llvm::cl::cat(calibCategory));
llvm::cl::opt<std::string>
    calibStatsOpt("calib-stats",
                  llvm::cl::desc("Calibration statistics directory"),
                  llvm::cl::value_desc("dir"), llvm::cl::cat(calibCategory));
llvm::cl::opt<std::string> calibLayerOpt(
    "calib-layer",
    llvm::cl::desc("Layer of --calib-stats to use (default: the only one)"),
    llvm::cl::cat(calibCategory));
llvm::cl::opt<std::string> calibActsOpt(
    "calib-acts",
    llvm::cl::desc("Calibration activations x[T, K] (float32 .npy)"),
    llvm::cl::value_desc("path"), llvm::cl::cat(calibCategory));
llvm::cl::opt<std::string> saveStatsOpt(
    "save-calib-stats",
    llvm::cl::desc("Write the statistics of --calib-acts to a directory"),
    llvm::cl::value_desc("dir"), llvm::cl::cat(calibCategory));
llvm::cl::opt<std::string>
    inputScaleOpt("input-scale",
                  llvm::cl::desc("Write the AWQ activation scale 1/s (.npy)"),
                  llvm::cl::value_desc("path"), llvm::cl::cat(calibCategory));
llvm::cl::opt<double> dampOpt("gptq-damp",
                              llvm::cl::desc("GPTQ dampening (default 0.01)"),
                              llvm::cl::init(0.01),
                              llvm::cl::cat(calibCategory));
llvm::cl::opt<unsigned>
    blockOpt("gptq-block",
             llvm::cl::desc("GPTQ lazy-update block (default 128)"),
             llvm::cl::init(128), llvm::cl::cat(calibCategory));
llvm::cl::opt<bool> actOrderOpt("gptq-act-order",
                                llvm::cl::desc("GPTQ act-order"),
                                llvm::cl::init(false),
                                llvm::cl::cat(calibCategory));
llvm::cl::opt<unsigned> awqGridOpt("awq-grid",
                                   llvm::cl::desc("AWQ alpha grid (20)"),
                                   llvm::cl::init(20),
                                   llvm::cl::cat(calibCategory));
llvm::cl::opt<unsigned> awqClipGridOpt("awq-clip-grid",
                                       llvm::cl::desc("AWQ clip grid (20)"),
                                       llvm::cl::init(20),
                                       llvm::cl::cat(calibCategory));
llvm::cl::opt<bool> awqNoClipOpt("awq-no-clip",
                                 llvm::cl::desc("AWQ: no clip search"),
                                 llvm::cl::init(false),
                                 llvm::cl::cat(calibCategory));
llvm::cl::opt<unsigned> awqRowsOpt(
    "awq-search-rows",
    llvm::cl::desc("AWQ: rows of the alpha search (default 512, 0 = all)"),
    llvm::cl::init(512), llvm::cl::cat(calibCategory));

Expected<LayerStats> loadStats(int64_t K) {
  if (!calibActsOpt.empty()) {
    Expected<support::NpyArray> acts = support::readNpy(calibActsOpt);
    if (!acts)
      return acts.takeError();
    if (acts->shape.size() != 2 || acts->shape[1] != K)
      return makeError("'" + calibActsOpt +
                       "': calibration activations must be [T, K] with K = " +
                       llvm::Twine(K));
    if (acts->dtype != support::NpyDType::Float32 &&
        acts->dtype != support::NpyDType::Float16)
      return makeError("'" + calibActsOpt +
                       "': expected float32 or float16 activations, got " +
                       support::getNpyDTypeName(acts->dtype));
    LayerStats stats(calibLayerOpt.empty() ? std::string("layer")
                                           : calibLayerOpt.getValue(),
                     K);
    if (Error e = stats.accumulate(acts->toFloat32(), acts->shape[0]))
      return std::move(e);
    if (Error e = stats.validate("'" + calibActsOpt + "'"))
      return std::move(e);
    if (!saveStatsOpt.empty()) {
      CalibStats all;
      all.layers.push_back(stats);
      if (Error e = writeCalibStats(saveStatsOpt, all))
        return std::move(e);
    }
    return stats;
  }
  if (calibStatsOpt.empty())
    return makeError("method '" + methodOpt +
                     "' needs calibration data: --calib-stats or --calib-acts");
  Expected<CalibStats> all = readCalibStats(calibStatsOpt);
  if (!all)
    return all.takeError();
  if (calibLayerOpt.empty()) {
    if (all->layers.size() != 1)
      return makeError("'" + calibStatsOpt + "' holds " +
                       llvm::Twine(all->layers.size()) +
                       " layers: choose one with --calib-layer");
    return all->layers.front();
  }
  if (const LayerStats *l = all->lookup(calibLayerOpt))
    return *l;
  return makeError("'" + calibStatsOpt + "' has no layer '" + calibLayerOpt +
                   "'");
}
} // namespace

llvm::cl::OptionCategory &bitmod::getCalibCategory() { return calibCategory; }

bool bitmod::isCalibrationRequested() {
  return methodOpt != "rtn" || !calibStatsOpt.empty() || !calibActsOpt.empty();
}

Expected<CalibratedWeights>
bitmod::quantizeNpyCalibrated(llvm::ArrayRef<float> w, int64_t N, int64_t K,
                              const QuantConfig &cfg,
                              llvm::json::Object &report) {
  std::optional<QuantMethod> method = parseQuantMethod(methodOpt);
  if (!method)
    return makeError("unknown method '" + methodOpt +
                     "'; valid methods: rtn, awq, gptq");
  Expected<LayerStats> stats = loadStats(K);
  if (!stats)
    return stats.takeError();
  AWQOptions awq;
  awq.scaleGrid = awqGridOpt;
  awq.clipGrid = awqClipGridOpt;
  awq.searchClip = !awqNoClipOpt;
  awq.searchRows = awqRowsOpt;
  GPTQOptions gptq;
  gptq.dampening = dampOpt;
  gptq.blockSize = blockOpt;
  gptq.actOrder = actOrderOpt;
  Expected<CalibratedWeights> r =
      quantizeCalibrated(*method, w, N, K, cfg, *stats, awq, gptq);
  if (!r)
    return r.takeError();
  if (!inputScaleOpt.empty()) {
    std::vector<float> scale = r->inputScale;
    if (scale.empty())
      scale.assign(K, 1.0f);
    if (Error e = support::writeNpy(inputScaleOpt,
                                    support::NpyArray::fromFloat32(scale, {K})))
      return std::move(e);
  }
  report["method"] = methodOpt;
  report["calib_layer"] = stats->name;
  report["calib_samples"] = stats->count;
  report["output_error"] = r->error;
  report["rtn_output_error"] = r->rtnError;
  if (*method == QuantMethod::AWQ)
    report["alpha"] = r->alpha;
  report["note"] = r->note;
  return r;
}
