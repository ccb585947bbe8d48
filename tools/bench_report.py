#!/usr/bin/env python3
"""bench_report.py: the performance report from tools/bench.sh's results.

    tools/bench_report.py DIR
    tools/bench_report.py --machine FILE --mode quick|full

With DIR (what tools/bench.sh wrote: Google Benchmark JSON per binary,
hyperfine JSON per end-to-end group, e2e_rss.tsv, params.json and
machine.json), it

  * rewrites every generated block of docs/performance.md, the text between
    `<!-- bench:NAME -->` and `<!-- /bench -->`, and the inline value
    `<!-- bench:bytes_per_node -->...<!-- /bench -->` of docs/design.md
    (a marker with no generator, or a generator with no marker, is an
    error, so the document and this script stay in step);
  * writes the plots docs/images/bench-*.svg with gnuplot (log-log time
    per iteration against n for ResourceTree and its references; bars of
    each end-to-end command against its references).

Ratios (e.g. "show --raw 4.2x cat") are computed here, from commands that
ran side by side in one hyperfine run or benchmarks of one binary run.
Micro-benchmark times are CPU time per iteration, except for benchmarks
that use wall time (their name ends in /real_time: the parse on several
threads, the pool); with repetitions they are medians.

With --machine it writes the machine's facts (CPU, cores, caches, OS,
compiler, tool versions, commit, load average) as JSON; bench.sh calls it
at the start and the end of a run. Standard library only, plus gnuplot.
"""

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PERF_DOC = os.path.join(REPO, "docs", "performance.md")
DESIGN_DOC = os.path.join(REPO, "docs", "design.md")
IMAGES = os.path.join(REPO, "docs", "images")

# Short names of the end-to-end references, for ratios.
SHORT = {"cat": "cat", "wc -l": "wc -l", "jc --proc-iomem": "jc", "diff (GNU)": "GNU diff"}

UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
SIZES = (1000, 10000, 100000, 1000000)


# ---------------------------------------------------------------------------
# Machine facts.


def _run(cmd):
    try:
        return subprocess.run(
            cmd, capture_output=True, text=True, check=False, cwd=REPO
        ).stdout.strip()
    except OSError:
        return ""


def _first_line(text):
    return text.splitlines()[0] if text else ""


def _cpuinfo(key):
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.split(":")[0].strip() == key:
                return line.split(":", 1)[1].strip()
    return ""


def _caches():
    caches = []
    base = "/sys/devices/system/cpu/cpu0/cache"
    if not os.path.isdir(base):
        return ""
    for index in sorted(os.listdir(base)):
        d = os.path.join(base, index)
        try:
            level = open(os.path.join(d, "level")).read().strip()
            kind = open(os.path.join(d, "type")).read().strip()
            size = open(os.path.join(d, "size")).read().strip()
        except OSError:
            continue
        name = "L%s%s" % (level, {"Data": "d", "Instruction": "i"}.get(kind, ""))
        caches.append("%s %s" % (name, size))
    return ", ".join(caches)


def machine_facts(mode):
    os_name = ""
    if os.path.exists("/etc/os-release"):
        for line in open("/etc/os-release"):
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip().strip('"')
    debian = ""
    if os.path.exists("/etc/debian_version"):
        debian = open("/etc/debian_version").read().strip()
    mem_kb = 0
    for line in open("/proc/meminfo"):
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    cc = os.environ.get("CC", "gcc")
    # Changes to the files this script writes do not make the run's code dirty.
    dirty = _run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".",
                  ":!docs/performance.md", ":!docs/design.md", ":!docs/images"])
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime(
            "%Y-%m-%d %H:%M UTC"
        ),
        "mode": mode,
        "cpu": _cpuinfo("model name"),
        "mhz": _cpuinfo("cpu MHz"),
        "cores": os.cpu_count(),
        "caches": _caches(),
        "memory_gib": round(mem_kb / 1048576, 1),
        "os": os_name,
        "debian_version": debian,
        "kernel": platform.release(),
        "compiler": _first_line(_run([cc, "--version"])),
        "benchmark_lib": _run(["dpkg-query", "-W", "-f", "${Version}", "libbenchmark-dev"]),
        "hyperfine": _first_line(_run(["hyperfine", "--version"])),
        "jc": _first_line(_run(["jc", "--version"])).replace("jc version:", "").strip(),
        "commit": _run(["git", "rev-parse", "--short", "HEAD"]),
        "dirty": bool(dirty),
        "loadavg": open("/proc/loadavg").read().split()[:3],
    }


# ---------------------------------------------------------------------------
# Reading results.


def _norm(name):
    """BM_X/1000/iterations:2/real_time_median -> BM_X/1000."""
    name = re.sub(r"_(median|mean|stddev|cv)$", "", name)
    name = re.sub(r"/iterations:\d+", "", name)
    return name.replace("/real_time", "")


