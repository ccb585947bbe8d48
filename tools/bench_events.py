#!/usr/bin/env python3
"""bench_events.py: a hotplug event script for timing `restree apply`.

    tools/bench_events.py ROUNDS [--chunks N] [-o FILE]

Writes an event script (docs/events.md) for tools/bench.sh: Linux 6.12,
one CXL window of N 256 MiB chunks (default 10^5, a 25,000 GiB window)
reserved with `chunks reserve`, then ROUNDS rounds of

    region create window=0 size=1G mode=ram     claims 4 chunks
    dax create region=region0
    kmem online dax0.0
    kmem offline dax0.0
    region destroy region0                      the chunks come back
    memory add 0x100000000 size=512M            pc-dimm hot-add
    memory offline / online / offline / remove  the same 512 MiB
    expect error EINVAL
    memory add 0x100000000 size=64M             refused: not block aligned

that is EVENTS_PER_ROUND events a round (the `expect` line is a
directive, not an event). ROUNDS 0 gives the setup alone (config, window,
reserve), which bench.sh times next to the full script so that the
setup and the final 10^5-line /proc/iomem can be subtracted. The window's
first chunks are free in every round, so `region create` finds room at
once (its candidate walk is O(m) past m taken chunk runs: see
docs/performance.md, "Open items"). Standard library only.
"""

import argparse
import sys

CHUNK_MIB = 256
WINDOW_BASE = 0x10000000000  # 1 TiB
DIMM = 0x100000000  # 4 GiB

SETUP_EVENTS = 2  # window add, chunks reserve (config sets, it does not act)
ROUND = (
    "region create window=0 size=1G mode=ram",
    "dax create region=region0",
    "kmem online dax0.0",
    "kmem offline dax0.0",
    "region destroy region0",
    "memory add 0x%x size=512M" % DIMM,
    "memory offline 0x%x size=512M" % DIMM,
    "memory online 0x%x size=512M" % DIMM,
    "memory offline 0x%x size=512M" % DIMM,
    "memory remove 0x%x size=512M" % DIMM,
    "expect error EINVAL",
    "memory add 0x%x size=64M" % DIMM,
)
EVENTS_PER_ROUND = sum(1 for line in ROUND if not line.startswith("expect"))


def round_events(rounds):
    """Events in the rounds (the setup's events not included)."""
    return rounds * EVENTS_PER_ROUND


def script(rounds, chunks):
    """The whole script as one string."""
    size_gib = chunks * CHUNK_MIB // 1024
    if size_gib * 1024 != chunks * CHUNK_MIB:
        raise ValueError("chunks must be a multiple of 4 (whole GiB)")
    head = [
        "# tools/bench_events.py %d --chunks %d" % (rounds, chunks),
        "config profile=linux-6.12 block-size=128M",
        "window add 0 base=0x%x size=%dG" % (WINDOW_BASE, size_gib),
        "chunks reserve window=0 size=%dM" % CHUNK_MIB,
    ]
    body = "\n".join(ROUND) + "\n"
    return "\n".join(head) + "\n" + body * rounds


def main():
    parser = argparse.ArgumentParser(
        description="Writes a hotplug event script (see the file comment)."
    )
    parser.add_argument("rounds", type=int, help="rounds of the event cycle")
    parser.add_argument(
        "--chunks", type=int, default=100000, help="chunks in the window"
    )
    parser.add_argument("-o", "--output", help="output file (default: stdout)")
    args = parser.parse_args()
    if args.rounds < 0 or args.chunks < 8:
        parser.error("ROUNDS must be >= 0 and --chunks >= 8")
    try:
        text = script(args.rounds, args.chunks)
    except ValueError as e:
        parser.error(str(e))
    if args.output:
        with open(args.output, "w") as out:
            out.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
