//===- Program.h - BitMoD program and the .bmod file format -----*- C++ -*-===//
//
// A Program is everything the simulator needs to run a compiled model on the
// accelerator: the instruction stream, the packed weight blob (the DRAM image
// of the weights), the symbol table of input/output tensors in DRAM, the
// layer table (instruction ranges per named layer, for reports) and the
// accelerator parameters (AccelConfig JSON). writeBmod/readBmod serialize it
// as a .bmod file (docs/isa.md, "File format").
//
// Plain C++ (no MLIR).
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_ISA_PROGRAM_H
#define BITMOD_ISA_PROGRAM_H

#include "bitmod/ISA/Instruction.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBufferRef.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>
#include <vector>

namespace bitmod {
namespace isa {

/// Format 2.0 added CRC-32 checksums of the header, the section table and
/// every section (docs/isa.md, "File format"); 1.x files are refused.
constexpr uint16_t kBmodVersionMajor = 2;
constexpr uint16_t kBmodVersionMinor = 0;

enum class SymbolKind : uint8_t { Input = 0, Output = 1 };
/// Element type of a tensor in DRAM.
enum class ElemType : uint8_t { F16 = 0, F32 = 1 };

unsigned getElemBytes(ElemType type);
llvm::StringRef getElemTypeName(ElemType type); // "f16", "f32"
std::optional<ElemType> parseElemTypeName(llvm::StringRef name);
llvm::StringRef getSymbolKindName(SymbolKind kind); // "input", "output"
std::optional<SymbolKind> parseSymbolKindName(llvm::StringRef name);

/// An input or output tensor: row-major, dense, in DRAM at [dramAddr,
/// dramAddr + bytes).
struct Symbol {
  std::string name;
  SymbolKind kind = SymbolKind::Input;
  ElemType elemType = ElemType::F16;
  std::vector<int64_t> shape;
  uint64_t dramAddr = 0;
  uint64_t bytes = 0;

  int64_t getNumElements() const;
  bool operator==(const Symbol &o) const;
};

/// A named contiguous range of instructions (program order), with the
/// logical GEMM Y[M, N] = X[M, K] W[N, K]^T it implements (0 = unknown), used
/// by reports and baseline comparisons.
struct LayerRange {
  std::string name;
  uint32_t firstInst = 0;
  uint32_t numInsts = 0;
  uint64_t gemmM = 0, gemmN = 0, gemmK = 0;
  bool operator==(const LayerRange &o) const {
    return name == o.name && firstInst == o.firstInst &&
           numInsts == o.numInsts && gemmM == o.gemmM && gemmN == o.gemmN &&
           gemmK == o.gemmK;
  }
};

struct Program {
  uint16_t versionMajor = kBmodVersionMajor;
  uint16_t versionMinor = kBmodVersionMinor;
  /// Bytes of DRAM the program addresses (weights + all symbols).
  uint64_t dramSize = 0;
  /// DRAM address of the first byte of `weights`.
  uint64_t weightBase = 0;
  /// On-chip buffer sizes the program was compiled for (bytes).
  uint32_t actBufferBytes = 512 * 1024;
  uint32_t wgtBufferBytes = 512 * 1024;
  /// Accelerator parameters as AccelConfig JSON (bitmod/Arch/AccelConfig.h);
  /// empty means the simulator's defaults.
  std::string accelConfig;
  std::vector<Instruction> instructions;
  std::vector<uint8_t> weights;
  std::vector<Symbol> symbols;
  std::vector<LayerRange> layers;

  const Symbol *findSymbol(llvm::StringRef name) const;
  bool operator==(const Program &o) const;
};

/// Checks a whole program: every instruction (verifyInstruction), a CONFIG
/// before the first MATMUL, buffer ranges inside the buffers, DRAM ranges
/// inside the DRAM image, MATMUL pitches covering their rows, weight-block
/// sizes, symbols (unique names, sizes matching shapes, no overlap with each
/// other or with the weight blob), layer ranges in bounds and disjoint,
/// token balance per channel (every push popped) with no deadlock, and HALT
/// as the last and only HALT instruction. Errors name the instruction index.
llvm::Error verifyProgram(const Program &program);

/// Serializes a program (verifies it first).
llvm::Error writeBmod(const Program &program, llvm::raw_ostream &os);
/// Parses a .bmod image; errors carry the file offset of the problem. The
/// returned program has passed verifyProgram().
llvm::Expected<Program> readBmod(llvm::MemoryBufferRef buffer);
/// Convenience: read a .bmod file from disk.
llvm::Expected<Program> readBmodFile(llvm::StringRef path);
/// Recomputes every checksum of a .bmod image in place (sections whose
/// table entry points outside the image are skipped), for tools that patch
/// images on purpose: the fuzzer and tests of the structural checks behind
/// the checksums. Fails if the image has no complete header and table.
llvm::Error sealBmodChecksums(llvm::MutableArrayRef<uint8_t> image);

} // namespace isa
} // namespace bitmod

#endif // BITMOD_ISA_PROGRAM_H
