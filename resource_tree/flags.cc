#include "resource_tree/flags.h"

#include <cstddef>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace restree {
namespace {

struct FlagName {
  uint64_t bit;
  const char* name;
};

// Single bits with names, in the order FlagsToString() prints them. The type
// field (bits 8-12) is printed as one value, not bit by bit.
constexpr FlagName kBitNames[] = {
    {iores::kPrefetch, "PREFETCH"},
    {iores::kReadonly, "READONLY"},
    {iores::kCacheable, "CACHEABLE"},
    {iores::kRangeLength, "RANGELENGTH"},
    {iores::kShadowable, "SHADOWABLE"},
    {iores::kSizeAlign, "SIZEALIGN"},
    {iores::kStartAlign, "STARTALIGN"},
    {iores::kMem64, "MEM_64"},
    {iores::kWindow, "WINDOW"},
    {iores::kMuxed, "MUXED"},
    {iores::kSysram, "SYSRAM"},
    {iores::kSysramDriverManaged, "SYSRAM_DRIVER_MANAGED"},
    {iores::kSysramMergeable, "SYSRAM_MERGEABLE"},
    {iores::kExclusive, "EXCLUSIVE"},
    {iores::kDisabled, "DISABLED"},
    {iores::kUnset, "UNSET"},
    {iores::kAuto, "AUTO"},
    {iores::kBusy, "BUSY"},
};

constexpr FlagName kTypeNames[] = {
    {iores::kIo, "IO"},   {iores::kMem, "MEM"}, {iores::kReg, "REG"},
    {iores::kIrq, "IRQ"}, {iores::kDma, "DMA"}, {iores::kBus, "BUS"},
};

constexpr const char* kDescNames[] = {
    "NONE",
    "CRASH_KERNEL",
    "ACPI_TABLES",
    "ACPI_NV_STORAGE",
    "PERSISTENT_MEMORY",
    "PERSISTENT_MEMORY_LEGACY",
    "DEVICE_PRIVATE_MEMORY",
    "RESERVED",
    "SOFT_RESERVED",
    "CXL",
};

}  // namespace

std::string FlagsToString(uint64_t flags) {
  if (flags == 0) return "0";
  std::vector<std::string> parts;
  const uint64_t type = flags & iores::kTypeBits;
  if (type != 0) {
    bool named = false;
    for (const FlagName& t : kTypeNames) {
      if (t.bit == type) {
        parts.push_back(t.name);
        named = true;
      }
    }
    if (!named) parts.push_back(absl::StrFormat("%#x", type));
  }
  uint64_t rest = flags & ~iores::kTypeBits;
  for (const FlagName& f : kBitNames) {
    if (rest & f.bit) {
      parts.push_back(f.name);
      rest &= ~f.bit;
    }
  }
  if (rest != 0) parts.push_back(absl::StrFormat("%#x", rest));
  return absl::StrJoin(parts, "|");
}

std::string DescToString(uint32_t desc) {
  if (desc < sizeof(kDescNames) / sizeof(kDescNames[0])) {
    return kDescNames[desc];
  }
  return absl::StrCat(desc);
}

bool ParseFlags(absl::string_view text, uint64_t* flags) {
  text = absl::StripAsciiWhitespace(text);
  if (text.empty()) return false;
  uint64_t out = 0;
  for (absl::string_view part : absl::StrSplit(text, '|')) {
    part = absl::StripAsciiWhitespace(part);
    if (part.empty()) return false;
    uint64_t value = 0;
    bool found = false;
    if (absl::StartsWith(part, "0x") || absl::StartsWith(part, "0X")) {
      found = absl::SimpleHexAtoi(part, &value);
    } else if (absl::ascii_isdigit(static_cast<unsigned char>(part[0]))) {
      found = absl::SimpleAtoi(part, &value);
    } else {
      for (const FlagName& t : kTypeNames) {
        if (part == t.name) value = t.bit, found = true;
      }
      for (const FlagName& f : kBitNames) {
        if (part == f.name) value = f.bit, found = true;
      }
    }
    if (!found) return false;
    out |= value;
  }
  *flags = out;
  return true;
}

}  // namespace restree
