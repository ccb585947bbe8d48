// The fast path of ParseIomem() (internal/parse_paths.h): a dump in the
// kernel's exact format, tokenised and appended to the tree in one pass with
// no per-line allocation, a large file in parts on several threads. It gives
// up at the first thing it does not handle (any error, a zeroed dump) and
// reports a line deeper than the depth cap, so the caller can retry with the
// larger cap; the general parser (parser.cc) then handles the file and words
// every error.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#include <sys/mman.h>
#endif

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "iomem_parser/internal/file_kind.h"
#include "iomem_parser/internal/parse_paths.h"
#include "iomem_parser/summary.h"
#include "resource_tree/tree_builder.h"

namespace restree {
namespace internal {
namespace {

enum class FastResult { kDone, kGaveUp, kDeeperThanCap };

// The value of a digit the kernel prints ("%llx": 0-9, a-f), else above 15
// (uppercase included: kHex flags it with 16).
inline uint8_t HexValue(char c) {
  return kHex.v[static_cast<unsigned char>(c)];
}

#if defined(__SSE2__)
inline __m128i Load16(const char* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

// The run of lowercase hex digits at `p`, 16 bytes at a time: its length,
// exact up to 16 (17 for any longer run), and in `*v` the value of a run of
// at most 16. Precondition: 17 bytes readable at `p`.
inline size_t LowerHex16(const char* p, uint64_t* v) {
  const __m128i c = Load16(p);
  // x < k as unsigned bytes <=> (x ^ 0x80) < (k ^ 0x80) as signed bytes.
  const __m128i bias = _mm_set1_epi8(static_cast<char>(0x80));
  const __m128i d = _mm_sub_epi8(c, _mm_set1_epi8('0'));
  const __m128i a = _mm_sub_epi8(c, _mm_set1_epi8('a'));
  const __m128i is_d = _mm_cmplt_epi8(_mm_xor_si128(d, bias),
                                      _mm_set1_epi8(static_cast<char>(0x8a)));
  const __m128i is_a = _mm_cmplt_epi8(_mm_xor_si128(a, bias),
                                      _mm_set1_epi8(static_cast<char>(0x86)));
  const unsigned hex =
      static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(is_d, is_a)));
  size_t n = static_cast<size_t>(__builtin_ctz(~hex));  // 16 if all are
  if (n == 16 && HexValue(p[16]) < 16) n = 17;
  // Digit values, then pairs of digits into bytes (the first digit of each
  // pair high), then the 8 bytes as one big-endian number.
  const __m128i val =
      _mm_or_si128(_mm_and_si128(is_d, d),
                   _mm_and_si128(is_a, _mm_add_epi8(a, _mm_set1_epi8(10))));
  const __m128i pairs = _mm_or_si128(
      _mm_slli_epi16(_mm_and_si128(val, _mm_set1_epi16(0x00ff)), 4),
      _mm_srli_epi16(val, 8));
  const uint64_t all = __builtin_bswap64(static_cast<uint64_t>(
      _mm_cvtsi128_si64(_mm_packus_epi16(pairs, _mm_setzero_si128()))));
  *v = n == 0 ? 0 : all >> (4 * (16 - std::min<size_t>(n, 16)));
  return n;
}
#endif

// The run of lowercase hex digits at `p`: its length (exact up to 16, and
// above 16 for any longer run) and in `*v` its value when at most 16 long.
inline size_t LowerHex(const char* p, const char* end, uint64_t* v) {
#if defined(__SSE2__)
  if (end - p >= 17) return LowerHex16(p, v);
#endif
  const char* q = p;
  uint64_t x = 0;
  while (q < end) {
    const uint8_t d = HexValue(*q);
    if (d > 15) break;
    x = (x << 4) | d;
    ++q;
  }
  *v = x;
  return static_cast<size_t>(q - p);
}

// The first '\n' or NUL at or after `p`, or `end`.
inline const char* FindLineEnd(const char* p, const char* end) {
#if defined(__SSE2__)
  const __m128i nl = _mm_set1_epi8('\n');
  const __m128i nul = _mm_setzero_si128();
  for (; end - p >= 16; p += 16) {
    const __m128i c = Load16(p);
    const int m = _mm_movemask_epi8(
        _mm_or_si128(_mm_cmpeq_epi8(c, nl), _mm_cmpeq_epi8(c, nul)));
    if (m != 0) return p + __builtin_ctz(static_cast<unsigned>(m));
  }
#endif
  while (p < end && *p != '\n' && *p != '\0') ++p;
  return p;
}

// The number of '\n' in [p, end). SSE2 has no popcount (and x86-64's
// baseline no POPCNT instruction): each 16-byte block's matches (0xff per
// '\n') are subtracted from byte counters, which are summed with PSADBW
// before any of them can pass 255.
size_t CountLines(const char* p, const char* end) {
  size_t n = 0;
#if defined(__SSE2__)
  const __m128i nl = _mm_set1_epi8('\n');
  while (end - p >= 16) {
    __m128i counts = _mm_setzero_si128();
    for (int k = 0; k < 255 && end - p >= 16; ++k, p += 16) {
      counts = _mm_sub_epi8(counts, _mm_cmpeq_epi8(Load16(p), nl));
    }
    const __m128i sums = _mm_sad_epu8(counts, _mm_setzero_si128());
    n += static_cast<size_t>(_mm_cvtsi128_si64(sums)) +
         static_cast<size_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(sums, sums)));
  }
#endif
  for (; p < end; ++p) n += *p == '\n';
  return n;
}

