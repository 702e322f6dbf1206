//===- Parallel.h - Row-parallel loops for the plain libraries ------------===//
//
// A parallel loop whose calling thread works too. The quantizer and the
// functional simulator call it once per block of rows, thousands of times
// for a 7B model, so the cost of handing work to sleeping pool threads
// matters: on a VM, waking a halted vCPU takes up to a millisecond, which
// is the whole run time of a 512-row block. Here the caller starts on the
// rows at once, helpers join when they wake, chunks are claimed from an
// atomic counter (no thread idles while rows are left), and the caller
// spins (briefly) rather than sleeps until the last claimed chunk is done.
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_SUPPORT_PARALLEL_H
#define BITMOD_SUPPORT_PARALLEL_H

#include "llvm/ADT/STLFunctionalExtras.h"

#include <cstdint>

namespace llvm {
class ThreadPoolInterface;
} // namespace llvm

namespace bitmod {
namespace support {

/// The process-wide pool (one thread per hardware thread) that the loops
/// below use when they are not given one.
llvm::ThreadPoolInterface &getSharedThreadPool();

/// Runs fn(begin, end) over disjoint chunks covering [0, n), each of at
/// least `minChunk` items (the last may be shorter), on up to `numThreads`
/// threads (0: every hardware thread; 1: inline) including the caller. The
/// helpers run on `pool` (default: getSharedThreadPool(); a caller that is
/// itself a pool thread is fine, it then does the work alone if the pool
/// is busy). Returns when every chunk is done. fn must not throw.
void parallelFor(int64_t n, int64_t minChunk, unsigned numThreads,
                 llvm::ThreadPoolInterface *pool,
                 llvm::function_ref<void(int64_t, int64_t)> fn);

} // namespace support
} // namespace bitmod

#endif // BITMOD_SUPPORT_PARALLEL_H
