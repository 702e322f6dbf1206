//===- quant_bench.cpp - Quantizer throughput -----------------------------===//
//
// Google Benchmark of quantize() throughput (weights/second) per data type,
// plus a streaming mode that quantizes a Llama-2-7B-sized set of linear
// layers block by block and reports the rate and the peak RSS:
//
//   quant_bench [benchmark flags]
//   quant_bench --llama7b[=LAYERS] [--dtype=T] [--block-rows=R] [--threads=T]
//               [--kernel=avx512|avx2|generic|reference]
//   quant_bench --llama7b[=LAYERS] --sv-search=layer [--dtype=bitmod3|4]
//
// --sv-search=layer times the per-layer special-value search
// (SpecialValues.h) against quantize() of the same whole layer.
//
// LAYERS (default 32, the full model) limits the number of decoder layers;
// the LM head is always included. Weights come from a precomputed N(0, 1)
// pool of 2^24 values read through a sliding window, so generating them
// costs a memcpy per block; the reported rate counts quantize() time only
// (the wall time including the copies is printed too).
//
//===----------------------------------------------------------------------===//

#include "bitmod/Quant/Quantizer.h"
#include "bitmod/Quant/SpecialValues.h"

#include "benchmark/benchmark.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/Threading.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <sys/resource.h>

using namespace bitmod::quant;

