#include "resource_tree/tree_builder.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_format.h"
#include "base/status_macros.h"

namespace restree {

TreeBuilder::TreeBuilder(const ResourceSpec& root, KernelProfile profile)
    : profile_(std::move(profile)),
      store_(root.range, root.name, root.flags, root.desc) {
  // Nodes are added in pre-order and the index is left for the tree to build
  // on first use.
  store_.index_state_->built.store(false, std::memory_order_relaxed);
  last_child_.push_back(Store::kNone);
}

void TreeBuilder::Reserve(size_t n) {
  store_.nodes_.reserve(store_.nodes_.size() + n);
  last_child_.reserve(last_child_.size() + n);
}

uint32_t TreeBuilder::Slot(ResourceId id) const {
  // Nothing is freed while building: every slot has generation 1.
  if (id.value() >> 32 != 1) return Store::kNone;
  const uint32_t i = static_cast<uint32_t>(id.value());
  return i < store_.slot_count() ? i : Store::kNone;
}

std::string TreeBuilder::Describe(uint32_t slot) const {
  const internal::Node& n = store_.node(slot);
  return ResourceTree::DescribeRange(store_.range(slot), n.flags,
                                     store_.name(slot));
}

ResourceId TreeBuilder::LastChildOf(ResourceId id) const {
  const uint32_t i = Slot(id);
  if (i == Store::kNone || last_child_[i] == Store::kNone) {
    return ResourceId();
  }
  return IdOf(last_child_[i]);
}

absl::StatusOr<ResourceId> TreeBuilder::Append(ResourceId parent,
                                               const ResourceSpec& spec,
                                               Problem* problem,
                                               ResourceId* other) {
  auto fail = [&](Problem p, uint32_t in_the_way, const char* what) {
    if (problem != nullptr) *problem = p;
    if (other != nullptr) *other = IdOf(in_the_way);
    return absl::InvalidArgumentError(
        absl::StrFormat("%s %s: %s %s", spec.range.ToString(), spec.name, what,
                        Describe(in_the_way)));
  };
  const uint32_t p = split_ ? Store::kNone : Slot(parent);
  if (p == Store::kNone) {
    if (problem != nullptr) *problem = Problem::kOutsideParent;
    return absl::InvalidArgumentError(
        split_ ? "TreeBuilder::Append: after Split()"
               : "TreeBuilder::Append: unknown parent");
  }
  const Range& r = spec.range;
  const uint32_t prev = last_child_[p];
  const Range prev_range =
      prev != Store::kNone ? store_.range(prev) : Range::Full();
  const Problem why = CheckPlacement(
      store_.range(p), prev != Store::kNone ? &prev_range : nullptr, r);
  if (why == Problem::kInverted) {
    return fail(why, p, "is inverted, under");
  }
  if (why == Problem::kOutsideParent) {
    return fail(why, p, "is not inside its parent");
  }
  if (why == Problem::kNotAfterSibling) {
    return fail(why, prev, "does not start after its previous sibling");
  }
  RESTREE_CHECK(store_.slot_count() < Store::kNone - 1, "too many resources");
  // Nothing is ever freed here, so the new slot is the next one and
  // last_child_ grows with it; the slots stay in pre-order.
  const uint32_t i = static_cast<uint32_t>(store_.slot_count());
  const uint32_t name = store_.names_.Intern(spec.name);
  store_.names_.Ref(name);
  store_.nodes_.push_back(
      internal::MakeNode(r, name, spec.flags, spec.desc, p, /*generation=*/1));
  ++store_.live_count_;
  last_child_.push_back(Store::kNone);
  last_child_[p] = i;
  if (problem != nullptr) *problem = Problem::kNone;
  return IdOf(i);
}

ResourceTree TreeBuilder::Finish() && {
  RESTREE_CHECK(!split_, "Finish() after Split()");
  last_child_.clear();
  last_child_.shrink_to_fit();
  return ResourceTree::FromStore(std::move(store_), std::move(profile_));
}

std::vector<TreeBuilder::Part> TreeBuilder::Split(size_t n, size_t max_nodes,
                                                  size_t max_name_bytes) {
  RESTREE_CHECK(store_.slot_count() == 1 && !split_,
                "Split() after Append() or Split()");
  split_ = true;
  RESTREE_CHECK(max_nodes < Store::kNone - 1, "too many resources");
  // Neither is written here: see HugePageAllocator and ReserveVerbatim().
  store_.nodes_.resize(1 + max_nodes);
  internal::NameTable::VerbatimSpace names =
      store_.names_.ReserveVerbatim(1 + max_nodes, max_name_bytes);
  names.entries[Store::kRoot] = {0, 0};  // the root's is interned
  std::vector<Part> parts;
  parts.reserve(n);
  for (size_t k = 0; k < n; ++k) {
    parts.push_back(Part(store_.nodes_.data(), names, max_nodes, max_name_bytes,
                         store_.range(Store::kRoot)));
  }
  return parts;
}

TreeBuilder::Part::Part(internal::Node* nodes,
                        internal::NameTable::VerbatimSpace names,
                        size_t max_nodes, size_t max_name_bytes,
                        const Range& root)
    : nodes_(nodes),
      names_(names),
      max_nodes_(max_nodes),
      max_name_bytes_(max_name_bytes) {
  path_.push_back(Step{Store::kRoot, root});
}

void TreeBuilder::Part::Begin(size_t nodes_before, size_t name_bytes_before,
                              size_t name_bytes) {
  const size_t before = std::min(nodes_before, max_nodes_);
  base_ = static_cast<uint32_t>(1 + before);
  capacity_ = static_cast<uint32_t>(max_nodes_ - before);
  const size_t at = std::min(name_bytes_before, max_name_bytes_);
  name_at_ = static_cast<uint32_t>(at);
  name_end_ =
      static_cast<uint32_t>(at + std::min(name_bytes, max_name_bytes_ - at));
}

TreeBuilder::Problem TreeBuilder::Part::Append(size_t level, const Range& r,
                                               absl::string_view name,
                                               uint64_t flags, uint32_t desc) {
  if (const Problem p = CheckPlacement(
          path_[level].range,
          level + 1 < height_ ? &path_[level + 1].range : nullptr, r);
      p != Problem::kNone) {
    return p;
  }
  if (count_ == capacity_ || name.size() > name_end_ - name_at_) {
    return Problem::kFull;
  }
  if (count_ == 0) first_top_ = r;
  const uint32_t i = base_ + count_++;
  const uint32_t size = static_cast<uint32_t>(name.size());
  if (size != 0) std::memcpy(names_.text + name_at_, name.data(), size);
  names_.entries[i] = internal::NameTable::VerbatimName{name_at_, size};
  name_at_ += size;
  nodes_[i] = internal::MakeNode(r, internal::NameTable::VerbatimId(i), flags,
                                 desc, path_[level].index, /*generation=*/1);
  // path_ only grows; height_ says how much of it is the path.
  if (level + 1 == path_.size()) path_.emplace_back();
  path_[level + 1] = Step{i, r};
  height_ = level + 2;
  return Problem::kNone;
}

absl::StatusOr<ResourceTree> TreeBuilder::Join(std::vector<Part> parts) && {
  // Each part must start where the one before it ends, and (being whole
  // subtrees of the root) its first node must start after the last
  // top-level node of the part before.
  const Part* prev = nullptr;
  uint32_t next = 1;
  for (const Part& p : parts) {
    if (p.base_ != next) {
      return absl::InvalidArgumentError(
          absl::StrFormat("TreeBuilder::Join: a part begins at node %d, not %d",
                          p.base_, next));
    }
    next += p.count_;
    if (p.count_ == 0) continue;
    if (prev != nullptr &&
        prev->path_[1].range.last() >= p.first_top_.first()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "TreeBuilder::Join: %s does not start after its previous sibling "
          "%s",
          p.first_top_.ToString(), prev->path_[1].range.ToString()));
    }
    prev = &p;
  }
  store_.nodes_.resize(next);
  store_.live_count_ = next;
  store_.names_.TrimVerbatim(next);
  last_child_.clear();
  last_child_.shrink_to_fit();
  return ResourceTree::FromStore(std::move(store_), std::move(profile_));
}

}  // namespace restree
