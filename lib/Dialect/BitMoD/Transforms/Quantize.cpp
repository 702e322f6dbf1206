//===- Quantize.cpp - bitmod.linear -> weights + grouped_matmul -*- C++ -*-===//

#include "bitmod/Dialect/BitMoD/IR/BitMoDOps.h"
#include "bitmod/Dialect/BitMoD/Transforms/Passes.h"
#include "bitmod/Dialect/BitMoD/Transforms/WeightsUtils.h"
#include "bitmod/Quant/Calibration.h"
#include "bitmod/Quant/Quantizer.h"
#include "bitmod/Quant/SpecialValues.h"
#include "bitmod/Support/Parallel.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Matchers.h"
#include "llvm/Support/GlobPattern.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/StringSaver.h"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <algorithm>

namespace mlir {
namespace bitmod {
#define GEN_PASS_DEF_BITMODQUANTIZE
#include "bitmod/Dialect/BitMoD/Transforms/Passes.h.inc"
} // namespace bitmod
} // namespace mlir

using namespace mlir;
using namespace mlir::bitmod;

namespace {

/// Data type choice per layer: the first matching glob wins, else default.
struct DTypePolicy {
  quant::DataType defaultType = quant::DataType::bitmod3;
  std::vector<std::pair<llvm::GlobPattern, quant::DataType>> rules;
  /// GlobPattern keeps references into its pattern text: own the text here.
  std::shared_ptr<llvm::BumpPtrAllocator> patternStorage =
      std::make_shared<llvm::BumpPtrAllocator>();

  quant::DataType lookup(StringRef layerName) const {
    for (const auto &[pattern, type] : rules)
      if (pattern.match(layerName))
        return type;
    return defaultType;
  }
};

llvm::Expected<quant::DataType> parseDTypeOption(StringRef name,
                                                 StringRef where) {
  if (std::optional<quant::DataType> type = quant::parseDataType(name))
    return *type;
  return llvm::createStringError(
      "%s: unknown data type '%s'; valid data types: %s", where.str().c_str(),
      name.str().c_str(), quant::listDataTypeNames().c_str());
}

/// Reads `{"default": "bitmod3", "layers": [{"match": "*mlp*", "dtype":
/// "int6"}, ...]}`; the default falls back to the pass's dtype option.
llvm::Error loadPolicyFile(StringRef path, DTypePolicy &policy) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return llvm::createStringError("cannot read dtype-config '%s': %s",
                                   path.str().c_str(),
                                   buffer.getError().message().c_str());
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*buffer)->getBuffer());
  if (!json)
    return llvm::createStringError("dtype-config '%s' is not valid JSON: %s",
                                   path.str().c_str(),
                                   llvm::toString(json.takeError()).c_str());
  const llvm::json::Object *root = json->getAsObject();
  if (!root)
    return llvm::createStringError("dtype-config '%s': expected a JSON object",
                                   path.str().c_str());
  for (const auto &entry : *root)
    if (entry.first != "default" && entry.first != "layers")
      return llvm::createStringError(
          "dtype-config '%s': unknown key '%s' (expected 'default', 'layers')",
          path.str().c_str(), entry.first.str().c_str());
  if (const llvm::json::Value *def = root->get("default")) {
    std::optional<StringRef> name = def->getAsString();
    if (!name)
      return llvm::createStringError(
          "dtype-config '%s': 'default' must be a string", path.str().c_str());
    auto type = parseDTypeOption(*name, path);
    if (!type)
      return type.takeError();
    policy.defaultType = *type;
  }
  if (const llvm::json::Value *layers = root->get("layers")) {
    const llvm::json::Array *rules = layers->getAsArray();
    if (!rules)
      return llvm::createStringError(
          "dtype-config '%s': 'layers' must be an array of {\"match\", "
          "\"dtype\"} objects",
          path.str().c_str());
    for (auto [index, rule] : llvm::enumerate(*rules)) {
      const llvm::json::Object *object = rule.getAsObject();
      std::optional<StringRef> match =
          object ? object->getString("match") : std::nullopt;
      std::optional<StringRef> dtype =
          object ? object->getString("dtype") : std::nullopt;
      if (!match || !dtype)
        return llvm::createStringError(
            "dtype-config '%s': layers[%zu] needs string fields 'match' and "
            "'dtype'",
            path.str().c_str(), index);
      auto pattern = llvm::GlobPattern::create(
          llvm::StringSaver(*policy.patternStorage).save(*match));
      if (!pattern)
        return pattern.takeError();
      auto type = parseDTypeOption(*dtype, path);
      if (!type)
        return type.takeError();
      policy.rules.emplace_back(std::move(*pattern), *type);
    }
  }
  return llvm::Error::success();
}

