//===- ParallelTest.cpp - support::parallelFor ----------------------------===//

#include "bitmod/Support/Parallel.h"

#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/Threading.h"

#include "gtest/gtest.h"

#include <atomic>
#include <vector>

using namespace bitmod;

namespace {

/// Every index of [0, n) is visited exactly once, in chunks of at least
/// minChunk (but the last).
void checkCoverage(int64_t n, int64_t minChunk, unsigned threads,
                   llvm::ThreadPoolInterface *pool = nullptr) {
  std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
  std::atomic<int> shortChunks{0};
  support::parallelFor(n, minChunk, threads, pool, [&](int64_t b, int64_t e) {
    ASSERT_LT(b, e);
    if (e - b < minChunk && e != n)
      ++shortChunks;
    for (int64_t i = b; i < e; ++i)
      ++hits[i];
  });
  for (int64_t i = 0; i < n; ++i)
    ASSERT_EQ(hits[i].load(), 1) << "index " << i << " of " << n;
  EXPECT_EQ(shortChunks.load(), 0);
}

TEST(ParallelFor, CoversEveryIndexOnce) {
  for (int64_t n : {0, 1, 2, 7, 64, 1000, 4097})
    for (int64_t minChunk : {1, 3, 64})
      for (unsigned threads : {0u, 1u, 2u, 3u})
        checkCoverage(n, minChunk, threads);
}

TEST(ParallelFor, OwnPoolAndNestedCalls) {
  llvm::DefaultThreadPool pool(llvm::hardware_concurrency(2));
  checkCoverage(5000, 1, 0, &pool);
  // A loop inside a pool task (the caller is a pool thread; the pool may be
  // busy with the outer helpers): every inner index still runs once.
  std::atomic<int64_t> total{0};
  support::parallelFor(16, 1, 0, &pool, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      support::parallelFor(1000, 10, 0, &pool,
                           [&](int64_t ib, int64_t ie) { total += ie - ib; });
  });
  EXPECT_EQ(total.load(), 16 * 1000);
}

} // namespace
