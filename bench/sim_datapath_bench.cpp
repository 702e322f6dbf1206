//===- sim_datapath_bench.cpp - Functional datapath throughput ------------===//
//
// Simulated MACs per second of the bit-exact datapath (GEMV and small GEMM)
// and of the analytic cost model:
//
//   sim_datapath_bench [benchmark flags]      Google Benchmark (wall time)
//   sim_datapath_bench --figures [--runs=R] [--threads=T] [--kernel=K]
//       4096x4096 GEMV (M=1) and M=16 for bitmod3, bitmod4, int6 and int8:
//       best-of-R wall time and the CPU time of all threads per case.
//
//===----------------------------------------------------------------------===//

#include "bitmod/Quant/Quantizer.h"
#include "bitmod/Sim/CostModel.h"
#include "bitmod/Sim/Datapath.h"
#include "bitmod/Sim/Float16.h"

#include "benchmark/benchmark.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/Threading.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>
#include <string>

using namespace bitmod;
using namespace bitmod::arch;
using namespace bitmod::sim;

namespace {
/// How this run was started, printed with the figures.
std::string commandLine;

struct Fixture {
  std::unique_ptr<UnpackedWeights> w;
  std::vector<uint16_t> x;
};

Fixture makeFixture(quant::DataType t, unsigned N, unsigned K, unsigned M) {
  std::mt19937 rng(42);
  std::normal_distribution<float> nd(0.0f, 0.02f);
  std::vector<float> w(size_t(N) * K);
  for (float &v : w)
    v = nd(rng);
  quant::QuantConfig qc;
  qc.dtype = t;
  auto packed = quant::quantize(w, N, K, qc);
  if (!packed)
    llvm::report_fatal_error(packed.takeError());
  auto u = unpackWeights(*packed);
  if (!u)
    llvm::report_fatal_error(u.takeError());
  Fixture f;
  f.w = std::move(*u);
  std::normal_distribution<float> xd(0.0f, 1.0f);
  f.x.resize(size_t(M) * K);
  for (uint16_t &h : f.x)
    h = floatToHalf(xd(rng));
  return f;
}

void runMatmul(benchmark::State &state, quant::DataType t) {
  unsigned M = unsigned(state.range(0)), N = unsigned(state.range(1)),
           K = unsigned(state.range(2));
  Fixture f = makeFixture(t, N, K, M);
  std::vector<float> y(size_t(M) * N);
  for (auto _ : state) {
    if (llvm::Error e = groupedMatmul(f.x.data(), M, f.w->view, y.data()))
      llvm::report_fatal_error(std::move(e));
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["MACs/s"] = benchmark::Counter(
      double(M) * N * K * state.iterations(), benchmark::Counter::kIsRate);
}

void BM_GemvBitmod3(benchmark::State &s) {
  runMatmul(s, quant::DataType::bitmod3);
}
void BM_GemvBitmod4(benchmark::State &s) {
  runMatmul(s, quant::DataType::bitmod4);
}
void BM_GemvInt8(benchmark::State &s) { runMatmul(s, quant::DataType::int8); }
void BM_GemvInt6(benchmark::State &s) { runMatmul(s, quant::DataType::int6); }

void BM_CostModel(benchmark::State &state) {
  AccelConfig cfg;
  for (auto _ : state) {
    auto c = estimate(cfg, AcceleratorKind::BitMoD, {256, 4096, 4096},
                      quant::DataType::bitmod4, 128);
    if (!c)
      llvm::report_fatal_error(c.takeError());
    benchmark::DoNotOptimize(c->totalCycles);
  }
}

double processCPUSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/// The --figures table: best-of-`runs` wall and CPU time per case.
int printFigures(unsigned runs, unsigned threads) {
  const unsigned N = 4096, K = 4096;
  std::printf("command: %s\n", commandLine.c_str());
  std::printf("functional datapath, W[%u, %u] G=128, kernel=%s, threads=%u, "
              "best of %u runs\n",
              N, K, std::string(getDatapathKernelName()).c_str(),
              threads ? threads
                      : llvm::hardware_concurrency().compute_thread_count(),
              runs);
  for (quant::DataType t : {quant::DataType::bitmod3, quant::DataType::bitmod4,
                            quant::DataType::int6, quant::DataType::int8})
    for (unsigned M : {1u, 16u}) {
      Fixture f = makeFixture(t, N, K, M);
      std::vector<float> y(size_t(M) * N);
      DatapathOptions options;
      options.numThreads = threads;
      double bestWall = 1e30, bestCPU = 1e30;
      for (unsigned r = 0; r < runs; ++r) {
        auto t0 = std::chrono::steady_clock::now();
        double c0 = processCPUSeconds();
        if (llvm::Error e =
                groupedMatmul(f.x.data(), M, f.w->view, y.data(), options))
          llvm::report_fatal_error(std::move(e));
        bestCPU = std::min(bestCPU, processCPUSeconds() - c0);
        bestWall = std::min(bestWall, std::chrono::duration<double>(
                                          std::chrono::steady_clock::now() - t0)
                                          .count());
      }
      double macs = double(M) * N * K;
      std::printf("  %-8s M=%-2u  %8.2f ms  %.3e MAC/s  (CPU %8.2f ms, "
                  "%.3e MAC per CPU-second)\n",
                  std::string(quant::getName(t)).c_str(), M, bestWall * 1e3,
                  macs / bestWall, bestCPU * 1e3, macs / bestCPU);
    }
  return 0;
}
} // namespace

BENCHMARK(BM_GemvBitmod3)
    ->Args({1, 4096, 4096})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_GemvBitmod4)
    ->Args({1, 4096, 4096})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_GemvInt6)
    ->Args({1, 4096, 4096})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_GemvInt8)
    ->Args({1, 4096, 4096})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_GemvBitmod3)
    ->Args({16, 4096, 4096})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_GemvInt8)
    ->Args({16, 4096, 4096})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_GemvBitmod3)->Args({8, 1024, 1024})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CostModel);

int main(int argc, char **argv) {
  for (int i = 0; i < argc; ++i)
    commandLine += (i ? " " : "") + std::string(argv[i]);
  bool figures = false;
  unsigned runs = 5, threads = 0;
  std::vector<char *> rest;
  for (int i = 0; i < argc; ++i) {
    llvm::StringRef a(argv[i]);
    if (a == "--figures") {
      figures = true;
    } else if (a.consume_front("--runs=")) {
      if (a.getAsInteger(10, runs) || runs == 0) {
        std::fprintf(stderr, "sim_datapath_bench: error: bad run count\n");
        return 1;
      }
    } else if (a.consume_front("--threads=")) {
      if (a.getAsInteger(10, threads)) {
        std::fprintf(stderr, "sim_datapath_bench: error: bad thread count\n");
        return 1;
      }
    } else if (a.consume_front("--kernel=")) {
      if (!setDatapathKernel(a)) {
        std::fprintf(stderr,
                     "sim_datapath_bench: error: kernel '%s' is not available "
                     "here\n",
                     a.str().c_str());
        return 1;
      }
    } else {
      rest.push_back(argv[i]);
    }
  }
  if (figures)
    return printFigures(runs, threads);
  int n = int(rest.size());
  benchmark::Initialize(&n, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
