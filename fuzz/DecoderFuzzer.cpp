//===- DecoderFuzzer.cpp - libFuzzer target for the .bmod reader ----------===//
//
// Feeds arbitrary bytes to readBmod (and the first 16 bytes to decode). A
// file that parses must re-serialize and parse back to the same program,
// and its assembly listing must re-assemble to the same program.
//
//===----------------------------------------------------------------------===//

#include "bitmod/ISA/Assembly.h"
#include "bitmod/ISA/Program.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

using namespace bitmod::isa;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size >= kInstructionBytes) {
    auto inst = decode(llvm::ArrayRef<uint8_t>(data, kInstructionBytes));
    if (inst) {
      if (encode(*inst) != EncodedInstruction()) {
        EncodedInstruction enc = encode(*inst);
        if (!std::equal(enc.begin(), enc.end(), data))
          std::abort(); // decode accepted a non-canonical encoding
      }
    } else {
      llvm::consumeError(inst.takeError());
    }
  }
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  auto program = readBmod(llvm::MemoryBufferRef(bytes, "fuzz"));
  if (!program) {
    llvm::consumeError(program.takeError());
    return 0;
  }
  std::string out;
  llvm::raw_string_ostream os(out);
  if (llvm::Error e = writeBmod(*program, os)) {
    llvm::consumeError(std::move(e));
    std::abort(); // a program that was read must be writable
  }
  auto again = readBmod(llvm::MemoryBufferRef(out, "fuzz2"));
  if (!again || !(*again == *program))
    std::abort();
  std::string text;
  llvm::raw_string_ostream ts(text);
  printAssembly(*program, ts);
  auto parsed = parseAssembly(text, "fuzz.s");
  if (!parsed || !(*parsed == *program))
    std::abort();
  return 0;
}
