//===- TensorFile.cpp - .npy and ONNX TensorProto (.pb) tensors
//------------===//
//
// A hand-written reader for the few onnx.TensorProto fields model.sim needs,
// so the runtime does not depend on protobuf/libonnx:
//   1 dims (int64, packed or not)   2 data_type (int32)
//   4 float_data   5 int32_data   7 int64_data   10 double_data
//   11 uint64_data (packed or not)  8 name   9 raw_data
//   13 external_data, 14 data_location (EXTERNAL is refused)
// Everything else is skipped by wire type.
//
//===----------------------------------------------------------------------===//

#include "bitmod/Runtime/Session.h"
#include "bitmod/Support/Error.h"
#include "bitmod/Support/OnnxDType.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cstring>

using namespace bitmod;
using namespace bitmod::rt;
using llvm::Error;
using llvm::Expected;
using support::NpyArray;
using support::NpyDType;
using namespace bitmod::onnx_dtype;

namespace {

class Reader {
public:
  Reader(llvm::ArrayRef<uint8_t> b) : p(b.data()), end(b.data() + b.size()) {}
  bool atEnd() const { return p == end; }
  bool varint(uint64_t &v) {
    v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
      if (p == end)
        return false;
      uint8_t b = *p++;
      v |= uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80))
        return true;
    }
    return false;
  }
  bool bytes(uint64_t n, llvm::ArrayRef<uint8_t> &out) {
    if (uint64_t(end - p) < n)
      return false;
    out = llvm::ArrayRef<uint8_t>(p, n);
    p += n;
    return true;
  }
  bool skip(unsigned wireType) {
    uint64_t v;
    llvm::ArrayRef<uint8_t> b;
    switch (wireType) {
    case 0:
      return varint(v);
    case 1:
      return bytes(8, b);
    case 2:
      return varint(v) && bytes(v, b);
    case 5:
      return bytes(4, b);
    default:
      return false;
    }
  }

private:
  const uint8_t *p, *end;
};

struct Fields {
  std::vector<int64_t> dims;
  int32_t dataType = 0;
  std::vector<uint64_t> ints; // int32_data / int64_data / uint64_data
  std::vector<uint32_t> floats;
  std::vector<uint64_t> doubles;
  llvm::ArrayRef<uint8_t> raw;
  bool hasRaw = false, external = false;
};

} // namespace

/// Reads a repeated scalar field in packed (wire type 2) or unpacked form.
/// `fixedBytes` is 4/8 for fixed32/64 fields, 0 for varints.
static bool readRepeated(Reader &r, unsigned wireType, unsigned fixedBytes,
                         std::vector<uint64_t> &out) {
  auto one = [&](Reader &rr) -> bool {
    if (!fixedBytes) {
      uint64_t v;
      if (!rr.varint(v))
        return false;
      out.push_back(v);
      return true;
    }
    llvm::ArrayRef<uint8_t> b;
    if (!rr.bytes(fixedBytes, b))
      return false;
    uint64_t v = 0;
    std::memcpy(&v, b.data(), fixedBytes);
    out.push_back(v);
    return true;
  };
  if (wireType == 2) {
    uint64_t n;
    llvm::ArrayRef<uint8_t> b;
    if (!r.varint(n) || !r.bytes(n, b))
      return false;
    Reader inner(b);
    while (!inner.atEnd())
      if (!one(inner))
        return false;
    return true;
  }
  unsigned expected = fixedBytes == 4 ? 5 : fixedBytes == 8 ? 1 : 0;
  return wireType == expected && one(r);
}

