//===- Error.h - The error convention of the plain libraries ----*- C++ -*-===//
//
// Libraries without MLIR report failures as llvm::Error / llvm::Expected
// carrying a message that names the offending thing. makeError is the one
// way they build such an error.
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_SUPPORT_ERROR_H
#define BITMOD_SUPPORT_ERROR_H

#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"

namespace bitmod {

/// An llvm::Error with message `msg` (no error code: callers print it).
inline llvm::Error makeError(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

} // namespace bitmod

#endif // BITMOD_SUPPORT_ERROR_H
