//===- Npy.h - NumPy .npy file reading and writing ---------------*- C++
//-*-===//
//
// Reads and writes NumPy .npy files (format versions 1.0, 2.0 and 3.0) for
// the numeric dtypes bool, int8/16/32/64, uint8/16/32/64, float16/32/64.
// Little- and big-endian files are read; files are written little-endian,
// C order, version 1.0 (2.0 when the header does not fit). Fortran-order
// arrays are converted to C order on read. Plain C++ (no MLIR).
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_SUPPORT_NPY_H
#define BITMOD_SUPPORT_NPY_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace bitmod {
namespace support {

enum class NpyDType : uint8_t {
  Bool,
  Int8,
  Int16,
  Int32,
  Int64,
  UInt8,
  UInt16,
  UInt32,
  UInt64,
  Float16,
  Float32,
  Float64,
};

/// Bytes per element.
unsigned getNpyElementSize(NpyDType type);
/// Little-endian descr string ("<f4", "|i1", ...).
llvm::StringRef getNpyDescr(NpyDType type);
/// NumPy-style name ("float32", "int8", ...).
llvm::StringRef getNpyDTypeName(NpyDType type);

/// An n-d array in C order with little-endian element bytes.
struct NpyArray {
  NpyDType dtype = NpyDType::Float32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;

  int64_t getNumElements() const;
  /// Converts every element to float32 (float16 exactly; others by cast).
  std::vector<float> toFloat32() const;

  /// Builds arrays from typed data (sizes must match the shape product).
  static NpyArray fromFloat32(llvm::ArrayRef<float> values,
                              llvm::ArrayRef<int64_t> shape);
  static NpyArray fromBytes(NpyDType dtype, llvm::ArrayRef<uint8_t> bytes,
                            llvm::ArrayRef<int64_t> shape);
};

/// Parses an in-memory .npy file; `name` is used in error messages.
llvm::Expected<NpyArray> parseNpy(llvm::ArrayRef<uint8_t> buffer,
                                  llvm::StringRef name);
/// Reads a .npy file; errors name the file.
llvm::Expected<NpyArray> readNpy(llvm::StringRef path);
/// Serializes to the .npy byte format.
std::vector<uint8_t> serializeNpy(const NpyArray &array);
/// Writes a .npy file.
llvm::Error writeNpy(llvm::StringRef path, const NpyArray &array);

} // namespace support
} // namespace bitmod

#endif // BITMOD_SUPPORT_NPY_H
