//===- Npy.cpp - NumPy .npy file reading and writing ----------------------===//

#include "bitmod/Support/Npy.h"
#include "bitmod/Support/Error.h"
#include "bitmod/Support/Half.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstring>

using namespace bitmod;
using namespace bitmod::support;
using llvm::StringRef;

namespace {
struct DTypeInfo {
  NpyDType type;
  char kind;
  unsigned size;
  const char *name;
};
constexpr DTypeInfo kDTypes[] = {
    {NpyDType::Bool, 'b', 1, "bool"},
    {NpyDType::Int8, 'i', 1, "int8"},
    {NpyDType::Int16, 'i', 2, "int16"},
    {NpyDType::Int32, 'i', 4, "int32"},
    {NpyDType::Int64, 'i', 8, "int64"},
    {NpyDType::UInt8, 'u', 1, "uint8"},
    {NpyDType::UInt16, 'u', 2, "uint16"},
    {NpyDType::UInt32, 'u', 4, "uint32"},
    {NpyDType::UInt64, 'u', 8, "uint64"},
    {NpyDType::Float16, 'f', 2, "float16"},
    {NpyDType::Float32, 'f', 4, "float32"},
    {NpyDType::Float64, 'f', 8, "float64"},
};

const DTypeInfo &info(NpyDType type) {
  return kDTypes[static_cast<unsigned>(type)];
}

/// An error about the file (or buffer) `name`: "'name': msg".
llvm::Error fileError(StringRef name, const llvm::Twine &msg) {
  return makeError("'" + name + "': " + msg);
}

/// Returns the text after `'key':` in a header dict, trimmed.
std::optional<StringRef> findValue(StringRef header, StringRef key) {
  std::string quoted1 = ("'" + key + "'").str();
  std::string quoted2 = ("\"" + key + "\"").str();
  size_t pos = header.find(quoted1);
  size_t len = quoted1.size();
  if (pos == StringRef::npos) {
    pos = header.find(quoted2);
    len = quoted2.size();
  }
  if (pos == StringRef::npos)
    return std::nullopt;
  StringRef rest = header.drop_front(pos + len).ltrim();
  if (!rest.consume_front(":"))
    return std::nullopt;
  return rest.ltrim();
}
} // namespace

unsigned support::getNpyElementSize(NpyDType type) { return info(type).size; }

StringRef support::getNpyDTypeName(NpyDType type) { return info(type).name; }

StringRef support::getNpyDescr(NpyDType type) {
  switch (type) {
  case NpyDType::Bool:
    return "|b1";
  case NpyDType::Int8:
    return "|i1";
  case NpyDType::UInt8:
    return "|u1";
  case NpyDType::Int16:
    return "<i2";
  case NpyDType::Int32:
    return "<i4";
  case NpyDType::Int64:
    return "<i8";
  case NpyDType::UInt16:
    return "<u2";
  case NpyDType::UInt32:
    return "<u4";
  case NpyDType::UInt64:
    return "<u8";
  case NpyDType::Float16:
    return "<f2";
  case NpyDType::Float32:
    return "<f4";
  case NpyDType::Float64:
    return "<f8";
  }
  return "";
}

int64_t NpyArray::getNumElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

template <typename T> static T loadLE(const uint8_t *p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

std::vector<float> NpyArray::toFloat32() const {
  int64_t n = getNumElements();
  std::vector<float> out(static_cast<size_t>(n));
  const uint8_t *p = data.data();
  unsigned sz = getNpyElementSize(dtype);
  for (int64_t i = 0; i < n; ++i, p += sz) {
    float v = 0;
    switch (dtype) {
    case NpyDType::Bool:
      v = *p ? 1.0f : 0.0f;
      break;
    case NpyDType::Int8:
      v = static_cast<float>(loadLE<int8_t>(p));
      break;
    case NpyDType::Int16:
      v = static_cast<float>(loadLE<int16_t>(p));
      break;
    case NpyDType::Int32:
      v = static_cast<float>(loadLE<int32_t>(p));
      break;
    case NpyDType::Int64:
      v = static_cast<float>(loadLE<int64_t>(p));
      break;
    case NpyDType::UInt8:
      v = static_cast<float>(*p);
      break;
    case NpyDType::UInt16:
      v = static_cast<float>(loadLE<uint16_t>(p));
      break;
    case NpyDType::UInt32:
      v = static_cast<float>(loadLE<uint32_t>(p));
      break;
    case NpyDType::UInt64:
      v = static_cast<float>(loadLE<uint64_t>(p));
      break;
    case NpyDType::Float16:
      v = halfToFloat(loadLE<uint16_t>(p));
      break;
    case NpyDType::Float32:
      v = loadLE<float>(p);
      break;
    case NpyDType::Float64:
      v = static_cast<float>(loadLE<double>(p));
      break;
    }
    out[static_cast<size_t>(i)] = v;
  }
  return out;
}

NpyArray NpyArray::fromFloat32(llvm::ArrayRef<float> values,
                               llvm::ArrayRef<int64_t> shape) {
  return fromBytes(
      NpyDType::Float32,
      llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(values.data()),
                              values.size() * sizeof(float)),
      shape);
}

