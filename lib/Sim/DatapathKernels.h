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

namespace generic {
void groupSums(const uint32_t *terms, const int32_t *actExp,
               const int32_t *actMan, unsigned steps, unsigned numTerms,
               unsigned flushSteps, __int128 *acc);
} // namespace generic
namespace avx2 {
void groupSums(const uint32_t *terms, const int32_t *actExp,
               const int32_t *actMan, unsigned steps, unsigned numTerms,
               unsigned flushSteps, __int128 *acc);
} // namespace avx2
namespace avx512 {
void groupSums(const uint32_t *terms, const int32_t *actExp,
               const int32_t *actMan, unsigned steps, unsigned numTerms,
               unsigned flushSteps, __int128 *acc);
} // namespace avx512

} // namespace kernels
} // namespace sim
} // namespace bitmod

#endif // BITMOD_LIB_SIM_DATAPATHKERNELS_H
