"""arch_package: the three targets every arch/<cpu>/ package defines, so the two stay alike by construction.

- :paging       the identity table builder, portable C (no asm): builds for the UEFI target and the host;
- :arch         everything that needs the real CPU (serial, exit, counters, activation, stack switch,
                exception vectors), built for the UEFI platform of that CPU only;
  (arch_srcs: private headers of that package; arch_deps: its portable, host-tested helper libraries);
- :paging_test  host test: builds tables in simulated memory and walks them with an independent walker.
"""

def arch_package(cpu, paging_hdrs = [], arch_srcs = [], arch_deps = []):
    native.cc_library(
        name = "paging",
        srcs = ["paging.c"],
        hdrs = paging_hdrs,
        copts = ["-Werror"],
        deps = [
            "//arch:arch_h",
            "//arch:paging_common",
        ],
    )
    native.cc_library(
        name = "arch",
        srcs = [
            "cpu.c",
            "cpu_ops.h",
            "exit.c",
            "serial.c",
            "stack.c",
            "trap.c",
        ] + arch_srcs,
        copts = ["-Werror"],
        target_compatible_with = [
            "@platforms//cpu:" + cpu,
            "//toolchains:uefi",
        ],
        deps = [
            ":paging",
            "//arch:arch_h",
        ] + arch_deps,
    )
    native.cc_test(
        name = "paging_test",
        size = "small",
        srcs = ["paging_test.cc"],
        deps = [
            ":paging",
            "//arch/testing:paging_harness",
            "//mm:host_support",
            "@googletest//:gtest_main",
        ],
    )
