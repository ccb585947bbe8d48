#!/usr/bin/env python3
"""Writes (or checks) .clusterfuzzlite/manifest.txt from Bazel's build graph.

The ClusterFuzzLite / OSS-Fuzz build (.clusterfuzzlite/build.sh) compiles the
fuzz targets without Bazel. What it compiles comes from this manifest, which
is generated from `bazel query` over every fuzz_target() binary in //fuzz, so
that the two builds cannot drift apart silently:

  tools/fuzz_manifest.py            rewrite .clusterfuzzlite/manifest.txt
  tools/fuzz_manifest.py --check    exit 1 (with a diff) if it is stale,
                                    or if .clusterfuzzlite/kernel_source.sh
                                    derives another kernel_info.h than
                                    third_party/kernel_source.bzl; .ci/run
                                    runs this

The manifest lists, for every compiled source, the copts of the rule that
compiles it (after Bazel's shell tokenization), and for every fuzz target its
sources and the Abseil pkg-config modules of its Abseil dependencies (the
label -> module table of third_party/system_libs.bzl). A BUILD shape the
script does not understand (a generated source, a rule kind other than
cc_library/cc_binary/filegroup, `defines`/`includes` on our own code) is an
error rather than a silently wrong manifest.
"""

import difflib
import os
import re
import shlex
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MANIFEST = os.path.join(ROOT, ".clusterfuzzlite", "manifest.txt")
KERNEL_REPO = "@linux_kernel_source"
ABSL_REPO = "@com_google_absl"
# Bazel-only pieces: the corpus replayer (the default build's engine) and the
# toolchain's own helpers.
SKIP = {"//fuzz:replay_main"}
SKIP_REPOS = ("@bazel_tools", "@local_config_cc")
HEADER_ONLY_REPOS = ("@llvm_fuzzed_data_provider",)
SOURCE_EXT = (".cc", ".c")
HEADER_EXT = (".h", ".inc")


def fail(msg):
  sys.stderr.write("fuzz_manifest: %s\n" % msg)
  sys.exit(2)


def bazel_query(expr, output):
  r = subprocess.run(["bazel", "query", "--output=" + output, expr],
                     cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                     universal_newlines=True)
  if r.returncode != 0:
    fail("bazel query %s failed:\n%s" % (expr, r.stderr[-2000:]))
  return r.stdout


def absl_modules():
  """The label -> pkg-config module table of third_party/system_libs.bzl."""
  text = open(os.path.join(ROOT, "third_party", "system_libs.bzl")).read()
  block = re.search(r"_ABSL = \{(.*?)\n\}", text, re.S)
  if not block:
    fail("no _ABSL table in third_party/system_libs.bzl")
  table = {}
  for label, module in re.findall(r'"([^"]+)":\s*"([^"]+)"', block.group(1)):
    pkg, _, name = label.partition(":")
    table["%s//%s:%s" % (ABSL_REPO, pkg, name or pkg.split("/")[-1])] = module
  return table


def load_rules():
  xml = bazel_query(
      'kind("cc_library|cc_binary|filegroup", deps(attr(generator_function, '
      'fuzz_target, kind(cc_binary, //fuzz:all))))', "xml")
  rules = {}
  for r in ET.fromstring(xml).iter("rule"):
    attrs = {}
    for lst in r.findall("list"):
      attrs[lst.get("name")] = [
          e.get("value") for e in lst if e.get("value") is not None
      ]
    for s in r.findall("string"):
      attrs[s.get("name")] = s.get("value")
    rules[r.get("name")] = (r.get("class"), attrs)
  return rules


def source_path(label):
  """Repository-relative path of a source label; @kernel/ for the kernel's."""
  if label.startswith(KERNEL_REPO + "//:"):
    return "@kernel/" + label.split(":", 1)[1]
  if not label.startswith("//"):
    fail("source %s is outside this repository" % label)
  pkg, _, name = label[2:].partition(":")
  return "%s/%s" % (pkg, name) if pkg else name


def copts_of(label, attrs):
  out = []
  for c in attrs.get("copts", []):
    for tok in shlex.split(c):
      tok = tok.replace("external/linux_kernel_source", "@kernel")
      out.append(tok)
  for attr in ("defines", "local_defines", "includes"):
    if attrs.get(attr) and not label.startswith("@"):
      fail("%s has %s, which build.sh does not handle" % (label, attr))
  return out


def kernel_info_matches():
  """.clusterfuzzlite/kernel_source.sh and Bazel's @linux_kernel_source
  derive the same kernel_info.h (origin and comment aside)."""
  base = subprocess.run(["bazel", "info", "output_base"], cwd=ROOT,
                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                        universal_newlines=True).stdout.strip()
  bazel_h = os.path.join(base, "external", "linux_kernel_source",
                         "kernel_info.h")
  if not os.path.exists(bazel_h):
    print("fuzz_manifest: @linux_kernel_source not fetched; kernel_info.h "
          "not compared")
    return True
  with tempfile.TemporaryDirectory() as tmp:
    r = subprocess.run(
        [os.path.join(ROOT, ".clusterfuzzlite", "kernel_source.sh"), tmp],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        universal_newlines=True)
    if r.returncode != 0:
      sys.stderr.write("fuzz_manifest: kernel_source.sh failed:\n%s" % r.stdout)
      return False
    ours = open(os.path.join(tmp, "kernel_info.h")).read().splitlines()
    stubs = sorted(os.listdir(os.path.join(tmp, "include", "linux")))
  theirs = open(bazel_h).read().splitlines()
  keep = lambda lines: [l for l in lines if l.startswith("#define") and
                        "RESTREE_KERNEL_ORIGIN" not in l]
  bazel_stubs = sorted(os.listdir(os.path.join(os.path.dirname(bazel_h),
                                               "include", "linux")))
  if keep(ours) != keep(theirs) or stubs != bazel_stubs:
    sys.stderr.write(
        "fuzz_manifest: .clusterfuzzlite/kernel_source.sh and "
        "third_party/kernel_source.bzl disagree:\n  %s %s\n  %s %s\n" %
        (keep(ours), stubs, keep(theirs), bazel_stubs))
    return False
  return True


