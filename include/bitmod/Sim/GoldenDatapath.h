//===- GoldenDatapath.h - Reference model of the PE datapath ----*- C++ -*-===//
//
// A second, deliberately plain implementation of the datapath documented in
// Datapath.h / docs/simulator.md, written independently of the fast path
// (no shared helpers; only the DataType.h value tables). Used by the tests
// to check the fast model bit for bit. Slow: one rational product at a
// time, explicit round-half-even by integer division.
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_SIM_GOLDENDATAPATH_H
#define BITMOD_SIM_GOLDENDATAPATH_H

#include "bitmod/Quant/DataType.h"
#include "bitmod/Sim/Datapath.h"

#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace bitmod {
namespace sim {
namespace golden {

/// Terms of a weight value as (sign, exponent) pairs, in cycle order.
/// Errors for types the PE does not support.
llvm::Expected<std::vector<std::pair<int, int>>>
decodeTerms(quant::DataType type, uint32_t code, unsigned selector,
            unsigned zeroPoint,
            const std::optional<std::array<int32_t, 4>> &sv = std::nullopt);

/// Exact group partial sum in units of 2^-kGroupAccFracBits.
llvm::Expected<__int128>
groupPartialSum(quant::DataType type, const uint16_t *actFp16,
                const uint8_t *codes, unsigned count, unsigned selector,
                unsigned zeroPoint,
                const std::optional<std::array<int32_t, 4>> &sv = std::nullopt);

/// Dequantized group partial sum (FP32, RNE of the exact product).
float dequantize(__int128 acc, int32_t scaleCode, GroupScaleKind kind);

/// Full grouped matmul, same contract as sim::groupedMatmul.
llvm::Error groupedMatmul(const uint16_t *x, unsigned M,
                          const QuantizedMatrixView &w, float *y,
                          const DatapathOptions &options = {});

} // namespace golden
} // namespace sim
} // namespace bitmod

#endif // BITMOD_SIM_GOLDENDATAPATH_H
