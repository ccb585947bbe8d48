#!/usr/bin/env python3
"""Mutation testing for restree: does the test suite catch one-token bugs?

Generates one-token mutants of C++ files, runs the tests that depend on each
file against every mutant in a scratch copy of the repository, and reports
which mutants the tests kill, which survive and which time out. Surviving
mutants are written as unified diffs.

  tools/mutants.py [FILE ...] [--sample N] [--seed S] [--all]
                   [--tests LABEL ...] [--timeout SEC] [--workdir DIR]
                   [--out DIR] [--list] [--bazel-arg ARG ...]

  FILE          C++ files to mutate, relative to the repository root
                (default: resource_tree/kernel_ops.cc)
  --sample N    run N mutants drawn at random with --seed (default 20)
  --seed S      the sampling seed (default 1); the same seed, files and
                commit give the same mutants
  --all         run every mutant (overrides --sample)
  --tests L...  the test targets to run (default: every test target that
                depends on the file, from `bazel query rdeps`)
  --timeout SEC wall-clock limit per mutant, build included (default 900)
  --workdir DIR the scratch copy (default: a fresh temporary directory); it
                is a `git archive` of HEAD, so uncommitted changes are not in
                it and the repository itself is never modified
  --out DIR     where survivors' diffs and report.txt go (default:
                WORKDIR/mutants-out)
  --list        print the mutants that would run, and stop
  --bazel-arg A extra argument for `bazel test` (repeatable)

Mutation operators (one token or one operand each):
  rel    a relational operator flipped: < <=, > >=, == !=, and back;
  cond   one operand of an && / || chain dropped;
  neg    an if-condition negated;
  off1   +1 on a first()/last() operand in range arithmetic, or a literal
         `+ 1` / `- 1` removed;
  ret    an early `return ...;` inside an if-block deleted.
Comments, string and character literals, preprocessor lines and template
angle brackets are never mutated (binary operators are recognised by the
spaces Google style puts around them).

Outcomes: killed (some test failed), survived (every test passed), timeout
(the limit was hit; counted apart, not as killed), uncompilable (the mutant
does not build; excluded from the rate). The kill rate is killed / (killed +
survived + timeout).

Exit status: 0 when the run completed (whatever the rate), 1 when
--min-kill-rate is given and not met, 2 on a usage error.
"""

import argparse
import dataclasses
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from typing import List, Optional, Tuple


@dataclasses.dataclass
class Mutant:
    file: str
    line: int  # 1-based
    op: str
    before: str  # the original line
    after: str  # the mutated line(s); "" deletes the line

    def key(self) -> str:
        return f"{self.file}:{self.line}:{self.op}:{self.after.strip()}"

    def describe(self) -> str:
        return (f"{self.file}:{self.line} [{self.op}]\n"
                f"  - {self.before.strip()}\n"
                f"  + {self.after.strip() or '(line deleted)'}")


# ---------------------------------------------------------------------------
# Lexing: which characters of a line are code (not comment / literal).

def code_mask(lines: List[str]) -> List[List[bool]]:
    """For each line, a per-character flag: True where the char is code."""
    masks = []
    in_block = False
    for text in lines:
        m = [False] * len(text)
        i = 0
        stripped = text.lstrip()
        if not in_block and stripped.startswith("#"):
            masks.append(m)
            continue
        while i < len(text):
            if in_block:
                end = text.find("*/", i)
                if end < 0:
                    i = len(text)
                    break
                i = end + 2
                in_block = False
                continue
            c = text[i]
            if text.startswith("//", i):
                break
            if text.startswith("/*", i):
                in_block = True
                i += 2
                continue
            if c == '"' or c == "'":
                # raw strings are not used in the mutated files; skip plain
                # literals with escapes.
                j = i + 1
                while j < len(text) and text[j] != c:
                    j += 2 if text[j] == "\\" else 1
                i = j + 1
                continue
            m[i] = True
            i += 1
        masks.append(m)
    return masks


def all_code(mask: List[bool], start: int, end: int) -> bool:
    return start >= 0 and end <= len(mask) and all(mask[start:end])


# ---------------------------------------------------------------------------
# Operators.

REL_FLIPS = {" < ": " <= ", " <= ": " < ", " > ": " >= ", " >= ": " > ",
             " == ": " != ", " != ": " == "}
REL_RE = re.compile(r" (<=|>=|==|!=|<|>) ")


