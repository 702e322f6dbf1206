//===- MemoryLimit.cpp - The limit on allocations sized by input ----------===//

#include "bitmod/Support/MemoryLimit.h"

#include "bitmod/Support/Error.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"

#include <atomic>
#include <cstdlib>

using namespace bitmod;

namespace {
/// 0: not set yet (the environment or the default applies).
std::atomic<uint64_t> memoryLimit{0};
} // namespace

uint64_t bitmod::getMemoryLimit() {
  if (uint64_t limit = memoryLimit.load(std::memory_order_relaxed))
    return limit;
  uint64_t limit = kDefaultMemoryLimit;
  if (const char *env = std::getenv("BITMOD_MAX_MEMORY"))
    if (std::optional<uint64_t> parsed = parseMemorySize(env);
        parsed && *parsed)
      limit = *parsed;
  memoryLimit.store(limit, std::memory_order_relaxed);
  return limit;
}

void bitmod::setMemoryLimit(uint64_t bytes) {
  memoryLimit.store(bytes, std::memory_order_relaxed);
}

std::optional<uint64_t> bitmod::parseMemorySize(llvm::StringRef text) {
  text = text.trim();
  if (text.ends_with_insensitive("ib"))
    text = text.drop_back(2);
  else if (text.ends_with_insensitive("b"))
    text = text.drop_back(1);
  unsigned shift = 0;
  if (!text.empty()) {
    switch (text.back()) {
    case 'k':
    case 'K':
      shift = 10;
      break;
    case 'm':
    case 'M':
      shift = 20;
      break;
    case 'g':
    case 'G':
      shift = 30;
      break;
    case 't':
    case 'T':
      shift = 40;
      break;
    default:
      break;
    }
  }
  if (shift)
    text = text.drop_back(1);
  uint64_t value;
  if (text.trim().getAsInteger(10, value))
    return std::nullopt;
  if (shift && value > (UINT64_MAX >> shift))
    return std::nullopt;
  return value << shift;
}

std::string bitmod::formatMemorySize(uint64_t bytes) {
  static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024)
    return llvm::formatv("{0} bytes", bytes).str();
  double value = double(bytes);
  int unit = -1;
  while (value >= 1024 && unit < 5) {
    value /= 1024;
    ++unit;
  }
  if (value == double(uint64_t(value)))
    return llvm::formatv("{0} {1}", uint64_t(value), units[unit]).str();
  return llvm::formatv("{0:f1} {1}", value, units[unit]).str();
}

std::optional<uint64_t> bitmod::getTensorBytes(llvm::ArrayRef<int64_t> dims,
                                               uint64_t elementBytes) {
  uint64_t bytes = elementBytes;
  for (int64_t d : dims) {
    if (d < 0)
      return std::nullopt;
    if (d != 0 && bytes > UINT64_MAX / uint64_t(d))
      return std::nullopt;
    bytes *= uint64_t(d);
  }
  return bytes;
}

llvm::Error bitmod::checkMemory(const llvm::Twine &what, uint64_t bytes) {
  uint64_t limit = getMemoryLimit();
  if (bytes <= limit)
    return llvm::Error::success();
  return makeError(what + " needs " + formatMemorySize(bytes) +
                   ", over the memory limit of " + formatMemorySize(limit) +
                   " (--max-memory)");
}

llvm::Error bitmod::checkTensorMemory(const llvm::Twine &what,
                                      llvm::ArrayRef<int64_t> dims,
                                      uint64_t elementBytes) {
  std::string shape;
  for (size_t i = 0; i < dims.size(); ++i)
    shape += (i ? "x" : "") + std::to_string(dims[i]);
  if (llvm::any_of(dims, [](int64_t d) { return d < 0; }))
    return makeError(what + " of shape [" + shape +
                     "] has a negative dimension");
  std::optional<uint64_t> bytes = getTensorBytes(dims, elementBytes);
  if (!bytes)
    return makeError(what + " of shape [" + shape +
                     "]: its size overflows 64 bits");
  return checkMemory(what + " of shape [" + shape + "]", *bytes);
}

void bitmod::registerMemoryLimitOption(llvm::cl::OptionCategory *category) {
  // A string option (LLVM's integer parsers cannot be extended): a bad size
  // is reported as the parser reports its own errors, then the tool exits.
  static llvm::cl::opt<std::string> option(
      "max-memory",
      llvm::cl::desc("Largest allocation sized by the input (constants "
                     "expanded, tensors read, dequantized weights), e.g. "
                     "512M, 16G (default $BITMOD_MAX_MEMORY or 16G)"),
      llvm::cl::value_desc("size"),
      llvm::cl::cb<void, const std::string &>([](const std::string &text) {
        std::optional<uint64_t> parsed = parseMemorySize(text);
        if (!parsed || *parsed == 0) {
          option.error("'" + text +
                       "' is not a memory size (e.g. 512M, 16G, 1T)");
          std::exit(1);
        }
        setMemoryLimit(*parsed);
      }));
  if (category)
    option.addCategory(*category);
}
