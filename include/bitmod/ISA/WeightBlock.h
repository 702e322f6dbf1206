//===- WeightBlock.h - Weight block layout in the weight buffer -*- C++ -*-===//
//
// A MATMUL reads one weight block: the quantized weights of `n` output
// channels over `kGroups` groups of G weights along K. LOAD_WGT copies such a
// block verbatim from DRAM, so the compiler lays the weight blob out as a
// sequence of blocks. Layout (every section starts 16-byte aligned, sections
// that do not apply to the data type are empty):
//
//   codes          n rows x (kGroups*G*b/8) bytes, b-bit codes LSB-first
//   group scales   n x kGroups entries, row-major: int8 scale codes
//                  (scaleBits 4..8), fp32 little-endian (scaleBits 0), or for
//                  MX types the int8 shared exponents (scaleBits ignored)
//   zero points    n x kGroups uint8 (asymmetric integer types only)
//   selectors      per channel ceil(kGroups/4) bytes of 2-bit selectors,
//                  LSB-first (bitmod3 / bitmod4 only)
//   channel scales n fp32 little-endian (scaleBits > 0, not MX)
//
// This is the quant::PackedWeights storage layout restricted to a block of
// rows and groups, so a block is a slice of the quantizer's output.
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_ISA_WEIGHTBLOCK_H
#define BITMOD_ISA_WEIGHTBLOCK_H

#include "bitmod/ISA/Instruction.h"

#include "llvm/Support/Error.h"

#include <array>
#include <cstdint>
#include <vector>

namespace bitmod {
namespace quant {
struct PackedWeights;
} // namespace quant
} // namespace bitmod

namespace bitmod {
namespace isa {

struct WeightBlockLayout {
  uint32_t n = 0;
  uint32_t kGroups = 0;
  uint32_t groupSize = 0;
  uint32_t codeBits = 0;
  uint32_t codeRowBytes = 0; // bytes of codes per channel
  uint32_t codesOffset = 0, codesBytes = 0;
  uint32_t scaleEntryBytes = 0; // 1 (int8) or 4 (fp32)
  uint32_t scalesOffset = 0, scalesBytes = 0;
  uint32_t zeroPointsOffset = 0, zeroPointsBytes = 0;
  uint32_t selectorsOffset = 0, selectorsBytes = 0;
  uint32_t channelScalesOffset = 0, channelScalesBytes = 0;
  uint32_t totalBytes = 0; // multiple of 16
};

/// Layout of a block of `n` channels x `kGroups` groups under `config`.
/// Fails for data types the BitMoD datapath cannot hold (fp16) and for
/// blocks larger than the 24-bit LOAD_WGT size field.
llvm::Expected<WeightBlockLayout>
getWeightBlockLayout(const ConfigFields &config, uint32_t n, uint32_t kGroups);

/// The special-value register file contents that make the datapath decode
/// `dtype` like quant::decodeCode (DataType.h special values; zeros for types
/// without special values).
std::array<int8_t, 4> getDefaultSpecialValues(quant::DataType dtype);

/// A CONFIG matching packed weights (dtype, G, scaleBits, their SV set);
/// array shape left at its defaults. Fails for fp16 and non-per-group
/// granularities with G not a multiple of 8.
llvm::Expected<ConfigFields>
getConfigForWeights(const quant::PackedWeights &weights);

/// Copies rows [n0, n0+n) and groups [g0, g0+kGroups) of `weights` into a
/// weight block laid out as getWeightBlockLayout(config, n, kGroups).
/// Groups beyond the tensor's groups are zero (they contribute nothing).
llvm::Expected<std::vector<uint8_t>>
packWeightBlock(const quant::PackedWeights &weights, const ConfigFields &config,
                int64_t n0, uint32_t n, int64_t g0, uint32_t kGroups);

} // namespace isa
} // namespace bitmod

#endif // BITMOD_ISA_WEIGHTBLOCK_H