class Bench:
    """One Google Benchmark JSON file: runs by normalised name."""

    def __init__(self, path):
        self.path = path
        self.runs = {}
        self.present = os.path.exists(path)
        if not self.present:
            return
        with open(path) as f:
            data = json.load(f)
        self.context = data.get("context", {})
        for b in data.get("benchmarks", []):
            if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
                continue
            key = _norm(b.get("run_name", b["name"]))
            b["_real"] = "/real_time" in b["name"]
            self.runs[key] = b

    def get(self, name):
        return self.runs.get(name)

    def seconds(self, name):
        """Time per iteration: CPU time, or wall time for /real_time runs."""
        b = self.runs.get(name)
        if b is None:
            return None
        t = b["real_time"] if b["_real"] else b["cpu_time"]
        return t * UNIT_SECONDS[b["time_unit"]]

    def counter(self, name, key):
        b = self.runs.get(name)
        return None if b is None else b.get(key)


def load_e2e(out):
    groups = {}
    for group in ("read", "json", "diff", "apply"):
        path = os.path.join(out, "e2e_%s.json" % group)
        if not os.path.exists(path):
            continue
        with open(path) as f:
            groups[group] = {r["command"]: r for r in json.load(f)["results"]}
    rss = {}
    path = os.path.join(out, "e2e_rss.tsv")
    if os.path.exists(path):
        with open(path) as f:
            header = f.readline().rstrip("\n").split("\t")
            for line in f:
                row = dict(zip(header, line.rstrip("\n").split("\t")))
                rss[(row["group"], row["name"])] = row
    return groups, rss


# ---------------------------------------------------------------------------
# Formatting.


def fmt_time(s):
    if s is None:
        return "—"
    if s == 0:
        return "0"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if s >= scale or unit == "ns":
            v = s / scale
            if v >= 100:
                return "%.0f %s" % (v, unit)
            if v >= 10:
                return "%.1f %s" % (v, unit)
            return "%.2f %s" % (v, unit)
    return "—"


def fmt_ratio(r):
    if r is None:
        return "—"
    if r >= 100:
        return "{:,.0f}×".format(r)
    if r >= 10:
        return "%.0f×" % r
    if r >= 1:
        return "%.1f×" % r
    return "%.2f×" % r


def fmt_rate(r):
    if r is None:
        return "—"
    if r >= 1e6:
        return "%.2fM" % (r / 1e6)
    if r >= 1e3:
        return "%.0fk" % (r / 1e3)
    return "%.0f" % r


def fmt_bytes(n):
    n = float(n)
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return "%.1f %s" % (n / scale, unit)
    return "%d B" % n


def fmt_n(n):
    n = int(n)
    if n >= 1000 and str(n).rstrip("0") == "1":
        return "10^%d" % (len(str(n)) - 1)
    return "{:,}".format(n)


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


# ---------------------------------------------------------------------------
# The report's blocks.

# The generated blocks, by marker name: Report.block_NAME writes each.
BLOCKS = ("run", "machine", "targets", "e2e", "apply", "tree", "memory",
          "bytes_per_node", "parse", "redesign", "rollback", "hotplug", "pool",
          "cfmws")

# resource_tree_benchmark: BM_<op>_Tree and BM_<op>_Model at n = 10^3..10^6.
TREE_OPS = (
    ("RequestRelease", "request_resource + release_resource", "request + release"),
    ("InsertRemove", "insert_resource (adopting 4) + remove_resource", "insert + remove"),
    ("Adjust", "adjust_resource grow + shrink", "adjust grow + shrink"),
    ("AllocateRelease", "allocate_resource (4 KiB above a random sibling) + release_resource", "allocate + release"),
    ("RegionIntersects", "region_intersects (4 KiB straddling a sibling's end)", "region_intersects"),
    ("WalkSystemRam", "walk_system_ram_res over 16 siblings", "walk_system_ram_res (16)"),
    ("FreeRegion", "alloc_free_mem_region (4 KiB) in a window of n regions, one released at random", "alloc_free_mem_region"),
    ("Lookup", "Lookup(addr), the deepest node", "Lookup"),
)

