#include "appliance/report.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/json_writer.h"
#include "hotplug/events.h"
#include "hotplug/format.h"
#include "hotplug/tiers.h"
#include "map/text.h"

namespace restree {
namespace appliance {
namespace {

std::string ErrName(int e) {
  const absl::string_view n = hotplug::ErrnoNameOf(e);
  return n.empty() ? absl::StrCat("E", e) : std::string(n);
}

std::string Intervals(const std::vector<Interval>& v) {
  if (v.empty()) return "-";
  std::vector<std::string> parts;
  for (const Interval& i : v) {
    parts.push_back(i.first == i.last ? absl::StrCat(i.first)
                                      : absl::StrCat(i.first, "-", i.last));
  }
  if (parts.size() > 6) {
    const size_t more = parts.size() - 5;
    parts.resize(5);
    parts.push_back(absl::StrCat("+", more, " more"));
  }
  return absl::StrJoin(parts, ",");
}

uint64_t OomTicks(const HostStats& s) {
  uint64_t n = 0;
  for (const Interval& i : s.oom) n += i.last - i.first + 1;
  return n;
}

std::string Mean(uint64_t sum, uint64_t n) {
  if (n == 0) return "-";
  return absl::StrFormat("%.1f", static_cast<double>(sum) / n);
}

std::string Table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> w;
  for (const auto& r : rows) {
    if (w.size() < r.size()) w.resize(r.size(), 0);
    for (size_t i = 0; i < r.size(); ++i) w[i] = std::max(w[i], r[i].size());
  }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      if (i == 0) {
        absl::StrAppend(&line, r[i], std::string(w[i] - r[i].size(), ' '));
      } else {
        absl::StrAppend(&line, "  ", std::string(w[i] - r[i].size(), ' '),
                        r[i]);
      }
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

}  // namespace

std::string RenderLog(const Pool& pool) {
  std::string out;
  for (const LogEntry& e : pool.log()) {
    absl::StrAppend(&out, "t=", e.tick, " ",
                    e.host.empty() ? "appliance" : e.host, ": ",
                    LogKindName(e.kind), ": ", e.text);
    if (e.errno_value != 0)
      absl::StrAppend(&out, " (", ErrName(e.errno_value), ")");
    out += "\n";
  }
  return out;
}

std::string RenderSummary(const Pool& pool) {
  const ApplianceSpec& a = pool.scenario().appliance;
  const bool pooled = a.mode == Mode::kPooled;
  std::string out = absl::StrCat(
      "appliance: ", ModeName(a.mode), ", capacity ",
      hotplug::FormatSize(a.capacity), " in ", a.capacity / a.chunk,
      " chunks of ", hotplug::FormatSize(a.chunk),
      pooled ? absl::StrCat(", realize=", RealizeName(a.realize))
             : absl::StrCat(", tracking=", a.tracking == Tracking::kAppliance
                                               ? "appliance"
                                               : "hosts"),
      ", ", a.profile, "; ", pool.tick(), " ticks; free at the end ",
      hotplug::FormatSize(pool.free_bytes()), "; capacity warnings ",
      pool.appliance_warnings(), "\n");
  std::vector<std::vector<std::string>> rows;
  if (pooled) {
    rows.push_back({"host", "local", "granted", "peak", "usable", "demand",
                    "grants", "failed", "revokes", "failed", "warnings",
                    "events", "latency-ev", "latency-ticks", "oom-ticks",
                    "near-oom"});
  } else {
    rows.push_back({"host", "local", "allocated", "peak", "usable", "demand",
                    "allocs", "failed", "frees", "messages", "msg/req",
                    "warnings", "oom-ticks", "near-oom"});
  }
  for (size_t h = 0; h < pool.host_count(); ++h) {
    const HostStats& s = pool.stats(h);
    const uint64_t usable = pool.samples(h).back().usable;
    if (pooled) {
      rows.push_back(
          {pool.host_name(h), hotplug::FormatSize(s.local),
           hotplug::FormatSize(s.granted), hotplug::FormatSize(s.peak_granted),
           hotplug::FormatSize(usable), hotplug::FormatSize(s.demand),
           absl::StrCat(s.grants_done), absl::StrCat(s.grants_failed),
           s.revokes_partial == 0
               ? absl::StrCat(s.revokes_done)
               : absl::StrCat(s.revokes_done, " (", s.revokes_partial,
                              " partial)"),
           absl::StrCat(s.revokes_failed), absl::StrCat(s.warnings),
           absl::StrCat(s.hotplug_events),
           absl::StrCat(Mean(s.latency_events_sum, s.grants_done), "/",
                        s.latency_events_max),
           absl::StrCat(Mean(s.latency_ticks_sum, s.grants_done), "/",
                        s.latency_ticks_max),
           absl::StrCat(OomTicks(s)), Intervals(s.oom)});
    } else {
      const uint64_t requests = s.allocs + s.frees + s.allocs_failed;
      rows.push_back(
          {pool.host_name(h), hotplug::FormatSize(s.local),
           hotplug::FormatSize(s.granted), hotplug::FormatSize(s.peak_granted),
           hotplug::FormatSize(usable), hotplug::FormatSize(s.demand),
           absl::StrCat(s.allocs), absl::StrCat(s.allocs_failed),
           absl::StrCat(s.frees), absl::StrCat(s.messages),
           Mean(s.messages, requests), absl::StrCat(s.warnings),
           absl::StrCat(OomTicks(s)), Intervals(s.oom)});
    }
  }
  return out + Table(rows);
}

std::string RenderTiers(const Pool& pool, size_t h) {
  hotplug::TierWatcher tiers("", "");
  absl::StatusOr<std::string> t = tiers.After(pool.machine(h));
  if (!t.ok()) return absl::StrCat("  error: ", t.status().message(), "\n");
  return *std::move(t);
}

std::string RenderTrees(const Pool& pool) {
  std::string out;
  for (size_t h = 0; h < pool.host_count(); ++h) {
    absl::StrAppend(&out, "# host ", pool.host_name(h), ": /proc/iomem\n",
                    pool.machine(h).Render(), "# host ", pool.host_name(h),
                    ": NUMA nodes and memory tiers\n", RenderTiers(pool, h));
  }
  return out;
}

std::string RenderJson(const Pool& pool, absl::string_view scenario_name) {
  const ApplianceSpec& a = pool.scenario().appliance;
  JsonWriter w;
  w.BeginObject();
  w.Key("schema").String("restree.pool/1");
  w.Key("scenario").String(scenario_name);
  w.Key("appliance").BeginObject();
  w.Key("mode").String(ModeName(a.mode));
  w.Key("capacity").Uint(a.capacity);
  w.Key("chunk").Uint(a.chunk);
  if (a.mode == Mode::kPooled) {
    w.Key("realize").String(RealizeName(a.realize));
  } else {
    w.Key("tracking")
        .String(a.tracking == Tracking::kAppliance ? "appliance" : "hosts");
  }
  w.Key("profile").String(a.profile);
  w.Key("ticks").Uint(pool.tick());
  w.Key("free").Uint(pool.free_bytes());
  w.Key("warnings").Uint(pool.appliance_warnings());
  w.EndObject();
  w.Key("hosts").BeginArray();
  for (size_t h = 0; h < pool.host_count(); ++h) {
    const HostStats& s = pool.stats(h);
    w.BeginObject();
    w.Key("name").String(pool.host_name(h));
    w.Key("local").Uint(s.local);
    w.Key("granted").Uint(s.granted);
    w.Key("peak_granted").Uint(s.peak_granted);
    w.Key("usable").Uint(pool.samples(h).back().usable);
    w.Key("demand").Uint(s.demand);
    w.Key("grants").Uint(s.grants_done);
    w.Key("grants_failed").Uint(s.grants_failed);
    w.Key("revokes").Uint(s.revokes_done);
    w.Key("revokes_failed").Uint(s.revokes_failed);
    w.Key("revokes_partial").Uint(s.revokes_partial);
    w.Key("warnings").Uint(s.warnings);
    w.Key("hotplug_events").Uint(s.hotplug_events);
    w.Key("latency_events_sum").Uint(s.latency_events_sum);
    w.Key("latency_events_max").Uint(s.latency_events_max);
    w.Key("latency_ticks_sum").Uint(s.latency_ticks_sum);
    w.Key("latency_ticks_max").Uint(s.latency_ticks_max);
    w.Key("allocs").Uint(s.allocs);
    w.Key("allocs_failed").Uint(s.allocs_failed);
    w.Key("frees").Uint(s.frees);
    w.Key("messages").Uint(s.messages);
    w.Key("near_oom").BeginArray();
    for (const Interval& i : s.oom) {
      w.BeginObject().Key("first").Uint(i.first).Key("last").Uint(i.last);
      w.EndObject();
    }
    w.EndArray();
    w.Key("samples").BeginArray();
    for (const Sample& p : pool.samples(h)) {
      w.BeginObject();
      w.Key("tick").Uint(p.tick);
      w.Key("usable").Uint(p.usable);
      w.Key("demand").Uint(p.demand);
      w.Key("granted").Uint(p.granted);
      w.EndObject();
    }
    w.EndArray();
    w.Key("iomem").String(pool.machine(h).Render());
    w.Key("tiers").String(RenderTiers(pool, h));
    w.EndObject();
  }
  w.EndArray();
  w.Key("log").BeginArray();
  for (const LogEntry& e : pool.log()) {
    w.BeginObject();
    w.Key("tick").Uint(e.tick);
    w.Key("host").String(e.host);
    w.Key("kind").String(LogKindName(e.kind));
    if (e.errno_value != 0) w.Key("errno").String(ErrName(e.errno_value));
    w.Key("text").String(e.text);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::move(w).Finish();
}

std::string RenderPlot(const Pool& pool, absl::string_view title) {
  constexpr size_t kMaxPanels = 32;
  constexpr double kW = 900, kPanelH = 150, kLeft = 70, kRight = 20, kTop = 50,
                   kGap = 40;
  const size_t panels = std::min(pool.host_count(), kMaxPanels);
  const double height = kTop + panels * (kPanelH + kGap) + 20;
  const double end = std::max<double>(1, static_cast<double>(pool.tick()));
  const double plot_w = kW - kLeft - kRight;
  auto x_of = [&](double t) { return kLeft + plot_w * t / end; };
  std::string out = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
      "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" "
      "font-size=\"11\">\n<rect width=\"100%%\" height=\"100%%\" "
      "fill=\"white\"/>\n<text x=\"%.0f\" y=\"20\" font-size=\"14\">%s</text>\n"
      "<text x=\"%.0f\" y=\"38\"><tspan fill=\"#1f77b4\">&#9472; usable"
      "</tspan>  <tspan fill=\"#ff7f0e\">- - demand</tspan>  <tspan "
      "fill=\"#2ca02c\">&#183;&#183; granted</tspan>  <tspan "
      "fill=\"#d62728\">&#9632; near-OOM  &#215; failure</tspan>  <tspan "
      "fill=\"#e6a100\">&#9650; warning</tspan></text>\n",
      kW, height, kW, height, kLeft, map::XmlEscape(title), kLeft);
  // Log marks per host name.
  for (size_t h = 0; h < panels; ++h) {
    const std::vector<Sample>& samples = pool.samples(h);
    uint64_t ymax = 1;
    for (const Sample& s : samples) {
      ymax = std::max({ymax, s.usable, s.demand, s.granted});
    }
    const double top = kTop + h * (kPanelH + kGap) + 14;
    const double bottom = top + kPanelH;
    auto y_of = [&](double v) {
      return bottom - kPanelH * v / static_cast<double>(ymax) * 0.92;
    };
    absl::StrAppendFormat(
        &out,
        "<g>\n<text x=\"%.0f\" y=\"%.1f\" font-weight=\"bold\">%s</text>\n"
        "<rect x=\"%.0f\" y=\"%.1f\" width=\"%.0f\" height=\"%.0f\" "
        "fill=\"none\" stroke=\"#999\"/>\n"
        "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n"
        "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">0</text>\n"
        "<text x=\"%.0f\" y=\"%.1f\">t=0</text>\n"
        "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">t=%u</text>\n",
        kLeft, top - 4, map::XmlEscape(pool.host_name(h)), kLeft, top, plot_w,
        kPanelH, kLeft - 4, y_of(static_cast<double>(ymax)) + 4,
        hotplug::FormatSize(ymax), kLeft - 4, bottom, kLeft, bottom + 14,
        kW - kRight, bottom + 14, pool.tick());
    for (const Interval& i : pool.stats(h).oom) {
      absl::StrAppendFormat(
          &out,
          "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.0f\" "
          "fill=\"#d62728\" fill-opacity=\"0.2\"><title>near-OOM t=%u-%u"
          "</title></rect>\n",
          x_of(i.first), top, std::max(1.0, x_of(i.last + 1) - x_of(i.first)),
          kPanelH, i.first, i.last);
    }
    auto step_line = [&](auto value, absl::string_view color,
                         absl::string_view dash) {
      std::string pts;
      double prev_y = 0;
      for (size_t i = 0; i < samples.size(); ++i) {
        const double x = x_of(static_cast<double>(samples[i].tick));
        const double y = y_of(static_cast<double>(value(samples[i])));
        if (i > 0) absl::StrAppendFormat(&pts, "%.1f,%.1f ", x, prev_y);
        absl::StrAppendFormat(&pts, "%.1f,%.1f ", x, y);
        prev_y = y;
      }
      absl::StrAppendFormat(&pts, "%.1f,%.1f", x_of(end), prev_y);
      absl::StrAppendFormat(&out,
                            "<polyline fill=\"none\" stroke=\"%s\" "
                            "stroke-width=\"1.5\"%s points=\"%s\"/>\n",
                            color, dash, pts);
    };
    step_line([](const Sample& s) { return s.granted; }, "#2ca02c",
              " stroke-dasharray=\"1,2\"");
    step_line([](const Sample& s) { return s.demand; }, "#ff7f0e",
              " stroke-dasharray=\"5,3\"");
    step_line([](const Sample& s) { return s.usable; }, "#1f77b4", "");
    for (const LogEntry& e : pool.log()) {
      if (e.host != pool.host_name(h)) continue;
      const double x = x_of(static_cast<double>(e.tick));
      if (e.kind == LogEntry::Kind::kWarning) {
        absl::StrAppendFormat(
            &out,
            "<path d=\"M%.1f %.1f l-4 8 h8 z\" fill=\"#e6a100\"><title>t=%u "
            "%s</title></path>\n",
            x, top + 2, e.tick, map::XmlEscape(e.text));
      } else if (e.kind == LogEntry::Kind::kFailed) {
        absl::StrAppendFormat(
            &out,
            "<path d=\"M%.1f %.1f l8 8 m0 -8 l-8 8\" stroke=\"#d62728\" "
            "stroke-width=\"2\"><title>t=%u %s</title></path>\n",
            x - 4, bottom - 12, e.tick, map::XmlEscape(e.text));
      }
    }
    out += "</g>\n";
  }
  if (pool.host_count() > panels) {
    absl::StrAppendFormat(&out,
                          "<text x=\"%.0f\" y=\"%.0f\">(%u more hosts not "
                          "drawn)</text>\n",
                          kLeft, height - 6, pool.host_count() - panels);
  }
  out += "</svg>\n";
  return out;
}

}  // namespace appliance
}  // namespace restree
