//===- DatapathKernels.h - SIMD group sums of the PE datapath ---*- C++ -*-===//
//
// Private to lib/Sim. DatapathKernels.inc computes the exact group partial
// sums (Datapath.h steps 2-3) of 16 output channels at once, one channel
// per vector lane; each lane does exactly the per-step alignment and
// rounding of the scalar model. It is compiled once per instruction set
// (generic; on x86-64 also AVX2 and AVX-512) and Datapath.cpp picks the best
// the CPU runs. Only the plain types below cross into those objects.
//
// Inputs of one group of `steps` 4-way steps:
//  * terms[(4 * s + j) * 16 + lane]: the terms of weight j of step s of the
//    lane's channel, one byte per term (byte t of the word): 0 for a zero
//    term, else sign * (exp + kTermExpBias).
//  * actExp[4 * s + j]: biased FP16 exponent (subnormals 1) minus
//    kTermExpBias, or kNoActivation for a zero mantissa or a padded lane;
//    actMan[4 * s + j]: signed mantissa * 2^kGuardBits (0 for zero).
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_LIB_SIM_DATAPATHKERNELS_H
#define BITMOD_LIB_SIM_DATAPATHKERNELS_H

#include <cstdint>

namespace bitmod {
namespace sim {
namespace kernels {

constexpr unsigned kLanes = 16;
constexpr int32_t kTermExpBias = 64;
/// Any exponent this low never wins the alignment maximum (the real ones
/// are >= 1) and shifts its lane's product out entirely.
constexpr int32_t kNoActivation = -1000;

/// Adds the exact group partial sums of the 16 lanes (units of 2^-27) to
/// acc[lane]. numTerms in 1..4. At most `flushSteps` steps are summed in
/// 64-bit lanes before they are added to acc (the caller bounds it so that
/// no 64-bit sum overflows).
using GroupSumsFn = void (*)(const uint32_t *terms, const int32_t *actExp,
                             const int32_t *actMan, unsigned steps,
                             unsigned numTerms, unsigned flushSteps,
                             __int128 *acc);

/// Term words of 16 lanes x `count` codes (count a multiple of 16) into the
/// [k][lane] layout: dst[i * 16 + l] = tables[l][rows[l][i] & mask]. The
/// tables have 256 entries; unless all lanes share one, only the first 16
/// are used: returns false (dst partly written) if then a masked code is
/// above 15, or if the build has no fast path.
using DecodeTileFn = bool (*)(const uint8_t *const *rows,
                              const uint32_t *const *tables, unsigned count,
                              uint8_t mask, uint32_t *dst);

namespace generic {
bool decodeTile(const uint8_t *const *rows, const uint32_t *const *tables,
                unsigned count, uint8_t mask, uint32_t *dst);
void groupSums(const uint32_t *terms, const int32_t *actExp,
               const int32_t *actMan, unsigned steps, unsigned numTerms,
               unsigned flushSteps, __int128 *acc);
} // namespace generic
namespace avx2 {
bool decodeTile(const uint8_t *const *rows, const uint32_t *const *tables,
                unsigned count, uint8_t mask, uint32_t *dst);
void groupSums(const uint32_t *terms, const int32_t *actExp,
               const int32_t *actMan, unsigned steps, unsigned numTerms,
               unsigned flushSteps, __int128 *acc);
} // namespace avx2
namespace avx512 {
bool decodeTile(const uint8_t *const *rows, const uint32_t *const *tables,
                unsigned count, uint8_t mask, uint32_t *dst);
void groupSums(const uint32_t *terms, const int32_t *actExp,
               const int32_t *actMan, unsigned steps, unsigned numTerms,
               unsigned flushSteps, __int128 *acc);
} // namespace avx512

} // namespace kernels
} // namespace sim
} // namespace bitmod

#endif // BITMOD_LIB_SIM_DATAPATHKERNELS_H
