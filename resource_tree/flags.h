// File: flags.h
// -----------------------------------------------------------------------------
//
// The kernel's resource flag bits (`IORESOURCE_*`) and descriptors
// (`IORES_DESC_*`) from `include/linux/ioport.h`, with the kernel's values, so
// that flags read from a trace or a kernel log mean the same thing here.
// Values are identical in every kernel since 5.x except the additions noted.
//
// Flags are `uint64_t` (the kernel's `unsigned long` on 64-bit machines);
// descriptors are `uint32_t` (the kernel's enum values are small; restree does
// not model the CXL driver's private trees that store pointers in `desc`).

#ifndef RESTREE_RESOURCE_TREE_FLAGS_H_
#define RESTREE_RESOURCE_TREE_FLAGS_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace restree {

// IORESOURCE_* (include/linux/ioport.h).
namespace iores {
inline constexpr uint64_t kBusSpecificBits = 0x000000ff;  // IORESOURCE_BITS
inline constexpr uint64_t kTypeBits = 0x00001f00;         // resource_type()
inline constexpr uint64_t kIo = 0x00000100;
inline constexpr uint64_t kMem = 0x00000200;
inline constexpr uint64_t kReg = 0x00000300;
inline constexpr uint64_t kIrq = 0x00000400;
inline constexpr uint64_t kDma = 0x00000800;
inline constexpr uint64_t kBus = 0x00001000;
inline constexpr uint64_t kPrefetch = 0x00002000;
inline constexpr uint64_t kReadonly = 0x00004000;
inline constexpr uint64_t kCacheable = 0x00008000;
inline constexpr uint64_t kRangeLength = 0x00010000;
inline constexpr uint64_t kShadowable = 0x00020000;
inline constexpr uint64_t kSizeAlign = 0x00040000;
inline constexpr uint64_t kStartAlign = 0x00080000;
inline constexpr uint64_t kMem64 = 0x00100000;
inline constexpr uint64_t kWindow = 0x00200000;  // forwarded by a bridge
inline constexpr uint64_t kMuxed = 0x00400000;   // request_muxed_region waits
inline constexpr uint64_t kExtTypeBits = 0x01000000;  // resource_ext_type()
inline constexpr uint64_t kSysram = 0x01000000;
// Not in 5.x kernels.
inline constexpr uint64_t kSysramDriverManaged = 0x02000000;
inline constexpr uint64_t kSysramMergeable = 0x04000000;
inline constexpr uint64_t kExclusive = 0x08000000;  // userland may not map
inline constexpr uint64_t kDisabled = 0x10000000;
inline constexpr uint64_t kUnset = 0x20000000;  // no address assigned yet
inline constexpr uint64_t kAuto = 0x40000000;
inline constexpr uint64_t kBusy = 0x80000000;  // a driver claimed it
// IORESOURCE_SYSTEM_RAM.
inline constexpr uint64_t kSystemRam = kMem | kSysram;

// restree's own flag, not a kernel one (the kernel's flags are 32 bits; this
// is bit 40): marks a chunk node of a chunk-reserved window (see
// ResourceTree::ReserveChunks). Never rendered in /proc/iomem text; a
// redesigned kernel would carry it as a new IORESOURCE_* bit or a desc.
inline constexpr uint64_t kRestreeChunk = uint64_t{1} << 40;
}  // namespace iores

// IORES_DESC_* (include/linux/ioport.h, v7.0 numbering; 7..9 are absent from
// 5.x kernels). The kernel says `desc` is only for `walk_iomem_res_desc()` and
// `region_intersects()` searches.
namespace iores_desc {
inline constexpr uint32_t kNone = 0;
inline constexpr uint32_t kCrashKernel = 1;
inline constexpr uint32_t kAcpiTables = 2;
inline constexpr uint32_t kAcpiNvStorage = 3;
inline constexpr uint32_t kPersistentMemory = 4;
inline constexpr uint32_t kPersistentMemoryLegacy = 5;
inline constexpr uint32_t kDevicePrivateMemory = 6;
inline constexpr uint32_t kReserved = 7;
inline constexpr uint32_t kSoftReserved = 8;
inline constexpr uint32_t kCxl = 9;
}  // namespace iores_desc

// The kernel's `resource_type()` and `resource_ext_type()`.
constexpr uint64_t ResourceType(uint64_t flags) {
  return flags & iores::kTypeBits;
}
constexpr uint64_t ResourceExtType(uint64_t flags) {
  return flags & iores::kExtTypeBits;
}

// The kernel's `is_type_match()`: every bit of `want_flags` is set and, unless
// `want_desc` is IORES_DESC_NONE, the descriptor is equal.
constexpr bool IsTypeMatch(uint64_t flags, uint32_t desc, uint64_t want_flags,
                           uint32_t want_desc) {
  return (flags & want_flags) == want_flags &&
         (want_desc == iores_desc::kNone || want_desc == desc);
}

// "MEM|BUSY|SYSRAM", with unnamed bits as hex ("MEM|0x40"); "0" for none.
std::string FlagsToString(uint64_t flags);

// "CXL" for 9, "9" for numbers without a name.
std::string DescToString(uint32_t desc);

// Parses the output of FlagsToString() (or a plain number, "0x..." or
// decimal). Returns false on an unknown name; `*flags` is unspecified then.
[[nodiscard]] bool ParseFlags(absl::string_view text, uint64_t* flags);

}  // namespace restree

#endif  // RESTREE_RESOURCE_TREE_FLAGS_H_
