#include "cfmws/plan.h"

#include <map>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/byte_size.h"
#include "base/status_macros.h"
#include "cfmws/interleave.h"
#include "resource_tree/flags.h"
#include "resource_tree/kernel_status.h"

namespace restree {
namespace cedt {

absl::string_view WindowFateName(WindowFate f) {
  switch (f) {
    case WindowFate::kPublished:
      return "published";
    case WindowFate::kNotInserted:
      return "not-inserted";
    case WindowFate::kNested:
      return "nested";
    case WindowFate::kSwallowed:
      return "swallowed";
    case WindowFate::kSkipped:
      return "skipped";
    case WindowFate::kReserved:
      return "reserved";
  }
  return "?";
}

std::optional<std::string> LinuxVerifyFailure(const Cfmws& c) {
  if (c.arithmetic != kArithmeticModulo && c.arithmetic != kArithmeticXor) {
    return absl::StrFormat(
        "cxl_acpi_cfmws_verify: unknown Interleave "
        "Arithmetic %d",
        c.arithmetic);
  }
  if (c.base_hpa % kWindowAlign != 0) {
    return std::string("cxl_acpi_cfmws_verify: base HPA not 256MB aligned");
  }
  if (c.window_size % kWindowAlign != 0) {
    return std::string("cxl_acpi_cfmws_verify: window size not 256MB aligned");
  }
  std::optional<uint32_t> ways = c.ways();
  if (!ways.has_value()) {
    return absl::StrFormat(
        "cxl_acpi_cfmws_verify: Interleave Ways (%d) "
        "invalid",
        c.eniw);
  }
  // The decoder guarantees the record holds `ways` targets, so Linux's
  // "length less than expected" check cannot fail here.
  if (!c.granularity().has_value()) {
    return absl::StrFormat("eig_to_granularity: Granularity %d invalid",
                           c.hbig);
  }
  return std::nullopt;
}

namespace {

std::string Describe(const ResourceTree& t, ResourceId id) {
  return absl::StrCat(t.NameOf(id), " ", t.RangeOf(id).ToString());
}

// Both planners' start for CFMWS `c` (subtable `i`): where the window is,
// and false with the reason when Linux would skip it.
bool StartWindowPlan(size_t i, const Cfmws& c, WindowPlan* p) {
  p->subtable_index = i;
  p->base = c.base_hpa;
  p->size = c.window_size;
  if (std::optional<std::string> why = LinuxVerifyFailure(c)) {
    p->reason = *std::move(why);
    return false;
  }
  return true;
}

std::string ConflictName(const ResourceTree& t, const absl::Status& s) {
  const KernelError e = GetKernelError(s);
  if (t.Contains(e.conflict)) return Describe(t, e.conflict);
  return std::string(s.message());
}

class LinuxPlanner {
 public:
  LinuxPlanner(const Cedt& t, ResourceTree* work, PlanResult* out)
      : t_(t),
        work_(*work),
        out_(*out),
        priv_(ResourceSpec{Range::Full(), "CXL mem", iores::kMem}) {}

  absl::Status Run() {
    const CximsIndex cxims(t_);
    int next_id = 0;
    for (size_t i = 0; i < t_.subtables.size(); ++i) {
      const Cfmws* c = std::get_if<Cfmws>(&t_.subtables[i]);
      if (c == nullptr) continue;
      WindowPlan p;
      if (!StartWindowPlan(i, *c, &p)) {
        p.decoder = "not registered (window skipped)";
        out_.windows.push_back(std::move(p));
        continue;
      }
      const int id = next_id++;
      p.window_id = id;
      const std::string name = absl::StrCat("CXL Window ", id);
      absl::StatusOr<ResourceId> node = priv_.Insert(
          priv_.root(),
          {Range::FromStartSizeWrapping(c->base_hpa, c->window_size), name,
           iores::kMem});
      if (!node.ok()) {
        p.reason = absl::StrCat(
            "insert_resource into the private CXL tree failed (conflict: ",
            ConflictName(priv_, node.status()), ")");
        p.decoder = "not registered (window skipped)";
        out_.windows.push_back(std::move(p));
        continue;
      }
      plan_of_[*node] = out_.windows.size();
      const int needed = XorMapsNeeded(*c->ways());
      if (c->arithmetic == kArithmeticXor && needed > 0) {
        absl::StatusOr<size_t> x = cxims.Resolve(*c->granularity(), needed);
        if (!x.ok()) {
          p.decoder = absl::StrCat("not registered: ", x.status().message());
        }
      }
      out_.windows.push_back(std::move(p));
    }
    RESTREE_RETURN_IF_ERROR(Publish());
    Pair();
    return absl::OkStatus();
  }

