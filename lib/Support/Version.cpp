//===- Version.cpp - The project version of every tool --------------------===//

#include "bitmod/Support/Version.h"

#include "VersionInfo.h"

#include "llvm/Config/llvm-config.h"
#include "llvm/Support/CommandLine.h"

#include <string>

using namespace bitmod;

llvm::StringRef bitmod::getProjectVersion() { return BITMOD_PROJECT_VERSION; }

llvm::StringRef bitmod::getGitRevision() { return BITMOD_GIT_REVISION; }

llvm::StringRef bitmod::getLLVMVersion() { return LLVM_VERSION_STRING; }

void bitmod::printVersion(llvm::raw_ostream &os, llvm::StringRef toolName) {
  os << toolName << " (bitmod-mlir) " << getProjectVersion() << "\n"
     << "  git revision: " << getGitRevision() << "\n"
     << "  LLVM version: " << getLLVMVersion() << "\n";
}

void bitmod::installVersionPrinter(llvm::StringRef toolName) {
  // The printer outlives the caller's string.
  static std::string name;
  name = toolName.str();
  llvm::cl::SetVersionPrinter(
      [](llvm::raw_ostream &os) { printVersion(os, name); });
}
