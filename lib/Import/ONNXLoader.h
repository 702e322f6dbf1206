//===- ONNXLoader.h - Parsing, checking and shape inference -----*- C++ -*-===//
//
// The protobuf/libonnx side of the importer. These functions call into
// libonnx (which throws); every exception is caught here and turned into an
// llvm::Error (bitmod::makeError), so callers never see one.
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_LIB_IMPORT_ONNXLOADER_H
#define BITMOD_LIB_IMPORT_ONNXLOADER_H

#include "bitmod/Conversion/ONNXToTOSA/ConstTensor.h"
#include "bitmod/Import/ONNXImporter.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <onnx/onnx_pb.h>

#include <functional>
#include <memory>
#include <string>

namespace mlir {
namespace bitmod {
namespace onnx_import {

/// Parses a binary ModelProto, or the ONNX textual syntax when the buffer
/// looks like text.
llvm::Error parseModel(StringRef buffer, onnx::ModelProto &model);

/// The default-domain opset the model imports (-1 if none).
int64_t getDefaultOpset(const onnx::ModelProto &model);

class TensorLoader;
/// Builds in `view` a copy of `model` that libonnx's checker and shape
/// inference can process when the model has external data. Returns false
/// (and leaves `view` alone) when the model itself can be used.
bool makeLibOnnxView(const onnx::ModelProto &model, TensorLoader &loader,
                     onnx::ModelProto &view);

/// The newest default-domain opset libonnx 1.12 knows: its checker, shape
/// inference and version converter run on models up to this opset only.
constexpr int64_t kLibOnnxMaxOpset = 17;
/// The newest default-domain opset and IR version the frontend accepts.
constexpr int64_t kMaxOpset = 21;
constexpr int64_t kMaxIRVersion = 10;

/// The project's own structural checks for models libonnx does not know
/// (opset > kLibOnnxMaxOpset): IR version, every value defined once, every
/// node input defined before use, every graph output produced.
llvm::Error checkModelStructure(const onnx::ModelProto &model);

/// The size of every initializer and tensor attribute against the memory
/// limit (--max-memory), with overflow-checked dims products: runs before
/// libonnx computes any of them (2^40 x 2^40 dims wrap there).
llvm::Error checkTensorSizes(const onnx::ModelProto &model);

/// The element type of every node output the graph does not declare
/// (value_info), propagated in node order by the ONNX type rules (Cast `to`,
/// comparisons bool, Shape int64, ...; most ops: their first input's type).
/// Used instead of libonnx shape inference for opset > kLibOnnxMaxOpset.
llvm::StringMap<int32_t> propagateElementTypes(const onnx::GraphProto &graph);

/// Runs the ONNX checker.
llvm::Error checkModel(const onnx::ModelProto &model);

/// Applies --input-shape overrides to the graph inputs.
llvm::Error applyInputShapes(onnx::ModelProto &model,
                             const ONNXImportOptions &options);

/// Replaces the graph inputs named in `options.boundInputs` by initializers
/// read from TensorProto (.pb) or numpy (.npy) files, checking the element
/// type and shape against the declared input.
llvm::Error bindInputs(onnx::ModelProto &model,
                       const ONNXImportOptions &options);

/// Converts the model to `targetOpset` when it is older. Returns true if the
/// conversion happened, false if the model is not older; on converter
/// failure the model is left untouched and the error says why.
llvm::Expected<bool> convertVersion(onnx::ModelProto &model, int targetOpset);

/// Runs strict ONNX shape inference (with data propagation).
llvm::Error inferShapes(onnx::ModelProto &model);

/// Loads initializers and tensor attributes, resolving external data
/// relative to the model folder. Mapped files are shared between tensors.
class TensorLoader {
public:
  explicit TensorLoader(std::string modelDir) : modelDir(std::move(modelDir)) {}
  /// Converts `proto` into a ConstTensor. The raw bytes are moved out of the
  /// proto (it must not be used for its data afterwards).
  llvm::Error load(onnx::TensorProto &proto, ConstTensor &out);

private:
  llvm::Error mapFile(StringRef location,
                      std::shared_ptr<llvm::MemoryBuffer> &buffer);
  std::string modelDir;
  llvm::StringMap<std::shared_ptr<llvm::MemoryBuffer>> files;
};

} // namespace onnx_import
} // namespace bitmod
} // namespace mlir

#endif // BITMOD_LIB_IMPORT_ONNXLOADER_H
