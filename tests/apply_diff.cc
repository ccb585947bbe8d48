#include "tests/apply_diff.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "iomem_parser/internal/flat_tree.h"
#include "resource_tree/tree_builder.h"

namespace restree {
namespace test_support {
namespace {}  // namespace

absl::StatusOr<ResourceTree> ApplyDiff(const ResourceTree& old_tree,
                                       const IomemDiff& diff) {
  if (diff.zeroed) {
    return absl::FailedPreconditionError(
        "a diff of zeroed dumps has no addresses to rebuild a tree from");
  }
  const internal::FlatTree a = internal::Flatten(old_tree);
  absl::flat_hash_map<ResourceId, int> pos_of;
  for (size_t i = 0; i < a.size(); ++i) pos_of[a.id[i]] = static_cast<int>(i);

  // Result records: old positions [0, n) then added entries.
  struct Rec {
    Range range;
    std::string name;
    uint64_t flags;
    uint32_t desc;
    int parent;  // record index, -1 = root
    bool alive;
  };
  std::vector<Rec> recs(a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    recs[i] = Rec{a.range[i],  std::string(a.name[i]),
                  a.flags[i],  a.desc[i],
                  a.parent[i], true};
  }
  std::vector<int> rec_of_entry(diff.entries.size(), -1);
  for (size_t k = 0; k < diff.entries.size(); ++k) {
    const DiffEntry& e = diff.entries[k];
    if (e.changes & DiffEntry::kAdded) {
      rec_of_entry[k] = static_cast<int>(recs.size());
      recs.push_back(Rec{e.range, e.name, e.flags, e.desc, -1, true});
      continue;
    }
    auto it = pos_of.find(e.old_node);
    if (it == pos_of.end()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "diff entry %d names a resource the old tree lacks", k));
    }
    rec_of_entry[k] = it->second;
    Rec& r = recs[static_cast<size_t>(it->second)];
    if (e.changes & DiffEntry::kRemoved) {
      r.alive = false;
      continue;
    }
    r.range = e.range;
    r.name = e.name;
    r.flags = e.flags;
    r.desc = e.desc;
  }
  // Parents of added and moved resources.
  for (size_t k = 0; k < diff.entries.size(); ++k) {
    const DiffEntry& e = diff.entries[k];
    if (!(e.changes & (DiffEntry::kAdded | DiffEntry::kReparented))) continue;
    int parent = -1;
    switch (e.parent.kind) {
      case DiffParent::Kind::kRoot:
        break;
      case DiffParent::Kind::kOld: {
        auto it = pos_of.find(e.parent.old_node);
        if (it == pos_of.end()) {
          return absl::InvalidArgumentError(absl::StrFormat(
              "diff entry %d has a parent the old tree lacks", k));
        }
        parent = it->second;
        break;
      }
      case DiffParent::Kind::kAdded:
        if (e.parent.added >= diff.entries.size() ||
            rec_of_entry[e.parent.added] < 0) {
          return absl::InvalidArgumentError(absl::StrFormat(
              "diff entry %d has a parent that is not added", k));
        }
        parent = rec_of_entry[e.parent.added];
        break;
    }
    recs[static_cast<size_t>(rec_of_entry[k])].parent = parent;
  }
  // Children per parent, by address; then emit in pre-order.
  std::vector<std::vector<int>> kids(recs.size() + 1);
  for (size_t r = 0; r < recs.size(); ++r) {
    if (!recs[r].alive) continue;
    const int p = recs[r].parent;
    if (p >= 0 && !recs[static_cast<size_t>(p)].alive) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "\"%s\" stays but its parent \"%s\" is removed and the diff does "
          "not move it",
          recs[r].name, recs[static_cast<size_t>(p)].name));
    }
    kids[static_cast<size_t>(p + 1)].push_back(static_cast<int>(r));
  }
  for (auto& k : kids) {
    std::sort(k.begin(), k.end(), [&](int x, int y) {
      return internal::AddrLess(recs[static_cast<size_t>(x)].range,
                                recs[static_cast<size_t>(y)].range);
    });
  }
  const ResourceView root = old_tree.View(old_tree.root());
  TreeBuilder builder({root.range, root.name, root.flags, root.desc},
                      old_tree.profile());
  // Explicit stack of (record, next child index).
  struct Frame {
    int rec;
    ResourceId id;
    size_t next;
  };
  std::vector<Frame> frames = {{-1, builder.root(), 0}};
  while (!frames.empty()) {
    Frame& f = frames.back();
    const auto& k = kids[static_cast<size_t>(f.rec + 1)];
    if (f.next == k.size()) {
      frames.pop_back();
      continue;
    }
    const int c = k[f.next++];
    const Rec& r = recs[static_cast<size_t>(c)];
    absl::StatusOr<ResourceId> id =
        builder.Append(f.id, {r.range, r.name, r.flags, r.desc});
    if (!id.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("the diff does not apply: ", id.status().message()));
    }
    frames.push_back({c, *id, 0});
  }
  if (builder.size() - 1 !=
      static_cast<size_t>(std::count_if(
          recs.begin(), recs.end(), [](const Rec& r) { return r.alive; }))) {
    return absl::InvalidArgumentError(
        "the diff does not apply: some resources are not reachable");
  }
  return std::move(builder).Finish();
}

}  // namespace test_support
}  // namespace restree
