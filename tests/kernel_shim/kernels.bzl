"""The kernel slots of the kernel-in-the-loop harness, and the targets each gets.

Every slot is one @linux_kernel_source* repository (third_party/kernel_source.bzl)
and a suffix for the names of the targets built from it: "" for the default
slot (Debian's 6.1, or $RESTREE_KERNEL_SOURCE), "_6_12" for Debian's 6.12 (or
$RESTREE_KERNEL_SOURCE_6_12). The shim, the C++ harness code and the test
bodies are compiled once; resource.c, the adapter and what reads
kernel_info.h once per slot.
"""

# suffix -> repository name.
KERNELS = {
    "": "linux_kernel_source",
    "_6_12": "linux_kernel_source_6_12",
}

_SHIM_INCLUDE = [
    "-isystem",
    "tests/kernel_shim/include",
]

# Kernel-like code generation for resource.c, and the configuration symbols
# that compile in every function restree models (Debian amd64's settings).
KERNEL_COPTS = _SHIM_INCLUDE + [
    "-std=gnu11",
    "-fno-strict-aliasing",
    "-fno-common",
    "-fno-delete-null-pointer-checks",
    "-fno-strict-overflow",
    "-Wno-sign-compare",
    "-Wno-pointer-sign",
    "-Wno-unused-parameter",
    "-Wno-unused-function",
    "-DKBUILD_MODNAME=\\\"resource\\\"",
    "-DCONFIG_PROC_FS=1",
    "-DCONFIG_MEMORY_HOTREMOVE=1",
    "-DCONFIG_MEMORY_HOTPLUG=1",
    "-DCONFIG_GET_FREE_REGION=1",
    "-DCONFIG_STRICT_DEVMEM=1",
    "-DCONFIG_IO_STRICT_DEVMEM=1",
]

SHIM_COPTS = _SHIM_INCLUDE + [
    "-std=gnu11",
    "-Wall",
    "-Wextra",
    "-Wno-unused-parameter",
]

def kernel_shim_targets(suffix, repo):
    """resource.c, the adapter and the header check for one kernel slot.

    Defined in //tests/kernel_shim: kernel_resource<suffix>,
    kernel_adapter<suffix>, ioport_check_test<suffix> (and its helpers; the
    test's body, ioport_check_test_body, is shared).
    """
    r = "@" + repo + "//"

    # resource.c sees its own kernel's include/linux/ioport.h (struct resource
    # and helpers of that version); the shim, the adapter and C++ see the
    # shim's, which ioport_check_test holds to the same values, types and
    # layout. -I precedes the shim's -isystem.
    ioport_include = ["-Iexternal/" + repo + "/include"]

    # resource.c, and ioport.h's inline helpers (ioport_helpers.c).
    native.cc_library(
        name = "kernel_resource" + suffix,
        testonly = True,
        srcs = [
            "ioport_helpers.c",
            r + ":kernel_ioport",
            r + ":resource.c",
        ],
        copts = ioport_include + KERNEL_COPTS,
        deps = [
            ":kernel_adapter_api",
            ":shim",
            r + ":kernel_info",
        ],
    )

    native.cc_library(
        name = "kernel_adapter" + suffix,
        testonly = True,
        srcs = ["kernel_adapter.c"],
        copts = SHIM_COPTS,
        visibility = ["//:__subpackages__"],
        # The redesign implementation it calls is linked in by whoever
        # uses the adapter (//tests:kernel_in_the_loop<suffix>: restree's;
        # kernel_in_the_loop_user<suffix>: a developer's; the mutant test).
        deps = [
            ":kernel_adapter_api",
            ":kernel_resource" + suffix,
            ":resource_redesign_api",
            ":shim",
            r + ":kernel_info",
        ],
    )

    # The shim's ioport.h and restree's flags.h against the kernel's
    # ioport.h: one program, compiled against each header.
    native.genrule(
        name = "ioport_check_c" + suffix,
        srcs = [r + ":ioport.h"],
        outs = ["ioport_check%s.c" % suffix],
        cmd = "$(location gen_ioport_check.sh) $(location %s:ioport.h) > $@" % r,
        tools = ["gen_ioport_check.sh"],
    )

    native.cc_binary(
        name = "ioport_check_kernel" + suffix,
        testonly = True,
        srcs = [
            ":ioport_check_c" + suffix,
            r + ":kernel_ioport",
        ],
        copts = ioport_include + SHIM_COPTS + ["-w"],
        deps = [":shim"],
    )

    native.cc_binary(
        name = "ioport_check_shim" + suffix,
        testonly = True,
        srcs = [":ioport_check_c" + suffix],
        copts = SHIM_COPTS + ["-w"],
        deps = [":shim"],
    )

    native.cc_test(
        name = "ioport_check_test" + suffix,
        env = {"RESTREE_IOPORT_CHECK_SUFFIX": suffix},
        data = [
            ":ioport_check_kernel" + suffix,
            ":ioport_check_shim" + suffix,
        ],
        deps = [":ioport_check_test_body"],
    )
