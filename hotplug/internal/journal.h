// File: internal/journal.h
// -----------------------------------------------------------------------------
//
// Ordered containers with an undo journal, for hotplug::Machine's driver
// state: `JournaledMap<K, V>` (a std::map) and `JournaledSet<K>` (a
// std::set). Reads are those of the const std container; every write goes
// through a method that first records what it overwrites (the key's old
// value, or its absence). `RollbackTo(mark)` replays the records taken
// since `Mark()` returned `mark` in reverse order, restoring the container
// exactly; `ClearJournal()` forgets them (a commit).
//
// Write access is deliberately narrow: there are no mutable iterators, and
// `operator[]` is the one way to get a mutable reference, so nothing can
// change an element without the journal knowing. A reference from
// `operator[]` may be written until the next call that rolls back.
//
// Cost: a write is O(log n) plus one copy of the old element; rolling back
// k records is O(k log n). Nothing here is O(n) in the container's size
// except copying it.
//
// Thread-safety: thread-compatible.

#ifndef RESTREE_HOTPLUG_INTERNAL_JOURNAL_H_
#define RESTREE_HOTPLUG_INTERNAL_JOURNAL_H_

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

namespace restree {
namespace hotplug {
namespace internal {

template <typename K, typename V>
class JournaledMap {
 public:
  using Map = std::map<K, V>;
  using const_iterator = typename Map::const_iterator;

  // The contents, as a plain map.
  const Map& map() const { return map_; }

  // Reads, as on a const std::map.
  size_t count(const K& k) const { return map_.count(k); }
  const_iterator find(const K& k) const { return map_.find(k); }
  const V& at(const K& k) const { return map_.at(k); }
  const_iterator begin() const { return map_.begin(); }
  const_iterator end() const { return map_.end(); }
  bool empty() const { return map_.empty(); }
  size_t size() const { return map_.size(); }

  // The element at `k` for writing (value-initialized if absent, as
  // std::map::operator[]); its previous state is journaled first.
  V& operator[](const K& k) {
    auto it = map_.find(k);
    if (it == map_.end()) {
      journal_.emplace_back(k, std::nullopt);
      return map_[k];
    }
    journal_.emplace_back(k, it->second);
    return it->second;
  }
  // Removes `k` (journaled); returns how many elements went (0 or 1).
  size_t erase(const K& k) {
    auto it = map_.find(k);
    if (it == map_.end()) return 0;
    journal_.emplace_back(k, std::move(it->second));
    map_.erase(it);
    return 1;
  }

  // Journal position now; RollbackTo() it undoes every later write.
  size_t Mark() const { return journal_.size(); }
  void RollbackTo(size_t mark) {
    while (journal_.size() > mark) {
      auto& [k, old] = journal_.back();
      if (old.has_value()) {
        map_.insert_or_assign(k, std::move(*old));
      } else {
        map_.erase(k);
      }
      journal_.pop_back();
    }
  }
  void ClearJournal() { journal_.clear(); }

 private:
  Map map_;
  std::vector<std::pair<K, std::optional<V>>> journal_;
};

template <typename K>
class JournaledSet {
 public:
  using Set = std::set<K>;
  using const_iterator = typename Set::const_iterator;

  const Set& set() const { return set_; }

  size_t count(const K& k) const { return set_.count(k); }
  const_iterator begin() const { return set_.begin(); }
  const_iterator end() const { return set_.end(); }
  bool empty() const { return set_.empty(); }
  size_t size() const { return set_.size(); }

  // Journaled; each returns whether the set changed.
  bool insert(const K& k) {
    if (!set_.insert(k).second) return false;
    journal_.emplace_back(k, false);
    return true;
  }
  bool erase(const K& k) {
    if (set_.erase(k) == 0) return false;
    journal_.emplace_back(k, true);
    return true;
  }

  size_t Mark() const { return journal_.size(); }
  void RollbackTo(size_t mark) {
    while (journal_.size() > mark) {
      const auto& [k, was_present] = journal_.back();
      if (was_present) {
        set_.insert(k);
      } else {
        set_.erase(k);
      }
      journal_.pop_back();
    }
  }
  void ClearJournal() { journal_.clear(); }

 private:
  Set set_;
  std::vector<std::pair<K, bool>> journal_;  // (key, present before)
};

}  // namespace internal
}  // namespace hotplug
}  // namespace restree

#endif  // RESTREE_HOTPLUG_INTERNAL_JOURNAL_H_
