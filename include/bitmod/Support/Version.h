//===- Version.h - The project version of every tool ------------*- C++ -*-===//
//
// `--version` of every bitmod tool prints the project version, the git
// revision the build was configured from ("unknown" outside a git checkout)
// and the LLVM version it was built against.
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_SUPPORT_VERSION_H
#define BITMOD_SUPPORT_VERSION_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

namespace bitmod {

/// "0.1.0" (CMake's PROJECT_VERSION).
llvm::StringRef getProjectVersion();
/// `git describe --always --dirty --tags` at configure time, or "unknown".
llvm::StringRef getGitRevision();
/// The LLVM version the build used ("22.1.8").
llvm::StringRef getLLVMVersion();

/// Prints "<tool> (bitmod-mlir) 0.1.0\n  git revision: ..\n  LLVM version:
/// ..\n".
void printVersion(llvm::raw_ostream &os, llvm::StringRef toolName);
/// Makes `--version` of the command-line parser print printVersion's text;
/// call before llvm::cl::ParseCommandLineOptions (or MlirOptMain).
void installVersionPrinter(llvm::StringRef toolName);

} // namespace bitmod

#endif // BITMOD_SUPPORT_VERSION_H