// True iff a `digits`-digit field starting with `first` is what the kernel
// prints at width `w` ("%0*llx": at least w digits, zero-padded only up to w).
inline bool KernelWidth(size_t digits, char first, size_t w) {
  return digits == w || (digits > w && digits <= 16 && first != '0');
}

// One line in the kernel's format, tokenised but not yet checked against
// the file's width or the tree.
struct KernelLine {
  uint64_t start = 0;
  uint64_t last = 0;
  absl::string_view name;
  size_t spaces = 0;
  size_t start_digits = 0;
  size_t end_digits = 0;
  char start_first = 0;  // the first digit of each address
  char end_first = 0;
};

// Tokenises the line at `p`: "<spaces><hex>-<hex> : <name>\n" with an even
// number of spaces, lowercase hex and a name without NUL or a final CR.
// Returns the start of the next line, or nullptr if the line is not that.
const char* TokeniseKernelLine(const char* p, const char* end, KernelLine* l) {
  const char* const bol = p;
  while (p < end && *p == ' ') ++p;
  l->spaces = static_cast<size_t>(p - bol);
  l->start_first = p < end ? *p : 0;
  l->start_digits = LowerHex(p, end, &l->start);
  p += l->start_digits;
  if (p >= end || *p != '-' || (l->spaces & 1) != 0) return nullptr;
  ++p;
  l->end_first = p < end ? *p : 0;
  l->end_digits = LowerHex(p, end, &l->last);
  p += l->end_digits;
  if (end - p < 3 || p[0] != ' ' || p[1] != ':' || p[2] != ' ') return nullptr;
  p += 3;
  const char* const eol = FindLineEnd(p, end);
  if (eol == end || *eol != '\n') return nullptr;
  l->name = absl::string_view(p, static_cast<size_t>(eol - p));
  if (!l->name.empty() && l->name.back() == '\r') return nullptr;
  return eol + 1;
}

// Drops the whole pages of a file mapping in [from, to) from this process
// (they stay in the page cache and read back if touched again).
void DropMappedPages(const char* from, const char* to) {
  constexpr uintptr_t kPage = 4096;
  const uintptr_t begin =
      (reinterpret_cast<uintptr_t>(from) + kPage - 1) & ~(kPage - 1);
  const uintptr_t end = reinterpret_cast<uintptr_t>(to) & ~(kPage - 1);
  if (end > begin) {
    madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
  }
}

// The placement checks of TreeBuilder::Part::Append() on the path of
// ranges alone: FillPart's other kind of part, for checking a dump without
// building its tree (O(depth) memory).
class PlacementCheck {
 public:
  // `lines`, when given, is shown every accepted line as part `part`.
  PlacementCheck(const Range& root, KernelExactLines* lines, size_t part)
      : path_{root}, lines_(lines), part_(part) {}