static Expected<Fields> parseFields(llvm::ArrayRef<uint8_t> bytes,
                                    llvm::StringRef name) {
  Fields f;
  Reader r(bytes);
  auto bad = [&](uint64_t field) {
    return makeError(
        llvm::formatv("'{0}': malformed TensorProto (field {1})", name, field));
  };
  std::vector<uint64_t> tmp;
  while (!r.atEnd()) {
    uint64_t key;
    if (!r.varint(key))
      return bad(0);
    uint64_t field = key >> 3;
    unsigned wire = unsigned(key & 7);
    bool ok = true;
    switch (field) {
    case 1:
      tmp.clear();
      ok = readRepeated(r, wire, 0, tmp);
      for (uint64_t d : tmp)
        f.dims.push_back(int64_t(d));
      break;
    case 2: {
      uint64_t v = 0;
      ok = wire == 0 && r.varint(v);
      f.dataType = int32_t(v);
      break;
    }
    case 4:
      tmp.clear();
      ok = readRepeated(r, wire, 4, tmp);
      for (uint64_t v : tmp)
        f.floats.push_back(uint32_t(v));
      break;
    case 5:
    case 7:
    case 11:
      ok = readRepeated(r, wire, 0, f.ints);
      break;
    case 10:
      ok = readRepeated(r, wire, 8, f.doubles);
      break;
    case 9: {
      uint64_t n;
      ok = wire == 2 && r.varint(n) && r.bytes(n, f.raw);
      f.hasRaw = true;
      break;
    }
    case 13:
      f.external = true;
      ok = r.skip(wire);
      break;
    case 14: {
      uint64_t v = 0;
      ok = wire == 0 && r.varint(v);
      f.external |= v == 1;
      break;
    }
    default:
      ok = r.skip(wire);
      break;
    }
    if (!ok)
      return bad(field);
  }
  return f;
}

Expected<NpyArray> rt::parseTensorProto(llvm::ArrayRef<uint8_t> bytes,
                                        llvm::StringRef name) {
  auto fOr = parseFields(bytes, name);
  if (!fOr)
    return fOr.takeError();
  Fields &f = *fOr;
  if (f.external)
    return makeError("'" + name + "': external tensor data is not supported");
  NpyDType dtype;
  switch (f.dataType) {
  case kFloat:
    dtype = NpyDType::Float32;
    break;
  case kUInt8:
    dtype = NpyDType::UInt8;
    break;
  case kInt8:
    dtype = NpyDType::Int8;
    break;
  case kUInt16:
    dtype = NpyDType::UInt16;
    break;
  case kInt16:
    dtype = NpyDType::Int16;
    break;
  case kInt32:
    dtype = NpyDType::Int32;
    break;
  case kInt64:
    dtype = NpyDType::Int64;
    break;
  case kBool:
    dtype = NpyDType::Bool;
    break;
  case kFloat16:
    dtype = NpyDType::Float16;
    break;
  case kDouble:
    dtype = NpyDType::Float64;
    break;
  case kUInt32:
    dtype = NpyDType::UInt32;
    break;
  case kUInt64:
    dtype = NpyDType::UInt64;
    break;
  case kBFloat16:
    dtype = NpyDType::Float32; // widened below
    break;
  case 0:
    return makeError("'" + name + "': TensorProto has no data_type");
  default:
    return makeError(llvm::formatv(
        "'{0}': unsupported TensorProto data_type {1} (numeric types only)",
        name, f.dataType));
  }
  int64_t count = 1;
  for (int64_t d : f.dims) {
    if (d < 0 || (d && count > (int64_t(1) << 40) / d))
      return makeError("'" + name + "': bad dimensions");
    count *= d;
  }
  unsigned elem = support::getNpyElementSize(dtype);
  // The data must be there before anything sized from the dims is
  // allocated: a few bytes of dims could otherwise ask for terabytes.
  if (f.dataType == kBFloat16) {
    if (f.hasRaw ? f.raw.size() != uint64_t(count) * 2
                 : f.ints.size() != uint64_t(count))
      return makeError("'" + name + "': " + (f.hasRaw ? "raw_data" : "data") +
                       " size does not match dims");
  } else if (f.hasRaw) {
    if (f.raw.size() != uint64_t(count) * elem)
      return makeError(
          llvm::formatv("'{0}': raw_data has {1} bytes, dims {2} need {3}",
                        name, f.raw.size(), count, uint64_t(count) * elem));
  } else {
    size_t have = dtype == NpyDType::Float32   ? f.floats.size()
                  : dtype == NpyDType::Float64 ? f.doubles.size()
                                               : f.ints.size();
    if (have != uint64_t(count))
      return makeError(
          llvm::formatv("'{0}': TensorProto holds {1} values, dims need {2}",
                        name, have, count));
  }
  std::vector<uint8_t> data(uint64_t(count) * elem);
  if (f.dataType == kBFloat16) {
    // bfloat16: raw 2-byte values or int32_data holding the bits.
    std::vector<uint16_t> bits;
    if (f.hasRaw) {
      bits.resize(count);
      if (count)
        std::memcpy(bits.data(), f.raw.data(), f.raw.size());
    } else {
      for (uint64_t v : f.ints)
        bits.push_back(uint16_t(v));
    }
    for (int64_t i = 0; i < count; ++i) {
      uint32_t w = uint32_t(bits[i]) << 16;
      std::memcpy(data.data() + 4 * i, &w, 4);
    }
  } else if (f.hasRaw) {
    // An empty tensor may have no buffers at all (memcpy from null is UB).
    if (!data.empty())
      std::memcpy(data.data(), f.raw.data(), data.size());
  } else {
    for (int64_t i = 0; i < count; ++i) {
      uint8_t *dst = data.data() + i * elem;
      if (dtype == NpyDType::Float32)
        std::memcpy(dst, &f.floats[i], 4);
      else if (dtype == NpyDType::Float64)
        std::memcpy(dst, &f.doubles[i], 8);
      else
        std::memcpy(dst, &f.ints[i], elem); // little-endian truncation
    }
  }
  NpyArray a;
  a.dtype = dtype;
  a.shape = f.dims;
  a.data = std::move(data);
  return a;
}

