// File: internal/huge_page_allocator.h
// -----------------------------------------------------------------------------
//
// A std::allocator replacement for the tree's big arrays: allocations of
// 2 MiB or more are 2 MiB-aligned and marked MADV_HUGEPAGE, so filling a
// 10^6-node array takes tens of page faults instead of ten thousand (where
// the kernel's transparent huge pages are "madvise" or "always"; elsewhere
// the hint is ignored). Smaller allocations go to operator new.
//
// Thread-safety: stateless; as std::allocator.

#ifndef RESTREE_RESOURCE_TREE_INTERNAL_HUGE_PAGE_ALLOCATOR_H_
#define RESTREE_RESOURCE_TREE_INTERNAL_HUGE_PAGE_ALLOCATOR_H_

#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <new>
#include <utility>

namespace restree {
namespace internal {

template <typename T>
struct HugePageAllocator {
  using value_type = T;
  static constexpr size_t kHugePage = size_t{2} << 20;

  HugePageAllocator() = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>&) {}

  T* allocate(size_t n) {
    if (n > static_cast<size_t>(-1) / sizeof(T)) throw std::bad_alloc();
    const size_t bytes = n * sizeof(T);
    if (bytes < kHugePage) return static_cast<T*>(::operator new(bytes));
    const size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
    void* p = std::aligned_alloc(kHugePage, rounded);
    if (p == nullptr) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
    madvise(p, rounded, MADV_HUGEPAGE);  // a hint; failure changes nothing
#endif
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t n) {
    if (n * sizeof(T) < kHugePage) {
      ::operator delete(p);
    } else {
      std::free(p);
    }
  }
  // Growing without arguments (`resize(n)`) default-initialises: for a
  // trivial type that writes nothing, so the caller can fill a large array
  // in parallel (and the pages are faulted in by the threads that fill
  // them). Construction with arguments is as usual.
  template <typename U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }

  template <typename U>
  bool operator==(const HugePageAllocator<U>&) const {
    return true;
  }
  template <typename U>
  bool operator!=(const HugePageAllocator<U>&) const {
    return false;
  }
};

}  // namespace internal
}  // namespace restree

#endif  // RESTREE_RESOURCE_TREE_INTERNAL_HUGE_PAGE_ALLOCATOR_H_