/// The layer name of a linear: its `name` attribute, else the innermost
/// NameLoc of its location, else "".
std::string getLayerName(LinearOp op) {
  if (StringAttr name = op.getNameAttr())
    return name.str();
  Location loc = op.getLoc();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location inner : fused.getLocations())
      if (auto named = dyn_cast<NameLoc>(inner))
        return named.getName().str();
  if (auto named = dyn_cast<NameLoc>(loc))
    return named.getName().str();
  return "";
}

/// dst[r * dstStride + i] = src[i * srcStride + r] for i < numSrcRows,
/// r < numCols: columns of `src` become rows of `dst`.
template <typename T>
void transposeScalar(const T *src, int64_t srcStride, T *dst, int64_t dstStride,
                     int64_t numSrcRows, int64_t numCols) {
  for (int64_t r = 0; r < numCols; ++r)
    for (int64_t i = 0; i < numSrcRows; ++i)
      dst[r * dstStride + i] = src[i * srcStride + r];
}

#if defined(__SSE2__)
/// The 8 x 8 block of 16-bit values at src, transposed into dst.
inline void transpose8x8(const uint16_t *src, int64_t srcStride, uint16_t *dst,
                         int64_t dstStride) {
  __m128i a[8], b[8], c[8];
  for (int i = 0; i < 8; ++i)
    a[i] =
        _mm_loadu_si128(reinterpret_cast<const __m128i *>(src + i * srcStride));
  for (int i = 0; i < 4; ++i) {
    b[2 * i] = _mm_unpacklo_epi16(a[2 * i], a[2 * i + 1]);
    b[2 * i + 1] = _mm_unpackhi_epi16(a[2 * i], a[2 * i + 1]);
  }
  for (int h = 0; h < 2; ++h) // rows 0-3 (h = 0) and 4-7 (h = 1)
    for (int i = 0; i < 2; ++i) {
      c[4 * h + 2 * i] = _mm_unpacklo_epi32(b[4 * h + i], b[4 * h + i + 2]);
      c[4 * h + 2 * i + 1] = _mm_unpackhi_epi32(b[4 * h + i], b[4 * h + i + 2]);
    }
  for (int j = 0; j < 4; ++j) {
    _mm_storeu_si128(reinterpret_cast<__m128i *>(dst + (2 * j) * dstStride),
                     _mm_unpacklo_epi64(c[j], c[4 + j]));
    _mm_storeu_si128(reinterpret_cast<__m128i *>(dst + (2 * j + 1) * dstStride),
                     _mm_unpackhi_epi64(c[j], c[4 + j]));
  }
}
#endif