  size_t height() const { return height_; }
  const Range& RangeAt(size_t level) const { return path_[level]; }
  TreeBuilder::Problem Append(size_t level, const Range& r,
                              absl::string_view name) {
    const TreeBuilder::Problem p = TreeBuilder::CheckPlacement(
        path_[level], level + 1 < height_ ? &path_[level + 1] : nullptr, r);
    if (p != TreeBuilder::Problem::kNone) return p;
    if (lines_ != nullptr) lines_->Line(part_, level, r, name);
    if (!any_) first_top_ = r;
    any_ = true;
    if (level + 1 == path_.size()) path_.emplace_back();
    path_[level + 1] = r;
    height_ = level + 2;
    return p;
  }
  // Whether anything was appended; the first node (a top-level one) and
  // the last top-level one.
  bool any() const { return any_; }
  const Range& first_top() const { return first_top_; }
  const Range& last_top() const { return path_[1]; }

 private:
  std::vector<Range> path_;
  size_t height_ = 1;
  bool any_ = false;
  Range first_top_ = Range::Full();
  KernelExactLines* lines_;
  size_t part_;
};

// A TreeBuilder::Part that also counts what it takes into a summary.
class CountedPart {
 public:
  CountedPart(TreeBuilder::Part* part, SummaryCounter* counter)
      : part_(part), counter_(counter) {}
  size_t height() const { return part_->height(); }
  const Range& RangeAt(size_t level) const { return part_->RangeAt(level); }
  TreeBuilder::Problem Append(size_t level, const Range& r,
                              absl::string_view name) {
    const TreeBuilder::Problem p = part_->Append(level, r, name);
    if (p == TreeBuilder::Problem::kNone) counter_->Add(level, r, name);
    return p;
  }

 private:
  TreeBuilder::Part* part_;
  SummaryCounter* counter_;
};

// Appends the lines of `chunk` (whole lines, the first at depth 0) to
// `part`: a TreeBuilder::Part, a CountedPart, or a PlacementCheck.
template <typename PartT>
FastResult FillPart(absl::string_view chunk, size_t width, size_t cap,
                    bool drop_read_pages, PartT* part) {
  const char* p = chunk.data();
  const char* const end = p + chunk.size();
  // With a file mapping, the pages read so far are dropped every 2 MiB.
  constexpr size_t kDropEvery = size_t{2} << 20;
  const char* dropped_to = p;
  KernelLine l;
  while (p < end) {
    if (drop_read_pages && static_cast<size_t>(p - dropped_to) >= kDropEvery) {
      DropMappedPages(dropped_to, p);
      dropped_to = p;
    }
    p = TokeniseKernelLine(p, end, &l);
    if (p == nullptr) return FastResult::kGaveUp;
    if (!KernelWidth(l.start_digits, l.start_first, width) ||
        !KernelWidth(l.end_digits, l.end_first, width)) {
      return FastResult::kGaveUp;
    }
    const size_t depth = l.spaces / 2;
    if (depth > cap) return FastResult::kDeeperThanCap;
    const size_t height = part->height();
    if (depth >= height || l.start > l.last) return FastResult::kGaveUp;
    const Range r(l.start, l.last);
    // Below the cap the indentation is the depth; at the cap the kernel
    // prints every deeper level too, and containment decides.
    size_t level = depth;
    if (depth == cap) {
      level = height - 1;
      while (level > cap && !part->RangeAt(level).Contains(r)) --level;
    }
    if (part->Append(level, r, l.name) != TreeBuilder::Problem::kNone) {
      return FastResult::kGaveUp;
    }
  }
  return FastResult::kDone;
}

// `text` cut into at most `fast`'s number of parts of roughly equal size,
// each beginning at a line without indentation.
std::vector<absl::string_view> CutIntoParts(absl::string_view text,
                                            const FastPathOptions& fast) {
  size_t parts =
      fast.max_parts > 0
          ? static_cast<size_t>(fast.max_parts)
          : std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 4);
  parts = std::min(
      parts, std::max<size_t>(
                 1, text.size() / std::max<size_t>(1, fast.min_part_bytes)));
  std::vector<absl::string_view> out;
  size_t begin = 0;
  for (size_t k = 1; k < parts; ++k) {
    size_t cut = std::max(begin + 1, text.size() / parts * k);
    // The start of the first top-level line at or after `cut`.
    while (cut < text.size()) {
      const size_t nl = text.find('\n', cut - 1);
      if (nl == absl::string_view::npos) {
        cut = text.size();
        break;
      }
      cut = nl + 1;
      if (cut < text.size() && text[cut] != ' ') break;
      ++cut;  // an indented line: look past it
    }
    if (cut >= text.size()) break;
    out.push_back(text.substr(begin, cut - begin));
    begin = cut;
  }
  out.push_back(text.substr(begin));
  return out;
}

