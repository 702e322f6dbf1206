//===- FileMappings.h - Read-only file mappings the process holds ---------===//
//
// The compiler keeps the weights of a large model memory-mapped from its
// external-data file until they are quantized, then gives the pages back.
// How depends on what backs them: the pages of a read-only file mapping
// can simply be unmapped (MADV_DONTNEED: they stay in the page cache and a
// later read faults them in again), while anonymous memory would lose its
// contents that way and must be paged out instead. The importer registers
// each file it maps here, and unregisters it when the mapping goes away.
//
//===----------------------------------------------------------------------===//

#ifndef BITMOD_SUPPORT_FILEMAPPINGS_H
#define BITMOD_SUPPORT_FILEMAPPINGS_H

#include <cstddef>

namespace bitmod {
namespace support {

/// Records [begin, begin + size) as a read-only mapping of a file.
void registerReadOnlyFileMapping(const void *begin, size_t size);
/// Forgets the mapping that starts at `begin` (call before unmapping it).
void unregisterReadOnlyFileMapping(const void *begin);
/// Whether [begin, begin + size) lies inside one registered mapping.
bool isInReadOnlyFileMapping(const void *begin, size_t size);

/// Drops the resident pages of [begin, begin + size) that the process will
/// not read again soon: unmapped from the process if the range is in a
/// registered file mapping (the contents stay valid and cached), paged out
/// otherwise (the contents stay valid). Partial pages at the ends are kept.
/// Advisory: does nothing where the system has no such call.
void releasePages(const void *begin, size_t size);

} // namespace support
} // namespace bitmod

#endif // BITMOD_SUPPORT_FILEMAPPINGS_H
