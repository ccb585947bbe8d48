// File: apply.h
// -----------------------------------------------------------------------------
//
// Runs a parsed hotplug script (hotplug/parse.h) on a `Machine`
// (hotplug/machine.h): each event becomes the Machine call that does what
// the selected kernel's drivers do (docs/events.md, "What each event does"),
// or, for raw kernel operations, the ResourceTree call that is that kernel
// function. Every event is atomic: a failing event changes nothing.
//
//   absl::StatusOr<Script> script = ParseScript(text, "cxl.events");
//   absl::StatusOr<ApplyRun> run = ApplyScript(*script, base_dump_or_empty);
//   if (run.ok()) std::cout << run->machine.Render();
//
// Outcomes, per event: kOk; kFailedAsExpected (the event after `expect error
// CODE` failed with CODE); kFailed (an event failed unexpectedly, or failed
// with another errno than expected, or succeeded where a failure was
// expected); kAssertFailed. The run stops at the first kFailed or
// kAssertFailed event; the events after it are not run.
//
// Thread-safety: pure functions of their arguments.

#ifndef RESTREE_HOTPLUG_APPLY_H_
#define RESTREE_HOTPLUG_APPLY_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hotplug/events.h"
#include "hotplug/machine.h"

namespace restree {
namespace hotplug {

struct EventResult {
  enum class Outcome { kOk, kFailedAsExpected, kFailed, kAssertFailed };
  SourceLocation location;
  std::string event;  // the event in canonical syntax
  Outcome outcome = Outcome::kOk;
  int errno_value = 0;  // the error's errno (0 when it succeeded)
  std::string message;  // what happened (the error, the assert's finding,
                        // or what the event made: "region0", "16 chunks")
  // The /proc/iomem text after the event (set when ApplyOptions::trace).
  std::string tree_after;
  // What ApplyOptions::after_event said after this event ("" if unset).
  std::string annotation;
};

struct ApplyOptions {
  // The base /proc/iomem dump; empty: an empty iomem tree.
  std::string base_dump;
  // The profile when the script has no `config profile=` (the script's
  // wins); empty: debian-6.1.
  std::string profile;
  // Keep the /proc/iomem text after every event (for --trace).
  bool trace = false;
  // Called after every event that ran (not after `expect` lines), with the
  // machine as the event left it; its text becomes the result's
  // `annotation` (restree apply --tiers uses it for the NUMA tiers).
  std::function<std::string(const Machine&)> after_event;
};

struct ApplyRun {
  Machine machine;
  std::vector<EventResult> results;
  // True iff every event ran and none is kFailed or kAssertFailed.
  bool ok = true;
  // The tree before the first event (for --trace's first diff).
  std::string tree_before;
};

// Runs `script`. Errors (kInvalidArgument, "FILE:LINE:COLUMN: message"):
// a `config` event after another event, an unknown profile, a `window add`
// after an `hmem probe` that the configured load order rules out (cxl_acpi
// built in; or, past 6.1, dax_hmem a module with CONFIG_CXL_REGION: see
// docs/events.md, "Build configuration"), a base dump that does not parse.
// Event failures are results, not errors. Nothing runs when any of these
// (but the base dump) is found.
//
// Roots: `root=` names iomem, ioport, a root the script declared, or one
// of the machine's private roots (Machine::PrivateRoot); a declared root
// shadows a machine root of the same name.
[[nodiscard]] absl::StatusOr<ApplyRun> ApplyScript(
    const Script& script, const ApplyOptions& options = ApplyOptions());

absl::string_view OutcomeName(EventResult::Outcome outcome);

}  // namespace hotplug
}  // namespace restree

#endif  // RESTREE_HOTPLUG_APPLY_H_
