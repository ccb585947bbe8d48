"""The C implementation of the redesign operations the kernel-in-the-loop
harness runs next to the kernel's resource.c (tests/kernel_shim/resource_redesign.h).

@restree_redesign//:resource_redesign.c is restree's own
tests/kernel_shim/resource_redesign.c, or, when $RESTREE_REDESIGN_C names a
file (bazel --repo_env; tools/kernel_in_the_loop.sh --redesign FILE.c), that
file: a developer's implementation of the same header. It is linked in by
symlink, so edits to either file are seen. origin.h says which
(RESTREE_REDESIGN_ORIGIN: "restree" or the file's path).
"""

def _redesign_source_impl(ctx):
    user = ctx.os.environ.get("RESTREE_REDESIGN_C", "")
    if user:
        path = ctx.path(user)
        if not path.exists:
            fail("RESTREE_REDESIGN_C=%s: no such file" % user)
        origin = str(path)
    else:
        path = ctx.path(Label("//tests/kernel_shim:resource_redesign.c"))
        origin = "restree"
    ctx.symlink(path, "resource_redesign.c")
    ctx.file("origin.h", "#define RESTREE_REDESIGN_ORIGIN \"%s\"\n" %
                         origin.replace("\\", "\\\\").replace("\"", "\\\""))
    ctx.file("BUILD.bazel", """exports_files(["resource_redesign.c"])

cc_library(
    name = "origin",
    hdrs = ["origin.h"],
    visibility = ["//visibility:public"],
)
""")

redesign_source = repository_rule(
    implementation = _redesign_source_impl,
    local = True,
    environ = ["RESTREE_REDESIGN_C"],
)
