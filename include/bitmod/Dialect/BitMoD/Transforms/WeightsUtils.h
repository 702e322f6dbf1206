//===- WeightsUtils.h - bitmod.weights <-> quantization library -*- C++ -*-===//
//
// Conversions between the `bitmod.weights` attributes and the quantization
// library's PackedWeights, and a helper that stores large constants as
// dense_resource blobs rather than giant dense literals.
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_DIALECT_BITMOD_TRANSFORMS_WEIGHTSUTILS_H
#define BITMOD_DIALECT_BITMOD_TRANSFORMS_WEIGHTSUTILS_H

#include "bitmod/Dialect/BitMoD/IR/BitMoDOps.h"
#include "bitmod/Quant/Quantizer.h"

#include "mlir/IR/Builders.h"
#include "mlir/Support/LLVM.h"

namespace mlir {
namespace bitmod {

/// Constants with more elements than this become dense_resource blobs.
constexpr int64_t kInlineElementLimit = 64;

/// An elements attribute for `bytes` (raw little-endian data of `type`):
/// a dense literal when small, a dense_resource blob named `blobName`
/// (uniqued by the blob manager) otherwise.
ElementsAttr makeElementsAttr(ShapedType type, ArrayRef<char> bytes,
                              StringRef blobName);

/// A view of the raw little-endian bytes of a dense or dense_resource
/// attribute, without a copy; a splat is expanded into `storage`. Fails like
/// getRawBytes.
FailureOr<ArrayRef<char>> getRawData(Operation *op, ElementsAttr attr,
                                     StringRef what,
                                     std::vector<char> &storage);

/// Raw little-endian bytes of a dense or dense_resource attribute (splats
/// expanded). Fails with a diagnostic on `op` for other attributes or a
/// resource whose blob is missing.
FailureOr<std::vector<char>> getRawBytes(Operation *op, ElementsAttr attr,
                                         StringRef what);

/// Tells the kernel that the whole pages inside `bytes` will not be read
/// soon (support::releasePages: unmapped if they are in a file the importer
/// mapped, so they stay in the page cache; paged out otherwise): the pages
/// of a memory-mapped model leave the resident set; the contents stay valid
/// either way.
void releasePages(ArrayRef<char> bytes);

/// Builds a bitmod.weights op holding `packed`.
WeightsOp buildWeightsOp(OpBuilder &builder, Location loc,
                         const quant::PackedWeights &packed,
                         StringRef layerName);

/// Reads the storage of a bitmod.weights op back into PackedWeights.
FailureOr<quant::PackedWeights> getPackedWeights(WeightsOp op);

/// The dequantized float weights of `op` as an elements attribute of
/// `resultType` (f32, or f16/bf16: the float32 value rounded once to
/// nearest even).
FailureOr<ElementsAttr>
dequantizeToAttr(WeightsOp op, RankedTensorType resultType, StringRef blobName);

} // namespace bitmod
} // namespace mlir

#endif // BITMOD_DIALECT_BITMOD_TRANSFORMS_WEIGHTSUTILS_H
