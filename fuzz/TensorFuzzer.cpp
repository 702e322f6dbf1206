//===- TensorFuzzer.cpp - libFuzzer targets for the tensor readers --------===//
//
// The .npy reader (bitmod/Support/Npy.h) and the TensorProto .pb reader
// (bitmod/Runtime/Session.h) on arbitrary bytes; built twice, with
// BITMOD_FUZZ_TENSORPROTO selecting the reader. An array that parses must
// convert to float32 with one value per element, and a .npy must survive
// serializeNpy/parseNpy unchanged.
//
//===----------------------------------------------------------------------===//

#include "bitmod/Runtime/Session.h"
#include "bitmod/Support/Npy.h"

#include <cstdlib>

using namespace bitmod;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::ArrayRef<uint8_t> bytes(data, size);
#ifdef BITMOD_FUZZ_TENSORPROTO
  auto array = rt::parseTensorProto(bytes, "fuzz.pb");
#else
  auto array = support::parseNpy(bytes, "fuzz.npy");
#endif
  if (!array) {
    llvm::consumeError(array.takeError());
    return 0;
  }
  int64_t elements = array->getNumElements();
  if (elements < 0 ||
      uint64_t(elements) * support::getNpyElementSize(array->dtype) !=
          array->data.size())
    std::abort(); // the shape does not describe the data
  if (array->toFloat32().size() != uint64_t(elements))
    std::abort();
  std::vector<uint8_t> again = support::serializeNpy(*array);
  auto reparsed = support::parseNpy(again, "fuzz2.npy");
  if (!reparsed || reparsed->shape != array->shape ||
      reparsed->dtype != array->dtype || reparsed->data != array->data)
    std::abort();
  return 0;
}
