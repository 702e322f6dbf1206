//===- EmitISA.h - bitmod_hw launches -> isa::Program -----------*- C++ -*-===//
//
// Serializes a module scheduled by --bitmod-bit-serial-schedule: the
// instructions of every bitmod_hw.launch in program order, one LayerRange per
// launch, the weight blob packed from each load_wgt's `block`, and input /
// output symbols for every launch. `--emit-isa` writes it as a .bmod file
// (isa::writeBmod), `--emit-asm` as the assembly listing (isa::printAssembly).
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_TARGET_ISA_EMITISA_H
#define BITMOD_TARGET_ISA_EMITISA_H

#include "bitmod/ISA/Program.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

namespace mlir {
namespace bitmod {

/// The program of a scheduled module; diagnostics on failure. The result
/// has passed isa::verifyProgram.
FailureOr<::bitmod::isa::Program> buildISAProgram(ModuleOp module);

/// Registers the `--emit-isa` and `--emit-asm` translations.
void registerBitMoDISATranslations();

} // namespace bitmod
} // namespace mlir

#endif // BITMOD_TARGET_ISA_EMITISA_H
