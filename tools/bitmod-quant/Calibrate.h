//===- Calibrate.h - bitmod-quant's calibration-aware .npy mode -*- C++ -*-===//

#ifndef BITMOD_TOOLS_BITMOD_QUANT_CALIBRATE_H
#define BITMOD_TOOLS_BITMOD_QUANT_CALIBRATE_H

#include "bitmod/Quant/Calibration.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/JSON.h"

namespace bitmod {

llvm::cl::OptionCategory &getCalibCategory();
/// --method other than rtn, or calibration data given.
bool isCalibrationRequested();
/// Quantizes W[N, K] with the method and statistics of the command line and
/// adds method, errors and alpha to `report`.
llvm::Expected<quant::CalibratedWeights>
quantizeNpyCalibrated(llvm::ArrayRef<float> w, int64_t N, int64_t K,
                      const quant::QuantConfig &cfg,
                      llvm::json::Object &report);

} // namespace bitmod

#endif // BITMOD_TOOLS_BITMOD_QUANT_CALIBRATE_H
