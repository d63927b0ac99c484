"""mm_test: a GoogleTest suite for mm/, named after its file (<name>.cc), linked with the host mm_panic.
host_test: the same for the host-tested portable C of the other packages (platform/, boot/)."""

# Every mm/ C target compiles with these (the toolchain adds -Wall -Wextra; spelled out so the package does not
# depend on that).
MM_COPTS = [
    "-std=c11",
    "-Wall",
    "-Wextra",
    "-Werror",
]

def mm_test(name, deps = [], **kwargs):
    native.cc_test(
        name = name,
        srcs = kwargs.pop("srcs", [name + ".cc"]),
        deps = [
            ":host_support",
            ":mm",
            "@googletest//:gtest_main",
        ] + deps,
        **kwargs
    )

def host_test(name, deps = [], **kwargs):
    """A GoogleTest suite outside mm/: <name>.cc unless srcs is given, C++17 and size small unless given, linked with
    gtest_main and the host mm_panic (//mm:host_support)."""
    native.cc_test(
        name = name,
        size = kwargs.pop("size", "small"),
        srcs = kwargs.pop("srcs", [name + ".cc"]),
        copts = kwargs.pop("copts", ["-std=c++17"]),
        deps = deps + [
            "//mm:host_support",
            "@googletest//:gtest_main",
        ],
        **kwargs
    )