/// transposeScalar, in 8 x 8 register blocks for 16-bit values (the f16 and
/// bf16 weights of an LLM: the scalar loop was a quarter of a 7B compile).
template <typename T>
void transposeTile(const T *src, int64_t srcStride, T *dst, int64_t dstStride,
                   int64_t numSrcRows, int64_t numCols) {
#if defined(__SSE2__)
  if constexpr (sizeof(T) == 2) {
    const auto *s16 = reinterpret_cast<const uint16_t *>(src);
    auto *d16 = reinterpret_cast<uint16_t *>(dst);
    int64_t rows8 = numSrcRows / 8 * 8, cols8 = numCols / 8 * 8;
    for (int64_t r = 0; r < cols8; r += 8)
      for (int64_t i = 0; i < rows8; i += 8)
        transpose8x8(s16 + i * srcStride + r, srcStride,
                     d16 + r * dstStride + i, dstStride);
    // The ragged edges.
    transposeScalar(src + rows8 * srcStride, srcStride, dst + rows8, dstStride,
                    numSrcRows - rows8, cols8);
    transposeScalar(src + cols8, srcStride, dst + cols8 * dstStride, dstStride,
                    numSrcRows, numCols - cols8);
    return;
  }
#endif
  transposeScalar(src, srcStride, dst, dstStride, numSrcRows, numCols);
}

/// Quantizes the [N, K] transpose of the row-major [K, N] weights `kn`
/// without a full copy: blocks of rows are transposed into a small buffer
/// (tiles of 64 columns, so each cache line of the source is read once per
/// block) and streamed through quantize() + appendRows().
template <typename T>
llvm::Expected<quant::PackedWeights>
quantizeTransposedAs(const T *kn, quant::WeightElementType type, int64_t n,
                     int64_t k, const quant::QuantConfig &config) {
  // About 8 MiB of source per block, a whole number of 64-row tiles.
  int64_t rowsPerBlock = std::clamp<int64_t>(
      (int64_t(8) << 20) / (k * int64_t(sizeof(T))) / 64 * 64, 64, 4096);
  std::vector<T> block(static_cast<size_t>(std::min(rowsPerBlock, n) * k));
  quant::PackedWeights result;
  constexpr int64_t kTile = 64;
  for (int64_t n0 = 0; n0 < n; n0 += rowsPerBlock) {
    int64_t rows = std::min(rowsPerBlock, n - n0);
    // Both threads transpose (a disjoint range of source rows each); the
    // reads of a mapped file fault its pages in, so this is half the work.
    int64_t numKTiles = (k + kTile - 1) / kTile;
    ::bitmod::support::parallelFor(
        numKTiles, 1, config.numThreads, nullptr, [&](int64_t t0, int64_t t1) {
          for (int64_t k0 = t0 * kTile; k0 < std::min(k, t1 * kTile);
               k0 += kTile)
            transposeTile(kn + k0 * n + n0, n, block.data() + k0, k,
                          std::min(k0 + kTile, k) - k0, rows);
        });
    quant::WeightSpan span{block.data(), static_cast<size_t>(rows * k), type};
    llvm::Expected<quant::PackedWeights> part =
        quant::quantize(span, rows, k, config, /*rowOffset=*/n0);
    if (!part)
      return part.takeError();
    if (llvm::Error err = quant::appendRows(result, *part))
      return std::move(err);
  }
  return result;
}

llvm::Expected<quant::PackedWeights>
quantizeTransposed(ArrayRef<char> kn, quant::WeightElementType type, int64_t n,
                   int64_t k, const quant::QuantConfig &config) {
  if (type == quant::WeightElementType::F32)
    return quantizeTransposedAs(reinterpret_cast<const uint32_t *>(kn.data()),
                                type, n, k, config);
  return quantizeTransposedAs(reinterpret_cast<const uint16_t *>(kn.data()),
                              type, n, k, config);
}