# redesign_benchmark: (tree run, model run or None, label, per chunk?)
REDESIGN_OPS = (
    ("BM_ReserveChunks_Tree", "BM_ReserveChunks_Model", "ReserveChunks, per chunk", "ReserveChunks (per chunk)", True),
    ("BM_ClaimReturn_Tree", "BM_ClaimReturn_Model", "ClaimChunks (k = 3) + ReturnToChunks", "ClaimChunks + ReturnToChunks", False),
    ("BM_ReleaseUnused_Tree", "BM_ReleaseUnused_Model", "ReleaseUnusedChunks(shrink), per chunk freed", "ReleaseUnusedChunks (per chunk)", True),
    ("BM_InsertOverRollback_Tree", "BM_InsertOverUndo_Model", "InsertOver (split 2, adopt 2) + Transaction rollback [model: InsertOver and its undo]", "InsertOver + rollback", False),
    ("BM_Reparent_Tree", "BM_Reparent_Model", "Reparent up an equal-range chain and back", "Reparent up + back", False),
    ("BM_GrowAdoptRollback_Tree", None, "Grow adopting 3 siblings + Transaction rollback", "Grow adopting 3 + rollback", False),
    ("BM_GrowShrink_Tree", "BM_GrowShrink_Model", "Grow (no adoption) + Shrink back", "Grow + Shrink", False),
    ("BM_InsertOverUnsplittable_Tree", "BM_InsertOverUnsplittable_Model", "InsertOver refused at the unsplittable check", "InsertOver refused", False),
    ("BM_InsertOverFenceRollback_Tree", None, "InsertOver refused at the fence after splitting (internal rollback)", None, False),
)


