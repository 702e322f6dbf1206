//===- ModelSim.h - model.cpp main() and the model.sim build ----*- C++ -*-===//
//
// Internal to BitMoDCompiler: the generated main() of model.sim, over the
// `bitmod.io` descriptor --bitmod-host-entry leaves on the model entry, and
// the C++ compiler invocation that turns model.cpp into model.sim.
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_LIB_COMPILER_MODELSIM_H
#define BITMOD_LIB_COMPILER_MODELSIM_H

#include "bitmod/Compiler/Compiler.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace mlir {
namespace bitmod {

/// One graph input or output of the lowered model entry.
struct HostTensor {
  std::string name;
  bool isInput = true;
  SmallVector<int64_t> shape;
  std::string elem = "f32";
};

/// A lowered model entry: its C symbol, the function name it came from and
/// its tensors in argument order.
struct HostEntryInterface {
  std::string symbol, name;
  std::vector<HostTensor> tensors;
};

/// Reads the `bitmod.io` descriptors of the lowered model entries, in module
/// order (at least one).
FailureOr<std::vector<HostEntryInterface>>
readHostEntryInterfaces(ModuleOp module);

/// Appends the main() of model.sim: per entry the tensor tables and a
/// trampoline into it, the KV-cache `feeds` (present, past) and, when
/// `bmodPath` is not empty, that file embedded with .incbin.
LogicalResult
printModelSimMain(raw_ostream &os, StringRef modelName,
                  ArrayRef<HostEntryInterface> entries,
                  ArrayRef<std::pair<std::string, std::string>> feeds,
                  StringRef bmodPath, Location loc);

/// Compiles `cppPath` into `simPath` with the C++ compiler of `options`
/// against the runtime libraries of this build; the compiler's output goes
/// to `simPath`.log, which is removed on success.
LogicalResult compileModelSim(StringRef cppPath, StringRef simPath,
                              const CompilerOptions &options, Location loc);

} // namespace bitmod
} // namespace mlir

#endif // BITMOD_LIB_COMPILER_MODELSIM_H
