//===- CalibStats.cpp - Calibration statistics and their file format ------===//

#include "CalibrationInternal.h"
#include "bitmod/Support/Error.h"
#include "bitmod/Support/Npy.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstring>

using namespace bitmod;
using namespace bitmod::quant;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

static constexpr const char *kFormatName = "bitmod-calib-stats";
static constexpr int64_t kFormatVersion = 1;

/// g[i..K) += sum over the nr rows r of x_r[i] * x_r[i..K), for every i.
BITMOD_CALIB_MULTIVERSION
static void rankUpdate(double *gram, const double *xd, int64_t nr, int64_t K,
                       int64_t i0, int64_t i1) {
  for (int64_t i = i0; i < i1; ++i) {
    double *g = &gram[i * K];
    for (int64_t r = 0; r < nr; ++r) {
      double xi = xd[r * K + i];
      if (xi == 0)
        continue;
      const double *xr = &xd[r * K];
      for (int64_t j = i; j < K; ++j)
        g[j] += xi * xr[j];
    }
  }
}

LayerStats::LayerStats(std::string name, int64_t K)
    : name(std::move(name)), K(K), sumAbs(K, 0.0), gram(K * K, 0.0) {}

Error LayerStats::accumulate(llvm::ArrayRef<float> x, int64_t rows) {
  if (rows < 0 || static_cast<int64_t>(x.size()) != rows * K)
    return makeError("layer '" + name + "': calibration activations have " +
                     llvm::Twine(x.size()) + " elements, expected " +
                     llvm::Twine(rows) + " x " + llvm::Twine(K));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < K; ++k)
      if (!std::isfinite(x[r * K + k]))
        return makeError("layer '" + name + "': non-finite activation " +
                         llvm::formatv("{0}", x[r * K + k]) + " at row " +
                         llvm::Twine(count + r) + ", channel " +
                         llvm::Twine(k));
  // Rank-1 updates of the upper triangle in double, mirrored at the end of
  // every call (batches of rows reuse each Gram row).
  constexpr int64_t kBatch = 32;
  std::vector<double> xd(kBatch * K);
  for (int64_t r0 = 0; r0 < rows; r0 += kBatch) {
    int64_t nr = std::min<int64_t>(kBatch, rows - r0);
    for (int64_t r = 0; r < nr; ++r)
      for (int64_t k = 0; k < K; ++k) {
        xd[r * K + k] = x[(r0 + r) * K + k];
        sumAbs[k] += std::fabs(xd[r * K + k]);
      }
    // Rows of the Gram matrix are independent: split them (the triangle
    // shrinks, so chunks are balanced by work, not by count).
    if (K >= 256) {
      int64_t parts = 16;
      std::vector<int64_t> bounds{0};
      double total = 0.5 * double(K) * double(K + 1), acc = 0;
      for (int64_t i = 0; i < K; ++i) {
        acc += double(K - i);
        if (acc >= total * double(bounds.size()) / parts && i + 1 < K)
          bounds.push_back(i + 1);
      }
      bounds.push_back(K);
      detail::parallelChunks(bounds.size() - 1, 1, [&](int64_t b, int64_t e) {
        for (int64_t p = b; p < e; ++p)
          rankUpdate(gram.data(), xd.data(), nr, K, bounds[p], bounds[p + 1]);
      });
    } else {
      rankUpdate(gram.data(), xd.data(), nr, K, 0, K);
    }
  }
  for (int64_t i = 0; i < K; ++i)
    for (int64_t j = 0; j < i; ++j)
      gram[i * K + j] = gram[j * K + i];
  count += rows;
  return Error::success();
}

Error LayerStats::merge(const LayerStats &other) {
  if (other.K != K)
    return makeError("layer '" + name + "': cannot merge statistics with K = " +
                     llvm::Twine(other.K) + " into K = " + llvm::Twine(K));
  for (int64_t k = 0; k < K; ++k)
    sumAbs[k] += other.sumAbs[k];
  for (size_t i = 0; i < gram.size(); ++i)
    gram[i] += other.gram[i];
  count += other.count;
  return Error::success();
}