NpyArray NpyArray::fromBytes(NpyDType dtype, llvm::ArrayRef<uint8_t> bytes,
                             llvm::ArrayRef<int64_t> shape) {
  NpyArray a;
  a.dtype = dtype;
  a.shape.assign(shape.begin(), shape.end());
  a.data.assign(bytes.begin(), bytes.end());
  return a;
}

llvm::Expected<NpyArray> support::parseNpy(llvm::ArrayRef<uint8_t> buffer,
                                           StringRef name) {
  static const char kMagic[] = "\x93NUMPY";
  if (buffer.size() < 10 || std::memcmp(buffer.data(), kMagic, 6) != 0)
    return fileError(name, "not a .npy file (bad magic)");
  unsigned major = buffer[6];
  size_t headerLen, headerStart;
  if (major == 1) {
    headerLen = buffer[8] | (static_cast<size_t>(buffer[9]) << 8);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (buffer.size() < 12)
      return fileError(name, "truncated .npy header");
    headerLen = loadLE<uint32_t>(buffer.data() + 8);
    headerStart = 12;
  } else {
    return fileError(name,
                     "unsupported .npy format version " + llvm::Twine(major));
  }
  if (headerStart + headerLen > buffer.size())
    return fileError(name, "truncated .npy header");
  StringRef header(reinterpret_cast<const char *>(buffer.data()) + headerStart,
                   headerLen);

  // descr
  std::optional<StringRef> descrVal = findValue(header, "descr");
  if (!descrVal || descrVal->empty() ||
      (descrVal->front() != '\'' && descrVal->front() != '"'))
    return fileError(name, "missing or structured 'descr' in .npy header");
  char quote = descrVal->front();
  StringRef descr = descrVal->drop_front();
  descr = descr.take_until([quote](char c) { return c == quote; });
  if (descr.size() < 3)
    return fileError(name, "bad dtype descr '" + descr + "'");
  char order = descr[0];
  char kind = descr[1];
  unsigned size = 0;
  if (descr.drop_front(2).getAsInteger(10, size))
    return fileError(name, "bad dtype descr '" + descr + "'");
  std::optional<NpyDType> dtype;
  for (const DTypeInfo &d : kDTypes)
    if (d.kind == kind && d.size == size)
      dtype = d.type;
  if (!dtype || (order != '<' && order != '>' && order != '|' && order != '='))
    return fileError(name, "unsupported dtype '" + descr +
                               "' (supported: bool, int8..int64, "
                               "uint8..uint64, float16, float32, float64)");
  bool bigEndian = order == '>' && size > 1;

  // fortran_order
  std::optional<StringRef> fortranVal = findValue(header, "fortran_order");
  if (!fortranVal)
    return fileError(name, "missing 'fortran_order' in .npy header");
  bool fortran = fortranVal->starts_with("True");

  // shape
  std::optional<StringRef> shapeVal = findValue(header, "shape");
  if (!shapeVal || !shapeVal->starts_with("("))
    return fileError(name, "missing 'shape' in .npy header");
  StringRef shapeText =
      shapeVal->drop_front().take_until([](char c) { return c == ')'; });
  NpyArray array;
  array.dtype = *dtype;
  llvm::SmallVector<StringRef> dims;
  shapeText.split(dims, ',');
  for (StringRef d : dims) {
    d = d.trim();
    if (d.empty())
      continue;
    int64_t v;
    if (d.getAsInteger(10, v) || v < 0)
      return fileError(name, "bad shape entry '" + d + "'");
    array.shape.push_back(v);
  }

  // The dims come from the file: their product (and its size in bytes) is
  // checked before getNumElements() or any allocation relies on it.
  int64_t n = 1, bytesSigned = 0;
  for (int64_t d : array.shape)
    if (llvm::MulOverflow(n, d, n))
      return fileError(name, "shape (" + shapeText +
                                 ") has more elements than a 64-bit count "
                                 "holds");
  if (llvm::MulOverflow(n, static_cast<int64_t>(size), bytesSigned))
    return fileError(name, "data of " + llvm::Twine(n) + " elements of " +
                               llvm::Twine(size) +
                               " bytes overflows a 64-bit size");
  size_t dataStart = headerStart + headerLen;
  size_t bytes = static_cast<size_t>(bytesSigned);
  if (buffer.size() - dataStart < bytes)
    return fileError(name, "truncated data: expected " + llvm::Twine(bytes) +
                               " bytes, found " +
                               llvm::Twine(buffer.size() - dataStart));
  array.data.assign(buffer.begin() + dataStart,
                    buffer.begin() + dataStart + bytes);
  if (bigEndian)
    for (size_t i = 0; i < bytes; i += size)
      std::reverse(array.data.begin() + i, array.data.begin() + i + size);
  if (fortran && array.shape.size() > 1) {
    // Element with C index (i0..id) sits at Fortran offset sum(i_j *
    // fstride_j).
    size_t rank = array.shape.size();
    std::vector<int64_t> fstride(rank);
    int64_t s = 1;
    for (size_t j = 0; j < rank; ++j) {
      fstride[j] = s;
      s *= array.shape[j];
    }
    std::vector<uint8_t> c(bytes);
    std::vector<int64_t> idx(rank, 0);
    for (int64_t lin = 0; lin < n; ++lin) {
      int64_t off = 0;
      for (size_t j = 0; j < rank; ++j)
        off += idx[j] * fstride[j];
      std::memcpy(c.data() + lin * size, array.data.data() + off * size, size);
      for (size_t j = rank; j-- > 0;) {
        if (++idx[j] < array.shape[j])
          break;
        idx[j] = 0;
      }
    }
    array.data = std::move(c);
  }
  return array;
}