namespace {

/// --kernel=reference: time quantizeReference() instead.
bool useReference = false;
/// How this run was started, printed with the figures.
std::string commandLine;

const std::vector<float> &gaussianPool() {
  static std::vector<float> pool = [] {
    std::vector<float> v(1u << 24);
    std::mt19937 rng(42);
    std::normal_distribution<float> n(0.0f, 1.0f);
    for (float &x : v)
      x = n(rng);
    return v;
  }();
  return pool;
}

void fillFromPool(float *dst, size_t count, size_t &cursor) {
  const std::vector<float> &pool = gaussianPool();
  size_t done = 0;
  while (done < count) {
    size_t pos = cursor % pool.size();
    size_t take = std::min(count - done, pool.size() - pos);
    std::memcpy(dst + done, pool.data() + pos, take * sizeof(float));
    done += take;
    cursor += take + 7919; // shift the window so blocks differ
  }
}

void BM_Quantize(benchmark::State &state, DataType dtype, unsigned scaleBits) {
  const int64_t N = state.range(0), K = state.range(1);
  std::vector<float> w(N * K);
  size_t cursor = 0;
  fillFromPool(w.data(), w.size(), cursor);
  QuantConfig cfg;
  cfg.dtype = dtype;
  cfg.groupSize = 128;
  cfg.scaleBits = scaleBits;
  for (auto _ : state) {
    auto p = quantize(w, N, K, cfg);
    if (!p) {
      state.SkipWithError(llvm::toString(p.takeError()).c_str());
      return;
    }
    benchmark::DoNotOptimize(p->codes.data());
  }
  state.SetItemsProcessed(state.iterations() * N * K);
}

void BM_Dequantize(benchmark::State &state, DataType dtype) {
  const int64_t N = state.range(0), K = state.range(1);
  std::vector<float> w(N * K);
  size_t cursor = 0;
  fillFromPool(w.data(), w.size(), cursor);
  QuantConfig cfg;
  cfg.dtype = dtype;
  auto p = quantize(w, N, K, cfg);
  if (!p) {
    state.SkipWithError(llvm::toString(p.takeError()).c_str());
    return;
  }
  for (auto _ : state)
    benchmark::DoNotOptimize(dequantize(*p).data());
  state.SetItemsProcessed(state.iterations() * N * K);
}

#define QUANT_BENCH(T, SB)                                                     \
  BENCHMARK_CAPTURE(BM_Quantize, T##_sb##SB, DataType::T, SB)                  \
      ->Args({4096, 4096})                                                     \
      ->Unit(benchmark::kMillisecond)                                          \
      ->UseRealTime();
QUANT_BENCH(bitmod3, 8)
QUANT_BENCH(bitmod4, 8)
QUANT_BENCH(bitmod3, 0)
QUANT_BENCH(fp4, 8)
QUANT_BENCH(int4_asym, 8)
QUANT_BENCH(int8, 8)
QUANT_BENCH(mxfp4, 8)
QUANT_BENCH(fp6_e3m2, 8)
BENCHMARK_CAPTURE(BM_Dequantize, bitmod3, DataType::bitmod3)
    ->Args({4096, 4096})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

/// CPU seconds of the whole process (all threads).
double processCPUSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

double peakRSSMiB() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024.0; // KiB on Linux
}

/// Wall and CPU seconds of `fn`.
template <typename Fn> std::pair<double, double> timed(Fn &&fn) {
  auto t0 = std::chrono::steady_clock::now();
  double c0 = processCPUSeconds();
  fn();
  return {std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
              .count(),
          processCPUSeconds() - c0};
}

int runLlama7B(int layers, DataType dtype, int64_t blockRows, unsigned threads,
               bool svSearch) {
  struct Linear {
    const char *name;
    int64_t N, K;
  };
  // Llama-2-7B: hidden 4096, MLP 11008, 32 layers, vocabulary 32000.
  const Linear perLayer[] = {
      {"q_proj", 4096, 4096},     {"k_proj", 4096, 4096},
      {"v_proj", 4096, 4096},     {"o_proj", 4096, 4096},
      {"gate_proj", 11008, 4096}, {"up_proj", 11008, 4096},
      {"down_proj", 4096, 11008}};
  std::vector<Linear> all;
  for (int l = 0; l < layers; ++l)
    for (const Linear &lin : perLayer)
      all.push_back(lin);
  all.push_back({"lm_head", 32000, 4096});

  QuantConfig cfg;
  cfg.dtype = dtype;
  cfg.groupSize = 128;
  cfg.scaleBits = 8;
  cfg.numThreads = threads;
  llvm::DefaultThreadPool pool(llvm::hardware_concurrency(threads));
  std::vector<float> block;
  size_t cursor = 0;
  double quantSeconds = 0, quantCPUSeconds = 0;
  int64_t weights = 0, packedBytes = 0;
  QuantStats stats;
  gaussianPool(); // build before timing
  if (svSearch) {
    // Whole layers: the search needs every row of a layer.
    double qWall = 0, qCPU = 0, sWall = 0, sCPU = 0, paperSSE = 0,
           chosenSSE = 0;
    int changed = 0;
    for (const Linear &lin : all) {
      cfg.tensorName = lin.name;
      block.resize(lin.N * lin.K);
      fillFromPool(block.data(), block.size(), cursor);
      bool ok = true;
      auto [qw, qc] = timed([&] {
        auto p = quantize(block, lin.N, lin.K, cfg, 0, &pool);
        ok = bool(p);
        if (!p)
          llvm::consumeError(p.takeError());
      });
      auto [sw, sc] = timed([&] {
        // The search returns the layer quantized with the chosen set.
        std::vector<PackedWeights> packed;
        auto r = searchSpecialValues(
            {SVSearchTensor{WeightSpan::f32(block), lin.N, lin.K, lin.name}},
            cfg, &packed);
        if (!r) {
          std::fprintf(stderr, "quant_bench: error: %s\n",
                       llvm::toString(r.takeError()).c_str());
          ok = false;
          return;
        }
        paperSSE += r->paperSumSquaredError;
        chosenSSE += r->sumSquaredError;
        changed += r->sv != getDefaultSpecialValues(dtype);
      });
      if (!ok)
        return 1;
      qWall += qw;
      qCPU += qc;
      sWall += sw;
      sCPU += sc;
      weights += lin.N * lin.K;
    }
    std::printf("command: %s\n", commandLine.c_str());
    std::printf("llama7b sv-search=layer: dtype=%s layers=%d linear_layers=%zu "
                "weights=%lld candidates=%zu\n",
                std::string(getName(dtype)).c_str(), layers, all.size(),
                static_cast<long long>(weights),
                getSearchCandidates(dtype).size());
    std::printf("  quantize: wall %.2f s, CPU %.2f s\n", qWall, qCPU);
    std::printf("  search (returns the quantized layer): wall %.2f s, CPU "
                "%.2f s; search / quantize: wall %.2fx, CPU %.2fx (time added "
                "to quantization: %.2fx / %.2fx)\n",
                sWall, sCPU, sWall / qWall, sCPU / qCPU, sWall / qWall - 1,
                sCPU / qCPU - 1);
    std::printf("  layers with a set other than the paper's: %d of %zu; "
                "weight MSE paper %.6e, searched %.6e\n",
                changed, all.size(), paperSSE / weights, chosenSSE / weights);
    std::printf("  peak RSS %.1f MiB\n", peakRSSMiB());
    return 0;
  }
  auto wallStart = std::chrono::steady_clock::now();
  for (const Linear &lin : all) {
    cfg.tensorName = lin.name;
    for (int64_t r = 0; r < lin.N; r += blockRows) {
      int64_t rows = std::min(blockRows, lin.N - r);
      block.resize(rows * lin.K);
      fillFromPool(block.data(), block.size(), cursor);
      auto t0 = std::chrono::steady_clock::now();
      double c0 = processCPUSeconds();
      auto p = useReference ? quantizeReference(block, rows, lin.K, cfg, r)
                            : quantize(block, rows, lin.K, cfg, r, &pool);
      quantCPUSeconds += processCPUSeconds() - c0;
      quantSeconds +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
              .count();
      if (!p) {
        std::fprintf(stderr, "quant_bench: error: %s\n",
                     llvm::toString(p.takeError()).c_str());
        return 1;
      }
      weights += rows * lin.K;
      packedBytes += p->layout.getTotalBytes();
      // Sample the error on the first block of every layer kind.
      if (r == 0 && &lin - all.data() < 7)
        stats.merge(computeStats(block, dequantize(*p)));
    }
  }
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                              wallStart)
                    .count();
  std::printf("command: %s\n", commandLine.c_str());
  std::printf(
      "llama7b stream: dtype=%s layers=%d linear_layers=%zu "
      "weights=%lld block_rows=%lld threads=%u kernel=%s\n",
      std::string(getName(dtype)).c_str(), layers, all.size(),
      static_cast<long long>(weights), static_cast<long long>(blockRows),
      threads ? threads : llvm::hardware_concurrency().compute_thread_count(),
      useReference ? "reference" : std::string(getQuantKernelName()).c_str());
  std::printf("  quantize time %.2f s, rate %.3e weights/s (wall %.2f s incl. "
              "weight generation)\n",
              quantSeconds, weights / quantSeconds, wall);
  // On a loaded machine the wall time stretches; the CPU time does not.
  std::printf("  quantize CPU time %.2f s (all threads), %.3e weights per "
              "CPU-second\n",
              quantCPUSeconds, weights / quantCPUSeconds);
  std::printf("  packed size %.3f GiB (%.4f bits/weight), sampled SQNR %.2f "
              "dB\n",
              packedBytes / 1073741824.0, packedBytes * 8.0 / weights,
              stats.getSQNRdB());
  std::printf("  peak RSS %.1f MiB\n", peakRSSMiB());
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  for (int i = 0; i < argc; ++i)
    commandLine += (i ? " " : "") + std::string(argv[i]);
  int layers = -1;
  DataType dtype = DataType::bitmod3;
  int64_t blockRows = 512;
  unsigned threads = 0;
  bool svSearch = false;
  std::vector<char *> rest;
  for (int i = 0; i < argc; ++i) {
    llvm::StringRef a(argv[i]);
    if (a == "--llama7b") {
      layers = 32;
    } else if (a.consume_front("--llama7b=")) {
      if (a.getAsInteger(10, layers) || layers < 0) {
        std::fprintf(stderr, "quant_bench: error: bad layer count\n");
        return 1;
      }
    } else if (a.consume_front("--dtype=")) {
      auto t = parseDataType(a.str());
      if (!t) {
        std::fprintf(stderr, "quant_bench: error: unknown dtype; valid: %s\n",
                     listDataTypeNames().c_str());
        return 1;
      }
      dtype = *t;
    } else if (a.consume_front("--block-rows=")) {
      if (a.getAsInteger(10, blockRows) || blockRows <= 0) {
        std::fprintf(stderr, "quant_bench: error: bad block rows\n");
        return 1;
      }
    } else if (a.consume_front("--kernel=")) {
      useReference = a == "reference";
      if (!useReference && !setQuantKernel(a)) {
        std::fprintf(stderr,
                     "quant_bench: error: kernel '%s' is not "
                     "available here\n",
                     a.str().c_str());
        return 1;
      }
    } else if (a == "--sv-search=layer") {
      svSearch = true;
    } else if (a.consume_front("--threads=")) {
      if (a.getAsInteger(10, threads)) {
        std::fprintf(stderr, "quant_bench: error: bad thread count\n");
        return 1;
      }
    } else {
      rest.push_back(argv[i]);
    }
  }
  if (layers >= 0)
    return runLlama7B(layers, dtype, blockRows, threads, svSearch);
  int n = static_cast<int>(rest.size());
  benchmark::Initialize(&n, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
