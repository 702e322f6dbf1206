//===- QuantKernels.h - SIMD row kernels of the quantizer -------*- C++ -*-===//
//
// Private to lib/Quant. QuantKernels.inc holds one implementation of the
// per-row quantization of Quantizer.h, written with GCC/Clang vector
// extensions; it is compiled once per instruction set (generic, and on
// x86-64 also AVX2 and AVX-512) and Quantizer.cpp picks the best one the
// CPU runs. The kernels see only the plain structs below: no standard
// library templates cross into the ISA-specific objects, so no inline
// function compiled for AVX-512 can be picked by the linker for other code.
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_LIB_QUANT_QUANTKERNELS_H
#define BITMOD_LIB_QUANT_QUANTKERNELS_H

#include <cstdint>

namespace bitmod {
namespace quant {
namespace kernels {

enum : unsigned { KindTable = 0, KindSymInt, KindAsymInt, KindFP16 };

/// A sorted value set (see detail::ValueTable).
struct Table {
  const float *values = nullptr;
  const float *mids = nullptr;
  const float *deltas = nullptr; // values[j + 1] - values[j]
  const uint32_t *codes = nullptr;
  unsigned numMids = 0;
  uint32_t zeroCode = 0;
  /// Sets of at most 16 values (every table type but the fp5/fp6
  /// minifloats) also as 16-entry vectors for a branch-free binary search:
  /// searchBits = log2 of the padded size (0: not available), the mids
  /// padded with +inf, values and codes padded with their last entry.
  unsigned searchBits = 0;
  float paddedMids[16];
  float paddedValues[16];
  uint32_t paddedCodes[16];
};

/// Per-dtype parameters (see detail::TypeInfo).
struct TypeParams {
  unsigned kind = KindTable;
  unsigned bits = 0;
  int intMax = 0;
  int mxElemExp = 0;
  bool isMX = false;
  bool hasSelector = false;
  unsigned numCand = 0;
  const Table *tables = nullptr;
  const float *qmax = nullptr;
};

/// Shape and options of a row.
struct RowParams {
  int64_t K = 0, G = 0, numGroups = 0, paddedK = 0;
  int64_t rowCodeBytes = 0;
  unsigned scaleBits = 0;
  bool hasTensorRange = false;
  float rangeMin = 0, rangeMax = 0;
};

/// Scratch of one worker (sizes: numGroups; numGroups * numCand; paddedK;
/// G * numCand).
struct Scratch {
  float *absmax, *gmin, *gmax, *floatScale;
  uint32_t *codes;
  uint8_t *idx;
};

/// The outputs of one row (null where the layout has no such section).
struct RowOut {
  uint8_t *codes;          // rowCodeBytes
  int8_t *groupScaleCodes; // numGroups
  float *groupScales;      // numGroups
  float *channelScale;     // 1
  uint8_t *selectors;      // rowSelectorBytes
  uint8_t *zeroPoints;     // numGroups
  int8_t *sharedExponents; // numGroups
};

/// Quantizes one row (any kind but KindFP16) exactly like
/// detail::quantizeRowReference. Returns -1, or the first non-finite column
/// (then nothing is written).
using RowFn = int64_t (*)(const TypeParams &, const RowParams &,
                          const Scratch &, const RowOut &, const float *w);

namespace generic {
int64_t quantizeRow(const TypeParams &, const RowParams &, const Scratch &,
                    const RowOut &, const float *w);
} // namespace generic
namespace avx2 {
int64_t quantizeRow(const TypeParams &, const RowParams &, const Scratch &,
                    const RowOut &, const float *w);
} // namespace avx2
namespace avx512 {
int64_t quantizeRow(const TypeParams &, const RowParams &, const Scratch &,
                    const RowOut &, const float *w);
} // namespace avx512

} // namespace kernels
} // namespace quant
} // namespace bitmod

#endif // BITMOD_LIB_QUANT_QUANTKERNELS_H
