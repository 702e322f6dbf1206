//===- BmodFuzzer.cpp - libFuzzer target for the .bmod reader -------------===//
//
// Feeds arbitrary bytes to readBmod (and the first 16 bytes to decode). The
// bytes are read as they are (the checksums must catch the mutation) and
// again with their checksums recomputed, so the structural checks behind
// the checksums (header, sections, instructions, weights, symbols, layers,
// the embedded accelerator JSON) are fuzzed too. A file that parses must
// re-serialize and parse back to the same program, its assembly listing
// must re-assemble to the same program, and a small program runs through
// the functional simulator on zero inputs (decoding its weight blocks).
//
//===----------------------------------------------------------------------===//

#include "bitmod/ISA/Assembly.h"
#include "bitmod/ISA/Program.h"
#include "bitmod/Sim/Executor.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <vector>

using namespace bitmod;
using namespace bitmod::isa;

static void checkDecode(const uint8_t *data, size_t size) {
  if (size < kInstructionBytes)
    return;
  auto inst = decode(llvm::ArrayRef<uint8_t>(data, kInstructionBytes));
  if (!inst) {
    llvm::consumeError(inst.takeError());
    return;
  }
  EncodedInstruction enc = encode(*inst);
  if (!std::equal(enc.begin(), enc.end(), data))
    std::abort(); // decode accepted a non-canonical encoding
}

/// Programs small enough to execute quickly (the fuzzer's time limit is per
/// input).
static bool isSmall(const Program &p) {
  if (p.instructions.size() > 64 || p.dramSize > (1u << 20))
    return false;
  // Groups of at most 4095 weights: below ~2^24 multiply-adds in all.
  uint64_t groupTiles = 0;
  for (const Instruction &inst : p.instructions)
    if (inst.opcode == Opcode::MatMul)
      groupTiles +=
          uint64_t(inst.matmul.m) * inst.matmul.n * inst.matmul.kGroups;
  return groupTiles <= 4096;
}

static void checkProgram(const Program &program) {
  std::string out;
  llvm::raw_string_ostream os(out);
  if (llvm::Error e = writeBmod(program, os)) {
    llvm::consumeError(std::move(e));
    std::abort(); // a program that was read must be writable
  }
  auto again = readBmod(llvm::MemoryBufferRef(out, "fuzz2"));
  if (!again || !(*again == program))
    std::abort();
  std::string text;
  llvm::raw_string_ostream ts(text);
  printAssembly(program, ts);
  auto parsed = parseAssembly(text, "fuzz.s");
  if (!parsed || !(*parsed == program))
    std::abort();

  if (!isSmall(program))
    return;
  auto cfg = sim::getProgramAccelConfig(program);
  if (!cfg) {
    llvm::consumeError(cfg.takeError());
    return;
  }
  llvm::StringMap<std::vector<float>> inputs;
  for (const Symbol &s : program.symbols)
    if (s.kind == SymbolKind::Input)
      inputs[s.name].assign(size_t(s.getNumElements()), 0.0f);
  auto result = sim::execute(program, *cfg, inputs);
  if (!result)
    llvm::consumeError(result.takeError());
}

static void readAndCheck(llvm::ArrayRef<uint8_t> bytes) {
  llvm::StringRef text(reinterpret_cast<const char *>(bytes.data()),
                       bytes.size());
  auto program = readBmod(llvm::MemoryBufferRef(text, "fuzz"));
  if (!program) {
    llvm::consumeError(program.takeError());
    return;
  }
  checkProgram(*program);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  checkDecode(data, size);
  readAndCheck(llvm::ArrayRef<uint8_t>(data, size));
  std::vector<uint8_t> sealed(data, data + size);
  if (llvm::Error e = sealBmodChecksums(sealed)) {
    llvm::consumeError(std::move(e));
    return 0;
  }
  if (!std::equal(sealed.begin(), sealed.end(), data))
    readAndCheck(sealed);
  return 0;
}
