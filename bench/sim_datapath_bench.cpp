//===- sim_datapath_bench.cpp - Functional datapath throughput ------------===//
//
// Simulated MACs per second of the bit-exact datapath (GEMV and small GEMM)
// and of the analytic cost model.
//
//===----------------------------------------------------------------------===//

#include "bitmod/Quant/Quantizer.h"
#include "bitmod/Sim/CostModel.h"
#include "bitmod/Sim/Datapath.h"
#include "bitmod/Sim/Float16.h"

#include "benchmark/benchmark.h"
#include "llvm/Support/Error.h"

#include <random>

using namespace bitmod;
using namespace bitmod::arch;
using namespace bitmod::sim;

namespace {
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
} // namespace

BENCHMARK(BM_GemvBitmod3)->Args({1, 4096, 4096})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GemvBitmod4)->Args({1, 4096, 4096})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GemvInt6)->Args({1, 4096, 4096})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GemvInt8)->Args({1, 4096, 4096})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GemvBitmod3)->Args({8, 1024, 1024})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CostModel);

BENCHMARK_MAIN();
