#include "resource_tree/kernel_status.h"

#include <cstdint>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace restree {
namespace {

constexpr absl::string_view kPayloadUrl = "restree.dev/KernelError";

struct ErrnoEntry {
  int value;
  const char* name;
};
constexpr ErrnoEntry kErrnos[] = {
    {kerrno::kENOENT, "ENOENT"}, {kerrno::kENXIO, "ENXIO"},
    {kerrno::kE2BIG, "E2BIG"},   {kerrno::kENOMEM, "ENOMEM"},
    {kerrno::kEBUSY, "EBUSY"},   {kerrno::kEEXIST, "EEXIST"},
    {kerrno::kENODEV, "ENODEV"}, {kerrno::kEINVAL, "EINVAL"},
    {kerrno::kENOSPC, "ENOSPC"}, {kerrno::kERANGE, "ERANGE"},
};

absl::StatusCode CodeFor(KernelOutcome outcome, int errno_value) {
  switch (outcome) {
    case KernelOutcome::kOk:
      return absl::StatusCode::kOk;
    case KernelOutcome::kConflict:
      return absl::StatusCode::kAlreadyExists;
    case KernelOutcome::kWouldSleep:
      return absl::StatusCode::kUnavailable;
    case KernelOutcome::kNotFound:
      return absl::StatusCode::kNotFound;
    case KernelOutcome::kWarned:
    case KernelOutcome::kContractViolation:
      return absl::StatusCode::kFailedPrecondition;
    case KernelOutcome::kNotInserted:
      return absl::StatusCode::kOutOfRange;
    case KernelOutcome::kError:
      break;
  }
  switch (errno_value) {
    case kerrno::kEINVAL:
      return absl::StatusCode::kInvalidArgument;
    case kerrno::kERANGE:
    case kerrno::kENOMEM:
    case kerrno::kENOSPC:
      return absl::StatusCode::kResourceExhausted;
    case kerrno::kEBUSY:
      return absl::StatusCode::kFailedPrecondition;
    case kerrno::kEEXIST:
      return absl::StatusCode::kAlreadyExists;
    case kerrno::kENODEV:
    case kerrno::kENOENT:
    case kerrno::kENXIO:
      return absl::StatusCode::kNotFound;
    case kerrno::kE2BIG:
      return absl::StatusCode::kOutOfRange;
    default:
      return absl::StatusCode::kUnknown;
  }
}

}  // namespace

std::string ErrnoName(int errno_value) {
  for (const ErrnoEntry& e : kErrnos) {
    if (e.value == errno_value) return e.name;
  }
  return absl::StrCat("E", errno_value);
}

absl::string_view KernelOutcomeName(KernelOutcome outcome) {
  switch (outcome) {
    case KernelOutcome::kOk:
      return "ok";
    case KernelOutcome::kError:
      return "error";
    case KernelOutcome::kConflict:
      return "conflict";
    case KernelOutcome::kWouldSleep:
      return "would-sleep";
    case KernelOutcome::kNotFound:
      return "not-found";
    case KernelOutcome::kWarned:
      return "warned";
    case KernelOutcome::kNotInserted:
      return "not-inserted";
    case KernelOutcome::kContractViolation:
      return "contract-violation";
  }
  return "?";
}

absl::Status MakeKernelStatus(KernelOutcome outcome, int errno_value,
                              ResourceId conflict, absl::string_view message) {
  return MakeKernelStatus(CodeFor(outcome, errno_value), outcome, errno_value,
                          conflict, message);
}

absl::Status MakeKernelStatus(absl::StatusCode code, KernelOutcome outcome,
                              int errno_value, ResourceId conflict,
                              absl::string_view message) {
  absl::Status status(code, message);
  status.SetPayload(kPayloadUrl, absl::Cord(absl::StrCat(
                                     static_cast<int>(outcome), " ",
                                     errno_value, " ", conflict.value())));
  return status;
}

KernelError GetKernelError(const absl::Status& status) {
  KernelError e;
  if (status.ok()) return e;
  e.outcome = KernelOutcome::kError;
  e.errno_value = kerrno::kEINVAL;
  absl::optional<absl::Cord> payload = status.GetPayload(kPayloadUrl);
  if (!payload.has_value()) return e;
  std::vector<std::string> parts = absl::StrSplit(std::string(*payload), ' ');
  int outcome = 0;
  int errno_value = 0;
  uint64_t conflict = 0;
  if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &outcome) ||
      !absl::SimpleAtoi(parts[1], &errno_value) ||
      !absl::SimpleAtoi(parts[2], &conflict) || outcome < 0 ||
      outcome > static_cast<int>(KernelOutcome::kContractViolation)) {
    return e;
  }
  e.outcome = static_cast<KernelOutcome>(outcome);
  e.errno_value = errno_value;
  e.conflict = ResourceId::FromValue(conflict);
  return e;
}

}  // namespace restree
