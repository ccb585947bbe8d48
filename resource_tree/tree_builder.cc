#include "resource_tree/tree_builder.h"

#include <algorithm>
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

void TreeBuilder::BuildShards(const ResourceTree::Node* nodes, uint32_t first,
                 uint32_t count, uint32_t* children,
                 internal::ChildIndex::Shard* top,
                 internal::ChildIndex::Shard* rest) {
  // Each parent's children were appended in increasing start order, so a
  // counting sort by parent (each count made into the parent's first
  // position, in place) sorts `rest` by (parent, start), and both B-trees
  // are built by appending at their ends.
  uint32_t sum = 0;
  for (uint32_t i = first; i < first + count; ++i) {
    const uint32_t n = children[i];
    children[i] = sum;
    sum += n;
  }
  std::vector<internal::ChildKey,
              internal::HugePageAllocator<internal::ChildKey>>
      sorted(sum);
  top->set.clear();
  for (uint32_t i = first; i < first + count; ++i) {
    const ResourceTree::Node& n = nodes[i];
    const internal::ChildKey k{n.parent, i, n.first};
    if (n.parent == 0) {
      top->set.insert(top->set.end(), k);
    } else {
      sorted[children[n.parent]++] = k;
    }
  }
  top->bound = internal::ChildKey{0, 0, count == 0 ? 0 : nodes[first].first};
  rest->bound = internal::ChildKey{first, 0, 0};
  rest->set = internal::ChildIndex::Set(sorted.begin(), sorted.end());
}

ResourceTree TreeBuilder::Finish() && {
  RESTREE_CHECK(!split_, "Finish() after Split()");
  last_child_.clear();
  last_child_.shrink_to_fit();
  children_.assign(tree_.nodes_.size(), 0);
  for (size_t i = 1; i < tree_.nodes_.size(); ++i) {
    ++children_[tree_.nodes_[i].parent];
  }
  std::vector<internal::ChildIndex::Shard> shards(2);
  BuildShards(tree_.nodes_.data(), 1,
              static_cast<uint32_t>(tree_.nodes_.size() - 1), children_.data(),
              &shards[0], &shards[1]);
  children_ = ChildCounts();
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
  children_.resize(1 + max_nodes);
  tree_.names_.BeginWriters(max_names, n);
  std::vector<Part> parts;
  parts.reserve(n);
  for (size_t k = 0; k < n; ++k) {
    parts.push_back(Part(tree_.nodes_.data(), children_.data(), max_nodes,
                         tree_.NodeRange(ResourceTree::kRootIndex),
                         &tree_.names_));
  }
  return parts;
}

TreeBuilder::Part::Part(ResourceTree::Node* nodes, uint32_t* children,
                        size_t max_nodes, const Range& root,
                        internal::NameTable* names)
    : nodes_(nodes), children_(children), max_nodes_(max_nodes),
      names_(names) {
  path_.push_back(Step{ResourceTree::kRootIndex, root});
}

void TreeBuilder::Part::Finish() {
  if (finished_) return;
  finished_ = true;
  capacity_ = count_;  // Append() refuses from now on
  BuildShards(nodes_, base_, count_, children_, &top_, &rest_);
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
  children_[i] = 0;
  // The root's count would be shared by all parts; Finish() needs none.
  if (level != 0) ++children_[n.parent];
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
  children_ = ChildCounts();
  tree_.children_ = internal::ChildIndex(std::move(shards));
  return std::move(tree_);
}

}  // namespace restree
