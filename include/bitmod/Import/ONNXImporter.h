//===- ONNXImporter.h - ONNX model to MLIR importer -------------*- C++ -*-===//
//
// Imports an ONNX model (binary protobuf or ONNX textual syntax) into a
// builtin.module holding one func.func per graph, in two stages: the reader
// (readONNXModel) turns the protobuf into bitmod_onnx ops, and
// --bitmod-onnx-to-tosa lowers them. Host ops use TOSA (and
// tensor/math/linalg where TOSA has no equivalent); every MatMul/Gemm with a
// constant weight becomes a `bitmod.linear` with the weight in [N, K] layout.
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_IMPORT_ONNXIMPORTER_H
#define BITMOD_IMPORT_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <string>
#include <utility>
#include <vector>

namespace mlir {
class DialectRegistry;
class MLIRContext;

namespace bitmod {

/// Options controlling the import.
struct ONNXImportOptions {
  /// Static shapes for graph inputs, overriding (and resolving dynamic
  /// dimensions of) the shapes stored in the model.
  std::vector<std::pair<std::string, SmallVector<int64_t>>> inputShapes;
  /// Values of symbolic dimensions (`dim_param`, e.g. "batch" or "seq"):
  /// every graph input and output dimension of that name gets the value,
  /// unless inputShapes gives the input's shape.
  std::vector<std::pair<std::string, int64_t>> inputDims;
  /// Constants with more elements than this are stored as
  /// DenseResourceElementsAttr blobs; smaller ones as dense literals.
  int64_t denseElementLimit = 64;
  /// MatMul weights with at least this many elements keep the model's
  /// [K, N] layout behind a tosa.transpose instead of being copied into
  /// [N, K] (--bitmod-onnx-to-tosa lazy-transpose-limit).
  int64_t lazyTransposeElements = int64_t(1) << 22;
  /// Models older than this opset are converted to it with libonnx's version
  /// converter before import (13 is where Softmax, Squeeze/Unsqueeze, Split
  /// and ReduceSum changed); newer models (up to 17) are imported as they are.
  /// When the converter fails on an opset 9..12 model the original is
  /// imported (the importer also understands those forms); below opset 9 it
  /// is an error.
  int targetOpset = 13;
  /// Graph inputs replaced by constants: (input name, path of a serialized
  /// TensorProto `.pb` or a numpy `.npy` file). The tensor's element type
  /// must equal the input's and its shape must match every static dimension
  /// of the declared shape. Bound inputs are no longer function arguments;
  /// shape-like operands (Reshape shape, Slice starts, ...) become constants.
  std::vector<std::pair<std::string, std::string>> boundInputs;
};

/// Parses "name=path" (for --bind-input). Returns failure (and sets `error`)
/// on malformed input.
LogicalResult parseBindInputSpec(StringRef spec, std::string &name,
                                 std::string &path, std::string &error);

/// Parses "name=1x256x4096" into a name and a shape. Returns failure (and sets
/// `error`) on malformed input.
LogicalResult parseInputShapeSpec(StringRef spec, std::string &name,
                                  SmallVector<int64_t> &shape,
                                  std::string &error);

/// Parses "name=value" (for --input-dim). Returns failure (and sets `error`)
/// on malformed input.
LogicalResult parseInputDimSpec(StringRef spec, std::string &name,
                                int64_t &value, std::string &error);

/// Reads the serialized model in `buffer` into bitmod_onnx IR (the first
/// stage of importONNXModel): one bitmod_onnx.node per ONNX node, the opset
/// on the module. Errors as for importONNXModel.
OwningOpRef<ModuleOp> readONNXModel(StringRef buffer, StringRef fileName,
                                    MLIRContext *context,
                                    const ONNXImportOptions &options);

/// Imports the serialized model in `buffer` (readONNXModel, then
/// --bitmod-onnx-to-tosa). `fileName` is used for
/// locations and to resolve external data (relative to its folder). Errors
/// are reported through the context's diagnostic engine; returns null on
/// failure (no partial module is returned).
OwningOpRef<ModuleOp> importONNXModel(StringRef buffer, StringRef fileName,
                                      MLIRContext *context,
                                      const ONNXImportOptions &options);

/// Adds the dialects the imported IR uses to `registry`.
void registerONNXImportDialects(DialectRegistry &registry);

/// Registers the "import-onnx" translation and "import-onnx-raw" (the reader
/// only, bitmod_onnx IR), with their --input-shape, --bind-input and
/// --import-dense-limit options, for mlir-translate style tools.
void registerBitMoDImportTranslation();

} // namespace bitmod
} // namespace mlir

#endif // BITMOD_IMPORT_ONNXIMPORTER_H
