"""Repository rules that wrap Debian-installed C++ libraries for Bazel 4.2.

Headers are found in /usr/include (a builtin include dir of the autoconfigured
toolchain), so targets carry only linkopts, computed with pkg-config.
"""

def _pkg_config_libs(ctx, spec):
    """spec: space-separated pkg-config modules and/or raw -l flags."""
    flags = []
    modules = []
    for tok in spec.split(" "):
        if not tok:
            continue
        if tok.startswith("-"):
            flags.append(tok)
        else:
            modules.append(tok)
    if modules:
        pc = ctx.which("pkg-config")
        if not pc:
            fail("pkg-config not found; apt-get install pkg-config")
        r = ctx.execute([pc, "--libs"] + modules)
        if r.return_code != 0:
            fail("pkg-config --libs %s failed: %s" % (" ".join(modules), r.stderr))
        flags += [t for t in r.stdout.strip().split(" ") if t]
    return flags

_LIB = """
cc_library(
    name = "{name}",
    linkopts = {linkopts},
    visibility = ["//visibility:public"],
)
"""

def _system_cc_library_impl(ctx):
    out = []
    for name, spec in ctx.attr.targets.items():
        out.append(_LIB.format(name = name, linkopts = repr(_pkg_config_libs(ctx, spec) + ["-lpthread"])))
    ctx.file("WORKSPACE", "workspace(name = \"%s\")\n" % ctx.name)
    ctx.file("BUILD.bazel", "".join(out))

system_cc_library = repository_rule(
    implementation = _system_cc_library_impl,
    attrs = {"targets": attr.string_dict(mandatory = True)},
    local = True,
    environ = ["PKG_CONFIG_PATH"],
)

# Bazel label (package:target) -> pkg-config module, mirroring upstream
# abseil-cpp label names so BUILD files read like tcmalloc/re2 ones.
_ABSL = {
    "absl/base:core_headers": "absl_core_headers",
    "absl/base": "absl_base",
    "absl/container:btree": "absl_btree",
    "absl/container:flat_hash_map": "absl_flat_hash_map",
    "absl/container:flat_hash_set": "absl_flat_hash_set",
    "absl/container:inlined_vector": "absl_inlined_vector",
    "absl/status": "absl_status",
    "absl/status:statusor": "absl_statusor",
    "absl/strings": "absl_strings",
    "absl/strings:str_format": "absl_str_format",
    "absl/types:span": "absl_span",
    "absl/types:optional": "absl_optional",
    "absl/types:variant": "absl_variant",
    "absl/flags:flag": "absl_flags",
    "absl/flags:parse": "absl_flags_parse",
    "absl/algorithm:container": "absl_algorithm_container",
    "absl/numeric:int128": "absl_int128",
    "absl/hash": "absl_hash",
    "absl/random": "absl_random_random",
    "absl/strings:cord": "absl_cord",
    "absl/functional:function_ref": "absl_function_ref",
    "absl/functional:bind_front": "absl_bind_front",
    "absl/container:node_hash_map": "absl_node_hash_map",
    "absl/container:fixed_array": "absl_fixed_array",
    "absl/time": "absl_time",
    "absl/base:endian": "absl_endian",
    "absl/cleanup": "absl_cleanup",
}

def _system_absl_impl(ctx):
    pkgs = {}
    for label, module in _ABSL.items():
        pkg, _, tgt = label.partition(":")
        if not tgt:
            tgt = pkg.split("/")[-1]
        pkgs.setdefault(pkg, []).append(
            _LIB.format(name = tgt, linkopts = repr(_pkg_config_libs(ctx, module))),
        )
    ctx.file("WORKSPACE", "workspace(name = \"%s\")\n" % ctx.name)
    ctx.file("BUILD.bazel", "")
    for pkg, rules in pkgs.items():
        ctx.file(pkg + "/BUILD.bazel", "".join(rules))

system_absl = repository_rule(
    implementation = _system_absl_impl,
    local = True,
    environ = ["PKG_CONFIG_PATH"],
)

def _fuzzed_data_provider_impl(ctx):
    """Exposes clang's <fuzzer/FuzzedDataProvider.h> alone (works under gcc too)."""
    clang = ctx.which("clang")
    if not clang:
        fail("clang not found; apt-get install clang")
    r = ctx.execute([clang, "-print-resource-dir"])
    if r.return_code != 0:
        fail("clang -print-resource-dir failed: " + r.stderr)
    hdr = r.stdout.strip() + "/include/fuzzer/FuzzedDataProvider.h"
    ctx.symlink(hdr, "fuzzer/FuzzedDataProvider.h")
    ctx.file("WORKSPACE", "workspace(name = \"%s\")\n" % ctx.name)
    ctx.file("BUILD.bazel", """
cc_library(
    name = "fuzzed_data_provider",
    hdrs = ["fuzzer/FuzzedDataProvider.h"],
    includes = ["."],
    visibility = ["//visibility:public"],
)
""")

fuzzed_data_provider = repository_rule(
    implementation = _fuzzed_data_provider_impl,
    local = True,
)
