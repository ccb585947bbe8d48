#include "hotplug/events.h"

#include "resource_tree/kernel_status.h"

namespace restree {
namespace hotplug {
namespace {

struct ErrnoEntry {
  int value;
  absl::string_view name;
};

// kerrno (resource_tree/kernel_status.h) has the values restree's tree
// operations return; the drivers the applier follows return a few more.
constexpr ErrnoEntry kErrnos[] = {
    {1, "EPERM"},
    {kerrno::kENOENT, "ENOENT"},
    {5, "EIO"},
    {kerrno::kENXIO, "ENXIO"},
    {kerrno::kE2BIG, "E2BIG"},
    {11, "EAGAIN"},
    {kerrno::kENOMEM, "ENOMEM"},
    {14, "EFAULT"},
    {kerrno::kEBUSY, "EBUSY"},
    {kerrno::kEEXIST, "EEXIST"},
    {kerrno::kENODEV, "ENODEV"},
    {kerrno::kEINVAL, "EINVAL"},
    {28, "ENOSPC"},
    {kerrno::kERANGE, "ERANGE"},
    {95, "EOPNOTSUPP"},
    {110, "ETIMEDOUT"},
    {524, "ENOTSUPP"},  // kernel-internal (include/linux/errno.h)
};

}  // namespace

absl::string_view RegionModeName(RegionMode mode) {
  switch (mode) {
    case RegionMode::kRam:
      return "ram";
    case RegionMode::kPmem:
      return "pmem";
    case RegionMode::kDc:
      return "dc";
  }
  return "?";
}

absl::string_view NamespaceModeName(NamespaceMode mode) {
  switch (mode) {
    case NamespaceMode::kDevdax:
      return "devdax";
    case NamespaceMode::kFsdax:
      return "fsdax";
    case NamespaceMode::kRaw:
      return "raw";
  }
  return "?";
}

absl::string_view ZoneName(Zone zone) {
  switch (zone) {
    case Zone::kMovable:
      return "movable";
    case Zone::kNormal:
      return "normal";
  }
  return "?";
}

std::optional<int> ErrnoByName(absl::string_view name) {
  for (const ErrnoEntry& e : kErrnos) {
    if (e.name == name) return e.value;
  }
  return std::nullopt;
}

absl::string_view ErrnoNameOf(int errno_value) {
  for (const ErrnoEntry& e : kErrnos) {
    if (e.value == errno_value) return e.name;
  }
  return "";
}

absl::string_view KnownErrnoNames() {
  return "EPERM, ENOENT, EIO, ENXIO, E2BIG, EAGAIN, ENOMEM, EFAULT, EBUSY, "
         "EEXIST, ENODEV, EINVAL, ENOSPC, ERANGE, EOPNOTSUPP, ETIMEDOUT, "
         "ENOTSUPP";
}

}  // namespace hotplug
}  // namespace restree
