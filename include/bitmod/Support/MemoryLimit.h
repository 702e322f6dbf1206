//===- MemoryLimit.h - The limit on allocations sized by input --*- C++ -*-===//
//
// Every allocation whose size comes from an input file (a splat constant
// expanded to its full shape, a tensor's dims, a dequantized weight, a DRAM
// image) is checked against one process-wide limit before it is made, so
// that a huge shape is a clear error naming the tensor and its size rather
// than `LLVM ERROR: out of memory`. The limit defaults to 16 GiB (or
// $BITMOD_MAX_MEMORY) and every tool takes `--max-memory=SIZE`.
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_SUPPORT_MEMORYLIMIT_H
#define BITMOD_SUPPORT_MEMORYLIMIT_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>

namespace bitmod {

/// 16 GiB.
constexpr uint64_t kDefaultMemoryLimit = uint64_t(16) << 30;

/// The current limit in bytes: --max-memory, else $BITMOD_MAX_MEMORY, else
/// kDefaultMemoryLimit.
uint64_t getMemoryLimit();
/// Sets the limit (the --max-memory option does this when parsed).
void setMemoryLimit(uint64_t bytes);

/// "123", "64K", "512M", "16G", "1T" (powers of 1024; an optional "iB" or
/// "B" suffix, case-insensitive).
std::optional<uint64_t> parseMemorySize(llvm::StringRef text);
/// "256 GiB", "1.5 MiB", "12 bytes".
std::string formatMemorySize(uint64_t bytes);

/// The bytes of `numElements(dims) * elementBytes`, or nullopt if the product
/// overflows 64 bits (negative dims count as overflow).
std::optional<uint64_t> getTensorBytes(llvm::ArrayRef<int64_t> dims,
                                       uint64_t elementBytes);

/// Success if `bytes` fit in the limit, else "<what> needs <size>, over the
/// memory limit of <limit> (--max-memory)".
llvm::Error checkMemory(const llvm::Twine &what, uint64_t bytes);
/// checkMemory of a tensor of `dims`; the message names the shape
/// ("65536x1048576") and states an overflow as such.
llvm::Error checkTensorMemory(const llvm::Twine &what,
                              llvm::ArrayRef<int64_t> dims,
                              uint64_t elementBytes);

/// Registers `--max-memory=SIZE` with the command-line parser (in
/// `category` too, when given); call before llvm::cl::ParseCommandLineOptions
/// (or MlirOptMain / mlirTranslateMain).
void registerMemoryLimitOption(llvm::cl::OptionCategory *category = nullptr);

} // namespace bitmod

#endif // BITMOD_SUPPORT_MEMORYLIMIT_H