// A kernel line is at least 8 + 1 + 8 + 3 + 1 bytes (4 + 1 + 4 + 3 + 1 for
// ioports): a bound on the number of nodes.
size_t MaxNodes(absl::string_view text, size_t width) {
  return text.size() / (width == 8 ? 21 : 13) + 1;
}

// The first line fixes the width and the root; a first line at 0-0 may
// start a zeroed dump, which the general parser handles. Returns the
// width, or nothing when the fast path gives up on `text` outright.
std::optional<size_t> KernelFormatWidth(absl::string_view text,
                                        const IomemParseOptions& opt) {
  const char* const end = text.data() + text.size();
  KernelLine first;
  if (text.empty() || TokeniseKernelLine(text.data(), end, &first) == nullptr ||
      (first.start == 0 && first.last == 0)) {
    return std::nullopt;
  }
  const size_t width = static_cast<size_t>(
      FileWidth(opt.root, static_cast<int>(first.start_digits)));
  // Names are copied, each part's into the stretch of the tree's name text
  // where its chunk lies in `text` (a chunk's names are shorter than it).
  if (MaxNodes(text, width) > (size_t{1} << 31) ||
      text.size() > TreeBuilder::kMaxNameBytes) {
    return std::nullopt;
  }
  return width;
}

// fill(k) for every part k: parts 1.. on threads of their own when `fast`
// allows threads, all on the calling thread otherwise.
void FillParts(size_t parts, const FastPathOptions& fast,
               absl::FunctionRef<void(size_t)> fill) {
  std::vector<std::thread> threads;
  if (fast.threads) {
    for (size_t k = 1; k < parts; ++k) threads.emplace_back(fill, k);
  }
  fill(0);
  for (std::thread& t : threads) t.join();
  if (!fast.threads) {
    for (size_t k = 1; k < parts; ++k) fill(k);
  }
}

FastResult ParseKernelFormat(absl::string_view text,
                             const IomemParseOptions& opt,
                             const FastPathOptions& fast, int cap,
                             ParsedIomem* out) {
  const std::optional<size_t> file_width = KernelFormatWidth(text, opt);
  if (!file_width.has_value()) return FastResult::kGaveUp;
  const size_t width = *file_width;
  const size_t max_nodes = MaxNodes(text, width);

  TreeBuilder builder(RootFor(static_cast<int>(width), opt.root),
                      ProfileForCap(cap));
  const std::vector<absl::string_view> chunks = CutIntoParts(text, fast);
  std::vector<TreeBuilder::Part> parts =
      builder.Split(chunks.size(), max_nodes, text.size());
  std::vector<FastResult> results(chunks.size(), FastResult::kGaveUp);
  // One summary counter per part: each part starts at a top-level line, so
  // its counts need nothing of the parts before it. Each counter is a cache
  // line apart from its neighbours (they are written from different
  // threads), in a vector on the heap (over-aligned objects are kept off
  // the stack).
  struct alignas(64) PartCounter {
    SummaryCounter counter{SummaryDetail::kCounts};
  };
  std::vector<PartCounter> counters(opt.summarize ? chunks.size() : 0);
  // Part k begins after the lines of the chunks before it, which its own
  // thread counts (at memory speed) while the earlier parts are filled.
  auto fill = [&](size_t k) {
    size_t before = 0;
    for (size_t j = 0; j < k; ++j) {
      before +=
          CountLines(chunks[j].data(), chunks[j].data() + chunks[j].size());
    }
    parts[k].Begin(before, static_cast<size_t>(chunks[k].data() - text.data()),
                   chunks[k].size());
    if (opt.summarize) {
      CountedPart counted(&parts[k], &counters[k].counter);
      results[k] = FillPart(chunks[k], width, static_cast<size_t>(cap),
                            opt.text_is_file_mapping, &counted);
    } else {
      results[k] = FillPart(chunks[k], width, static_cast<size_t>(cap),
                            opt.text_is_file_mapping, &parts[k]);
    }
  };
  FillParts(chunks.size(), fast, fill);
  // What a one-pass parse would have met first decides.
  for (FastResult r : results) {
    if (r != FastResult::kDone) return r;
  }
  // Every line is a node: node k (in pre-order) is line k.
  size_t n = 0;
  for (const TreeBuilder::Part& p : parts) n += p.size();
  out->node_lines = IomemNodeLines::OnePerLine(n);
  absl::StatusOr<ResourceTree> tree = std::move(builder).Join(std::move(parts));
  if (!tree.ok()) return FastResult::kGaveUp;
  out->tree = *std::move(tree);
  if (opt.summarize) {
    out->summary = std::move(counters[0].counter).summary();
    for (size_t k = 1; k < counters.size(); ++k) {
      AppendSummary(*out->summary, counters[k].counter.summary());
    }
  }
  out->zeroed = false;
  out->width = static_cast<int>(width);
  out->max_depth = cap;
  return FastResult::kDone;
}