 private:
  WindowPlan& PlanOf(ResourceId priv_node) {
    return out_.windows[plan_of_.at(priv_node)];
  }

  // add_cxl_resources().
  absl::Status Publish() {
    ResourceId res = priv_.FirstChild(priv_.root());
    while (res.valid()) {
      WindowPlan& p = PlanOf(res);
      const Range want = priv_.RangeOf(res);
      std::vector<ResourceId> over;
      absl::StatusOr<ResourceId> twin = work_.InsertExpandToFit(
          work_.root(),
          {want, priv_.NameOf(res), iores::kMem, iores_desc::kCxl}, &over);
      Range got = want;
      published_[res] = twin.ok();
      if (twin.ok()) {
        got = work_.RangeOf(*twin);
        p.fate = WindowFate::kPublished;
        p.node = *twin;
        p.range = got;
        twin_of_[res] = *twin;
        for (ResourceId o : over) p.expanded_over.push_back(Describe(work_, o));
      } else {
        p.fate = WindowFate::kNotInserted;
        p.reason = absl::StrCat("insert_resource_expand_to_fit: ",
                                twin.status().message());
      }
      ResourceId next = priv_.NextSibling(res);
      while (next.valid() && got.Overlaps(priv_.RangeOf(next))) {
        WindowPlan& q = PlanOf(next);
        if (got.Contains(priv_.RangeOf(next))) {
          const ResourceId after = priv_.NextSibling(next);
          q.fate = WindowFate::kSwallowed;
          q.reason = absl::StrFormat(
              "covered by %s expanded to %s: deleted from the private tree",
              priv_.NameOf(res), got.ToString());
          RESTREE_RETURN_IF_ERROR(priv_.Remove(next));
          next = after;
        } else {
          RESTREE_RETURN_IF_ERROR(Trim(next, got.last() + 1));
          q.reason = absl::StrFormat("trimmed by %s expanded to %s",
                                     priv_.NameOf(res), got.ToString());
        }
      }
      res = next;
    }
    // Windows left below another private window were never visited.
    for (const auto& [node, plan] : plan_of_) {
      WindowPlan& p = out_.windows[plan];
      if (p.fate != WindowFate::kSkipped) continue;  // visited
      p.fate = WindowFate::kNested;
      if (p.reason.empty()) {
        p.reason =
            "inside another window in the private CXL tree; "
            "add_cxl_resources publishes top-level windows only";
      }
    }
    return absl::OkStatus();
  }

  // The kernel sets next->start = end + 1 without checks; restree's Adjust
  // also requires the node to keep covering its children, which are nested
  // windows that are never published: they are released first.
  absl::Status Trim(ResourceId next, uint64_t first) {
    WindowPlan& q = PlanOf(next);
    const Range old = priv_.RangeOf(next);
    q.trimmed_from = old;
    for (ResourceId c : priv_.Children(next)) {
      if (priv_.RangeOf(c).first() >= first) continue;
      std::vector<ResourceId> gone = {c};
      for (size_t k = 0; k < gone.size(); ++k) {
        for (ResourceId d : priv_.Children(gone[k])) gone.push_back(d);
      }
      for (ResourceId g : gone) {
        WindowPlan& r = PlanOf(g);
        r.fate = WindowFate::kNested;
        r.reason = absl::StrFormat(
            "nested in %s, whose trim left it outside (the kernel leaves it "
            "dangling in its private tree); never published",
            priv_.NameOf(next));
      }
      RESTREE_RETURN_IF_ERROR(priv_.Release(c));
    }
    return priv_.Adjust(next, first, old.last() - first + 1);
  }

