//===- Compiler.h - The BitMoD one-shot compiler ----------------*- C++ -*-===//
//
// ONNX model -> OUT/model.mlir, model.bmod, model.s, model.cpp, model.sim in
// one process (docs/driver.md): import, the accelerator pipeline (or the
// host-only one), the instruction stream, the host lowering to C++ with the
// generated model.sim main(), and the system C++ compiler. bitmod-compile is
// a thin command line over compileModel().
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_COMPILER_COMPILER_H
#define BITMOD_COMPILER_COMPILER_H

#include "bitmod/Compiler/Pipelines.h"

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringRef.h"

#include <functional>
#include <string>
#include <vector>

namespace mlir {
class MLIRContext;
class PassManager;
class TimingScope;
namespace bitmod {

/// The last artifact compileModel() writes; each includes the previous ones.
enum class CompileEmit { MLIR, ISA, Asm, Cpp, Sim };

struct CompilerOptions {
  /// The ONNX model (binary protobuf or ONNX text).
  std::string inputFile;
  /// Directory of the artifacts (created if missing).
  std::string outputDir;
  /// Quantization and accelerator; `accel.dtype == "none"` keeps every op
  /// on the host in float32 (no accelerator program).
  AccelPipelineOptions accel;
  HostToEmitCOptions host;
  /// A textual pass pipeline (`builtin.module(...)`) that replaces the one
  /// `accel` describes, e.g. to run the passes with other options or extra
  /// passes between them; empty: populateAccelPipeline (or, for dtype
  /// "none", populateLowerToHostPipeline).
  std::string mappingPipeline;
  /// "name=dims" static input shapes (ONNXImportOptions::inputShapes).
  std::vector<std::string> inputShapes;
  /// "name=N" values of symbolic dimensions (ONNXImportOptions::inputDims).
  std::vector<std::string> inputDims;
  /// "name=file" graph inputs replaced by constants
  /// (ONNXImportOptions::boundInputs), in every imported model.
  std::vector<std::string> bindInputs;
  /// Two-phase language model (docs/llm.md): `inputFile` is the decode graph
  /// and this the prefill graph; both become public functions `prefill` and
  /// `decode` of one module (layer names prefixed `prefill.` / `decode.`).
  /// Empty with `prefillInputShapes` set: the prefill graph is `inputFile`
  /// again with those shapes.
  std::string prefillInputFile;
  /// "name=dims" static input shapes of the prefill graph.
  std::vector<std::string> prefillInputShapes;
  /// "present=past" KV-cache pairs besides the Optimum naming.
  std::vector<std::string> feeds;
  CompileEmit emit = CompileEmit::Sim;
  /// C++ compiler of model.sim; empty: $CXX, else getDefaultModelCompiler().
  std::string cxx;
  /// Its flags, separated by spaces.
  std::string cxxFlags = "-O1";
  /// No progress messages on stderr.
  bool quiet = false;
  /// Applied to every pass manager before it runs (e.g. MLIR's command-line
  /// pass-manager options); a failure stops the compilation.
  std::function<LogicalResult(PassManager &)> configurePassManager;

  bool isHostOnly() const { return accel.dtype == "none"; }
  bool isTwoPhase() const {
    return !prefillInputFile.empty() || !prefillInputShapes.empty();
  }
};

/// Runs the compilation `options` describe. Errors are reported as
/// diagnostics on `context`; each stage is a timer nested in `timing`.
LogicalResult compileModel(MLIRContext &context, const CompilerOptions &options,
                           TimingScope &timing);

/// The C++ compiler of model.sim when neither CompilerOptions::cxx nor $CXX
/// names one: the clang++ of the LLVM installation found at configure time,
/// else `c++`.
StringRef getDefaultModelCompiler();

} // namespace bitmod
} // namespace mlir

#endif // BITMOD_COMPILER_COMPILER_H
