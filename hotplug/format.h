// File: format.h
// -----------------------------------------------------------------------------
//
// Prints events in the canonical syntax of the hotplug event language
// (docs/events.md): single spaces, keys in the documented order, addresses
// as lowercase 0x-hex, sizes with the largest exact K/M/G/T suffix (else
// decimal), flags and desc by name (resource_tree/flags.h), names bare when
// they are simple words and quoted otherwise. Keys at their default and
// absent optional keys are left out.
//
// For every event `e` that `ParseScript()` returned,
// `ParseScript(FormatEvent(e))` gives back an event with an equal body
// (a raw operation on a private root needs that root's `root add` first).
//
// Thread-safety: pure functions.

#ifndef RESTREE_HOTPLUG_FORMAT_H_
#define RESTREE_HOTPLUG_FORMAT_H_

#include <cstdint>
#include <string>

#include "hotplug/events.h"

namespace restree {
namespace hotplug {

// One line, without a newline.
std::string FormatEvent(const Event& event);
std::string FormatEventBody(const EventBody& body);

// Every event, one per line, each ending in a newline.
std::string FormatScript(const Script& script);

// "4K", "256M", "0", "4097": the canonical size spelling.
std::string FormatSize(uint64_t size);

}  // namespace hotplug
}  // namespace restree

#endif  // RESTREE_HOTPLUG_FORMAT_H_
