//===- Parallel.cpp - Row-parallel loops for the plain libraries ----------===//

#include "bitmod/Support/Parallel.h"

#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/Threading.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#endif

using namespace bitmod;

namespace {
/// What the caller and its helpers share. Helpers hold a reference, so a
/// helper that wakes after the loop returned finds no chunk left and never
/// touches the caller's `fn`.
struct LoopState {
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> done{0};
  int64_t n = 0;
  int64_t chunk = 1;
  llvm::function_ref<void(int64_t, int64_t)> fn;

  /// Claims and runs chunks until none is left.
  void work() {
    for (;;) {
      int64_t b = next.fetch_add(chunk, std::memory_order_relaxed);
      if (b >= n)
        return;
      int64_t e = std::min(n, b + chunk);
      fn(b, e);
      done.fetch_add(e - b, std::memory_order_release);
    }
  }
};

inline void cpuRelax() {
#if defined(__x86_64__) || defined(_M_X64)
  _mm_pause();
#endif
}
} // namespace

llvm::ThreadPoolInterface &support::getSharedThreadPool() {
  static llvm::DefaultThreadPool pool(llvm::hardware_concurrency());
  return pool;
}

void support::parallelFor(int64_t n, int64_t minChunk, unsigned numThreads,
                          llvm::ThreadPoolInterface *pool,
                          llvm::function_ref<void(int64_t, int64_t)> fn) {
  if (n <= 0)
    return;
  unsigned hw = llvm::hardware_concurrency().compute_thread_count();
  unsigned threads = numThreads ? numThreads : hw;
  minChunk = std::max<int64_t>(1, minChunk);
  if (threads <= 1 || n <= minChunk) {
    fn(0, n);
    return;
  }
  std::unique_ptr<llvm::DefaultThreadPool> ownPool;
  if (!pool) {
    if (numThreads && numThreads != hw) {
      ownPool = std::make_unique<llvm::DefaultThreadPool>(
          llvm::hardware_concurrency(numThreads - 1));
      pool = ownPool.get();
    } else {
      pool = &getSharedThreadPool();
    }
  }
  auto state = std::make_shared<LoopState>();
  state->n = n;
  // About 8 chunks per thread: small enough that the threads finish
  // together, large enough that the counter is not contended.
  state->chunk = std::max(minChunk, n / (int64_t(threads) * 8));
  state->fn = fn;
  int64_t numChunks = (n + state->chunk - 1) / state->chunk;
  unsigned helpers =
      static_cast<unsigned>(std::min<int64_t>(threads - 1, numChunks - 1));
  for (unsigned h = 0; h < helpers; ++h)
    pool->async([state] { state->work(); });
  state->work();
  // Every chunk is claimed; wait for the helpers' last ones. They are
  // running, so spin first (a sleep would add a wake-up), then yield.
  for (unsigned spins = 0; state->done.load(std::memory_order_acquire) < n;
       ++spins) {
    if (spins < (1u << 16))
      cpuRelax();
    else
      std::this_thread::yield();
  }
  // An own pool's destructor waits for helpers that found nothing to do.
}