llvm::Expected<NpyArray> support::readNpy(StringRef path) {
  auto bufOrErr = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                              /*RequiresNullTerminator=*/false);
  if (!bufOrErr)
    return fileError(path, "cannot read: " + bufOrErr.getError().message());
  const llvm::MemoryBuffer &buf = **bufOrErr;
  return parseNpy(llvm::ArrayRef<uint8_t>(
                      reinterpret_cast<const uint8_t *>(buf.getBufferStart()),
                      buf.getBufferSize()),
                  path);
}

std::vector<uint8_t> support::serializeNpy(const NpyArray &array) {
  std::string header;
  llvm::raw_string_ostream os(header);
  os << "{'descr': '" << getNpyDescr(array.dtype)
     << "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < array.shape.size(); ++i)
    os << array.shape[i] << (i + 1 < array.shape.size() ? ", " : "");
  if (array.shape.size() == 1)
    os << ",";
  os << "), }";
  os.flush();
  bool v2 = header.size() + 11 > 65535;
  size_t prefix = v2 ? 12 : 10;
  size_t total = prefix + header.size() + 1;
  size_t pad = (64 - total % 64) % 64;
  header.append(pad, ' ');
  header.push_back('\n');
  uint32_t len = static_cast<uint32_t>(header.size());
  std::vector<uint8_t> out(prefix + header.size() + array.data.size());
  std::memcpy(out.data(), "\x93NUMPY", 6);
  out[6] = v2 ? 2 : 1;
  out[7] = 0;
  for (size_t i = 0; i < prefix - 8; ++i)
    out[8 + i] = static_cast<uint8_t>(len >> (8 * i));
  std::memcpy(out.data() + prefix, header.data(), header.size());
  if (!array.data.empty())
    std::memcpy(out.data() + prefix + header.size(), array.data.data(),
                array.data.size());
  return out;
}

llvm::Error support::writeNpy(StringRef path, const NpyArray &array) {
  std::vector<uint8_t> bytes = serializeNpy(array);
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return fileError(path, "cannot open for writing: " + ec.message());
  os.write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  os.close();
  if (os.has_error())
    return fileError(path, "write failed: " + os.error().message());
  return llvm::Error::success();
}