def rel_mutants(path, lines, masks) -> List[Mutant]:
    out = []
    for n, (text, mask) in enumerate(zip(lines, masks)):
        for m in REL_RE.finditer(text):
            tok = m.group(0)
            if not all_code(mask, m.start(), m.end()):
                continue
            # `<<`/`>>` streams and `->` never match (spaces on both sides).
            after = text[:m.start()] + REL_FLIPS[tok] + text[m.end():]
            out.append(Mutant(path, n + 1, "rel", text, after))
    return out


def _operand_bounds(text: str, mask: List[bool], op_start: int,
                    op_end: int) -> Optional[Tuple[int, int]]:
    """The [left_start, right_end) span of the operands around the && / ||
    at [op_start, op_end), within one line, stopping at an unbalanced
    parenthesis or another && / || at depth 0. None when not in one line."""
    depth = 0
    i = op_start - 1
    while i >= 0:
        c = text[i]
        if mask[i]:
            if c == ")":
                depth += 1
            elif c == "(":
                if depth == 0:
                    break
                depth -= 1
            elif depth == 0 and (text.startswith("&&", i - 1) or
                                 text.startswith("||", i - 1)):
                i += 1
                break
            elif depth == 0 and c in ";,{=?:" and not text.startswith("==", i) \
                    and not text.startswith("!=", i - 1) \
                    and not text.startswith("<=", i - 1) \
                    and not text.startswith(">=", i - 1) \
                    and not text.startswith("==", i - 1):
                break
        i -= 1
    left = i + 1
    while left < op_start and text[left] == " ":
        left += 1
    depth = 0
    j = op_end
    while j < len(text):
        c = text[j]
        if mask[j]:
            if c == "(":
                depth += 1
            elif c == ")":
                if depth == 0:
                    break
                depth -= 1
            elif depth == 0 and (text.startswith("&&", j) or
                                 text.startswith("||", j)):
                break
            elif depth == 0 and c in ";,{?:":
                break
        j += 1
    right = j
    while right > op_end and text[right - 1] == " ":
        right -= 1
    if left >= op_start or right <= op_end:
        return None
    # The operands must be balanced by themselves.
    for a, b in ((left, op_start), (op_end, right)):
        seg = "".join(ch for k, ch in enumerate(text[a:b]) if mask[a + k])
        if seg.count("(") != seg.count(")"):
            return None
    return left, right


COND_RE = re.compile(r" (&&|\|\|) ")


def cond_mutants(path, lines, masks) -> List[Mutant]:
    out = []
    for n, (text, mask) in enumerate(zip(lines, masks)):
        for m in COND_RE.finditer(text):
            if not all_code(mask, m.start(), m.end()):
                continue
            b = _operand_bounds(text, mask, m.start(), m.end())
            if b is None:
                continue
            left, right = b
            drop_left = text[:left] + text[m.end():]
            drop_right = text[:m.start()] + text[right:]
            out.append(Mutant(path, n + 1, "cond", text, drop_left))
            out.append(Mutant(path, n + 1, "cond", text, drop_right))
    return out


IF_RE = re.compile(r"\bif \(")


def neg_mutants(path, lines, masks) -> List[Mutant]:
    out = []
    for n, (text, mask) in enumerate(zip(lines, masks)):
        for m in IF_RE.finditer(text):
            if not all_code(mask, m.start(), m.end()):
                continue
            open_at = m.end() - 1
            depth = 0
            close = -1
            for k in range(open_at, len(text)):
                if not mask[k]:
                    continue
                if text[k] == "(":
                    depth += 1
                elif text[k] == ")":
                    depth -= 1
                    if depth == 0:
                        close = k
                        break
            if close < 0:
                continue  # condition spans lines
            cond = text[open_at + 1:close]
            if cond.startswith("auto ") or ";" in cond:
                continue  # if with initializer: leave alone
            after = text[:open_at + 1] + "!(" + cond + ")" + text[close:]
            out.append(Mutant(path, n + 1, "neg", text, after))
    return out


FIRSTLAST_RE = re.compile(r"[\w\]\)]+(?:\.|->)(?:first|last)\(\)")
LIT1_RE = re.compile(r" ([+-]) 1\b")


def off1_mutants(path, lines, masks) -> List[Mutant]:
    out = []
    for n, (text, mask) in enumerate(zip(lines, masks)):
        for m in FIRSTLAST_RE.finditer(text):
            if not all_code(mask, m.start(), m.end()):
                continue
            after = text[:m.start()] + "(" + m.group(0) + " + 1)" + \
                text[m.end():]
            out.append(Mutant(path, n + 1, "off1", text, after))
        for m in LIT1_RE.finditer(text):
            if not all_code(mask, m.start(), m.end()):
                continue
            after = text[:m.start()] + text[m.end():]
            out.append(Mutant(path, n + 1, "off1", text, after))
    return out


