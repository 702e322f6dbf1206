//===- ConstTensor.h - Host-side constant tensors of the ONNX frontend -*- C++
//-*-//
//
// A constant tensor of an ONNX graph (initializer, Constant node, or the
// folded result of a shape computation). The bytes are shared, not copied:
// they may live in a protobuf string stolen from the model, in a
// memory-mapped external-data file or in an MLIR elements attribute.
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_CONVERSION_ONNXTOTOSA_CONSTTENSOR_H
#define BITMOD_CONVERSION_ONNXTOTOSA_CONSTTENSOR_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

#include "bitmod/Support/OnnxDType.h"
#include <cstdint>
#include <memory>

#include <optional>
#include <string>

namespace mlir {
namespace bitmod {
namespace onnx_import {

using namespace ::bitmod::onnx_dtype;

/// Size in bytes of one element, 0 if the type is not supported.
size_t dtypeSize(int32_t dtype);
bool isFloatDType(int32_t dtype);
/// uint8, uint16, uint32 or uint64.
bool isUnsignedDType(int32_t dtype);
/// Human-readable name of an ONNX data type.
const char *dtypeName(int32_t dtype);
/// MLIR element type for an ONNX data type (null if unsupported). Integers
/// are signless (unsigned types are imported as signless of the same width).
Type dtypeToType(MLIRContext *ctx, int32_t dtype);
/// The element type the ONNX reader gives `dtype`: dtypeToType, except that
/// unsigned integers are ui8..ui64.
Type dtypeToReaderType(MLIRContext *ctx, int32_t dtype);
/// `name` as an identifier (blob and function names): [A-Za-z0-9_], not
/// starting with a digit; `fallback` when empty.
std::string sanitize(StringRef name, StringRef fallback);
/// The ONNX data type of a reader element type (kUndefined if none).
int32_t dtypeOfType(Type elem);

class ConstTensor {
public:
  ConstTensor() = default;
  ConstTensor(int32_t dtype, ArrayRef<int64_t> shape,
              std::shared_ptr<const void> owner, const char *data);

  /// A new zero-initialized tensor owning its storage.
  static ConstTensor allocate(int32_t dtype, ArrayRef<int64_t> shape);
  static ConstTensor fromInts(int32_t dtype, ArrayRef<int64_t> shape,
                              ArrayRef<int64_t> values);
  static ConstTensor fromDoubles(int32_t dtype, ArrayRef<int64_t> shape,
                                 ArrayRef<double> values);
  /// The tensor held by `attr` (a reader constant: its element type gives
  /// the dtype). Dense and resource attributes are referenced, not copied;
  /// they live as long as the context. Fails on element types without an
  /// ONNX data type.
  static std::optional<ConstTensor> fromAttr(ElementsAttr attr);
  /// The attribute the tensor was read from, null once it is transformed.
  ElementsAttr source() const { return source_; }

  int32_t dtype() const { return dtype_; }
  ArrayRef<int64_t> shape() const { return shape_; }
  int64_t rank() const { return shape_.size(); }
  int64_t numElements() const;
  size_t numBytes() const { return numElements() * dtypeSize(dtype_); }
  const char *data() const { return data_; }
  char *mutableData() { return const_cast<char *>(data_); }
  const std::shared_ptr<const void> &owner() const { return owner_; }

  double getDouble(int64_t i) const;
  int64_t getInt(int64_t i) const;
  void setDouble(int64_t i, double v);
  void setInt(int64_t i, int64_t v);
  SmallVector<int64_t> toInts() const;
  SmallVector<double> toDoubles() const;

  /// Same bytes, new shape (element count must match).
  ConstTensor reshaped(ArrayRef<int64_t> newShape) const;
  ConstTensor transposed(ArrayRef<int64_t> perm) const;
  ConstTensor cast(int32_t newDType) const;

  /// Builds an attribute: a dense literal when small (or bool), otherwise a
  /// DenseResourceElementsAttr referencing (not copying) the bytes when they
  /// are suitably aligned.
  ElementsAttr toAttr(MLIRContext *ctx, StringRef blobName,
                      int64_t denseLimit) const;
  RankedTensorType getType(MLIRContext *ctx) const;

private:
  int32_t dtype_ = kUndefined;
  SmallVector<int64_t> shape_;
  std::shared_ptr<const void> owner_;
  const char *data_ = nullptr;
  ElementsAttr source_;
};

} // namespace onnx_import
} // namespace bitmod
} // namespace mlir

#endif // BITMOD_CONVERSION_ONNXTOTOSA_CONSTTENSOR_H
