// core/heap.h: after make_heap_deterministic(), memory nobody wrote reads as
// one fixed byte, whatever the heap held before: for heap blocks and for
// blocks over the mmap threshold alike. (Blocks up to ~1 KiB come from
// glibc's per-thread cache, which M_PERTURB does not fill: core/heap.h.)
#include "core/heap.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <vector>

namespace ff::core {
namespace {

// Reads a block's bytes without writing them first (what libx264 does to
// its own buffers). volatile keeps the compiler from reasoning about them.
std::vector<unsigned char> fresh_block(size_t bytes) {
  auto* p = static_cast<volatile unsigned char*>(std::malloc(bytes));
  EXPECT_NE(p, nullptr);
  std::vector<unsigned char> copy(bytes);
  for (size_t i = 0; i < bytes; ++i) copy[i] = p[i];
  std::free(const_cast<unsigned char*>(p));
  return copy;
}

TEST(Heap, FreshBlocksReadAsTheFixedByteAfterOtherDataWasFreed) {
#if defined(__SANITIZE_ADDRESS__)
  // ASan's allocator replaces glibc's and ignores mallopt; .ci/run fills its
  // fresh blocks instead (ASAN_OPTIONS max_malloc_fill_size).
  GTEST_SKIP() << "AddressSanitizer replaces glibc's malloc, so mallopt does not apply";
#endif
  ASSERT_TRUE(make_heap_deterministic()) << "glibc refused mallopt";
  const auto fill = static_cast<unsigned char>(kHeapPerturbByte ^ 0xff);
  for (size_t bytes : {size_t{4096}, size_t{300000}, size_t{kMmapThresholdBytes} + 4096}) {
    // Leave a pattern in the heap, free it, then take a block of the same size:
    // without the setting the old pattern (or part of it) reads back.
    void* old = std::malloc(bytes);
    ASSERT_NE(old, nullptr);
    std::memset(old, 0x3c, bytes);
    std::free(old);
    const auto block = fresh_block(bytes);
    size_t other = 0;
    // glibc keeps its free-list pointers in the first 16 bytes of a block.
    for (size_t i = 16; i < bytes; ++i) other += block[i] != fill ? 1 : 0;
    EXPECT_EQ(other, 0u) << bytes << "-byte block: " << other << " bytes not 0x" << std::hex
                         << static_cast<int>(fill);
  }
}

}  // namespace
}  // namespace ff::core