RET_RE = re.compile(r"^\s*return\b[^;]*;\s*$")


def ret_mutants(path, lines, masks) -> List[Mutant]:
    out = []
    for n, text in enumerate(lines):
        if not RET_RE.match(text) or not masks[n] or not any(masks[n]):
            continue
        prev = n - 1
        while prev >= 0 and not lines[prev].strip():
            prev -= 1
        if prev < 0:
            continue
        p = lines[prev].rstrip()
        nxt = lines[n + 1].strip() if n + 1 < len(lines) else ""
        # Inside an if-block: the if line ends with `{` and the block closes
        # right after, or an unbraced `if (...)` line.
        braced = IF_RE.search(p) and p.endswith("{") and nxt.startswith("}")
        unbraced = IF_RE.search(p) and p.endswith(")")
        if braced or unbraced:
            indent = text[:len(text) - len(text.lstrip())]
            out.append(Mutant(path, n + 1, "ret", text,
                              indent + ";  // mutant: return deleted\n"
                              if unbraced else ""))
    return out


OPERATORS = [rel_mutants, cond_mutants, neg_mutants, off1_mutants,
             ret_mutants]


def mutants_of(root: str, path: str) -> List[Mutant]:
    with open(os.path.join(root, path), encoding="utf-8") as f:
        lines = f.readlines()
    masks = code_mask(lines)
    out = []
    for op in OPERATORS:
        out.extend(op(path, lines, masks))
    seen = set()
    unique = []
    for m in out:
        if m.after != m.before and m.key() not in seen:
            seen.add(m.key())
            unique.append(m)
    return unique


# ---------------------------------------------------------------------------
# Running.

def run(cmd, cwd, timeout=None, env=None):
    return subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True,
                          timeout=timeout, env=env)


def scratch_copy(repo: str, workdir: str) -> None:
    os.makedirs(workdir, exist_ok=True)
    if os.path.exists(os.path.join(workdir, "WORKSPACE")):
        return  # reuse (keeps its Bazel cache warm)
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=repo,
                             stdout=subprocess.PIPE, check=True).stdout
    subprocess.run(["tar", "-x", "-C", workdir], input=archive, check=True)


def test_targets(workdir: str, files: List[str]) -> List[str]:
    targets = set()
    for f in files:
        pkg, name = os.path.split(f)
        label = f"//{pkg}:{name}"
        q = run(["bazel", "query",
                 f'kind(".*_test rule", rdeps(//..., {label}))'],
                cwd=workdir)
        if q.returncode != 0:
            sys.exit(f"mutants.py: bazel query failed for {label}:\n"
                     f"{q.stdout}")
        targets.update(t for t in q.stdout.split() if t.startswith("//"))
    return sorted(targets)


def apply_mutant(workdir: str, m: Mutant) -> str:
    path = os.path.join(workdir, m.file)
    with open(path, encoding="utf-8") as f:
        lines = f.readlines()
    original = "".join(lines)
    assert lines[m.line - 1] == m.before, m.describe()
    lines[m.line - 1] = m.after
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(lines))
    return original


def diff_of(m: Mutant) -> str:
    after = m.after if m.after else ""
    return (f"--- a/{m.file}\n+++ b/{m.file}\n@@ -{m.line},1 +{m.line},"
            f"{1 if after else 0} @@\n-{m.before}" +
            (f"+{after}" if after else ""))


def run_mutant(workdir: str, m: Mutant, tests: List[str], timeout: int,
               bazel_args: List[str]) -> Tuple[str, float, str]:
    original = apply_mutant(workdir, m)
    start = time.monotonic()
    try:
        r = run(["bazel", "test", "--build_tests_only", "--notest_keep_going",
                 "--test_output=errors", "--nocache_test_results",
                 f"--test_timeout={timeout}"] + bazel_args + tests,
                cwd=workdir, timeout=timeout)
        # Bazel: 0 every test passed; 3 some test failed; 4 no tests;
        # 1 build failed; anything else: trouble.
        if r.returncode == 0:
            outcome = "survived"
        elif r.returncode == 3:
            outcome = "killed"
            if re.search(r"TIMEOUT", r.stdout) and not re.search(
                    r"\bFAILED in", r.stdout):
                outcome = "timeout"
        elif r.returncode == 1:
            outcome = "uncompilable"
        else:
            outcome = f"error (bazel exit {r.returncode})"
        log = r.stdout
    except subprocess.TimeoutExpired:
        outcome = "timeout"
        log = ""
        run(["bazel", "shutdown"], cwd=workdir)
    finally:
        with open(os.path.join(workdir, m.file), "w", encoding="utf-8") as f:
            f.write(original)
    return outcome, time.monotonic() - start, log


