//===- FileMappingsTest.cpp - support::releasePages and the registry ------===//

#include "bitmod/Support/FileMappings.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include "gtest/gtest.h"

#include <random>
#include <vector>

using namespace bitmod;

namespace {

TEST(FileMappings, Registry) {
  std::vector<char> region(1000);
  const char *b = region.data();
  EXPECT_FALSE(support::isInReadOnlyFileMapping(b, 10));
  support::registerReadOnlyFileMapping(b, 1000);
  EXPECT_TRUE(support::isInReadOnlyFileMapping(b, 1000));
  EXPECT_TRUE(support::isInReadOnlyFileMapping(b + 990, 10));
  EXPECT_FALSE(support::isInReadOnlyFileMapping(b + 990, 11));
  EXPECT_FALSE(support::isInReadOnlyFileMapping(b - 1, 2));
  support::unregisterReadOnlyFileMapping(b);
  EXPECT_FALSE(support::isInReadOnlyFileMapping(b, 10));
}

/// Released pages keep their contents, whatever backs them.
TEST(FileMappings, ReleaseKeepsContents) {
  std::mt19937 rng(7);
  std::vector<char> expected(1 << 22);
  for (char &c : expected)
    c = static_cast<char>(rng());
  // Anonymous memory: paged out, not dropped.
  std::vector<char> heap = expected;
  support::releasePages(heap.data(), heap.size());
  EXPECT_EQ(heap, expected);

  // A mapped file, registered as the importer does: unmapped and faulted in
  // again from the file.
  llvm::SmallString<128> path;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("bitmod-map", "bin", path));
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    ASSERT_FALSE(ec);
    os.write(expected.data(), expected.size());
  }
  auto file = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                          /*RequiresNullTerminator=*/false);
  ASSERT_TRUE(bool(file));
  const char *data = (*file)->getBufferStart();
  support::registerReadOnlyFileMapping(data, (*file)->getBufferSize());
  support::releasePages(data + 100, (*file)->getBufferSize() - 200);
  EXPECT_EQ(0, std::memcmp(data, expected.data(), expected.size()));
  support::unregisterReadOnlyFileMapping(data);
  file->reset();
  llvm::sys::fs::remove(path);
}

} // namespace