class Report:
    def __init__(self, out):
        self.out = out
        self.params = json.load(open(os.path.join(out, "params.json")))
        self.machine = json.load(open(os.path.join(out, "machine.json")))
        end = os.path.join(out, "machine_end.json")
        self.machine_end = json.load(open(end)) if os.path.exists(end) else None
        self.b = {
            name: Bench(os.path.join(out, name + ".json"))
            for name in (
                "resource_tree_benchmark",
                "redesign_benchmark",
                "iomem_benchmark",
                "decode_benchmark",
                "interleave_benchmark",
                "hotplug_benchmark",
                "pool_benchmark",
            )
        }
        self.e2e, self.rss = load_e2e(out)
        self.quick = self.params["mode"] == "quick"

    # -- helpers --

    def tree_time(self, op, kind, n):
        return self.b["resource_tree_benchmark"].seconds("BM_%s_%s/%d" % (op, kind, n))

    def redesign_time(self, run, n, per_chunk):
        bench = self.b["redesign_benchmark"]
        name = "%s/%d" % (run, n)
        if run == "BM_GrowAdoptRollback_Tree":
            name += "/3"
        if per_chunk:
            ips = bench.counter(name, "items_per_second")
            return 1.0 / ips if ips else None
        return bench.seconds(name)

    def e2e_mean(self, group, name):
        r = self.e2e.get(group, {}).get(name)
        return None if r is None else r["mean"]

    def lines_label(self):
        return "%s-line" % fmt_n(self.params["lines"])

    # -- blocks --

    def block_run(self):
        m = self.machine
        mode = (
            "a **quick run** (`tools/bench.sh --quick`: %s dumps, short "
            "benchmark runs, no pool benchmark; for checking the script, not "
            "for quoting)" % self.lines_label()
            if self.quick
            else "a full run (`tools/bench.sh`)"
        )
        load = "load average %s at the start" % m["loadavg"][0]
        if self.machine_end:
            load += ", %s at the end" % self.machine_end["loadavg"][0]
        commit = m["commit"] + (" plus uncommitted changes" if m["dirty"] else "")
        return (
            "*Generated by `tools/bench_report.py` from %s of %s at commit "
            "`%s`, on %s (%d cores), %s, %s; %s.*"
            % (mode, m["date"], commit, m["cpu"], m["cores"], m["os"],
               m["compiler"], load)
        )

    def block_machine(self):
        m = self.machine
        rows = [
            ("CPU", "%s, %.0f MHz (`/proc/cpuinfo`)" % (m["cpu"], float(m["mhz"] or 0))),
            ("cores", "%d (`nproc`), shared with other jobs" % m["cores"]),
            ("caches", m["caches"] or "—"),
            ("memory", "%s GiB" % m["memory_gib"]),
            ("OS", "%s (`/etc/debian_version` %s), kernel %s" % (m["os"], m["debian_version"], m["kernel"])),
            ("compiler", "%s, `bazel build -c opt` (-O2)" % m["compiler"]),
            ("Google Benchmark", "Debian libbenchmark %s" % m["benchmark_lib"]),
            ("end to end", "%s; jc %s; GNU time" % (m["hyperfine"], m["jc"])),
        ]
        return table(("", ""), [(a, b) for a, b in rows])

    def block_targets(self):
        rows = []
        rt = self.b["resource_tree_benchmark"]
        worst = None
        for op, _, short in TREE_OPS:
            r = ratio(self.tree_time(op, "Model", 1000000), self.tree_time(op, "Tree", 1000000))
            if r is not None and (worst is None or r < worst[0]):
                worst = (r, short)
        rows.append((
            "tree operations ≥ 1000× `KernelModel` at 10^6 siblings",
            "lowest: %s (%s)" % (fmt_ratio(worst[0]), worst[1]) if worst else "—",
            self._verdict(worst and worst[0] >= 1000),
        ))
        bpn = rt.counter("BM_MemoryPerNode/1000000", "bytes_per_node")
        rows.append((
            "memory per node ≤ 64 bytes plus names",
            "%.1f bytes" % bpn if bpn else "—",
            self._verdict(bpn is not None and bpn <= 64),
        ))
        io = self.b["iomem_benchmark"]
        parse = io.seconds("BM_ParseMillionLines")
        wc = io.counter("BM_ParseMillionLines", "wc_l_seconds")
        speed = ratio(wc, parse)
        rows.append((
            "parse ≥ 25 % of `wc -l`'s speed (10^6 lines, in process)",
            "%.0f %% (%s against %s)" % (100 * speed, fmt_time(parse), fmt_time(wc)) if speed else "—",
            self._verdict(speed is not None and speed >= 0.25),
        ))
        diff = io.seconds("BM_DiffMillionLines")
        rows.append((
            "diff of two parsed 10^6-line trees < 1 s (library)",
            fmt_time(diff),
            self._verdict(diff is not None and diff < 1),
        ))
        size = " (%s dumps)" % self.lines_label() if self.quick else ""
        d = self.e2e_mean("diff", "restree diff")
        rows.append((
            "`restree diff` of two 10^6-line dumps < 1 s, end to end",
            fmt_time(d) + size,
            self._verdict(d is not None and d < 1, partial=self.quick),
        ))
        r = ratio(self.e2e_mean("read", "restree show --raw"), self.e2e_mean("read", "cat"))
        rows.append((
            "`restree show --raw` within 5× of `cat`",
            fmt_ratio(r) + size,
            self._verdict(r is not None and r <= 5, partial=self.quick),
        ))
        r = ratio(self.e2e_mean("read", "restree check"), self.e2e_mean("read", "cat"))
        rows.append((
            "`restree check` within 10× of `cat`",
            fmt_ratio(r) + size,
            self._verdict(r is not None and r <= 10, partial=self.quick),
        ))
        rss = self.rss.get(("json", "restree show --json"), {}).get("peak_rss_kb")
        input_bytes = self.rss.get(("read", "cat"), {}).get("output_bytes")
        rss_ratio = (
            int(rss) * 1024 / int(input_bytes) if rss and input_bytes else None
        )
        rows.append((
            "`restree show --json` peak RSS ≤ 2× the input",
            ("%.2f× (%.0f MB for %.1f MB)" % (rss_ratio, int(rss) / 1024,
                                              int(input_bytes) / 1e6)
             if rss_ratio is not None else "—") + size,
            self._verdict(rss_ratio is not None and rss_ratio <= 2,
                          partial=self.quick),
        ))
        r = ratio(self.e2e_mean("json", "jc --proc-iomem"), self.e2e_mean("json", "restree show --json"))
        rows.append((
            "`restree show --json` ≥ 20× faster than `jc --proc-iomem`",
            ("%.2f× as fast" % r if r is not None else "—") + size,
            self._verdict(r is not None and r >= 20, partial=self.quick),
        ))
        return table(("target (shared DESIGN.md §9)", "measured", ""), rows)

    def _verdict(self, ok, partial=False):
        """A quick run's numbers (one iteration, smaller inputs) judge nothing."""
        if self.quick:
            return "not judged (quick run%s)" % (", smaller input" if partial else "")
        if ok is None:
            return "not measured"
        return "met" if ok else "**not met**"

    def block_e2e(self):
        refs = {
            "read": ("cat", "wc -l"),
            "json": ("jc --proc-iomem", "cat"),
            "diff": ("diff (GNU)", "cat"),
        }
        rows = []
        for group in ("read", "json", "diff"):
            results = self.e2e.get(group)
            if not results:
                continue
            for name, r in results.items():
                info = self.rss.get((group, name), {})
                vs = []
                if name not in refs[group]:
                    for ref in refs[group]:
                        x = ratio(r["mean"], self.e2e_mean(group, ref))
                        if x is not None:
                            vs.append("%s %s" % (fmt_ratio(x), SHORT[ref]))
                rows.append((
                    "`%s`" % info.get("command", name),
                    "%s ± %s" % (fmt_time(r["mean"]), fmt_time(r["stddev"])),
                    fmt_time(r["user"]),
                    fmt_time(r["system"]),
                    "%.0f MB" % (int(info["peak_rss_kb"]) / 1024) if info.get("peak_rss_kb") else "—",
                    fmt_bytes(info["output_bytes"]) if info.get("output_bytes") else "—",
                    ", ".join(vs) or "reference",
                ))
        p = self.params
        caption = (
            "%s dumps (`big.txt`, %s; `big2.txt` with %g %% of its lines "
            "changed); hyperfine -N, %d warm-up and %d measured runs for "
            "`cat`/`wc`/`show --raw`/`check`, %d and %d for the others."
            % (self.lines_label(), fmt_bytes(self._input_size("big.txt")),
               100 * p["diff_fraction"], p["e2e_warmup"], p["e2e_runs"],
               p["e2e_slow_warmup"], p["e2e_slow_runs"])
        )
        return caption + "\n\n" + table(
            ("command", "mean ± σ", "user", "system", "peak RSS", "output", "time vs references"),
            rows,
        )

    def _input_size(self, name):
        path = os.path.join(self.out, "inputs", name)
        return os.path.getsize(path) if os.path.exists(path) else 0

    def block_apply(self):
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import bench_events  # pylint: disable=import-outside-toplevel

        results = self.e2e.get("apply")
        if not results:
            return "Not run."
        p = self.params
        setup = results.get("restree apply (setup only)")
        full = results.get("restree apply")
        events = bench_events.round_events(p["apply_rounds"])
        total = events + bench_events.SETUP_EVENTS
        rows = []
        for name, r, n in (("restree apply (setup only)", setup, bench_events.SETUP_EVENTS),
                           ("restree apply", full, total)):
            info = self.rss.get(("apply", name), {})
            rows.append((
                "`%s`" % info.get("command", name),
                "{:,}".format(n),
                "%s ± %s" % (fmt_time(r["mean"]), fmt_time(r["stddev"])),
                fmt_time(r["user"]),
                "%.0f MB" % (int(info["peak_rss_kb"]) / 1024) if info.get("peak_rss_kb") else "—",
            ))
        marginal = events / (full["mean"] - setup["mean"])
        text = table(("command", "events", "mean ± σ", "user", "peak RSS"), rows)
        return (
            "A window of %s chunks; %s rounds of %d events (%s events).\n\n%s\n\n"
            "**%s events/s** end to end (the rounds' events over the time the "
            "full script takes beyond the setup-only one, which includes "
            "printing the final %s-line /proc/iomem); %s events/s counting "
            "the whole run."
            % (fmt_n(p["apply_chunks"]), "{:,}".format(p["apply_rounds"]),
               bench_events.EVENTS_PER_ROUND, "{:,}".format(events), text,
               fmt_rate(marginal), "{:,}".format(p["apply_chunks"] + 1),
               fmt_rate(total / full["mean"]))
        )

    def block_tree(self):
        rows = []
        for op, label, _ in TREE_OPS:
            first = True
            for n in SIZES:
                t = self.tree_time(op, "Tree", n)
                m = self.tree_time(op, "Model", n)
                if t is None and m is None:
                    continue
                rows.append((
                    label if first else "",
                    fmt_n(n),
                    fmt_time(t),
                    fmt_time(m),
                    fmt_ratio(ratio(m, t)) if m else "",
                ))
                first = False
        return table(("operation (per iteration)", "n", "ResourceTree", "KernelModel", "ratio"), rows)

    def block_memory(self):
        rt = self.b["resource_tree_benchmark"]
        rd = self.b["redesign_benchmark"]
        rows = []
        v = rt.counter("BM_MemoryPerNode/1000000", "bytes_per_node")
        rows.append(("`BM_MemoryPerNode/1000000`: heap bytes per node, 10^6 \"System RAM\" siblings", "%.1f" % v if v else "—"))
        v = rd.counter("BM_MemoryPerChunk/1000000", "heap_bytes_per_chunk")
        w = rd.counter("BM_MemoryPerChunk/1000000", "rss_bytes_per_chunk")
        rows.append(("`BM_MemoryPerChunk/1000000`: heap (resident) bytes per chunk node, ReserveChunks of 10^6 chunks", "%.1f (%.1f)" % (v, w) if v else "—"))
        name = "BM_ClaimReturnMemoryFlat/1000000"
        if rd.get(name):
            rows.append((
                "`BM_ClaimReturnMemoryFlat/1000000`: RSS, heap after 10^4 and after 10^6 ClaimChunks + ReturnToChunks cycles (distinct names)",
                "%.2f → %.2f MiB, %.3f → %.3f MiB" % (
                    rd.counter(name, "rss_before_MiB"), rd.counter(name, "rss_after_MiB"),
                    rd.counter(name, "heap_before_MiB"), rd.counter(name, "heap_after_MiB")),
            ))
        return table(("benchmark", "bytes"), rows)

    def block_bytes_per_node(self):
        v = self.b["resource_tree_benchmark"].counter("BM_MemoryPerNode/1000000", "bytes_per_node")
        return "%.1f" % v if v else "?"

    def block_parse(self):
        io = self.b["iomem_benchmark"]
        wc = io.counter("BM_ParseMillionLines", "wc_l_seconds")
        rows = []
        for name, label in (
            ("BM_ParseMillionLines", "`ParseIomem` (strict, into a ResourceTree), both cores, wall time"),
            ("BM_ParseMillionLinesOneThread", "the same fast path on one thread"),
            ("BM_ParseMillionLinesCounted", "the parse counting the summary as it reads (what `show` asks for), wall"),
            ("BM_SummarizeMillionLines", "`Summarize` of the parsed tree: the walk that counting replaces, wall"),
            ("BM_ParseMillionLinesThenLookup", "parse + the first query that needs the child index (builds it), wall"),
            ("BM_RenderMillionLines", "`RenderProcIomem` of the parsed tree"),
            ("BM_DiffMillionLines", "`DiffTrees` of two parsed trees differing in 1 line in 500"),
        ):
            t = io.seconds(name)
            rows.append((label, fmt_time(t), "%.0f %%" % (100 * wc / t) if wc and t else "—"))
        rows.append(("`wc -l` on the same file (page cache, best of 5, process start included)", fmt_time(wc), "100 %"))
        return table(("10^6-line dump, in process", "time", "speed vs `wc -l`"), rows)

    def block_redesign(self):
        rd = self.b["redesign_benchmark"]
        rows = []
        for tree, model, label, _, per_chunk in REDESIGN_OPS:
            t = [self.redesign_time(tree, n, per_chunk) for n in SIZES]
            m = self.redesign_time(model, 1000000, per_chunk) if model else None
            flat = ratio(t[3], t[0])
            rows.append(tuple([label] + [fmt_time(x) for x in t] + [
                fmt_ratio(flat) if flat else "—",
                fmt_time(m) if model else "—",
                fmt_ratio(ratio(m, t[3])) if model else "—",
            ]))
        del rd
        return table(
            ("operation (per iteration)", "10^3", "10^4", "10^5", "10^6", "10^6 / 10^3", "model at 10^6", "tree vs model at 10^6"),
            rows,
        )

    def block_rollback(self):
        rd = self.b["redesign_benchmark"]
        rows = []
        for k in (3, 30, 300):
            name = "BM_GrowAdoptRollback_Tree/1000000/%d" % k
            rows.append(("Grow adopting k, rolled back (n = 10^6)", str(k),
                         self._steps(rd, name), fmt_time(rd.seconds(name))))
        for n in (1000, 1000000):
            for k in (3, 30, 300):
                name = "BM_ClaimRollback_Tree/%d/%d" % (n, k)
                rows.append(("ClaimChunks of k, rolled back (n = %s)" % fmt_n(n), str(k),
                             self._steps(rd, name), fmt_time(rd.seconds(name))))
        return table(("operation", "k", "journal steps", "time"), rows)

    @staticmethod
    def _steps(bench, name):
        v = bench.counter(name, "steps")
        return "%d" % v if v is not None else "—"

    def block_hotplug(self):
        hp = self.b["hotplug_benchmark"]
        rows = []
        for name, label, sizes in (
            ("BM_RegionCycle_Chunks", "region create 1 GiB ram + dax create + kmem online + kmem offline + region destroy (5)", (1000, 10000, 100000)),
            ("BM_MemoryCycle_Chunks", "memory add 512 MiB + offline + online + offline + remove (5)", (1000, 10000, 100000)),
            ("BM_FailingEvents_Chunks", "failing events that roll back after some steps (2)", (1000, 10000, 100000)),
            ("BM_MemoryCycle_BootBlocks", "memory cycle (5) on a machine booted with n memory blocks", (100, 1000, 10000)),
        ):
            cells = []
            for n in sizes:
                ips = hp.counter("%s/%d" % (name, n), "items_per_second")
                cells.append("%s (n = %s)" % (fmt_rate(ips), fmt_n(n)) if ips else "—")
            rows.append(tuple([label] + cells))
        return table(("benchmark (events per iteration)", "events/s", "", ""), rows)

    def block_pool(self):
        pool = self.b["pool_benchmark"]
        if not pool.present:
            return ("Not run in quick mode: `tools/bench.sh` (full) runs "
                    "`pool_benchmark`, about 2.5 minutes.")
        rows = []
        for b in pool.runs.values():
            events = b.get("events")
            real = b["real_time"] * UNIT_SECONDS[b["time_unit"]]
            cpu = b["cpu_time"] * UNIT_SECONDS[b["time_unit"]]
            chunked = "/chunked:1/" in b["name"]
            c = re.search(r"chunks_per_host:(\d+)", b["name"]).group(1)
            rows.append((
                "chunks (chunked windows)" if chunked else "region (region-per-grant)",
                fmt_n(c), "{:,.0f}".format(events), "{:,.0f}".format(b.get("ticks", 0)),
                fmt_time(real), fmt_time(cpu), fmt_rate(events / cpu),
            ))
        return table(("realize", "C (chunks per host)", "hotplug events", "ticks", "wall", "CPU", "events per CPU second"), rows)

    def block_cfmws(self):
        dec = self.b["decode_benchmark"]
        il = self.b["interleave_benchmark"]
        rows = []
        for name in ("BM_Decode/1", "BM_Decode/64", "BM_Decode/1024",
                     "BM_DecodeAndValidate/1", "BM_DecodeAndValidate/64", "BM_DecodeAndValidate/1024"):
            bps = dec.counter(name, "bytes_per_second")
            rows.append(("`%s`" % name, fmt_time(dec.seconds(name)), "%.0f MB/s" % (bps / 1e6) if bps else "—"))
        for name in ("BM_ToTargetModulo2", "BM_ToTargetModulo12", "BM_ToTargetXor16",
                     "BM_RoundTripXor16", "BM_IndexLookup/16", "BM_IndexLookup/1024"):
            ips = il.counter(name, "items_per_second")
            rows.append(("`%s`" % name, fmt_time(il.seconds(name)), "%s lookups/s" % fmt_rate(ips) if ips else "—"))
        return table(("benchmark", "CPU time per iteration", "throughput"), rows)

    def blocks(self):
        """Marker name -> function that returns the block's text."""
        return {name: getattr(self, "block_" + name) for name in BLOCKS}

    # -- plots --

    def plots(self):
        os.makedirs(IMAGES, exist_ok=True)
        panels = []
        for op, _, title in TREE_OPS:
            series = [
                ("ResourceTree", [(n, self.tree_time(op, "Tree", n)) for n in SIZES]),
                ("KernelModel", [(n, self.tree_time(op, "Model", n)) for n in SIZES]),
            ]
            panels.append((title, series))
        self._loglog("bench-resource-tree.svg",
                     "ResourceTree and the kernel's algorithm (KernelModel): time per iteration (operation + undo) against n siblings",
                     panels)
        panels = []
        for tree, model, _, title, per_chunk in REDESIGN_OPS:
            if title is None:
                continue
            series = [("ResourceTree", [(n, self.redesign_time(tree, n, per_chunk)) for n in SIZES])]
            if model:
                series.append(("RedesignModel", [(n, self.redesign_time(model, n, per_chunk)) for n in SIZES]))
            panels.append((title, series))
        self._loglog("bench-redesign.svg",
                     "Redesign operations and RedesignModel: time per iteration against n chunks or siblings",
                     panels)
        refs = {"read": "cat", "json": "jc --proc-iomem", "diff": "diff (GNU)"}
        titles = {
            "read": "show --raw and check against cat and wc -l",
            "json": "show --json against jc --proc-iomem",
            "diff": "restree diff against GNU diff",
        }
        for group in ("read", "json", "diff"):
            if group in self.e2e:
                self._bars(group, titles[group], refs[group])

    def _gnuplot(self, script):
        subprocess.run(["gnuplot"], input=script, text=True, check=True, cwd=IMAGES)

    def _header(self, name, width, height):
        return (
            'set encoding utf8\n'
            'set terminal svg size %d,%d dynamic enhanced font "Helvetica,11" background "white"\n'
            'set output "%s"\n' % (width, height, name)
        )

    def _loglog(self, name, title, panels):
        cols = 4
        rows = (len(panels) + cols - 1) // cols
        s = [self._header(name, 1100, 300 * rows + 40)]
        s.append('set multiplot layout %d,%d title "%s%s" noenhanced\n'
                 % (rows, cols, title, " (quick run)" if self.quick else ""))
        s.append("set logscale xy\nset format x \"10^{%L}\"\nset format y \"10^{%L}\"\n"
                 "set xrange [500:2000000]\n"
                 "set xtics (1000, 10000, 100000, 1000000)\nset grid\n"
                 "set key top left samplen 2 font \",9\"\nset ylabel \"µs\" offset 1,0\n")
        styles = {"ResourceTree": 'lc rgb "#1f77b4" pt 7 lw 2',
                  "KernelModel": 'lc rgb "#d62728" pt 5 lw 2 dt 2',
                  "RedesignModel": 'lc rgb "#d62728" pt 5 lw 2 dt 2'}
        for i, (ptitle, series) in enumerate(panels):
            plots = []
            for label, points in series:
                pts = [(n, t) for n, t in points if t is not None]
                if not pts:
                    continue
                block = "$D%d%s" % (i, label)
                s.append("%s << EOD\n%s\nEOD\n" % (block, "\n".join("%d %.6g" % (n, t * 1e6) for n, t in pts)))
                plots.append('%s using 1:2 with linespoints %s title "%s" noenhanced' % (block, styles[label], label))
            s.append('set title "%s" noenhanced\n' % ptitle)
            s.append(("set key\n" if i == 0 else "unset key\n"))
            s.append("plot " + ", ".join(plots) + "\n")
        s.append("unset multiplot\n")
        self._gnuplot("".join(s))

    def _bars(self, group, title, ref):
        results = self.e2e[group]
        names = list(results)
        s = [self._header("bench-e2e-%s.svg" % group, 1000, 380)]
        s.append('set multiplot layout 1,2 title "%s, %s dumps%s"\n'
                 % (title, self.lines_label(), " (quick run)" if self.quick else ""))
        s.append("set style fill solid 0.85 border -1\nset boxwidth 0.6\nset grid ytics\n"
                 "set xrange [-0.6:%f]\nset yrange [0:*]\nset xtics font \",10\" nomirror\n"
                 "unset key\n" % (len(names) - 0.4))
        rows_t, rows_m = [], []
        base = self.e2e_mean(group, ref)
        for i, name in enumerate(names):
            r = results[name]
            color = 0x1F77B4 if name.startswith("restree") else 0x999999
            label = fmt_time(r["mean"])
            if name.startswith("restree") and base:
                label += "\\n" + fmt_ratio(r["mean"] / base) + " " + SHORT[ref]
            # "show --raw" for short, but "restree diff" next to "GNU diff".
            tic = SHORT.get(name, name if group == "diff" else name.replace("restree ", ""))
            rows_t.append('%d "%s" %.6g %.6g %d "%s"' % (i, tic, r["mean"], r["stddev"], color, label))
            rss = self.rss.get((group, name), {}).get("peak_rss_kb")
            mb = int(rss) / 1024 if rss else 0
            rows_m.append('%d "%s" %.6g %d "%.0f MB"' % (i, tic, mb, color, mb))
        s.append("$T << EOD\n%s\nEOD\n" % "\n".join(rows_t))
        s.append("$M << EOD\n%s\nEOD\n" % "\n".join(rows_m))
        s.append('set title "time (mean ± σ)"\nset ylabel "seconds"\nset offsets 0,0,graph 0.15,0\n')
        s.append("plot $T using 1:3:4:5:xtic(2) with boxerrorbars lc rgb variable, "
                 '$T using 1:($3+$4):6 with labels offset 0,1.2 font ",9"\n')
        s.append('set title "peak RSS"\nset ylabel "MB"\n')
        s.append("plot $M using 1:3:4:xtic(2) with boxes lc rgb variable, "
                 '$M using 1:3:5 with labels offset 0,0.7 font ",9"\n')
        s.append("unset multiplot\n")
        self._gnuplot("".join(s))


