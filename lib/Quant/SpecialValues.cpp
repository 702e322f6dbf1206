//===- SpecialValues.cpp - Programmable special-value sets ----------------===//

#include "bitmod/Quant/SpecialValues.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/Threading.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace bitmod;
using namespace bitmod::quant;

static llvm::Error makeError(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

bool quant::isEncodableSpecialValue(int64_t v) {
  uint64_t mag = static_cast<uint64_t>(v < 0 ? -v : v);
  return mag != 0 && mag < static_cast<uint64_t>(kSpecialValueLimit) &&
         __builtin_popcountll(mag) <= 2;
}

/// The basic (non-special) values of the type's family.
static std::vector<double> getBasicValues(DataType type) {
  return getValueSet(isFP4Family(type) ? DataType::fp4 : DataType::fp3);
}

llvm::Error quant::checkSpecialValues(DataType type,
                                      llvm::ArrayRef<int64_t> values) {
  std::string name(getName(type));
  if (!hasSpecialValue(type))
    return makeError("data type '" + name +
                     "' has no special values (only bitmod3/bitmod4 and the "
                     "fp3_*/fp4_* extensions take a set)");
  if (values.size() != kNumSpecialValues)
    return makeError("special-value set for '" + name + "' has " +
                     llvm::Twine(values.size()) +
                     " entries, expected 4 (er_pos, er_neg, ea_pos, ea_neg)");
  std::vector<double> basic = getBasicValues(type);
  for (size_t i = 0; i < values.size(); ++i) {
    int64_t v = values[i];
    if (llvm::is_contained(basic, static_cast<double>(v)))
      return makeError("special value " + llvm::Twine(v) + " (entry " +
                       llvm::Twine(i) + ") is already a value of the basic " +
                       (isFP4Family(type) ? "fp4" : "fp3") + " set of '" +
                       name + "'");
    if (!isEncodableSpecialValue(v))
      return makeError(
          "special value " + llvm::Twine(v) + " (entry " + llvm::Twine(i) +
          ") of '" + name +
          "' is not representable by the term encoder: it needs 0 < |v| < "
          "32 (5-bit fixed-point magnitude) and at most two one-bits (two "
          "bit-serial terms)");
    for (size_t j = 0; j < i; ++j)
      if (values[j] == v)
        return makeError("special value " + llvm::Twine(v) +
                         " appears twice (entries " + llvm::Twine(j) + " and " +
                         llvm::Twine(i) + ") in the set of '" + name + "'");
  }
  return llvm::Error::success();
}

llvm::Error quant::checkSpecialValues(DataType type,
                                      const SpecialValueSet &sv) {
  int64_t v[4] = {sv[0], sv[1], sv[2], sv[3]};
  return checkSpecialValues(type, llvm::ArrayRef<int64_t>(v));
}

llvm::Expected<SpecialValueSet>
quant::parseSpecialValues(DataType type, llvm::StringRef text) {
  llvm::StringRef s = text.trim();
  if (s.consume_front("["))
    if (!s.consume_back("]"))
      return makeError("special-value set '" + text + "': missing ']'");
  llvm::SmallVector<llvm::StringRef, 8> parts;
  s.split(parts, ',', /*MaxSplit=*/-1, /*KeepEmpty=*/true);
  llvm::SmallVector<int64_t, 8> values;
  for (llvm::StringRef p : parts) {
    int64_t v;
    if (p.trim().getAsInteger(10, v))
      return makeError("special-value set '" + text + "': '" + p.trim() +
                       "' is not an integer (values use the integer scaling "
                       "of docs/numerics.md, e.g. 3,-3,6,-6)");
    values.push_back(v);
  }
  if (llvm::Error e = checkSpecialValues(type, values))
    return std::move(e);
  SpecialValueSet sv;
  for (unsigned i = 0; i < 4; ++i)
    sv[i] = static_cast<int8_t>(values[i]);
  return sv;
}

std::string quant::formatSpecialValues(const SpecialValueSet &sv) {
  std::string out;
  for (unsigned i = 0; i < 4; ++i) {
    if (i)
      out += ",";
    out += std::to_string(sv[i]);
  }
  return out;
}

std::vector<SpecialValueSet> quant::getSearchCandidates(DataType type) {
  std::vector<SpecialValueSet> out;
  if (!hasSelector(type))
    return out;
  std::vector<double> basic = getBasicValues(type);
  std::vector<int> mags;
  for (int m = 1; m < kSpecialValueLimit; ++m)
    if (isEncodableSpecialValue(m) &&
        !llvm::is_contained(basic, static_cast<double>(m)))
      mags.push_back(m);
  for (size_t i = 0; i < mags.size(); ++i)
    for (size_t j = i + 1; j < mags.size(); ++j)
      out.push_back(
          {static_cast<int8_t>(mags[i]), static_cast<int8_t>(-mags[i]),
           static_cast<int8_t>(mags[j]), static_cast<int8_t>(-mags[j])});
  return out;
}

std::optional<SVSearchMode> quant::parseSVSearchMode(llvm::StringRef text) {
  if (text == "none" || text.empty())
    return SVSearchMode::None;
  if (text == "layer")
    return SVSearchMode::Layer;
  if (text == "model")
    return SVSearchMode::Model;
  return std::nullopt;
}

/// Squared error sum of `packed` (rows [0, N) of a block) against `rows`.
static double blockSSE(const PackedWeights &packed, const float *rows,
                       int64_t N, int64_t K) {
  std::vector<float> deq = dequantize(packed);
  double sse = 0;
  for (int64_t i = 0; i < N * K; ++i) {
    double e = static_cast<double>(rows[i]) - static_cast<double>(deq[i]);
    sse += e * e;
  }
  return sse;
}

namespace {
/// quantize() of a whole tensor in row blocks on `pool` (one thread per
/// block), with the squared error of every block. Byte-identical to one
/// quantize() call (rows are independent; per-tensor granularity gets the
/// tensor's range).
struct BlockedResult {
  PackedWeights packed;
  double sse = 0;
};
} // namespace

static llvm::Expected<BlockedResult>
quantizeBlocked(WeightSpan weights, int64_t N, int64_t K, QuantConfig cfg,
                llvm::ThreadPoolInterface &pool, bool keepPacked) {
  if (cfg.granularity == Granularity::PerTensor && !cfg.tensorRange) {
    llvm::Expected<TensorRange> r =
        computeTensorRange(weights, N, K, cfg.tensorName);
    if (!r)
      return r.takeError();
    cfg.tensorRange = *r;
  }
  cfg.numThreads = 1;
  const int64_t blockRows =
      std::max<int64_t>(1, std::min<int64_t>(N, (int64_t(1) << 18) / K));
  const int64_t numBlocks = (N + blockRows - 1) / blockRows;
  std::vector<std::optional<PackedWeights>> blocks(numBlocks);
  std::vector<double> sse(numBlocks, 0.0);
  std::vector<std::string> errors(numBlocks);
  llvm::ThreadPoolTaskGroup group(pool);
  for (int64_t b = 0; b < numBlocks; ++b)
    group.async([&, b] {
      int64_t r0 = b * blockRows, rows = std::min(blockRows, N - r0);
      std::vector<float> buf(static_cast<size_t>(rows * K));
      weights.widen(static_cast<size_t>(r0 * K), buf.size(), buf.data());
      llvm::Expected<PackedWeights> p = quantize(buf, rows, K, cfg, r0);
      if (!p) {
        errors[b] = llvm::toString(p.takeError());
        return;
      }
      sse[b] = blockSSE(*p, buf.data(), rows, K);
      if (keepPacked)
        blocks[b] = std::move(*p);
    });
  group.wait();
  BlockedResult out;
  for (int64_t b = 0; b < numBlocks; ++b) {
    if (!errors[b].empty())
      return makeError(errors[b]);
    out.sse += sse[b];
    if (keepPacked)
      if (llvm::Error e = appendRows(out.packed, *blocks[b]))
        return std::move(e);
  }
  return out;
}

llvm::Expected<double> quant::getQuantizationSSE(WeightSpan weights, int64_t N,
                                                 int64_t K,
                                                 const QuantConfig &config) {
  llvm::DefaultThreadPool pool(llvm::hardware_concurrency(config.numThreads));
  llvm::Expected<BlockedResult> r =
      quantizeBlocked(weights, N, K, config, pool, /*keepPacked=*/false);
  if (!r)
    return r.takeError();
  return r->sse;
}

/// Rows of the stage-1 sample of an N-row tensor: evenly spaced, at least
/// 16 (or all), about N / 256.
static std::vector<int64_t> getSampleRows(int64_t N) {
  int64_t count = std::min<int64_t>(N, std::max<int64_t>(16, N / 256));
  std::vector<int64_t> rows;
  for (int64_t i = 0; i < count; ++i)
    rows.push_back(i * N / count);
  return rows;
}

llvm::Expected<SVSearchResult>
quant::searchSpecialValues(llvm::ArrayRef<SVSearchTensor> tensors,
                           const QuantConfig &config,
                           std::vector<PackedWeights> *packedOut) {
  if (!hasSelector(config.dtype))
    return makeError(llvm::Twine("special-value search needs bitmod3 or "
                                 "bitmod4, not '") +
                     std::string(getName(config.dtype)) + "'");
  std::vector<SpecialValueSet> cands = getSearchCandidates(config.dtype);
  const SpecialValueSet paper = getDefaultSpecialValues(config.dtype);
  SVSearchResult result;
  result.numCandidates = static_cast<unsigned>(cands.size());
  result.sv = paper;
  if (packedOut)
    packedOut->clear();
  if (tensors.empty())
    return result;
  llvm::DefaultThreadPool pool(llvm::hardware_concurrency(config.numThreads));

  // Stage 1: every candidate on the row samples (one task per candidate).
  // Per-tensor granularity shares the tensor's range across rows: pass it
  // so that the sample sees it.
  struct Sample {
    std::vector<float> rows;
    int64_t numRows;
    int64_t K;
    std::optional<TensorRange> range;
  };
  std::vector<Sample> samples;
  for (const SVSearchTensor &t : tensors) {
    Sample s;
    std::vector<int64_t> rows = getSampleRows(t.N);
    s.numRows = static_cast<int64_t>(rows.size());
    s.K = t.K;
    s.rows.resize(static_cast<size_t>(s.numRows * t.K));
    for (int64_t i = 0; i < s.numRows; ++i)
      t.weights.widen(static_cast<size_t>(rows[i] * t.K),
                      static_cast<size_t>(t.K), s.rows.data() + i * t.K);
    if (config.granularity == Granularity::PerTensor) {
      llvm::Expected<TensorRange> r =
          computeTensorRange(t.weights, t.N, t.K, t.name);
      if (!r)
        return r.takeError();
      s.range = *r;
    }
    samples.push_back(std::move(s));
  }
  std::vector<double> sampleSSE(cands.size(), 0.0);
  std::vector<std::string> errors(cands.size());
  {
    llvm::ThreadPoolTaskGroup group(pool);
    for (size_t c = 0; c < cands.size(); ++c)
      group.async([&, c] {
        for (size_t i = 0; i < samples.size(); ++i) {
          QuantConfig cfg = config;
          cfg.specialValues = cands[c];
          cfg.tensorName = tensors[i].name;
          cfg.numThreads = 1;
          if (samples[i].range)
            cfg.tensorRange = samples[i].range;
          llvm::Expected<PackedWeights> p =
              quantize(samples[i].rows, samples[i].numRows, samples[i].K, cfg);
          if (!p) {
            errors[c] = llvm::toString(p.takeError());
            return;
          }
          sampleSSE[c] += blockSSE(*p, samples[i].rows.data(),
                                   samples[i].numRows, samples[i].K);
        }
      });
    group.wait();
  }
  size_t best = 0;
  for (size_t c = 0; c < cands.size(); ++c) {
    if (!errors[c].empty())
      return makeError(errors[c]);
    // Ties keep the earlier candidate; the paper's set wins ties below.
    if (sampleSSE[c] < sampleSSE[best])
      best = c;
  }

  // Stage 2: the full tensors with the paper's set and the best sampled one.
  auto full = [&](const SpecialValueSet &sv,
                  std::vector<PackedWeights> *packed) -> llvm::Expected<double> {
    double sse = 0;
    for (const SVSearchTensor &t : tensors) {
      QuantConfig cfg = config;
      cfg.specialValues = sv;
      cfg.tensorName = t.name;
      llvm::Expected<BlockedResult> r =
          quantizeBlocked(t.weights, t.N, t.K, cfg, pool, packed != nullptr);
      if (!r)
        return r.takeError();
      sse += r->sse;
      if (packed)
        packed->push_back(std::move(r->packed));
    }
    return sse;
  };
  std::vector<PackedWeights> paperPacked, bestPacked;
  llvm::Expected<double> paperSSE =
      full(paper, packedOut ? &paperPacked : nullptr);
  if (!paperSSE)
    return paperSSE.takeError();
  result.paperSumSquaredError = *paperSSE;
  result.sumSquaredError = *paperSSE;
  bool useBest = false;
  if (cands[best] != paper) {
    llvm::Expected<double> bestSSE =
        full(cands[best], packedOut ? &bestPacked : nullptr);
    if (!bestSSE)
      return bestSSE.takeError();
    if (*bestSSE < *paperSSE) {
      useBest = true;
      result.sv = cands[best];
      result.sumSquaredError = *bestSSE;
    }
  }
  if (packedOut)
    *packedOut = std::move(useBest ? bestPacked : paperPacked);
  for (const SVSearchTensor &t : tensors)
    result.count += t.N * t.K;
  return result;
}
