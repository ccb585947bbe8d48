// File: parse.h
// -----------------------------------------------------------------------------
//
// Readers that build a `Topology` (topology.h) from what a machine exposes,
// so that a dump taken elsewhere can be tiered here:
//
//   * ParseNumactl():       the text `numactl -H` (--hardware) prints;
//   * DecodeSlit():         the raw ACPI SLIT (/sys/firmware/acpi/tables/SLIT);
//   * ReadSysroot():        a copy of /sys (node*/distance, cpulist, meminfo,
//                           access1|access0/initiators/, memory blocks, dax
//                           devices, demotion_enabled, the kernel's own tiers);
//   * ApplyNodeAttributes(): restree's line-oriented text form that adds (or
//                           overrides) CPUs, memory, sockets, performance,
//                           onlining source and zoned ranges on a topology.
//
// Formats, with examples, are in docs/tiering.md ("Input formats").
//
// Every reader treats its input as hostile: sizes are capped, numbers are
// range-checked before use, nothing recurses, and every error is a Status
// naming the place: "FILE:LINE:COL: message" for text, "FILE: byte N:
// message" for binary tables, and the path for sysfs files.
//
// Thread-safety: the functions are reentrant; ReadSysroot() reads the file
// system and is as safe as the tree it reads is stable.

#ifndef RESTREE_NUMA_PARSE_H_
#define RESTREE_NUMA_PARSE_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "numa/node_mask.h"
#include "numa/topology.h"

namespace restree {
namespace numa {

// Largest CPU id accepted in any CPU list (NR_CPUS of distribution kernels).
inline constexpr int kMaxCpuId = 8191;
// Largest text input or sysfs file read, in bytes.
inline constexpr size_t kMaxTextInput = size_t{16} << 20;

// Parses `numactl -H` output: the "available:" line, "node N cpus:",
// "node N size: X MB", "node N free: X MB" and the "node distances:" table
// (or "No distance information available.", which leaves the kernel's 10/20
// defaults). A node is N_MEMORY when its size is non-zero. Blank lines are
// ignored; anything else is an error with its line and column.
[[nodiscard]] absl::StatusOr<Topology> ParseNumactl(absl::string_view text,
                                                    absl::string_view file);

// Decodes a raw ACPI SLIT: the 36-byte table header ("SLIT", length,
// checksum), the 64-bit locality count at byte 36 and the count x count
// distance bytes from byte 44. Rejects a corrupt table (a bad checksum, a
// length that does not match the count) and what cannot map to nodes (more
// than kMaxNumNodes localities: PXMs beyond MAX_PXM_DOMAINS = MAX_NUMNODES).
// A table failing the kernel's slit_valid() (10 on the diagonal, more than
// 10 elsewhere) is accepted as a what-if: Linux would ignore it
// (Topology::KernelDistanceDeviations(), and a tiering warning, say so). The
// table has no node ids: proximity domain i becomes node i (what an SRAT
// listing the domains in order gives), and every node has memory and no CPUs
// until ApplyNodeAttributes() says otherwise.
[[nodiscard]] absl::StatusOr<Topology> DecodeSlit(
    absl::Span<const uint8_t> bytes, absl::string_view file);

// Applies restree's node attribute text (see docs/tiering.md) to
// `topology`. On error the topology is left unchanged.
[[nodiscard]] absl::Status ApplyNodeAttributes(absl::string_view text,
                                               absl::string_view file,
                                               Topology* topology);

// What ReadSysroot() found.
struct SysrootDump {
  Topology topology;
  // The kernel's own tiers, memory_tierN -> nodelist, when
  // sys/devices/virtual/memory_tiering/ exists.
  std::map<int, NodeMask> kernel_tiers;
};

// Reads a sysfs tree rooted at `root` (the directory that contains "sys").
// Requires sys/devices/system/node/node*/distance; everything else is
// optional and documented in docs/tiering.md. kNotFound when the node
// directory is missing; kInvalidArgument (with the file's path and column)
// for malformed files.
[[nodiscard]] absl::StatusOr<SysrootDump> ReadSysroot(const std::string& root);

}  // namespace numa
}  // namespace restree

#endif  // RESTREE_NUMA_PARSE_H_
