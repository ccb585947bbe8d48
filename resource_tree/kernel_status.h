// File: kernel_status.h
// -----------------------------------------------------------------------------
//
// How restree reports the outcome of a kernel-compatible operation inside an
// `absl::Status`. Every failing `ResourceTree` operation returns a non-OK
// status that carries a `KernelError` payload:
//
//   * `outcome`: what the kernel would have done (returned an errno, returned
//     a conflicting resource, slept, warned, silently done nothing, or hit a
//     case it does not guard against);
//   * `errno_value`: the kernel's error number, positive (`EBUSY` = 16), or 0
//     when the kernel function returns void or NULL;
//   * `conflict`: the resource the kernel names as the conflict (for
//     `request_resource_conflict()`/`insert_resource_conflict()` this may be
//     the parent itself when the range does not fit it).
//
// The status code is chosen for C++ callers (`kAlreadyExists` for a
// conflict, `kResourceExhausted` for "no free space", ...); the payload is the
// kernel-level truth that differential tests compare.
//
// Example:
//   absl::StatusOr<ResourceId> id = tree.Request(tree.root(), spec);
//   if (!id.ok()) {
//     KernelError e = GetKernelError(id.status());
//     if (e.outcome == KernelOutcome::kConflict) Show(tree.View(e.conflict));
//   }

#ifndef RESTREE_RESOURCE_TREE_KERNEL_STATUS_H_
#define RESTREE_RESOURCE_TREE_KERNEL_STATUS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "resource_tree/resource_id.h"

namespace restree {

// Kernel errno values (Linux, all architectures restree models).
namespace kerrno {
inline constexpr int kENOENT = 2;
inline constexpr int kENXIO = 6;
inline constexpr int kE2BIG = 7;
inline constexpr int kENOMEM = 12;
inline constexpr int kEBUSY = 16;
inline constexpr int kEEXIST = 17;
inline constexpr int kENODEV = 19;
inline constexpr int kEINVAL = 22;
inline constexpr int kENOSPC = 28;
inline constexpr int kERANGE = 34;
}  // namespace kerrno

// "EBUSY" for 16; "E123" for numbers without a name.
std::string ErrnoName(int errno_value);

enum class KernelOutcome : int {
  kOk = 0,
  // Returned a negative errno (`errno_value`), no conflict pointer.
  kError,
  // Returned (or would have reported) a conflicting resource; errno EBUSY.
  kConflict,
  // __request_region() met a busy region and both carry IORESOURCE_MUXED: the
  // kernel sleeps until that region is released. `conflict` is the holder.
  kWouldSleep,
  // A void kernel function found nothing to act on: __release_region() warns
  // "Trying to free nonexistent resource", release_mem_region_adjustable()
  // silently returns.
  kNotFound,
  // The kernel WARNs and leaves the tree unchanged (e.g. a hot-remove that
  // would orphan children, merge_system_ram_resource() on non-RAM).
  kWarned,
  // insert_resource_expand_to_fit() ran into the root's edge: the kernel
  // returns without inserting (its void return hides this).
  kNotInserted,
  // An input the kernel does not guard against: it would loop forever,
  // corrupt the tree (a range with end < start), or dereference NULL. restree
  // refuses and changes nothing; the message says what the kernel would do.
  kContractViolation,
};

absl::string_view KernelOutcomeName(KernelOutcome outcome);

struct KernelError {
  KernelOutcome outcome = KernelOutcome::kOk;
  int errno_value = 0;
  ResourceId conflict;
};

// Builds a failing status with a KernelError payload. The code is derived
// from the outcome and errno (see kernel_status.cc); `message` should name
// the operation and the input.
absl::Status MakeKernelStatus(KernelOutcome outcome, int errno_value,
                              ResourceId conflict, absl::string_view message);

// As above with an explicit status code (for errors whose C++ category
// differs from what the outcome suggests, such as a stale id: kNotFound).
absl::Status MakeKernelStatus(absl::StatusCode code, KernelOutcome outcome,
                              int errno_value, ResourceId conflict,
                              absl::string_view message);

// The payload of `status`: `{kOk}` for an OK status; for a failing status
// without a payload (not produced by restree's tree operations)
// `{kError, EINVAL}`.
KernelError GetKernelError(const absl::Status& status);

}  // namespace restree

#endif  // RESTREE_RESOURCE_TREE_KERNEL_STATUS_H_
