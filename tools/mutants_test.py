"""Tests of tools/mutants.py's mutant generator (no Bazel runs)."""

import os
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


if __name__ == "__main__":
    unittest.main()
