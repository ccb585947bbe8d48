#include "resource_tree/tree_builder.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "absl/strings/str_format.h"
#include "resource_tree/status_macros.h"

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
  const uint32_t p = split_ ? ResourceTree::kNoIndex : tree_.IndexOf(parent);
  if (p == ResourceTree::kNoIndex) {
    if (problem != nullptr) *problem = Problem::kOutsideParent;
    return absl::InvalidArgumentError(
        split_ ? "TreeBuilder::Append: after Split()"
               : "TreeBuilder::Append: unknown parent");
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

void TreeBuilder::BuildIndex() {
  // Counting sort of the nodes by parent, from each node's number of
  // children (made into each parent's first position in place). Nodes are
  // numbered in pre-order and each parent's children were appended in
  // increasing start order, so the result is sorted by (parent, start) and
  // the B-tree is built by appending at its end.
  const auto& nodes = tree_.nodes_;
  uint32_t sum = 0;
  for (uint32_t& c : children_) {
    const uint32_t n = c;
    c = sum;
    sum += n;
  }
  std::vector<ResourceTree::ChildKey,
              internal::HugePageAllocator<ResourceTree::ChildKey>>
      sorted(nodes.size() - 1);
  for (uint32_t i = 1; i < nodes.size(); ++i) {
    sorted[children_[nodes[i].parent]++] =
        ResourceTree::ChildKey{nodes[i].parent, i, nodes[i].first};
  }
  children_ = ChildCounts();
  tree_.children_ = ResourceTree::ChildIndex(sorted.begin(), sorted.end());
}

ResourceTree TreeBuilder::Finish() && {
  RESTREE_CHECK(!split_, "Finish() after Split()");
  last_child_.clear();
  last_child_.shrink_to_fit();
  children_.assign(tree_.nodes_.size(), 0);
  for (size_t i = 1; i < tree_.nodes_.size(); ++i) {
    ++children_[tree_.nodes_[i].parent];
  }
  BuildIndex();
  return std::move(tree_);
}

std::vector<TreeBuilder::Part> TreeBuilder::Split(size_t n,
                                                  size_t max_nodes) {
  RESTREE_CHECK(tree_.nodes_.size() == 1 && !split_,
                "Split() after Append() or Split()");
  split_ = true;
  RESTREE_CHECK(max_nodes < ResourceTree::kNoIndex - 1, "too many resources");
  // Neither is written here: see HugePageAllocator.
  tree_.nodes_.resize(1 + max_nodes);
  children_.resize(1 + max_nodes);
  std::vector<Part> parts;
  parts.reserve(n);
  for (size_t k = 0; k < n; ++k) {
    parts.push_back(Part(tree_.nodes_.data(), children_.data(), max_nodes,
                         tree_.NodeRange(ResourceTree::kRootIndex),
                         k == 0 ? &tree_.names_ : nullptr));
  }
  return parts;
}

TreeBuilder::Part::Part(ResourceTree::Node* nodes, uint32_t* children,
                        size_t max_nodes, const Range& root,
                        internal::NameTable* shared_names)
    : nodes_(nodes), children_(children), max_nodes_(max_nodes) {
  path_.push_back(Step{ResourceTree::kRootIndex, root});
  if (shared_names == nullptr) {
    own_names_ = std::make_unique<internal::NameTable>(
        internal::NameTable::Storage::kBorrow);
    names_ = own_names_.get();
  } else {
    names_ = shared_names;
  }
}

void TreeBuilder::Part::Begin(size_t nodes_before) {
  const size_t before = std::min(nodes_before, max_nodes_);
  base_ = static_cast<uint32_t>(1 + before);
  capacity_ = static_cast<uint32_t>(max_nodes_ - before);
}

TreeBuilder::Problem TreeBuilder::Part::Append(size_t level, const Range& r,
                                               const Name& name,
                                               uint64_t flags, uint32_t desc) {
  if (!r.valid()) return Problem::kInverted;
  if (count_ == capacity_ || !path_[level].range.Contains(r)) {
    return Problem::kOutsideParent;
  }
  if (level + 1 < height_ && path_[level + 1].range.last() >= r.first()) {
    return Problem::kNotAfterSibling;
  }
  if (count_ == 0) first_top_ = r;
  const uint32_t i = base_ + count_++;
  ResourceTree::Node& n = nodes_[i];
  n.first = r.first();
  n.last = r.last();
  n.flags = flags;
  n.desc = desc;
  n.name = names_->Intern(name.text, name.hash);
  n.parent = path_[level].index;
  n.generation = 1;
  children_[i] = 0;
  // The root's count is shared by all parts: each keeps its own.
  ++(level == 0 ? root_children_ : children_[n.parent]);
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
      return absl::InvalidArgumentError(absl::StrFormat(
          "TreeBuilder::Join: a part begins at node %d, not %d", p.base_,
          next));
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
  tree_.nodes_.resize(next);
  tree_.live_count_ = next;
  children_.resize(next);
  children_[ResourceTree::kRootIndex] = 0;
  for (const Part& p : parts) {
    children_[ResourceTree::kRootIndex] += p.root_children_;
  }
  last_child_.clear();
  last_child_.shrink_to_fit();
  if (parts.size() <= 1) {  // the names are in the tree already
    BuildIndex();
    return std::move(tree_);
  }
  // The later parts' names move into the tree on a second thread while
  // this one builds the index (which allocates the B-tree's nodes, better
  // done in the main thread's malloc arena). The index reads only parents
  // and starts, the names pass writes only names: different members of the
  // same nodes, so no data race.
  std::thread names([this, &parts] {
    std::vector<uint32_t> remap;
    for (const Part& p : parts) {
      if (p.own_names_ == nullptr) continue;
      tree_.names_.InternAll(*p.own_names_, &remap);
      ResourceTree::Node* const n = tree_.nodes_.data() + p.base_;
      for (uint32_t i = 0; i < p.count_; ++i) n[i].name = remap[n[i].name];
    }
  });
  BuildIndex();
  names.join();
  return std::move(tree_);
}

}  // namespace restree
