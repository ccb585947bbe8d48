// HugePageAllocator: large blocks on 2 MiB boundaries, small ones from
// operator new.

#include "resource_tree/internal/huge_page_allocator.h"

#include <cstddef>
#include <cstdint>

#include "gtest/gtest.h"

namespace restree {
namespace {

TEST(HugePageAllocator, LargeBlocksAreHugePageAligned) {
  internal::HugePageAllocator<uint64_t> a;
  const size_t big = (3 << 20) / sizeof(uint64_t);
  uint64_t* p = a.allocate(big);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % (2 << 20), 0u);
  for (size_t i = 0; i < big; ++i) p[i] = i;
  EXPECT_EQ(p[big - 1], big - 1);
  a.deallocate(p, big);
  uint64_t* small = a.allocate(3);
  small[2] = 7;
  a.deallocate(small, 3);
}

}  // namespace
}  // namespace restree
