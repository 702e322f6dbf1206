//===- ToolDiagnostics.h - `tool: error: ...` for unlocated diagnostics ---===//
//
// MLIR's SourceMgr handler prints a diagnostic without a location as
// `<unknown>:0: error: ...`. The tools register this handler first, so those
// (bad options, unreadable side files) read `bitmod-opt: error: ...`.
// Header-only: the tools share it without a library.
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_SUPPORT_TOOLDIAGNOSTICS_H
#define BITMOD_SUPPORT_TOOLDIAGNOSTICS_H

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"

#include "llvm/Support/raw_ostream.h"

namespace bitmod {

inline llvm::StringRef getSeverityName(mlir::DiagnosticSeverity severity) {
  switch (severity) {
  case mlir::DiagnosticSeverity::Note:
    return "note";
  case mlir::DiagnosticSeverity::Warning:
    return "warning";
  case mlir::DiagnosticSeverity::Error:
    return "error";
  case mlir::DiagnosticSeverity::Remark:
    return "remark";
  }
  llvm_unreachable("unknown diagnostic severity");
}

/// Prints `diag` as `<tool>: <severity>: ...` (and its notes) if it has no
/// location; returns failure for located ones, which go on to the next
/// handler.
inline mlir::LogicalResult printUnlocatedDiagnostic(llvm::StringRef tool,
                                                    mlir::Diagnostic &diag) {
  if (!llvm::isa<mlir::UnknownLoc>(diag.getLocation()))
    return mlir::failure();
  llvm::errs() << tool << ": " << getSeverityName(diag.getSeverity()) << ": "
               << diag << "\n";
  for (mlir::Diagnostic &note : diag.getNotes())
    llvm::errs() << tool << ": note: " << note << "\n";
  return mlir::success();
}

} // namespace bitmod

#endif // BITMOD_SUPPORT_TOOLDIAGNOSTICS_H