std::vector<double> LayerStats::getMeanAbs() const {
  std::vector<double> m(K, 0.0);
  if (count > 0)
    for (int64_t k = 0; k < K; ++k)
      m[k] = sumAbs[k] / static_cast<double>(count);
  return m;
}

Error LayerStats::validate(StringRef where) const {
  std::string prefix = (where + ": layer '" + name + "': ").str();
  if (K <= 0)
    return makeError(prefix + "K must be positive, got " + llvm::Twine(K));
  if (count <= 0)
    return makeError(prefix + "empty calibration set (" + llvm::Twine(count) +
                     " samples)");
  if (static_cast<int64_t>(sumAbs.size()) != K ||
      static_cast<int64_t>(gram.size()) != K * K)
    return makeError(prefix +
                     "statistics sizes do not match K = " + llvm::Twine(K));
  for (int64_t k = 0; k < K; ++k)
    if (!std::isfinite(sumAbs[k]) || sumAbs[k] < 0)
      return makeError(prefix + "sum |x| of channel " + llvm::Twine(k) +
                       " is " + llvm::formatv("{0}", sumAbs[k]));
  for (int64_t i = 0; i < K * K; ++i)
    if (!std::isfinite(gram[i]))
      return makeError(prefix + "non-finite Gram matrix entry [" +
                       llvm::Twine(i / K) + ", " + llvm::Twine(i % K) + "]");
  for (int64_t k = 0; k < K; ++k)
    if (gram[k * K + k] < 0)
      return makeError(prefix + "negative Gram diagonal at channel " +
                       llvm::Twine(k));
  return Error::success();
}

const LayerStats *CalibStats::lookup(StringRef name) const {
  for (const LayerStats &l : layers)
    if (l.name == name)
      return &l;
  return nullptr;
}

LayerStats *CalibStats::lookup(StringRef name) {
  for (LayerStats &l : layers)
    if (l.name == name)
      return &l;
  return nullptr;
}

static support::NpyArray doubleArray(llvm::ArrayRef<double> v,
                                     llvm::ArrayRef<int64_t> shape) {
  return support::NpyArray::fromBytes(
      support::NpyDType::Float64,
      llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(v.data()),
                              v.size() * sizeof(double)),
      shape);
}

Error quant::writeCalibStats(StringRef dir, const CalibStats &stats) {
  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return makeError("cannot create calibration statistics directory '" + dir +
                     "': " + ec.message());
  llvm::json::Array layers;
  for (auto [i, l] : llvm::enumerate(stats.layers)) {
    std::string base = "layer" + std::to_string(i);
    llvm::SmallString<256> sumPath(dir), gramPath(dir);
    llvm::sys::path::append(sumPath, base + ".sum_abs.npy");
    llvm::sys::path::append(gramPath, base + ".gram.npy");
    if (Error e = support::writeNpy(sumPath, doubleArray(l.sumAbs, {l.K})))
      return e;
    if (Error e = support::writeNpy(gramPath, doubleArray(l.gram, {l.K, l.K})))
      return e;
    layers.push_back(llvm::json::Object{{"name", l.name},
                                        {"k", l.K},
                                        {"count", l.count},
                                        {"sum_abs", base + ".sum_abs.npy"},
                                        {"gram", base + ".gram.npy"}});
  }
  llvm::json::Object root{{"format", kFormatName},
                          {"version", kFormatVersion},
                          {"layers", std::move(layers)}};
  llvm::SmallString<256> jsonPath(dir);
  llvm::sys::path::append(jsonPath, "stats.json");
  std::error_code ec;
  llvm::raw_fd_ostream os(jsonPath, ec);
  if (ec)
    return makeError("cannot write '" + jsonPath + "': " + ec.message());
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
  return Error::success();
}