struct BitMoDQuantizePass
    : mlir::bitmod::impl::BitMoDQuantizeBase<BitMoDQuantizePass> {
  using BitMoDQuantizeBase::BitMoDQuantizeBase;

  LogicalResult initialize(MLIRContext *context) override {
    auto type = parseDTypeOption(dtype, "bitmod-quantize dtype option");
    if (!type)
      return emitError(UnknownLoc::get(context))
             << llvm::toString(type.takeError());
    policy.defaultType = *type;
    std::optional<quant::QuantMethod> m = quant::parseQuantMethod(method);
    if (!m)
      return emitError(UnknownLoc::get(context))
             << "bitmod-quantize: unknown method '" << method
             << "'; valid methods: rtn, awq, gptq";
    quantMethod = *m;
    if (quantMethod != quant::QuantMethod::RTN) {
      if (calibStats.empty())
        return emitError(UnknownLoc::get(context))
               << "bitmod-quantize: method '" << method
               << "' needs calibration statistics (calib-stats=DIR)";
      llvm::Expected<quant::CalibStats> loaded =
          quant::readCalibStats(calibStats);
      if (!loaded)
        return emitError(UnknownLoc::get(context))
               << llvm::toString(loaded.takeError());
      stats = std::make_shared<quant::CalibStats>(std::move(*loaded));
    }
    if (!dtypeConfig.empty())
      if (llvm::Error err = loadPolicyFile(dtypeConfig, policy))
        return emitError(UnknownLoc::get(context))
               << llvm::toString(std::move(err));
    std::optional<quant::SVSearchMode> mode =
        quant::parseSVSearchMode(svSearch);
    if (!mode)
      return emitError(UnknownLoc::get(context))
             << "bitmod-quantize: unknown sv-search '" << svSearch
             << "'; valid: none, layer, model";
    searchMode = *mode;
    if (!sv.empty()) {
      if (searchMode != quant::SVSearchMode::None)
        return emitError(UnknownLoc::get(context))
               << "bitmod-quantize: the sv and sv-search options exclude "
                  "each other";
      // Checked against the default type here, against each layer's type
      // when it is quantized.
      std::optional<quant::DataType> checkType;
      if (quant::hasSpecialValue(policy.defaultType))
        checkType = policy.defaultType;
      for (const auto &rule : policy.rules)
        if (!checkType && quant::hasSpecialValue(rule.second))
          checkType = rule.second;
      if (!checkType)
        return emitError(UnknownLoc::get(context))
               << "bitmod-quantize sv option: data type '"
               << quant::getName(policy.defaultType)
               << "' has no special values (only bitmod3/bitmod4 and the "
                  "fp3_*/fp4_* extensions take a set)";
      llvm::Expected<quant::SpecialValueSet> set =
          quant::parseSpecialValues(*checkType, sv);
      if (!set)
        return emitError(UnknownLoc::get(context))
               << "bitmod-quantize sv option: "
               << llvm::toString(set.takeError());
      userSet = *set;
    }
    return success();
  }

  /// A linear whose weight is quantized, before the rewrite.
  struct Job {
    LinearOp op;
    std::string layerName;
    quant::QuantConfig config;
    quant::WeightSpan weights;
    int64_t n = 0, k = 0;
    std::vector<char> splatStorage;
    /// Set by the per-layer search (its result for the chosen set).
    std::optional<quant::PackedWeights> packed;
    /// The tosa.transpose of a [K, N] constant the weight comes from, if
    /// any; `bytes` are that constant's. RTN without a search quantizes it
    /// in transposed row blocks (lazyTranspose); the search and the
    /// calibrated methods read [N, K] rows from `transposedCopy`.
    Operation *transpose = nullptr;
    ArrayRef<char> bytes;
    quant::WeightElementType elementType = quant::WeightElementType::F32;
    bool lazyTranspose = false;
    std::vector<char> transposedCopy;
  };

  void runOnOperation() override {
    SmallVector<LinearOp> linears;
    getOperation()->walk([&](LinearOp op) { linears.push_back(op); });
    std::vector<std::unique_ptr<Job>> jobs;
    for (LinearOp op : linears) {
      auto job = std::make_unique<Job>();
      FailureOr<bool> ok = prepare(op, *job);
      if (failed(ok))
        return signalPassFailure();
      if (*ok)
        jobs.push_back(std::move(job));
    }
    if (failed(chooseSpecialValues(jobs)))
      return signalPassFailure();
    for (std::unique_ptr<Job> &job : jobs)
      if (failed(rewrite(*job)))
        return signalPassFailure();
  }

  /// Sets every job's special values: the user's set, or the searched one.
  LogicalResult chooseSpecialValues(std::vector<std::unique_ptr<Job>> &jobs) {
    if (userSet) {
      for (std::unique_ptr<Job> &job : jobs)
        if (quant::hasSpecialValue(job->config.dtype)) {
          if (llvm::Error e =
                  quant::checkSpecialValues(job->config.dtype, *userSet))
            return job->op.emitOpError("sv option for layer '")
                   << job->layerName << "': " << llvm::toString(std::move(e));
          job->config.specialValues = userSet;
        }
      return success();
    }
    if (searchMode == quant::SVSearchMode::None)
      return success();
    auto tensorOf = [](const Job &job) {
      return quant::SVSearchTensor{job.weights, job.n, job.k,
                                   job.config.tensorName};
    };
    if (searchMode == quant::SVSearchMode::Layer) {
      for (std::unique_ptr<Job> &job : jobs) {
        if (!quant::hasSelector(job->config.dtype))
          continue;
        std::vector<quant::PackedWeights> packed;
        llvm::Expected<quant::SVSearchResult> r =
            quant::searchSpecialValues({tensorOf(*job)}, job->config, &packed);
        if (!r)
          return job->op.emitOpError("special-value search: ")
                 << llvm::toString(r.takeError());
        job->config.specialValues = r->sv;
        job->packed = std::move(packed.front());
      }
      return success();
    }
    // Model: one set per data type over all its layers.
    for (quant::DataType type :
         {quant::DataType::bitmod3, quant::DataType::bitmod4}) {
      std::vector<quant::SVSearchTensor> tensors;
      std::vector<Job *> members;
      for (std::unique_ptr<Job> &job : jobs)
        if (job->config.dtype == type) {
          tensors.push_back(tensorOf(*job));
          members.push_back(job.get());
        }
      if (members.empty())
        continue;
      llvm::Expected<quant::SVSearchResult> r =
          quant::searchSpecialValues(tensors, members.front()->config);
      if (!r)
        return members.front()->op.emitOpError("special-value search: ")
               << llvm::toString(r.takeError());
      for (Job *job : members)
        job->config.specialValues = r->sv;
    }
    return success();
  }

  /// Fills `job` for a linear to quantize; false if it stays as it is.
  FailureOr<bool> prepare(LinearOp op, Job &job) {
    std::string layerName = getLayerName(op);
    quant::DataType type = policy.lookup(layerName);
    if (type == quant::DataType::fp16)
      return false; // Kept in float on purpose.

    // The weight: an [N, K] constant, or tosa.transpose {perms = [1, 0]} of
    // a [K, N] constant (the importer keeps large MatMul weights in the
    // model's layout, memory-mapped, instead of copying them).
    // (Matched by name: the pass does not depend on the TOSA dialect.)
    ElementsAttr weightAttr;
    Operation *transpose = nullptr;
    if (!matchPattern(op.getWeight(), m_Constant(&weightAttr))) {
      transpose = op.getWeight().getDefiningOp();
      auto perms =
          transpose && transpose->getName().getStringRef() == "tosa.transpose"
              ? transpose->getAttrOfType<DenseI32ArrayAttr>("perms")
              : DenseI32ArrayAttr();
      if (!perms || perms.asArrayRef() != ArrayRef<int32_t>{1, 0} ||
          transpose->getNumOperands() != 1 ||
          !matchPattern(transpose->getOperand(0), m_Constant(&weightAttr))) {
        op.emitRemark("weight is not a constant; layer left unquantized");
        return false;
      }
    }
    RankedTensorType weightType = op.getWeight().getType();
    Type weightElem = weightType.getElementType();
    quant::WeightElementType elementType;
    if (weightElem.isF32())
      elementType = quant::WeightElementType::F32;
    else if (weightElem.isF16())
      elementType = quant::WeightElementType::F16;
    else if (weightElem.isBF16())
      elementType = quant::WeightElementType::BF16;
    else
      return op.emitOpError("can only quantize f32, f16 or bf16 weights, got ")
             << weightElem;
    // A view of the constant's bytes (the memory-mapped model for external
    // data): the quantizer widens f16/bf16 rows as it goes.
    FailureOr<ArrayRef<char>> bytes =
        getRawData(op, weightAttr, "weight", job.splatStorage);
    if (failed(bytes))
      return failure();

    quant::QuantConfig config;
    config.dtype = type;
    config.groupSize = groupSize;
    config.scaleBits = quant::isMXType(type) ? 8 : unsigned(scaleBits);
    if (unsigned required = quant::getRequiredGroupSize(type))
      config.groupSize = required;
    config.tensorName = layerName.empty() ? "weight" : layerName;
    int64_t n = weightType.getDimSize(0), k = weightType.getDimSize(1);
    job.op = op;
    job.layerName = layerName;
    job.config = config;
    job.weights = quant::WeightSpan{bytes->data(), static_cast<size_t>(n * k),
                                    elementType};
    job.n = n;
    job.k = k;
    job.transpose = transpose;
    job.bytes = *bytes;
    job.elementType = elementType;
    if (transpose) {
      if (quantMethod == quant::QuantMethod::RTN &&
          searchMode == quant::SVSearchMode::None) {
        job.lazyTranspose = true;
      } else {
        size_t elemBytes =
            elementType == quant::WeightElementType::F32 ? 4 : 2;
        job.transposedCopy.resize(bytes->size());
        for (int64_t r = 0; r < n; ++r)
          for (int64_t c = 0; c < k; ++c)
            std::memcpy(&job.transposedCopy[(r * k + c) * elemBytes],
                        &(*bytes)[(c * n + r) * elemBytes], elemBytes);
        job.weights.data = job.transposedCopy.data();
      }
    }
    return true;
  }

  LogicalResult rewrite(Job &job) {
    LinearOp op = job.op;
    const std::string &layerName = job.layerName;
    quant::DataType type = job.config.dtype;
    Operation *transpose = job.transpose;
    // The search's packed result is round-to-nearest: the calibrated
    // methods quantize again with the chosen set.
    std::vector<float> inputScale;
    llvm::Expected<quant::PackedWeights> packed =
        job.packed && quantMethod == quant::QuantMethod::RTN
            ? llvm::Expected<quant::PackedWeights>(std::move(*job.packed))
        : quantMethod != quant::QuantMethod::RTN
            ? quantizeCalibrated(op, layerName, job.weights, job.n, job.k,
                                 job.config, inputScale)
        : job.lazyTranspose ? quantizeTransposed(job.bytes, job.elementType,
                                                 job.n, job.k, job.config)
                            : quant::quantize(job.weights, job.n, job.k,
                                              job.config);
    job.transposedCopy = {};
    // The float weights are not read again: let the kernel drop the pages
    // of a memory-mapped model (the contents stay valid) so that the
    // resident set does not grow with the model.
    if (transpose)
      releasePages(job.bytes);
    if (!packed)
      return op.emitOpError("cannot quantize to ")
             << quant::getName(type) << ": "
             << llvm::toString(packed.takeError());

    OpBuilder builder(op);
    Location loc = op.getLoc();
    WeightsOp weightsOp = buildWeightsOp(builder, loc, *packed, layerName);
    // The accelerator takes f32 or f16 activations (its datapath reads FP16
    // and writes FP16 or FP32). bf16 activations are widened to f32 for the
    // matmul (exact) and its f32 result rounded back to bf16.
    Value input = op.getInput(), bias = op.getBias();
    RankedTensorType resultType = op.getType();
    bool widen = resultType.getElementType().isBF16();
    auto toF32 = [&](Value v) -> Value {
      if (!v)
        return v;
      auto type = cast<RankedTensorType>(v.getType());
      return arith::ExtFOp::create(builder, loc,
                                   type.clone(builder.getF32Type()), v);
    };
    if (widen) {
      input = toF32(input);
      bias = toF32(bias);
    }
    if (!inputScale.empty())
      input = scaleInput(builder, loc, input, inputScale);
    auto matmul = GroupedMatmulOp::create(
        builder, loc,
        widen ? resultType.clone(builder.getF32Type()) : resultType, input,
        weightsOp.getResult(), bias, op.getNameAttr());
    Value result = matmul.getResult();
    if (widen)
      result = arith::TruncFOp::create(builder, loc, resultType, result);
    op.replaceAllUsesWith(result);
    Operation *weightDef = op.getWeight().getDefiningOp();
    op.erase();
    if (weightDef && weightDef->use_empty() && isPure(weightDef)) {
      Operation *source =
          transpose ? transpose->getOperand(0).getDefiningOp() : nullptr;
      weightDef->erase();
      if (source && source->use_empty() && isPure(source))
        source->erase();
    }
    return success();
  }

  /// AWQ/GPTQ of one layer with its statistics.
  llvm::Expected<quant::PackedWeights>
  quantizeCalibrated(LinearOp op, StringRef layerName,
                     quant::WeightSpan weights, int64_t n, int64_t k,
                     const quant::QuantConfig &config,
                     std::vector<float> &inputScale) {
    const quant::LayerStats *layerStats = stats->lookup(layerName);
    if (!layerStats)
      return llvm::createStringError(
          "no calibration statistics for layer '%s' in '%s'",
          layerName.str().c_str(), calibStats.c_str());
    std::vector<float> w(n * k);
    weights.widen(0, n * k, w.data());
    quant::GPTQOptions gptq;
    gptq.dampening = gptqDamp;
    gptq.actOrder = gptqActOrder;
    llvm::Expected<quant::CalibratedWeights> r = quant::quantizeCalibrated(
        quantMethod, w, n, k, config, *layerStats, {}, gptq);
    if (!r)
      return r.takeError();
    inputScale = std::move(r->inputScale);
    return std::move(r->packed);
  }

  /// input * inputScale along the last dimension (a broadcasting
  /// linalg.generic).
  Value scaleInput(OpBuilder &builder, Location loc, Value input,
                   ArrayRef<float> inputScale) {
    auto type = cast<RankedTensorType>(input.getType());
    auto elemType = cast<FloatType>(type.getElementType());
    auto scaleType = RankedTensorType::get(
        {static_cast<int64_t>(inputScale.size())}, elemType);
    SmallVector<APFloat> values;
    for (float v : inputScale) {
      APFloat f(v);
      bool lost;
      f.convert(elemType.getFloatSemantics(), APFloat::rmNearestTiesToEven,
                &lost);
      values.push_back(f);
    }
    Value scale = arith::ConstantOp::create(
        builder, loc, DenseElementsAttr::get(scaleType, values));
    int64_t rank = type.getRank();
    SmallVector<Value> dynSizes;
    for (int64_t d = 0; d < rank; ++d)
      if (type.isDynamicDim(d))
        dynSizes.push_back(tensor::DimOp::create(builder, loc, input, d));
    Value init = tensor::EmptyOp::create(builder, loc, type.getShape(),
                                         elemType, dynSizes);
    MLIRContext *ctx = builder.getContext();
    AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
    AffineMap last =
        AffineMap::get(rank, 0, getAffineDimExpr(rank - 1, ctx), ctx);
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        builder, loc, type, ValueRange{input, scale}, ValueRange{init},
        ArrayRef<AffineMap>{id, last, id}, iters,
        [](OpBuilder &b, Location l, ValueRange args) {
          Value prod = arith::MulFOp::create(b, l, args[0], args[1]);
          linalg::YieldOp::create(b, l, prod);
        });
    return generic.getResult(0);
  }

  DTypePolicy policy;
  quant::QuantMethod quantMethod = quant::QuantMethod::RTN;
  std::shared_ptr<quant::CalibStats> stats;
  quant::SVSearchMode searchMode = quant::SVSearchMode::None;
  std::optional<quant::SpecialValueSet> userSet;
};

} // namespace
