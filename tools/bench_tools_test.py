#!/usr/bin/env python3
"""Tests of tools/bench.sh's helpers: bench_dump.py, bench_events.py and the
parts of bench_report.py that need no benchmark run (reading Google
Benchmark JSON, formatting, rewriting marked blocks)."""

import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_dump  # pylint: disable=wrong-import-position
import bench_events  # pylint: disable=wrong-import-position
import bench_report  # pylint: disable=wrong-import-position


class BenchDumpTest(unittest.TestCase):
    def test_exact_line_count_and_format(self):
        lines = list(bench_dump.dump_lines(12))
        self.assertEqual(len(lines), 12)
        self.assertEqual(lines[0], "100000000-13effffff : CXL Window 0\n")
        self.assertEqual(lines[3], "      100000000-11fffffff : System RAM (kmem)\n")
        self.assertEqual(lines[4], "13f000000-13fffffff : Reserved\n")
        self.assertEqual(lines[5], "140000000-17effffff : CXL Window 1\n")

    def test_diff_fraction_changes_that_share_of_lines(self):
        a = list(bench_dump.dump_lines(10000))
        b = list(bench_dump.dump_lines(10000, 0.01))
        changed = [i for i in range(len(a)) if a[i] != b[i]]
        self.assertEqual(len(changed), 100)
        self.assertTrue(all(b[i].endswith(": System RAM\n") for i in changed))

    def test_deterministic(self):
        self.assertEqual(list(bench_dump.dump_lines(1000, 0.01)),
                         list(bench_dump.dump_lines(1000, 0.01)))


class BenchEventsTest(unittest.TestCase):
    def test_counts(self):
        self.assertEqual(bench_events.EVENTS_PER_ROUND, 11)
        self.assertEqual(bench_events.round_events(3), 33)
        text = bench_events.script(3, 100000)
        self.assertIn("window add 0 base=0x10000000000 size=25000G\n", text)
        body = [l for l in text.splitlines() if not l.startswith("#")]
        self.assertEqual(len(body), 1 + bench_events.SETUP_EVENTS + 3 * len(bench_events.ROUND))

    def test_rejects_partial_gib(self):
        with self.assertRaises(ValueError):
            bench_events.script(1, 10)


class BenchReportTest(unittest.TestCase):
    def test_reads_medians_and_normalises_names(self):
        data = {"context": {}, "benchmarks": [
            {"name": "BM_A/1000_mean", "run_name": "BM_A/1000", "run_type": "aggregate",
             "aggregate_name": "mean", "cpu_time": 9.0, "real_time": 9.0, "time_unit": "ns"},
            {"name": "BM_A/1000_median", "run_name": "BM_A/1000", "run_type": "aggregate",
             "aggregate_name": "median", "cpu_time": 2.0, "real_time": 5.0, "time_unit": "us"},
            {"name": "BM_P/4/iterations:1/real_time", "run_name": "BM_P/4/iterations:1/real_time",
             "run_type": "iteration", "cpu_time": 1.0, "real_time": 3.0, "time_unit": "ms",
             "steps": 7.0},
        ]}
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(data, f)
        try:
            b = bench_report.Bench(f.name)
        finally:
            os.unlink(f.name)
        self.assertAlmostEqual(b.seconds("BM_A/1000"), 2e-6)  # CPU time, median
        self.assertAlmostEqual(b.seconds("BM_P/4"), 3e-3)  # wall time
        self.assertEqual(b.counter("BM_P/4", "steps"), 7.0)
        self.assertIsNone(b.seconds("BM_B/1000"))

    def test_formatting(self):
        self.assertEqual(bench_report.fmt_time(358e-9), "358 ns")
        self.assertEqual(bench_report.fmt_time(1.06e-6), "1.06 µs")
        self.assertEqual(bench_report.fmt_time(8.18e-3), "8.18 ms")
        self.assertEqual(bench_report.fmt_ratio(7700.4), "7,700×")
        self.assertEqual(bench_report.fmt_ratio(4.23), "4.2×")
        self.assertEqual(bench_report.fmt_ratio(0.554), "0.55×")
        self.assertEqual(bench_report.fmt_n(1000000), "10^6")
        self.assertEqual(bench_report.fmt_n(2000), "2,000")

    def test_rewrite_blocks_and_inline_values(self):
        doc = ("intro\n<!-- bench:t -->\nold\n<!-- /bench -->\n"
               "a <!-- bench:v -->1.0<!-- /bench --> b\n")
        blocks = {"t": lambda: "| x |\n|---|", "v": lambda: "2.5"}
        with tempfile.NamedTemporaryFile("w", suffix=".md", delete=False) as f:
            f.write(doc)
        try:
            used = set()
            bench_report.rewrite(f.name, blocks, used)
            text = open(f.name).read()
        finally:
            os.unlink(f.name)
        self.assertEqual(used, {"t", "v"})
        self.assertEqual(text, "intro\n<!-- bench:t -->\n| x |\n|---|\n<!-- /bench -->\n"
                               "a <!-- bench:v -->2.5<!-- /bench --> b\n")

    def test_documents_have_a_marker_for_every_block(self):
        # The committed documents mark exactly the blocks Report.blocks()
        # generates (bench_report.py refuses to run otherwise).
        names = set()
        for path in (bench_report.PERF_DOC, bench_report.DESIGN_DOC):
            names |= set(m.group(1) for m in bench_report.MARKER.finditer(open(path).read()))
        self.assertEqual(names, set(bench_report.BLOCKS))


if __name__ == "__main__":
    unittest.main()