def main():
  check = sys.argv[1:] == ["--check"]
  if sys.argv[1:] and not check:
    fail("usage: tools/fuzz_manifest.py [--check]")
  rules = load_rules()
  absl = absl_modules()
  targets = sorted(
      l for l, (cls, a) in rules.items()
      if cls == "cc_binary" and a.get("generator_function") == "fuzz_target")
  if not targets:
    fail("no fuzz_target() binaries in //fuzz")

  units = {}  # path -> copts

  def expand_srcs(label, seen):
    """Compiled sources below a srcs entry (a file or a filegroup)."""
    if label in rules:
      cls, a = rules[label]
      if cls != "filegroup":
        fail("%s in srcs is a %s" % (label, cls))
      out = []
      for s in a.get("srcs", []):
        out += expand_srcs(s, seen)
      return out
    if label.endswith(HEADER_EXT):
      return []
    if label.endswith(SOURCE_EXT):
      return [label]
    fail("%s: a source build.sh cannot compile (generated?)" % label)

  lines = []
  for t in targets:
    srcs, modules, seen, libs = [], set(), set(), []
    stack = [t]
    while stack:
      label = stack.pop()
      if label in seen or label in SKIP or label.startswith(SKIP_REPOS):
        continue
      seen.add(label)
      if label.startswith(ABSL_REPO):
        if label not in absl:
          fail("%s has no pkg-config module in system_libs.bzl" % label)
        modules.add(absl[label])
        continue
      if (label.startswith("@") and not label.startswith(KERNEL_REPO) and
          not label.startswith(HEADER_ONLY_REPOS)):
        # Another Debian library (third_party/system_libs.bzl): its linkopts.
        for opt in rules.get(label, ("", {}))[1].get("linkopts", []):
          if opt not in libs:
            libs.append(opt)
        continue
      if label not in rules:
        fail("%s (a dependency of %s) is not a known rule" % (label, t))
      cls, a = rules[label]
      if cls not in ("cc_library", "cc_binary"):
        fail("%s: %s rules are not handled" % (label, cls))
      if not label.startswith(HEADER_ONLY_REPOS):
        flags = copts_of(label, a)
        for s in a.get("srcs", []):
          for f in expand_srcs(s, set()):
            path = source_path(f)
            if units.setdefault(path, flags) != flags:
              fail("%s is compiled by two rules with different copts" % path)
            srcs.append(path)
      stack += a.get("deps", [])
    name = t.split(":", 1)[1]
    lines.append("fuzzer %s %s" % (name, " ".join(sorted(srcs))))
    lines.append("absl %s %s" % (name, " ".join(sorted(modules))))
    lines.append("libs %s %s" % (name, " ".join(libs)))

  text = [
      "# Generated by tools/fuzz_manifest.py from Bazel's build graph; do not",
      "# edit. `tools/fuzz_manifest.py --check` (run by .ci/run) fails when a",
      "# fuzz target's sources, copts or Abseil deps change and this does not.",
      "#   src PATH COPTS...         a source and its rule's copts (@kernel/ is",
      "#                             the kernel source build.sh prepares)",
      "#   fuzzer NAME PATH...       a fuzz target and every source it links",
      "#   absl NAME MODULE...       its Abseil pkg-config modules",
      "#   libs NAME FLAGS...        its other system libraries' linkopts",
  ]
  text += ["src %s %s" % (p, " ".join(f)) for p, f in sorted(units.items())]
  text += lines
  text = "\n".join(text) + "\n"

  if check:
    if not kernel_info_matches():
      return 1
    old = open(MANIFEST).read() if os.path.exists(MANIFEST) else ""
    if old != text:
      sys.stdout.writelines(
          difflib.unified_diff(old.splitlines(True), text.splitlines(True),
                               MANIFEST, "bazel query"))
      sys.stderr.write("fuzz_manifest: %s is stale; run tools/fuzz_manifest.py"
                       "\n" % os.path.relpath(MANIFEST, ROOT))
      return 1
    print("fuzz_manifest: %s matches the Bazel graph (%d targets, %d sources)"
          % (os.path.relpath(MANIFEST, ROOT), len(targets), len(units)))
    return 0
  with open(MANIFEST, "w") as f:
    f.write(text)
  print("fuzz_manifest: wrote %s (%d targets, %d sources)" %
        (os.path.relpath(MANIFEST, ROOT), len(targets), len(units)))
  return 0


if __name__ == "__main__":
  sys.exit(main())
