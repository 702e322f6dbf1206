//===- ConstTensor.cpp - Host-side constant tensors for the importer ------===//

#include "bitmod/Conversion/ONNXToTOSA/ConstTensor.h"
#include "bitmod/Support/MemoryLimit.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/APFloat.h"

#include <cassert>
#include <cmath>
#include <cstring>
#include <vector>

using namespace mlir;
using namespace mlir::bitmod::onnx_import;

size_t mlir::bitmod::onnx_import::dtypeSize(int32_t dtype) {
  switch (dtype) {
  case kFloat:
  case kInt32:
  case kUInt32:
    return 4;
  case kDouble:
  case kInt64:
  case kUInt64:
    return 8;
  case kFloat16:
  case kBFloat16:
  case kInt16:
  case kUInt16:
    return 2;
  case kInt8:
  case kUInt8:
  case kBool:
    return 1;
  default:
    return 0;
  }
}

bool mlir::bitmod::onnx_import::isFloatDType(int32_t dtype) {
  return dtype == kFloat || dtype == kDouble || dtype == kFloat16 ||
         dtype == kBFloat16;
}

const char *mlir::bitmod::onnx_import::dtypeName(int32_t dtype) {
  switch (dtype) {
  case kFloat:
    return "float";
  case kUInt8:
    return "uint8";
  case kInt8:
    return "int8";
  case kUInt16:
    return "uint16";
  case kInt16:
    return "int16";
  case kInt32:
    return "int32";
  case kInt64:
    return "int64";
  case kString:
    return "string";
  case kBool:
    return "bool";
  case kFloat16:
    return "float16";
  case kDouble:
    return "double";
  case kUInt32:
    return "uint32";
  case kUInt64:
    return "uint64";
  case kBFloat16:
    return "bfloat16";
  default:
    return "unknown";
  }
}

bool mlir::bitmod::onnx_import::isUnsignedDType(int32_t dtype) {
  return dtype == kUInt8 || dtype == kUInt16 || dtype == kUInt32 ||
         dtype == kUInt64;
}

Type mlir::bitmod::onnx_import::dtypeToType(MLIRContext *ctx, int32_t dtype) {
  Builder b(ctx);
  switch (dtype) {
  case kFloat:
    return b.getF32Type();
  case kDouble:
    return b.getF64Type();
  case kFloat16:
    return b.getF16Type();
  case kBFloat16:
    return b.getBF16Type();
  case kBool:
    return b.getI1Type();
  case kInt8:
  case kUInt8:
    return b.getIntegerType(8);
  case kInt16:
  case kUInt16:
    return b.getIntegerType(16);
  case kInt32:
  case kUInt32:
    return b.getIntegerType(32);
  case kInt64:
  case kUInt64:
    return b.getIntegerType(64);
  default:
    return {};
  }
}

std::string mlir::bitmod::onnx_import::sanitize(StringRef name,
                                                StringRef fallback) {
  std::string s;
  for (char c : name)
    s += (isalnum((unsigned char)c) || c == '_') ? c : '_';
  if (s.empty())
    s = fallback.str();
  if (isdigit((unsigned char)s[0]))
    s = "g_" + s;
  return s;
}

Type mlir::bitmod::onnx_import::dtypeToReaderType(MLIRContext *ctx,
                                                  int32_t dtype) {
  Type t = dtypeToType(ctx, dtype);
  if (t && isUnsignedDType(dtype))
    return IntegerType::get(ctx, t.getIntOrFloatBitWidth(),
                            IntegerType::Unsigned);
  return t;
}

int32_t mlir::bitmod::onnx_import::dtypeOfType(Type elem) {
  if (elem.isF32())
    return kFloat;
  if (elem.isF64())
    return kDouble;
  if (elem.isF16())
    return kFloat16;
  if (elem.isBF16())
    return kBFloat16;
  auto it = dyn_cast<IntegerType>(elem);
  if (!it)
    return kUndefined;
  bool u = it.isUnsigned();
  switch (it.getWidth()) {
  case 1:
    return kBool;
  case 8:
    return u ? kUInt8 : kInt8;
  case 16:
    return u ? kUInt16 : kInt16;
  case 32:
    return u ? kUInt32 : kInt32;
  case 64:
    return u ? kUInt64 : kInt64;
  default:
    return kUndefined;
  }
}