Expected<NpyArray> rt::readTensorFile(llvm::StringRef path) {
  llvm::StringRef ext = llvm::sys::path::extension(path);
  if (ext == ".npy")
    return support::readNpy(path);
  if (ext != ".pb")
    return makeError("'" + path +
                     "': unknown tensor file type (expected .npy or .pb)");
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!buf)
    return makeError("cannot read '" + path + "': " + buf.getError().message());
  llvm::StringRef s = (*buf)->getBuffer();
  return parseTensorProto(
      llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(s.data()),
                              s.size()),
      path);
}

static const std::pair<ElemType, const char *> elemNames[] = {
    {ElemType::F32, "f32"}, {ElemType::F16, "f16"}, {ElemType::F64, "f64"},
    {ElemType::I8, "i8"},   {ElemType::U8, "u8"},   {ElemType::I16, "i16"},
    {ElemType::I32, "i32"}, {ElemType::I64, "i64"}, {ElemType::Bool, "bool"},
    {ElemType::U16, "u16"}, {ElemType::U32, "u32"}, {ElemType::U64, "u64"},
};

llvm::StringRef rt::getElemName(ElemType type) {
  for (auto &[t, name] : elemNames)
    if (t == type)
      return name;
  return "?";
}

std::optional<ElemType> rt::parseElemName(llvm::StringRef name) {
  for (auto &[t, n] : elemNames)
    if (name == n)
      return t;
  return std::nullopt;
}

NpyDType rt::getNpyType(ElemType type) {
  switch (type) {
  case ElemType::F32:
    return NpyDType::Float32;
  case ElemType::F16:
    return NpyDType::Float16;
  case ElemType::F64:
    return NpyDType::Float64;
  case ElemType::I8:
    return NpyDType::Int8;
  case ElemType::U8:
    return NpyDType::UInt8;
  case ElemType::I16:
    return NpyDType::Int16;
  case ElemType::I32:
    return NpyDType::Int32;
  case ElemType::I64:
    return NpyDType::Int64;
  case ElemType::Bool:
    return NpyDType::Bool;
  case ElemType::U16:
    return NpyDType::UInt16;
  case ElemType::U32:
    return NpyDType::UInt32;
  case ElemType::U64:
    return NpyDType::UInt64;
  }
  return NpyDType::Float32;
}

std::string rt::formatShape(llvm::ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}
