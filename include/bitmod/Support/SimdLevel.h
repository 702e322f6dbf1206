//===- SimdLevel.h - Which SIMD kernel build the CPU runs -------*- C++ -*-===//
//
// The quantizer and the datapath build their hot loops once per instruction
// set (generic, and on x86-64 AVX2 and AVX-512 with BW/DQ/VL) and pick one at
// run time with getHostSimdLevel().
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_SUPPORT_SIMDLEVEL_H
#define BITMOD_SUPPORT_SIMDLEVEL_H

#include <string_view>

namespace bitmod {
namespace support {

enum class SimdLevel { Generic = 0, AVX2 = 1, AVX512 = 2 };

inline std::string_view getSimdLevelName(SimdLevel level) {
  switch (level) {
  case SimdLevel::AVX512:
    return "avx512";
  case SimdLevel::AVX2:
    return "avx2";
  case SimdLevel::Generic:
    break;
  }
  return "generic";
}

/// The best level this CPU runs (Generic on other architectures).
inline SimdLevel getHostSimdLevel() {
#if defined(__x86_64__) || defined(_M_X64)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
    return SimdLevel::AVX512;
  if (__builtin_cpu_supports("avx2"))
    return SimdLevel::AVX2;
#endif
  return SimdLevel::Generic;
}

} // namespace support
} // namespace bitmod

#endif // BITMOD_SUPPORT_SIMDLEVEL_H