  // pair_cxl_resource(): each registered root decoder gets the twin of the
  // first top-level private window containing its CFMWS range.
  void Pair() {
    for (WindowPlan& p : out_.windows) {
      if (!p.window_id.has_value() || !p.decoder.empty()) continue;
      const Range want = Range::FromStartSizeWrapping(p.base, p.size);
      // Top-level windows are disjoint: only the one holding want.first()
      // can contain `want`.
      ResourceId found = priv_.Lookup(want.first());
      while (found != priv_.root() && priv_.ParentOf(found) != priv_.root()) {
        found = priv_.ParentOf(found);
      }
      if (found == priv_.root() || !priv_.RangeOf(found).Contains(want)) {
        found = ResourceId();
      }
      if (!found.valid()) {
        p.decoder = absl::StrFormat(
            "no iomem resource: no top-level private window contains %s, so "
            "no region can be created in it",
            want.ToString());
      } else if (auto it = twin_of_.find(found); it != twin_of_.end()) {
        p.decoder = absl::StrCat("resource ", Describe(work_, it->second));
      } else if (published_.contains(found)) {
        p.decoder = absl::StrCat("resource ", priv_.NameOf(found),
                                 " (its twin is not in iomem)");
      } else {
        p.decoder = absl::StrCat("no iomem resource: ", priv_.NameOf(found),
                                 " was never given a public twin");
      }
    }
  }

