#include "resource_tree/tree_builder.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_format.h"
#include "resource_tree/status_macros.h"

namespace restree {

TreeBuilder::TreeBuilder(const ResourceSpec& root, KernelProfile profile)
    : tree_(root, std::move(profile)) {
  last_child_.push_back(ResourceTree::kNoIndex);
  next_.push_back(ResourceTree::kNoIndex);
}

void TreeBuilder::Reserve(size_t n) {
  tree_.nodes_.reserve(tree_.nodes_.size() + n);
  last_child_.reserve(last_child_.size() + n);
  next_.reserve(next_.size() + n);
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
  next_.push_back(ResourceTree::kNoIndex);
  if (prev != ResourceTree::kNoIndex) next_[prev] = i;
  last_child_[p] = i;
  if (problem != nullptr) *problem = Problem::kNone;
  return tree_.MakeId(i);
}

template <typename FirstChild>
void TreeBuilder::BuildShards(const ResourceTree::Node* nodes, uint32_t first,
                              uint32_t count, const uint32_t* next,
                              FirstChild first_child,
                              internal::ChildIndex::Shard* top,
                              internal::ChildIndex::Shard* rest) {
  // Parents in increasing index, each one's children in increasing start:
  // keys in (parent, start) order, so both B-trees are built by appending
  // at their ends, with no sorting.
  const uint32_t end = first + count;
  top->set.clear();
  rest->set.clear();
  for (uint32_t p = first; p < end; ++p) {
    const ResourceTree::Node& n = nodes[p];
    if (n.parent == ResourceTree::kRootIndex) {
      top->set.insert(top->set.end(), internal::ChildKey{n.parent, p, n.first});
    }
    for (uint32_t c = first_child(p); c != ResourceTree::kNoIndex;
         c = next[c]) {
      rest->set.insert(rest->set.end(), internal::ChildKey{p, c, nodes[c].first});
    }
  }
  top->bound = internal::ChildKey{0, 0, count == 0 ? 0 : nodes[first].first};
  rest->bound = internal::ChildKey{first, 0, 0};
}

ResourceTree TreeBuilder::Finish() && {
  RESTREE_CHECK(!split_, "Finish() after Split()");
  // Nodes were appended under any earlier node: each one's first child is
  // the lowest-numbered node naming it as parent.
  std::vector<uint32_t> first_child(tree_.nodes_.size(),
                                    ResourceTree::kNoIndex);
  for (size_t i = tree_.nodes_.size() - 1; i >= 1; --i) {
    first_child[tree_.nodes_[i].parent] = static_cast<uint32_t>(i);
  }
  std::vector<internal::ChildIndex::Shard> shards(2);
  BuildShards(
      tree_.nodes_.data(), 1, static_cast<uint32_t>(tree_.nodes_.size() - 1),
      next_.data(), [&](uint32_t p) { return first_child[p]; }, &shards[0],
      &shards[1]);
  last_child_.clear();
  last_child_.shrink_to_fit();
  next_ = Links();
  tree_.children_ = internal::ChildIndex(std::move(shards));
  return std::move(tree_);
}

std::vector<TreeBuilder::Part> TreeBuilder::Split(size_t n, size_t max_nodes,
                                                  size_t max_names) {
  RESTREE_CHECK(tree_.nodes_.size() == 1 && !split_,
                "Split() after Append() or Split()");
  split_ = true;
  RESTREE_CHECK(max_nodes < ResourceTree::kNoIndex - 1, "too many resources");
  // Neither is written here: see HugePageAllocator.
  tree_.nodes_.resize(1 + max_nodes);
  next_.resize(1 + max_nodes);
  tree_.names_.BeginWriters(max_names, n);
  std::vector<Part> parts;
  parts.reserve(n);
  for (size_t k = 0; k < n; ++k) {
    parts.push_back(Part(tree_.nodes_.data(), next_.data(), max_nodes,
                         tree_.NodeRange(ResourceTree::kRootIndex),
                         &tree_.names_));
  }
  return parts;
}

TreeBuilder::Part::Part(ResourceTree::Node* nodes, uint32_t* next,
                        size_t max_nodes, const Range& root,
                        internal::NameTable* names)
    : nodes_(nodes), next_(next), max_nodes_(max_nodes),
      names_(names) {
  path_.push_back(Step{ResourceTree::kRootIndex, root});
}

void TreeBuilder::Part::Finish() {
  if (finished_) return;
  finished_ = true;
  capacity_ = count_;  // Append() refuses from now on
  // In pre-order, a node's first child (if any) is the node after it.
  const uint32_t end = base_ + count_;
  const ResourceTree::Node* const nodes = nodes_;
  BuildShards(
      nodes_, base_, count_, next_,
      [nodes, end](uint32_t p) {
        return p + 1 < end && nodes[p + 1].parent == p ? p + 1
                                                       : ResourceTree::kNoIndex;
      },
      &top_, &rest_);
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
  const uint32_t name_id = names_.Intern(name.text, name.hash);
  if (name_id == internal::NameTable::kFull) return Problem::kTooManyNames;
  if (count_ == 0) first_top_ = r;
  const uint32_t i = base_ + count_++;
  ResourceTree::Node& n = nodes_[i];
  n.first = r.first();
  n.last = r.last();
  n.flags = flags;
  n.desc = desc;
  n.name = name_id;
  n.parent = path_[level].index;
  n.generation = 1;
  next_[i] = ResourceTree::kNoIndex;
  // The path's next level is the previous child of the node at `level`.
  if (level + 1 < height_) next_[path_[level + 1].index] = i;
  // path_ only grows; height_ says how much of it is the path.
  if (level + 1 == path_.size()) path_.emplace_back();
  path_[level + 1] = Step{i, r};
  height_ = level + 2;
  return Problem::kNone;
}

absl::StatusOr<ResourceTree> TreeBuilder::Join(std::vector<Part> parts) && {
  std::vector<internal::NameTable::Writer*> writers;
  for (Part& p : parts) writers.push_back(&p.names_);
  tree_.names_.EndWriters(writers);
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
  last_child_.clear();
  last_child_.shrink_to_fit();
  // The shards, in key order: every part's top-level nodes, then every
  // part's other nodes (whose parents are that part's nodes).
  std::vector<internal::ChildIndex::Shard> shards;
  for (Part& p : parts) {
    p.Finish();
    if (!p.top_.set.empty()) shards.push_back(std::move(p.top_));
  }
  for (Part& p : parts) {
    if (!p.rest_.set.empty()) shards.push_back(std::move(p.rest_));
  }
  next_ = Links();
  tree_.children_ = internal::ChildIndex(std::move(shards));
  return std::move(tree_);
}

}  // namespace restree
