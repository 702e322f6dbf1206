//===- QuantizerInternal.h - Shared pieces of the quantizer -----*- C++ -*-===//
//
// Private to lib/Quant: the per-dtype quantization tables and the per-row
// entry points of the two implementations of Quantizer.h's contract, the
// scalar reference (QuantizerReference.cpp, the original code kept to
// check the fast path against) and the SIMD kernels (QuantKernels.inc).
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_LIB_QUANT_QUANTIZERINTERNAL_H
#define BITMOD_LIB_QUANT_QUANTIZERINTERNAL_H

#include "QuantKernels.h"

#include "bitmod/Quant/Quantizer.h"

#include <cmath>
#include <memory>
#include <optional>
#include <vector>

namespace bitmod {
namespace quant {
namespace detail {

/// ceil(x - 0.5) in double: nearest integer, exact halves go down.
inline double roundHalfDown(double x) { return std::ceil(x - 0.5); }

/// A sorted value set with its midpoints and the code of every value.
struct ValueTable {
  std::vector<float> values;
  std::vector<float> mids;
  /// values[j + 1] - values[j] (exact: the values are small integers).
  std::vector<float> deltas;
  std::vector<uint32_t> codes;
  float qmax = 0;
  uint32_t zeroCode = 0;
};

/// How the elements of a type are quantized.
enum class Kind {
  Table = kernels::KindTable,
  SymInt = kernels::KindSymInt,
  AsymInt = kernels::KindAsymInt,
  FP16 = kernels::KindFP16
};

/// Precomputed per-dtype quantization parameters.
struct TypeInfo {
  DataType dtype;
  Kind kind = Kind::Table;
  unsigned bits = 0;
  /// Candidate tables (4 for bitmod, else 1). Empty for integer kinds.
  std::vector<ValueTable> tables;
  /// SymInt: largest magnitude; AsymInt: 2^N - 1.
  int intMax = 0;
  /// Float qmax per candidate (SymInt: intMax; AsymInt: levels).
  std::vector<float> qmax;
  /// MX: floor(log2(qmax_elem)).
  int mxElemExp = 0;
  /// The same tables as plain pointers for the kernels.
  std::vector<kernels::Table> kernelTables;
  kernels::TypeParams kernelType;
};

const TypeInfo &getTypeInfo(DataType dtype);
/// The tables of `dtype` with the special values `sv` (kernel pointers set).
std::unique_ptr<TypeInfo> makeTypeInfo(DataType dtype,
                                       const SpecialValueSet &sv);

/// Per-row task state of the reference implementation.
struct RowContext {
  const TypeInfo &info;
  const QuantConfig &config;
  const BlobLayout &layout;
  int64_t K;
  /// PerTensor: shared range.
  std::optional<TensorRange> tensorRange;
  std::vector<uint32_t> rowCodes;
  std::vector<uint8_t> idx;
  std::vector<float> absmax, gmin, gmax;
  std::vector<float> floatScale; // [numGroups * numCandidates]

  RowContext(const TypeInfo &info, const QuantConfig &config,
             const BlobLayout &layout, int64_t K)
      : info(info), config(config), layout(layout), K(K),
        rowCodes(layout.paddedK),
        idx(layout.groupSize * std::max<size_t>(1, info.qmax.size())),
        absmax(layout.numGroups), gmin(layout.numGroups),
        gmax(layout.numGroups),
        floatScale(layout.numGroups * std::max<size_t>(1, info.qmax.size())) {}
};

/// The scalar reference: quantizes row `n` of `out`. Returns false (and the
/// bad column) on NaN/Inf.
bool quantizeRowReference(RowContext &ctx, const float *w, int64_t n,
                          PackedWeights &out, int64_t &badCol);

} // namespace detail
} // namespace quant
} // namespace bitmod

#endif // BITMOD_LIB_QUANT_QUANTIZERINTERNAL_H
