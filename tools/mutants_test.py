"""Tests of tools/mutants.py's mutant generator and mutant schemata (no
Bazel runs; the schema test compiles with the system's g++)."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mutants  # noqa: E402  pylint: disable=wrong-import-position

SOURCE = """\
#include <vector>  // a < b in a comment
// if (a < b) return 1;
int F(int a, int b, const std::vector<int>& v) {
  const char* s = "x < y && z";
  if (a < b && b != 0) return 1;
  if (v.size() == 0) {
    return 2;
  }
  while (a >= b || (a == 3 && b > 4)) ++a;
  return r.last() - 1 + v.front();
}
"""


def generate(text):
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "f.cc"), "w", encoding="utf-8") as f:
            f.write(text)
        return mutants.mutants_of(d, "f.cc")


def afters(ms, op):
    return [m.after.strip() for m in ms if m.op == op]


class GeneratorTest(unittest.TestCase):

    def setUp(self):
        self.ms = generate(SOURCE)

    def test_comments_literals_preprocessor_and_templates_are_untouched(self):
        for m in self.ms:
            self.assertNotIn(m.line, (1, 2, 3, 4), m.describe())

    def test_relational_flips(self):
        rel = afters(self.ms, "rel")
        self.assertIn("if (a <= b && b != 0) return 1;", rel)
        self.assertIn("if (a < b && b == 0) return 1;", rel)
        self.assertIn("if (v.size() != 0) {", rel)
        self.assertIn("while (a > b || (a == 3 && b > 4)) ++a;", rel)

    def test_dropped_conjuncts_keep_parentheses_balanced(self):
        cond = afters(self.ms, "cond")
        self.assertIn("if (b != 0) return 1;", cond)
        self.assertIn("if (a < b) return 1;", cond)
        self.assertIn("while ((a == 3 && b > 4)) ++a;", cond)
        self.assertIn("while (a >= b) ++a;", cond)
        self.assertIn("while (a >= b || (b > 4)) ++a;", cond)
        self.assertIn("while (a >= b || (a == 3)) ++a;", cond)
        for c in cond:
            self.assertEqual(c.count("("), c.count(")"), c)

    def test_negated_conditions(self):
        neg = afters(self.ms, "neg")
        self.assertIn("if (!(a < b && b != 0)) return 1;", neg)
        self.assertIn("if (!(v.size() == 0)) {", neg)

    def test_off_by_one(self):
        off1 = afters(self.ms, "off1")
        self.assertIn("return (r.last() + 1) - 1 + v.front();", off1)
        self.assertIn("return r.last() + v.front();", off1)

    def test_early_return_deleted(self):
        ret = [m for m in self.ms if m.op == "ret"]
        # The braced early return (line 7) and the unbraced one (line 5 is
        # an if with its return on the same line: not a separate statement).
        self.assertEqual([m.line for m in ret], [7])
        self.assertEqual(ret[0].after, "")

    def test_every_mutant_changes_exactly_its_line(self):
        lines = SOURCE.splitlines(keepends=True)
        for m in self.ms:
            self.assertEqual(lines[m.line - 1], m.before)
            self.assertNotEqual(m.before, m.after)

    def test_generation_is_deterministic(self):
        self.assertEqual([m.key() for m in self.ms],
                         [m.key() for m in generate(SOURCE)])


# A program whose every mutant changes what it prints (or might): the
# schema run with RESTREE_MUTANT=K must print what mutant K compiled on its
# own prints.
PROGRAM = """\
#include <cstdio>
struct R {
  long f, l;
  long first() const { return f; }
  long last() const { return l; }
};
struct Holder {
  R range;
};
bool Inside(const R& a, const R& b) {
  if (a.first() < b.first() || a.last() > b.last()) return false;
  return true;
}
long Gap(const R& a, const R& b) {
  if (a.last() + 1 == b.first()) {
    return 0;
  }
  const long g = b.first() > a.last() ? b.first() - a.last() - 1 : -1;
  return g;
}
bool Chain(const R& a, const R& b, bool x) {
  return x && a.first() <= b.last() &&
         Holder{b}.range.last() >= a.first();
}
int main() {
  const R rs[] = {{0, 3}, {2, 5}, {4, 9}, {3, 3}, {10, 12}};
  for (const R& a : rs) {
    for (const R& b : rs) {
      std::printf("%d %ld %d %d|", Inside(a, b), Gap(a, b),
                  Chain(a, b, true), Chain(a, b, false));
    }
  }
  std::printf("\\n");
  return 0;
}
"""


def change_of(line, before, after):
    return mutants.Mutant("f.cc", 1, "rel", line,
                          line.replace(before, after, 1))


class SchemaTest(unittest.TestCase):

    def test_change_span_covers_whole_operands(self):
        line = "  Move(i, r.first(), r.last());\n"
        m = change_of(line, "r.last()", "(r.last() + 1)")
        s, e, new = mutants.change_span(m)
        self.assertEqual(line[s:e], "r.last()")
        self.assertEqual(new, "(r.last() + 1)")

    def test_guard_regions(self):
        def region(line, s, e, prev="", nxt=""):
            mask = mutants.code_mask([prev, line])
            r = mutants.guard_region(line, mask[1], s, e, (prev, mask[0]),
                                     nxt, ("&&", "||"))
            return None if r is None else line[r[0]:r[1]]
        line = "  if (a < b || f(c, d <= e)) return x + 1;\n"
        self.assertEqual(region(line, line.index(" < "), line.index(" < ") + 3),
                         "a < b")
        at = line.index(" <= ")
        self.assertEqual(region(line, at, at + 4), "d <= e")
        at = line.index(" + 1")
        self.assertEqual(region(line, at, at + 4), "x + 1")
        # A continuation line: bounded only when its neighbours say so.
        cont = "      it->start <= r.last();\n"
        at = cont.index(" <= ")
        self.assertEqual(region(cont, at, at + 4, "  for (; x &&\n"),
                         "it->start <= r.last()")
        self.assertIsNone(region(cont, at, at + 4, "  for (; x +\n"))
        head = "  return a.first() < b &&\n"
        at = head.index(" < ")
        self.assertEqual(region(head, at, at + 3, "", "    c;\n"),
                         "a.first() < b")

    @unittest.skipIf(shutil.which("g++") is None, "no g++")
    def test_schema_behaves_like_each_mutant(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "p.cc"), "w", encoding="utf-8") as f:
                f.write(PROGRAM)
            ms = mutants.mutants_of(d, "p.cc")
            self.assertGreater(len(ms), 25)
            self.assertEqual({m.op for m in ms},
                             {"rel", "cond", "neg", "off1", "ret"})
            ids = list(enumerate(ms, 1))
            schema, unguarded = mutants.schema_source(PROGRAM, ids)
            # Dropping an operand of the && chain that spans two lines needs
            # the whole chain: those two mutants are rebuilt instead.
            self.assertEqual(
                sorted((ms[i - 1].line, ms[i - 1].op) for i in unguarded),
                [(22, "cond"), (22, "cond")])
            ids = [(i, m) for i, m in ids if i not in unguarded]

            def build(name, text):
                src = os.path.join(d, name + ".cc")
                with open(src, "w", encoding="utf-8") as f:
                    f.write(text)
                exe = os.path.join(d, name)
                subprocess.run(["g++", "-std=c++20", "-Wall", "-Werror",
                                "-Wno-parentheses", "-o", exe, src],
                               check=True)
                return exe

            def output(exe, mid=None):
                env = dict(os.environ)
                env.pop("RESTREE_MUTANT", None)
                if mid is not None:
                    env["RESTREE_MUTANT"] = str(mid)
                return subprocess.run([exe], env=env, check=True,
                                      stdout=subprocess.PIPE,
                                      text=True).stdout

            schema_exe = build("schema", schema)
            original = output(build("original", PROGRAM))
            self.assertEqual(output(schema_exe), original)
            differing = 0
            for mid, m in ids:
                expected = output(build(f"m{mid}", mutants.apply_mutant(
                    PROGRAM, m)))
                self.assertEqual(output(schema_exe, mid), expected,
                                 m.describe())
                differing += expected != original
            # The comparison is not vacuous: most mutants change the output.
            self.assertGreater(differing, len(ids) // 2)


if __name__ == "__main__":
    unittest.main()
