#include "resource_tree/tree_builder.h"

#include <utility>

#include "absl/strings/str_format.h"

namespace restree {

TreeBuilder::TreeBuilder(const ResourceSpec& root, KernelProfile profile)
    : tree_(root, std::move(profile)) {
  last_child_.push_back(ResourceTree::kNoIndex);
}

void TreeBuilder::Reserve(size_t n) {
  tree_.nodes_.reserve(tree_.nodes_.size() + n);
  last_child_.reserve(last_child_.size() + n);
}

ResourceId TreeBuilder::LastChildOf(ResourceId id) const {
  const uint32_t i = tree_.IndexOf(id);
  if (i == ResourceTree::kNoIndex || last_child_[i] == ResourceTree::kNoIndex) {
    return ResourceId();
  }
  return tree_.MakeId(last_child_[i]);
}

absl::StatusOr<ResourceId> TreeBuilder::Append(ResourceId parent,
                                               const ResourceSpec& spec,
                                               Problem* problem,
                                               ResourceId* other) {
  auto fail = [&](Problem p, uint32_t in_the_way, const char* what) {
    if (problem != nullptr) *problem = p;
    if (other != nullptr) *other = tree_.MakeId(in_the_way);
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s %s: %s %s", spec.range.ToString(), spec.name, what,
        tree_.Describe(in_the_way)));
  };
  const uint32_t p = tree_.IndexOf(parent);
  if (p == ResourceTree::kNoIndex) {
    if (problem != nullptr) *problem = Problem::kOutsideParent;
    return absl::InvalidArgumentError("TreeBuilder::Append: unknown parent");
  }
  const Range& r = spec.range;
  if (!r.valid()) return fail(Problem::kInverted, p, "is inverted, under");
  if (!tree_.NodeRange(p).Contains(r)) {
    return fail(Problem::kOutsideParent, p, "is not inside its parent");
  }
  const uint32_t prev = last_child_[p];
  if (prev != ResourceTree::kNoIndex &&
      tree_.nodes_[prev].last >= r.first()) {
    return fail(Problem::kNotAfterSibling, prev,
                "does not start after its previous sibling");
  }
  const uint32_t i = tree_.AllocateNode(r, tree_.names_.Intern(spec.name),
                                        spec.flags, spec.desc, p);
  // Slots are handed out in order (nothing is ever freed here), so node i
  // is the i-th appended and last_child_ grows with it.
  last_child_.push_back(ResourceTree::kNoIndex);
  last_child_[p] = i;
  if (problem != nullptr) *problem = Problem::kNone;
  return tree_.MakeId(i);
}

ResourceTree TreeBuilder::Finish() && {
  // Counting sort of the nodes by parent. Nodes are numbered in append
  // order and each parent's children were appended in increasing start
  // order, so the result is sorted by (parent, start) and the B-tree is
  // built by appending at its end.
  last_child_.clear();
  last_child_.shrink_to_fit();
  const auto& nodes = tree_.nodes_;
  std::vector<uint32_t> count(nodes.size() + 1, 0);
  for (size_t i = 1; i < nodes.size(); ++i) ++count[nodes[i].parent + 1];
  for (size_t i = 1; i < count.size(); ++i) count[i] += count[i - 1];
  std::vector<ResourceTree::ChildKey> sorted(nodes.size() - 1);
  for (uint32_t i = 1; i < nodes.size(); ++i) {
    sorted[count[nodes[i].parent]++] =
        ResourceTree::ChildKey{nodes[i].parent, i, nodes[i].first};
  }
  tree_.children_ = ResourceTree::ChildIndex(sorted.begin(), sorted.end());
  return std::move(tree_);
}

}  // namespace restree
