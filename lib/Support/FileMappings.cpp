//===- FileMappings.cpp - Read-only file mappings the process holds -------===//

#include "bitmod/Support/FileMappings.h"

#include <cstdint>
#include <iterator>
#include <map>
#include <mutex>

#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

using namespace bitmod;

namespace {
std::mutex &getMutex() {
  static std::mutex m;
  return m;
}
/// begin -> size of each registered mapping.
std::map<uintptr_t, size_t> &getMappings() {
  static std::map<uintptr_t, size_t> mappings;
  return mappings;
}
} // namespace

void support::registerReadOnlyFileMapping(const void *begin, size_t size) {
  std::lock_guard<std::mutex> lock(getMutex());
  getMappings()[reinterpret_cast<uintptr_t>(begin)] = size;
}

void support::unregisterReadOnlyFileMapping(const void *begin) {
  std::lock_guard<std::mutex> lock(getMutex());
  getMappings().erase(reinterpret_cast<uintptr_t>(begin));
}

bool support::isInReadOnlyFileMapping(const void *begin, size_t size) {
  uintptr_t b = reinterpret_cast<uintptr_t>(begin);
  std::lock_guard<std::mutex> lock(getMutex());
  const std::map<uintptr_t, size_t> &m = getMappings();
  auto it = m.upper_bound(b);
  if (it == m.begin())
    return false;
  --it;
  return b - it->first <= it->second && size <= it->second - (b - it->first);
}

void support::releasePages(const void *begin, size_t size) {
#if defined(__linux__)
  uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  uintptr_t b = reinterpret_cast<uintptr_t>(begin);
  uintptr_t first = (b + page - 1) & ~(page - 1);
  uintptr_t last = (b + size) & ~(page - 1);
  if (last <= first)
    return;
  void *addr = reinterpret_cast<void *>(first);
  if (isInReadOnlyFileMapping(begin, size)) {
    (void)madvise(addr, last - first, MADV_DONTNEED);
    return;
  }
#if defined(MADV_PAGEOUT)
  (void)madvise(addr, last - first, MADV_PAGEOUT);
#endif
#else
  (void)begin;
  (void)size;
#endif
}