std::optional<ConstTensor> ConstTensor::fromAttr(ElementsAttr attr) {
  auto type = llvm::cast<ShapedType>(attr.getType());
  int32_t dtype = dtypeOfType(type.getElementType());
  if (dtype == kUndefined || !type.hasStaticShape())
    return std::nullopt;
  ConstTensor t;
  if (auto res = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob || dtype == kBool)
      return std::nullopt;
    t = ConstTensor(dtype, type.getShape(), nullptr, blob->getData().data());
  } else if (auto dense = dyn_cast<DenseElementsAttr>(attr);
             dense && !dense.isSplat() && dtype != kBool) {
    t = ConstTensor(dtype, type.getShape(), nullptr, dense.getRawData().data());
  } else if (dense) {
    // Splats and (bit-packed) bools: expand element by element, unless that
    // goes over the memory limit (then the attribute is used as it is).
    std::optional<uint64_t> bytes =
        ::bitmod::getTensorBytes(type.getShape(), dtypeSize(dtype));
    if (!bytes || *bytes > ::bitmod::getMemoryLimit())
      return std::nullopt;
    t = allocate(dtype, type.getShape());
    int64_t i = 0;
    if (isFloatDType(dtype))
      for (APFloat v : dense.getValues<APFloat>())
        t.setDouble(i++, v.convertToDouble());
    else
      for (APInt v : dense.getValues<APInt>())
        t.setInt(i++, dtype == kBool || isUnsignedDType(dtype)
                          ? (int64_t)v.getZExtValue()
                          : v.getSExtValue());
  } else {
    return std::nullopt;
  }
  t.source_ = attr;
  return t;
}

ConstTensor::ConstTensor(int32_t dtype, ArrayRef<int64_t> shape,
                         std::shared_ptr<const void> owner, const char *data)
    : dtype_(dtype), shape_(shape.begin(), shape.end()),
      owner_(std::move(owner)), data_(data) {}

int64_t ConstTensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape_)
    n *= d;
  return n;
}

ConstTensor ConstTensor::allocate(int32_t dtype, ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  // std::vector<uint64_t> storage keeps 8-byte alignment for every dtype.
  size_t bytes = n * dtypeSize(dtype);
  auto storage = std::make_shared<std::vector<uint64_t>>((bytes + 7) / 8, 0);
  const char *data = reinterpret_cast<const char *>(storage->data());
  return ConstTensor(dtype, shape, std::move(storage), data);
}

ConstTensor ConstTensor::fromInts(int32_t dtype, ArrayRef<int64_t> shape,
                                  ArrayRef<int64_t> values) {
  ConstTensor t = allocate(dtype, shape);
  assert((int64_t)values.size() == t.numElements());
  for (int64_t i = 0, e = values.size(); i < e; ++i)
    t.setInt(i, values[i]);
  return t;
}

ConstTensor ConstTensor::fromDoubles(int32_t dtype, ArrayRef<int64_t> shape,
                                     ArrayRef<double> values) {
  ConstTensor t = allocate(dtype, shape);
  assert((int64_t)values.size() == t.numElements());
  for (int64_t i = 0, e = values.size(); i < e; ++i)
    t.setDouble(i, values[i]);
  return t;
}

template <typename T> static T load(const char *p, int64_t i) {
  T v;
  std::memcpy(&v, p + i * sizeof(T), sizeof(T));
  return v;
}
template <typename T> static void store(char *p, int64_t i, T v) {
  std::memcpy(p + i * sizeof(T), &v, sizeof(T));
}

static double halfToDouble(uint16_t bits, const llvm::fltSemantics &sem) {
  llvm::APFloat f(sem, llvm::APInt(16, bits));
  bool lost;
  f.convert(llvm::APFloat::IEEEdouble(), llvm::APFloat::rmNearestTiesToEven,
            &lost);
  return f.convertToDouble();
}

static uint16_t doubleToHalf(double v, const llvm::fltSemantics &sem) {
  llvm::APFloat f(v);
  bool lost;
  f.convert(sem, llvm::APFloat::rmNearestTiesToEven, &lost);
  return (uint16_t)f.bitcastToAPInt().getZExtValue();
}

double ConstTensor::getDouble(int64_t i) const {
  switch (dtype_) {
  case kFloat:
    return load<float>(data_, i);
  case kDouble:
    return load<double>(data_, i);
  case kFloat16:
    return halfToDouble(load<uint16_t>(data_, i), llvm::APFloat::IEEEhalf());
  case kBFloat16:
    return halfToDouble(load<uint16_t>(data_, i), llvm::APFloat::BFloat());
  case kUInt64:
    return (double)load<uint64_t>(data_, i);
  default:
    return (double)getInt(i);
  }
}

int64_t ConstTensor::getInt(int64_t i) const {
  switch (dtype_) {
  case kInt64:
  case kUInt64:
    return load<int64_t>(data_, i);
  case kInt32:
    return load<int32_t>(data_, i);
  case kUInt32:
    return load<uint32_t>(data_, i);
  case kInt16:
    return load<int16_t>(data_, i);
  case kUInt16:
    return load<uint16_t>(data_, i);
  case kInt8:
    return load<int8_t>(data_, i);
  case kUInt8:
    return load<uint8_t>(data_, i);
  case kBool:
    return load<uint8_t>(data_, i) != 0;
  default:
    return (int64_t)getDouble(i);
  }
}

