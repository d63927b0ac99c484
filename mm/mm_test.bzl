"""mm_test: a GoogleTest suite for mm/, named after its file (<name>.cc), linked with the host mm_panic."""

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
