//===- Assembly.h - BitMoD assembly listing and assembler -------*- C++ -*-===//
//
// A readable text form of a whole Program (directives for the header,
// symbols, layers, accelerator JSON and weight bytes, then one instruction
// per line). printAssembly and parseAssembly round-trip exactly:
// parseAssembly(printAssembly(p)) == p. Syntax: docs/isa.md, "Assembly".
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_ISA_ASSEMBLY_H
#define BITMOD_ISA_ASSEMBLY_H

#include "bitmod/ISA/Program.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace bitmod {
namespace isa {

struct AsmPrintOptions {
  /// Print the weight blob as `.data` hex lines. When false the listing
  /// only states the blob size and cannot be re-assembled.
  bool printWeights = true;
};

/// Prints one instruction (no newline), e.g.
/// `load.wgt  queue=load    dram_addr=0x000001000 buf_offset=0x000000
/// bytes=4096 pop_next=0 push_next=1` (one line). The keys are the field keys
/// of bitmod/ISA/Instructions.def.
void printInstruction(const Instruction &inst, llvm::raw_ostream &os);
/// Prints the whole program.
void printAssembly(const Program &program, llvm::raw_ostream &os,
                   const AsmPrintOptions &options = {});
/// Parses one instruction line (as printed by printInstruction); the result
/// has passed verifyInstruction().
llvm::Expected<Instruction> parseInstruction(llvm::StringRef line);
/// parseInstruction() without verifyInstruction() (syntax and value types
/// only).
llvm::Expected<Instruction> parseInstructionUnverified(llvm::StringRef line);
/// Parses a listing; errors carry `<bufferName>:<line>:`. The result has
/// passed verifyProgram().
llvm::Expected<Program> parseAssembly(llvm::StringRef text,
                                      llvm::StringRef bufferName = "<asm>");

} // namespace isa
} // namespace bitmod

#endif // BITMOD_ISA_ASSEMBLY_H
