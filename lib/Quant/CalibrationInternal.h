//===- CalibrationInternal.h - Shared pieces of AWQ and GPTQ ----*- C++ -*-===//
//
// Private to lib/Quant: the dense kernels the calibration-aware quantizers
// share (quadratic forms with the Gram matrix, row-parallel loops).
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_LIB_QUANT_CALIBRATIONINTERNAL_H
#define BITMOD_LIB_QUANT_CALIBRATIONINTERNAL_H

#include "bitmod/Quant/Calibration.h"

#include <functional>

/// Hot loops are compiled for AVX-512, AVX2 and baseline x86-64 and picked
/// at load time (the loops have no reductions, so the results are the same
/// on every path: -ffp-contract=off holds for each clone).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define BITMOD_CALIB_MULTIVERSION                                              \
  __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define BITMOD_CALIB_MULTIVERSION
#endif

namespace bitmod {
namespace quant {
namespace detail {

/// Runs body(begin, end) over [0, n) in chunks on the shared thread pool.
void parallelChunks(int64_t n, int64_t chunk,
                    const std::function<void(int64_t, int64_t)> &body);

/// sum over the rows r in `rows` of e_r^T G e_r, where e_r is row r of the
/// row-major [*, K] matrix `E` (float) and G is [K, K] float.
double sumQuadForms(const float *E, llvm::ArrayRef<int64_t> rows,
                    const float *G, int64_t K);

/// At most `maxRows` (0 = all) evenly strided rows of [0, N): row
/// floor(i * N / maxRows).
std::vector<int64_t> strideRows(int64_t N, unsigned maxRows);

/// tr(E G E^T) / count over strideRows(N, maxRows), scaled by N / rows (the
/// exact error when N <= maxRows).
double estimateOutputError(llvm::ArrayRef<float> weights,
                           llvm::ArrayRef<float> estimate, int64_t N, int64_t K,
                           const LayerStats &stats, unsigned maxRows);

/// Rows the reported errors of rtn and gptq are evaluated on.
constexpr unsigned kErrorRows = 512;

/// Checks the weights and the statistics of a calibrated quantization.
llvm::Error checkCalibInputs(llvm::ArrayRef<float> weights, int64_t N,
                             int64_t K, const QuantConfig &config,
                             const LayerStats &stats);

} // namespace detail
} // namespace quant
} // namespace bitmod

#endif // BITMOD_LIB_QUANT_CALIBRATIONINTERNAL_H