static Expected<std::vector<double>>
readDoubleNpy(StringRef dir, StringRef file, llvm::ArrayRef<int64_t> shape,
              StringRef layer) {
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, file);
  Expected<support::NpyArray> arr = support::readNpy(path);
  if (!arr)
    return arr.takeError();
  auto shapeStr = [](llvm::ArrayRef<int64_t> s) {
    std::string out = "[";
    for (auto [i, d] : llvm::enumerate(s))
      out += (i ? ", " : "") + std::to_string(d);
    return out + "]";
  };
  if (arr->dtype != support::NpyDType::Float64)
    return makeError("'" + path + "' (layer '" + layer +
                     "'): expected float64, got " +
                     support::getNpyDTypeName(arr->dtype));
  if (arr->shape != std::vector<int64_t>(shape.begin(), shape.end()))
    return makeError("'" + path + "' (layer '" + layer + "'): expected shape " +
                     shapeStr(shape) + ", got " + shapeStr(arr->shape));
  std::vector<double> v(arr->getNumElements());
  std::memcpy(v.data(), arr->data.data(), v.size() * sizeof(double));
  return v;
}

Expected<CalibStats> quant::readCalibStats(StringRef dir) {
  llvm::SmallString<256> jsonPath(dir);
  llvm::sys::path::append(jsonPath, "stats.json");
  auto buffer = llvm::MemoryBuffer::getFile(jsonPath);
  if (!buffer)
    return makeError("cannot read calibration statistics '" + jsonPath +
                     "': " + buffer.getError().message());
  Expected<llvm::json::Value> json = llvm::json::parse((*buffer)->getBuffer());
  if (!json)
    return makeError("'" + jsonPath + "' is not valid JSON: " +
                     llvm::toString(json.takeError()));
  const llvm::json::Object *root = json->getAsObject();
  if (!root || root->getString("format") != StringRef(kFormatName))
    return makeError("'" + jsonPath + "': not a " + kFormatName + " file");
  std::optional<int64_t> version = root->getInteger("version");
  if (version != kFormatVersion)
    return makeError("'" + jsonPath + "': unsupported version " +
                     (version ? llvm::Twine(*version) : llvm::Twine("(none)")) +
                     " (this build reads version " +
                     llvm::Twine(kFormatVersion) + ")");
  const llvm::json::Array *layers = root->getArray("layers");
  if (!layers)
    return makeError("'" + jsonPath + "': missing 'layers' array");
  CalibStats stats;
  for (auto [i, v] : llvm::enumerate(*layers)) {
    const llvm::json::Object *o = v.getAsObject();
    std::optional<StringRef> name = o ? o->getString("name") : std::nullopt;
    std::optional<int64_t> k = o ? o->getInteger("k") : std::nullopt;
    std::optional<int64_t> count = o ? o->getInteger("count") : std::nullopt;
    std::optional<StringRef> sumFile =
        o ? o->getString("sum_abs") : std::nullopt;
    std::optional<StringRef> gramFile = o ? o->getString("gram") : std::nullopt;
    if (!name || !k || !count || !sumFile || !gramFile)
      return makeError("'" + jsonPath + "': layers[" + llvm::Twine(i) +
                       "] needs 'name', 'k', 'count', 'sum_abs' and 'gram'");
    if (*k <= 0 || *k > (1 << 16))
      return makeError("'" + jsonPath + "': layer '" + *name + "': bad k " +
                       llvm::Twine(*k));
    if (stats.lookup(*name))
      return makeError("'" + jsonPath + "': duplicate layer '" + *name + "'");
    LayerStats l(name->str(), *k);
    l.count = *count;
    auto sum = readDoubleNpy(dir, *sumFile, {*k}, *name);
    if (!sum)
      return sum.takeError();
    auto gram = readDoubleNpy(dir, *gramFile, {*k, *k}, *name);
    if (!gram)
      return gram.takeError();
    l.sumAbs = std::move(*sum);
    l.gram = std::move(*gram);
    if (Error e = l.validate(jsonPath))
      return std::move(e);
    stats.layers.push_back(std::move(l));
  }
  return stats;
}
