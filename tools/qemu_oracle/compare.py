#!/usr/bin/env python3
"""Compares a capture set (driver.py's output) with `restree apply`.

For event N of DIR/script.events, runs `restree apply` on the script cut
after that event (config lines, earlier events and their expect/assert lines
kept) with --base DIR/boot.iomem, and compares its output with DIR/NN.iomem
byte for byte. Prints, per event, `same` or the unified difference (capture
lines `-`, restree's prediction `+`). Exit 0 when every event matches, 1 on
any difference, 2 on a usage error.
"""

import difflib
import os
import subprocess
import sys


def event_prefixes(script_text):
    """Yields (event number, event line, script cut after that event)."""
    lines = script_text.splitlines(keepends=True)
    n = 0
    for i, line in enumerate(lines):
        body = line.split("#", 1)[0].split()
        if not body or body[0] in ("config", "assert", "expect"):
            continue
        n += 1
        yield n, line.strip(), "".join(lines[:i + 1])


def main():
    if len(sys.argv) != 3:
        print("usage: compare.py CAPTURE_DIR RESTREE_BINARY", file=sys.stderr)
        return 2
    cap, restree = sys.argv[1], sys.argv[2]
    with open(os.path.join(cap, "script.events"), encoding="utf-8") as f:
        script = f.read()
    base = os.path.join(cap, "boot.iomem")
    differ = 0
    for n, line, prefix in event_prefixes(script):
        want_path = os.path.join(cap, f"{n:02d}.iomem")
        if not os.path.exists(want_path):
            print(f"event {n}: {line}: no capture (the guest stopped before)")
            differ += 1
            continue
        cut = os.path.join(cap, ".prefix.events")
        with open(cut, "w", encoding="utf-8") as f:
            f.write(prefix)
        r = subprocess.run([restree, "apply", cut, "--base", base],
                           capture_output=True, text=True)
        os.unlink(cut)
        with open(want_path, encoding="utf-8") as f:
            want = f.read()
        if r.returncode == 0 and r.stdout == want:
            print(f"event {n}: {line}: same")
            continue
        differ += 1
        print(f"event {n}: {line}: DIFFERENT (restree exit {r.returncode})")
        if r.returncode != 0:
            print("  " + r.stderr.strip().replace("\n", "\n  "))
        diff = difflib.unified_diff(want.splitlines(), r.stdout.splitlines(),
                                    f"guest {n:02d}.iomem", "restree apply",
                                    lineterm="", n=1)
        for d in diff:
            print("  " + d)
    print(f"{differ} of {n} events differ" if differ else
          f"all {n} events match")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
