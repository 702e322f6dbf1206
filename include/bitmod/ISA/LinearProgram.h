//===- LinearProgram.h - Reference code generator for one GEMM --*- C++ -*-===//
//
// Builds a complete Program for one linear layer y[M, N] = x[M, K] W[N, K]^T
// from quantized weights: the weight blob as a sequence of weight blocks,
// symbols for x (f16) and y, and a double-buffered schedule (two weight
// slots, two output slots) synchronized with dependency tokens. It is the
// reference for what the compiler emits and feeds the executor tests, the
// lit tests and `bitmod-sim --make-linear`.
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_ISA_LINEARPROGRAM_H
#define BITMOD_ISA_LINEARPROGRAM_H

#include "bitmod/ISA/Program.h"

#include "llvm/Support/Error.h"

#include <string>

namespace bitmod {
namespace quant {
struct PackedWeights;
} // namespace quant

namespace isa {

struct LinearProgramOptions {
  uint32_t tokenLanes = 32; // CONFIG arrangement
  uint32_t channelLanes = 32;
  uint32_t actBufferBytes = 512 * 1024;
  uint32_t wgtBufferBytes = 512 * 1024;
  OutFormat outFormat = OutFormat::F32; // also the element type of y
  /// Channels per weight block (multiple of channelLanes); 0 = largest that
  /// fits half the weight buffer.
  uint32_t blockChannels = 0;
  /// Groups per weight block; 0 = all groups if they fit.
  uint32_t blockGroups = 0;
  std::string inputName = "x";
  std::string outputName = "y";
  std::string layerName = "linear";
  std::string accelConfig; // copied into the program
};

/// Errors when x[M, Kpad] plus two output tiles do not fit the activation
/// buffer, or M exceeds the MATMUL m field.
llvm::Expected<Program>
buildLinearProgram(const quant::PackedWeights &weights, uint32_t M,
                   const LinearProgramOptions &options = {});

} // namespace isa
} // namespace bitmod

#endif // BITMOD_ISA_LINEARPROGRAM_H
