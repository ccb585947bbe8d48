#include "tests/parse_fingerprint.h"

#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "iomem_parser/summary.h"
#include "resource_tree/render.h"

namespace restree {
namespace test_support {

std::string ParseFingerprint(const ParsedIomem& p) {
  std::string out = RenderDump(p.tree);
  absl::StrAppendFormat(&out, "profile=%s zeroed=%d width=%d max_depth=%d\n",
                        p.tree.profile().name, p.zeroed, p.width, p.max_depth);
  for (size_t i = 0; i < p.node_lines.size(); ++i) {
    absl::StrAppendFormat(&out, "node %d line %d\n",
                          p.node_lines.node(i).value(), p.node_lines.line(i));
  }
  if (p.summary.has_value()) {
    const IomemSummary& s = *p.summary;
    std::ostringstream line;
    line << "summary ram=" << s.system_ram;
    for (const IomemSummary::Total* t :
         {&s.cxl_window_total, &s.region_total, &s.dax_total, &s.kmem_total}) {
      line << " " << t->count << "/" << t->bytes;
    }
    line << " lists="
         << s.cxl_windows.size() + s.regions.size() + s.dax.size() +
                s.kmem.size()
         << "\n";
    out += line.str();
  }
  for (const IomemRepair& r : p.repairs) {
    absl::StrAppendFormat(&out, "repair %d:%d %s\n", r.line, r.column, r.what);
  }
  for (const IomemStructureProblem& s : p.structure_problems) {
    absl::StrAppendFormat(&out, "problem %d/%d %s\n", s.line, s.other_line,
                          s.message);
  }
  return out;
}

}  // namespace test_support
}  // namespace restree
