#!/usr/bin/env python3
"""bench_dump.py: a synthetic /proc/iomem dump for tools/bench.sh.

    tools/bench_dump.py LINES [DIFF_FRACTION] [-o FILE]

Writes LINES lines (standard output, or FILE) in the kernel's exact
/proc/iomem format, as a machine with many CXL windows would print it.
Each group of five lines is one 1 GiB CXL window with a region > dax >
kmem chain over its first 512 MiB, then a Reserved sibling over the
window's last 16 MiB:

    100000000-13effffff : CXL Window 0
      100000000-11fffffff : region0
        100000000-11fffffff : dax0.0
          100000000-11fffffff : System RAM (kmem)
    13f000000-13fffffff : Reserved

10^6 lines make 43.9 MB. With DIFF_FRACTION f (0 < f <= 0.2) the kmem line
of every 1/(5f)-th group reads "System RAM" instead, so a fraction f of the
lines differ from the dump without it (0.01: 10,000 of 10^6 lines): the
second input of `restree diff`. The output depends on the arguments only.
Standard library only.
"""

import argparse
import sys

BASE = 0x100000000  # 4 GiB: addresses past 32 bits
STEP = 0x40000000  # one 1 GiB window per group
LINES_PER_GROUP = 5


def dump_lines(lines, diff_fraction=0.0):
    """Yields the dump's lines, each ending in a newline."""
    every = int(1 / (diff_fraction * LINES_PER_GROUP)) if diff_fraction else 0
    emitted = 0
    group = 0
    while emitted < lines:
        start = BASE + group * STEP
        end = start + STEP - 1
        kmem = "System RAM (kmem)"
        if every and group % every == 0:
            kmem = "System RAM"
        group_lines = (
            "%08x-%08x : CXL Window %d\n" % (start, end - 0x1000000, group),
            "  %08x-%08x : region%d\n" % (start, start + 0x1fffffff, group),
            "    %08x-%08x : dax%d.0\n" % (start, start + 0x1fffffff, group),
            "      %08x-%08x : %s\n" % (start, start + 0x1fffffff, kmem),
            "%08x-%08x : Reserved\n" % (end - 0xffffff, end),
        )
        for line in group_lines[: lines - emitted]:
            yield line
        emitted += len(group_lines)
        group += 1


def main():
    parser = argparse.ArgumentParser(
        description="Writes a synthetic /proc/iomem dump (see the file comment)."
    )
    parser.add_argument("lines", type=int, help="number of lines")
    parser.add_argument(
        "diff_fraction",
        type=float,
        nargs="?",
        default=0.0,
        help="fraction of lines that differ from the unchanged dump (0 to 0.2)",
    )
    parser.add_argument("-o", "--output", help="output file (default: stdout)")
    args = parser.parse_args()
    if args.lines < 1:
        parser.error("LINES must be at least 1")
    if not 0 <= args.diff_fraction <= 0.2:
        parser.error("DIFF_FRACTION must be between 0 and 0.2")
    out = open(args.output, "w") if args.output else sys.stdout
    with out:
        chunk = []
        for line in dump_lines(args.lines, args.diff_fraction):
            chunk.append(line)
            if len(chunk) == 65536:
                out.write("".join(chunk))
                chunk = []
        out.write("".join(chunk))


if __name__ == "__main__":
    main()