def main(argv: List[str]) -> int:
    ap = argparse.ArgumentParser(
        prog="mutants.py", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="*",
                    default=["resource_tree/kernel_ops.cc"])
    ap.add_argument("--sample", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--all", action="store_true")
    ap.add_argument("--tests", nargs="+")
    ap.add_argument("--timeout", type=int, default=900)
    ap.add_argument("--workdir")
    ap.add_argument("--out")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--bazel-arg", action="append", default=[])
    ap.add_argument("--min-kill-rate", type=float,
                    help="exit 1 when the kill rate (0..1) is lower")
    try:
        args = ap.parse_args(argv)
    except SystemExit as e:
        return 2 if e.code else 0
    if args.sample < 1 or args.timeout < 1:
        print("mutants.py: --sample and --timeout must be positive",
              file=sys.stderr)
        return 2
    repo = subprocess.run(["git", "rev-parse", "--show-toplevel"],
                          stdout=subprocess.PIPE, text=True,
                          check=True).stdout.strip()
    for f in args.files:
        if not f.endswith((".cc", ".h")) or not os.path.isfile(
                os.path.join(repo, f)):
            print(f"mutants.py: {f}: not a C++ file of the repository",
                  file=sys.stderr)
            return 2

    mutants = []
    for f in args.files:
        mutants.extend(mutants_of(repo, f))
    chosen = mutants if args.all else random.Random(args.seed).sample(
        mutants, min(args.sample, len(mutants)))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"],
                            cwd=repo, stdout=subprocess.PIPE, text=True,
                            check=True).stdout.strip()
    header = (f"mutants.py at {commit}: {len(mutants)} mutants of "
              f"{', '.join(args.files)}; running "
              f"{'all' if args.all else f'{len(chosen)} (seed {args.seed})'}")
    print(header, flush=True)
    if args.list:
        for m in chosen:
            print(m.describe())
        return 0

    workdir = args.workdir or tempfile.mkdtemp(prefix="restree-mutants-")
    scratch_copy(repo, workdir)
    out = args.out or os.path.join(workdir, "mutants-out")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    tests = args.tests or test_targets(workdir, args.files)
    print(f"tests ({len(tests)}): {' '.join(tests)}", flush=True)
    # Build once unmutated, so each mutant pays only for what it changes;
    # the suite must pass as it is.
    base = run(["bazel", "test", "--build_tests_only"] + args.bazel_arg +
               tests, cwd=workdir)
    if base.returncode != 0:
        print(base.stdout[-4000:])
        print("mutants.py: the unmutated suite does not pass", file=sys.stderr)
        return 1

    counts = {}
    report = [header, f"tests: {' '.join(tests)}", ""]
    for i, m in enumerate(chosen, 1):
        outcome, secs, log = run_mutant(workdir, m, tests, args.timeout,
                                        args.bazel_arg)
        counts[outcome] = counts.get(outcome, 0) + 1
        line = f"[{i}/{len(chosen)}] {outcome:12} {secs:6.1f}s  " + \
            m.describe().replace("\n", "\n" + " " * 4)
        print(line, flush=True)
        report.append(line)
        if outcome == "survived":
            name = f"survived-{i:03d}-{os.path.basename(m.file)}-{m.line}.diff"
            with open(os.path.join(out, name), "w", encoding="utf-8") as f:
                f.write(diff_of(m))
        if outcome.startswith("error"):
            report.append(log[-2000:])
    killed = counts.get("killed", 0)
    judged = killed + counts.get("survived", 0) + counts.get("timeout", 0)
    rate = killed / judged if judged else 1.0
    summary = (f"killed {killed}, survived {counts.get('survived', 0)}, "
               f"timeout {counts.get('timeout', 0)}, uncompilable "
               f"{counts.get('uncompilable', 0)}; kill rate "
               f"{100 * rate:.1f}% of {judged}")
    print(summary)
    report.append(summary)
    with open(os.path.join(out, "report.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(report) + "\n")
    print(f"report and survivors' diffs: {out}")
    if args.min_kill_rate is not None and rate < args.min_kill_rate:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