void ConstTensor::setDouble(int64_t i, double v) {
  char *p = mutableData();
  switch (dtype_) {
  case kFloat:
    return store<float>(p, i, (float)v);
  case kDouble:
    return store<double>(p, i, v);
  case kFloat16:
    return store<uint16_t>(p, i, doubleToHalf(v, llvm::APFloat::IEEEhalf()));
  case kBFloat16:
    return store<uint16_t>(p, i, doubleToHalf(v, llvm::APFloat::BFloat()));
  case kBool:
    return store<uint8_t>(p, i, v != 0.0);
  default:
    // Float to integer conversion truncates toward zero like ONNX Cast.
    return setInt(i, std::isfinite(v) ? (int64_t)v : 0);
  }
}

void ConstTensor::setInt(int64_t i, int64_t v) {
  char *p = mutableData();
  switch (dtype_) {
  case kInt64:
  case kUInt64:
    return store<int64_t>(p, i, v);
  case kInt32:
  case kUInt32:
    return store<int32_t>(p, i, (int32_t)v);
  case kInt16:
  case kUInt16:
    return store<int16_t>(p, i, (int16_t)v);
  case kInt8:
  case kUInt8:
    return store<int8_t>(p, i, (int8_t)v);
  case kBool:
    return store<uint8_t>(p, i, v != 0);
  default:
    return setDouble(i, (double)v);
  }
}

SmallVector<int64_t> ConstTensor::toInts() const {
  SmallVector<int64_t> r;
  for (int64_t i = 0, e = numElements(); i < e; ++i)
    r.push_back(getInt(i));
  return r;
}

SmallVector<double> ConstTensor::toDoubles() const {
  SmallVector<double> r;
  for (int64_t i = 0, e = numElements(); i < e; ++i)
    r.push_back(getDouble(i));
  return r;
}

ConstTensor ConstTensor::reshaped(ArrayRef<int64_t> newShape) const {
  ConstTensor t = *this;
  t.source_ = {};
  t.shape_.assign(newShape.begin(), newShape.end());
  assert(t.numElements() == numElements());
  return t;
}

ConstTensor ConstTensor::transposed(ArrayRef<int64_t> perm) const {
  SmallVector<int64_t> outShape;
  for (int64_t p : perm)
    outShape.push_back(shape_[p]);
  ConstTensor out = allocate(dtype_, outShape);
  size_t es = dtypeSize(dtype_);
  int64_t r = rank();
  // Strides of the input, permuted to the output's dimension order.
  SmallVector<int64_t> inStrides(r, 1);
  for (int64_t i = r - 2; i >= 0; --i)
    inStrides[i] = inStrides[i + 1] * shape_[i + 1];
  SmallVector<int64_t> permStrides;
  for (int64_t p : perm)
    permStrides.push_back(inStrides[p]);
  SmallVector<int64_t> idx(r, 0);
  char *dst = out.mutableData();
  int64_t n = out.numElements();
  int64_t src = 0;
  for (int64_t i = 0; i < n; ++i) {
    std::memcpy(dst + i * es, data_ + src * es, es);
    for (int64_t d = r - 1; d >= 0; --d) {
      ++idx[d];
      src += permStrides[d];
      if (idx[d] < outShape[d])
        break;
      src -= permStrides[d] * outShape[d];
      idx[d] = 0;
    }
  }
  return out;
}

ConstTensor ConstTensor::cast(int32_t newDType) const {
  if (newDType == dtype_)
    return *this;
  ConstTensor out = allocate(newDType, shape_);
  bool srcFloat = isFloatDType(dtype_);
  for (int64_t i = 0, e = numElements(); i < e; ++i) {
    if (srcFloat)
      out.setDouble(i, getDouble(i));
    else
      out.setInt(i, getInt(i));
  }
  return out;
}

RankedTensorType ConstTensor::getType(MLIRContext *ctx) const {
  return RankedTensorType::get(shape_, dtypeToType(ctx, dtype_));
}

ElementsAttr ConstTensor::toAttr(MLIRContext *ctx, StringRef blobName,
                                 int64_t denseLimit) const {
  RankedTensorType type = getType(ctx);
  // Unchanged dense literals are re-used. A blob gets a new handle named
  // `blobName` over the same bytes (no copy): the reader's blob names are
  // its own.
  if (source_ && isa<DenseElementsAttr>(source_) && source_.getType() == type)
    return source_;
  int64_t n = numElements();
  if (dtype_ == kBool) {
    SmallVector<bool> values;
    for (int64_t i = 0; i < n; ++i)
      values.push_back(getInt(i) != 0);
    return DenseElementsAttr::get(type, values);
  }
  ArrayRef<char> bytes(data_, numBytes());
  if (n <= denseLimit)
    return DenseElementsAttr::getFromRawBuffer(type, bytes);
  size_t align = dtypeSize(dtype_);
  AsmResourceBlob blob;
  if (reinterpret_cast<uintptr_t>(data_) % align == 0) {
    // Keep the owner alive as long as the blob: no copy of the bytes.
    std::shared_ptr<const void> keep = owner_;
    blob = UnmanagedAsmResourceBlob::allocateWithAlign(
        bytes, align, [keep](void *, size_t, size_t) mutable { keep.reset(); });
  } else {
    blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, align);
  }
  return DenseResourceElementsAttr::get(type, blobName, std::move(blob));
}