// ParseKernelFormat without the tree: the same lines, cut the same way,
// with the same checks, each part on the path of its ranges.
FastResult CheckKernelFormat(absl::string_view text,
                             const IomemParseOptions& opt,
                             const FastPathOptions& fast, int cap,
                             KernelExactLines* lines) {
  const std::optional<size_t> file_width = KernelFormatWidth(text, opt);
  if (!file_width.has_value()) return FastResult::kGaveUp;
  const size_t width = *file_width;
  const ResourceSpec root = RootFor(static_cast<int>(width), opt.root);
  const std::vector<absl::string_view> chunks = CutIntoParts(text, fast);
  if (lines != nullptr) lines->Begin(root.range, root.name, chunks.size());
  std::vector<PlacementCheck> parts;
  parts.reserve(chunks.size());
  for (size_t k = 0; k < chunks.size(); ++k) {
    parts.emplace_back(root.range, lines, k);
  }
  std::vector<FastResult> results(chunks.size(), FastResult::kGaveUp);
  auto fill = [&](size_t k) {
    results[k] = FillPart(chunks[k], width, static_cast<size_t>(cap),
                          /*drop_read_pages=*/false, &parts[k]);
  };
  FillParts(chunks.size(), fast, fill);
  for (FastResult r : results) {
    if (r != FastResult::kDone) return r;
  }
  // TreeBuilder::Join's seam rule: each part's first node after the last
  // top-level node of the part before.
  const PlacementCheck* prev = nullptr;
  for (const PlacementCheck& p : parts) {
    if (!p.any()) continue;
    if (prev != nullptr && prev->last_top().last() >= p.first_top().first()) {
      return FastResult::kGaveUp;
    }
    prev = &p;
  }
  return FastResult::kDone;
}

}  // namespace

bool IsKernelExactDump(absl::string_view text, const IomemParseOptions& options,
                       const FastPathOptions& fast, KernelExactLines* lines) {
  if (options.lenient) return false;
  for (int cap : {options.max_depth == 0 ? 5 : options.max_depth, 8}) {
    const FastResult r = CheckKernelFormat(text, options, fast, cap, lines);
    if (r == FastResult::kDone) return true;
    if (r == FastResult::kGaveUp || options.max_depth != 0) break;
  }
  return false;
}

std::optional<ParsedIomem> ParseIomemFast(absl::string_view text,
                                          const IomemParseOptions& options,
                                          const FastPathOptions& fast) {
  // Problem-collecting mode reads a file the fast path takes exactly as
  // strict mode does (a problem is a strict-mode error, where the fast path
  // gives up), so it finds no problems.
  if (options.lenient) return std::nullopt;
  // A file from a kernel with MAX_IORES_LEVEL 8 shows itself by a line
  // deeper than 5; the first try then restarts with the larger cap.
  for (int cap : {options.max_depth == 0 ? 5 : options.max_depth, 8}) {
    ParsedIomem out;
    const FastResult r = ParseKernelFormat(text, options, fast, cap, &out);
    if (r == FastResult::kDone) return out;
    if (r == FastResult::kGaveUp || options.max_depth != 0) break;
  }
  return std::nullopt;
}

}  // namespace internal
}  // namespace restree
