//===- OnnxDType.h - ONNX TensorProto element types -------------*- C++ -*-===//
//
// The TensorProto.DataType values the project reads, shared by the importer
// (which has libonnx) and the runtime's .pb reader (which does not).
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_SUPPORT_ONNXDTYPE_H
#define BITMOD_SUPPORT_ONNXDTYPE_H

#include <cstdint>

namespace bitmod {
namespace onnx_dtype {

enum OnnxDType : int32_t {
  kUndefined = 0,
  kFloat = 1,
  kUInt8 = 2,
  kInt8 = 3,
  kUInt16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,
  kBool = 9,
  kFloat16 = 10,
  kDouble = 11,
  kUInt32 = 12,
  kUInt64 = 13,
  kBFloat16 = 16,
};

} // namespace onnx_dtype
} // namespace bitmod

#endif // BITMOD_SUPPORT_ONNXDTYPE_H