# ---------------------------------------------------------------------------
# Rewriting the documents.

MARKER = re.compile(r"<!-- bench:([a-z_0-9]+) -->(.*?)<!-- /bench -->", re.S)


def rewrite(path, blocks, used):
    with open(path) as f:
        text = f.read()

    def replace(match):
        name = match.group(1)
        if name not in blocks:
            raise SystemExit("%s: marker bench:%s has no generator" % (path, name))
        used.add(name)
        content = blocks[name]()
        if "\n" in match.group(2):
            return "<!-- bench:%s -->\n%s\n<!-- /bench -->" % (name, content)
        return "<!-- bench:%s -->%s<!-- /bench -->" % (name, content)

    new = MARKER.sub(replace, text)
    if new != text:
        with open(path, "w") as f:
            f.write(new)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dir", nargs="?", help="tools/bench.sh's results directory")
    parser.add_argument("--machine", help="write the machine's facts to this JSON file")
    parser.add_argument("--mode", default="full", choices=("quick", "full"))
    args = parser.parse_args()
    if args.machine:
        with open(args.machine, "w") as f:
            json.dump(machine_facts(args.mode), f, indent=1)
        return
    if not args.dir:
        parser.error("give the results directory, or --machine FILE")
    report = Report(args.dir)
    blocks = report.blocks()
    used = set()
    rewrite(PERF_DOC, blocks, used)
    rewrite(DESIGN_DOC, blocks, used)
    missing = set(blocks) - used
    if missing:
        raise SystemExit("no marker for: %s" % ", ".join(sorted(missing)))
    report.plots()
    print("bench_report: rewrote docs/performance.md, docs/design.md and "
          "docs/images/bench-*.svg from %s" % args.dir)


if __name__ == "__main__":
    main()
