//===- AccelJsonFuzzer.cpp - libFuzzer target for the accelerator JSON ----===//
//
// parseAccelConfigJSON (bitmod/Arch/AccelConfig.h) on arbitrary text. A
// description that parses is valid by contract, so it must print and parse
// back to the same JSON, and the key=value reader must not crash on the same
// text either.
//
//===----------------------------------------------------------------------===//

#include "bitmod/Arch/AccelConfig.h"

#include <cstdlib>

using namespace bitmod;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  if (auto kv = arch::fromKeyValue(text); !kv)
    llvm::consumeError(kv.takeError());
  auto cfg = arch::parseAccelConfigJSON(text);
  if (!cfg) {
    llvm::consumeError(cfg.takeError());
    return 0;
  }
  std::string printed = arch::toJSONString(*cfg);
  auto again = arch::parseAccelConfigJSON(printed);
  if (!again) {
    llvm::consumeError(again.takeError());
    std::abort(); // a valid description must print as a valid one
  }
  if (arch::toJSONString(*again) != printed)
    std::abort();
  return 0;
}