  const Cedt& t_;
  ResourceTree& work_;
  PlanResult& out_;
  ResourceTree priv_;
  absl::flat_hash_map<ResourceId, size_t> plan_of_;  // private node -> plan
  absl::flat_hash_map<ResourceId, ResourceId> twin_of_;
  absl::flat_hash_map<ResourceId, bool> published_;
};

void LeaveChunk(WindowPlan* p, uint64_t k, const Range& r, std::string why) {
  if (!p->chunks_left.empty()) {
    WindowPlan::LeftChunks& last = p->chunks_left.back();
    if (last.last_chunk + 1 == k && last.why == why &&
        last.range.last() + 1 == r.first()) {
      last.last_chunk = k;
      last.range = Range(last.range.first(), r.last());
      return;
    }
  }
  p->chunks_left.push_back({k, k, r, std::move(why)});
}

absl::Status PlanChunked(const Cedt& t, const PlanOptions& options,
                         ResourceTree* work, PlanResult* out) {
  int next_id = 0;
  // The windows reserved so far, disjoint: first -> (last, id).
  std::map<uint64_t, std::pair<uint64_t, int>> reserved;
  uint64_t total_chunks = 0;
  for (size_t i = 0; i < t.subtables.size(); ++i) {
    const Cfmws* c = std::get_if<Cfmws>(&t.subtables[i]);
    if (c == nullptr) continue;
    WindowPlan p;
    if (!StartWindowPlan(i, *c, &p)) {
      out->windows.push_back(std::move(p));
      continue;
    }
    const int id = next_id++;
    p.window_id = id;
    if (c->window_size == 0 ||
        c->window_size - 1 > ~uint64_t{0} - c->base_hpa) {
      p.reason = "the window is empty or runs past 2^64";
      out->windows.push_back(std::move(p));
      continue;
    }
    const uint64_t unit = uint64_t{*c->ways()} * kWindowAlign;
    const uint64_t cs = options.chunk_size == 0 ? unit : options.chunk_size;
    if (cs % unit != 0) {
      p.reason = absl::StrFormat(
          "chunk size 0x%x is not a multiple of %d ways x 256M (0x%x)", cs,
          *c->ways(), unit);
      out->windows.push_back(std::move(p));
      continue;
    }
    const uint64_t n = c->window_size / cs + (c->window_size % cs != 0);
    total_chunks += n;
    if (total_chunks > options.max_chunks) {
      return absl::ResourceExhaustedError(absl::StrFormat(
          "chunked plan: CFMWS (subtable %d) brings the chunk count to %d, "
          "over the limit of %d",
          i, total_chunks, options.max_chunks));
    }
    const Range whole(c->base_hpa, c->base_hpa + (c->window_size - 1));
    const std::string name = absl::StrCat("CXL Window ", id);
    // Of the reserved windows `whole` overlaps, the first reserved (lowest
    // id). They are found by address: the one starting at or before `whole`
    // and those starting inside it.
    auto it = reserved.upper_bound(whole.first());
    if (it != reserved.begin()) --it;
    int other = -1;
    Range other_range;
    for (; it != reserved.end() && it->first <= whole.last(); ++it) {
      const auto& [last, rid] = it->second;
      if (last < whole.first() || (other >= 0 && rid > other)) continue;
      other = rid;
      other_range = Range(it->first, last);
    }
    if (other >= 0) {
      p.reason = absl::StrFormat(
          "overlaps CXL Window %d %s, reserved "
          "before it",
          other, other_range.ToString());
      out->windows.push_back(std::move(p));
      continue;
    }
    absl::StatusOr<ResourceId> win = work->Insert(
        work->root(), {whole, name, iores::kMem, iores_desc::kCxl});
    if (!win.ok()) {
      return absl::AlreadyExistsError(absl::StrFormat(
          "chunked plan: CFMWS (subtable %d) %s %s cannot be inserted: "
          "conflicts with %s",
          i, name, whole.ToString(), ConflictName(*work, win.status())));
    }
    reserved.emplace(whole.first(), std::make_pair(whole.last(), id));
    p.fate = WindowFate::kReserved;
    p.node = *win;
    p.range = whole;
    p.chunk_size = cs;
    ChunkGeometry g;
    g.chunk_size = cs;
    g.ways = *c->ways();
    g.memory_block_size = 0;  // chunks here are ways x 256 MiB multiples
    g.max_new_chunks = options.max_chunks - (total_chunks - n);
    absl::StatusOr<size_t> made = work->ReserveChunks(*win, g);
    if (!made.ok()) {
      return absl::ResourceExhaustedError(
          absl::StrFormat("chunked plan: CFMWS (subtable %d) %s: %s", i, name,
                          made.status().message()));
    }
    p.chunks_reserved = *made;
    // The slots an existing resource in the window holds, wholly or in
    // part, are reported (the free part of a partly held slot is a chunk).
    for (ResourceId child : work->Children(*win)) {
      if (work->IsChunk(child)) continue;
      const Range held = work->RangeOf(child);
      for (uint64_t k = (held.first() - whole.first()) / cs;
           k <= (held.last() - whole.first()) / cs; ++k) {
        const uint64_t first = whole.first() + k * cs;
        const uint64_t last = k + 1 == n ? whole.last() : first + (cs - 1);
        const Range r(first, last);
        LeaveChunk(
            &p, k, r,
            absl::StrCat(held.Contains(r) ? "inside " : "partly overlaps ",
                         Describe(*work, child)));
      }
    }
    out->windows.push_back(std::move(p));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PlanResult> PlanWindows(const Cedt& t, ResourceTree* base,
                                       const PlanOptions& options) {
  if (base == nullptr) {
    return absl::InvalidArgumentError("PlanWindows: no base tree");
  }
  // Planned in place: a failure rolls back every step (O(k) for k steps,
  // not a copy of the tree).
  ResourceTree::Transaction tx(base);
  PlanResult out;
  out.mode = options.mode;
  if (options.mode == PlanMode::kLinux) {
    RESTREE_RETURN_IF_ERROR(LinuxPlanner(t, base, &out).Run());
  } else {
    RESTREE_RETURN_IF_ERROR(PlanChunked(t, options, base, &out));
  }
  tx.Commit();
  return out;
}

std::string FormatPlan(const PlanResult& plan) {
  std::string s;
  for (const WindowPlan& w : plan.windows) {
    absl::StrAppendFormat(&s, "CFMWS (subtable %d)", w.subtable_index);
    if (w.window_id.has_value()) {
      absl::StrAppend(&s, " CXL Window ", *w.window_id);
    }
    absl::StrAppendFormat(&s, " [0x%x, size %s]: %s", w.base, HumanSize(w.size),
                          WindowFateName(w.fate));
    if (w.range.has_value()) absl::StrAppend(&s, " ", w.range->ToString());
    s += "\n";
    if (!w.reason.empty()) absl::StrAppend(&s, "  ", w.reason, "\n");
    if (w.trimmed_from.has_value()) {
      absl::StrAppend(&s, "  trimmed from ", w.trimmed_from->ToString(), "\n");
    }
    for (const std::string& o : w.expanded_over) {
      absl::StrAppend(&s, "  expanded over ", o, "\n");
    }
    if (!w.decoder.empty())
      absl::StrAppend(&s, "  root decoder: ", w.decoder, "\n");
    if (w.fate == WindowFate::kReserved) {
      absl::StrAppendFormat(&s, "  %d chunks of 0x%x reserved\n",
                            w.chunks_reserved, w.chunk_size);
      for (const WindowPlan::LeftChunks& c : w.chunks_left) {
        absl::StrAppendFormat(&s, "  left chunks %d-%d %s: %s\n", c.first_chunk,
                              c.last_chunk, c.range.ToString(), c.why);
      }
    }
  }
  return s;
}

}  // namespace cedt
}  // namespace restree
