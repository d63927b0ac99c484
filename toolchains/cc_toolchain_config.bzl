"""The project's three C/C++ toolchains, all clang-19 (toolchains/BUILD.bazel instantiates them).

- host:         x86_64 Linux, for unit tests, fuzzers, benchmarks and host tools.
- uefi_x86_64:  --target=x86_64-unknown-windows, freestanding, for the kernel (PE32+ via lld-link).
- uefi_aarch64: --target=aarch64-unknown-windows, freestanding, for the kernel (PE32+ via lld-link).

UEFI compiles use -nostdinc plus clang's builtin headers only, so no host header can leak into the kernel.
Flags for UEFI come from ../shared/guides/environment.md: -ffreestanding -fshort-wchar -mno-red-zone
-fno-stack-protector -mno-stack-arg-probe; AArch64 adds -mgeneral-regs-only (no FP/SIMD in the kernel) and
-mstrict-align (code may run with the MMU off). The UEFI images are linked by uefi_image (uefi.bzl), which
calls lld-link itself; these toolchains only compile and archive.
"""

load("@bazel_tools//tools/build_defs/cc:action_names.bzl", "ACTION_NAMES")
load("@bazel_tools//tools/cpp:cc_toolchain_config_lib.bzl", "feature", "flag_group", "flag_set", "tool_path", "with_feature_set")

_LLVM = "/usr/lib/llvm-19"
_BUILTIN = _LLVM + "/lib/clang/19/include"

_C_COMPILE = [ACTION_NAMES.c_compile, ACTION_NAMES.assemble, ACTION_NAMES.preprocess_assemble]
_CXX_COMPILE = [ACTION_NAMES.cpp_compile, ACTION_NAMES.cpp_header_parsing, ACTION_NAMES.cpp_module_compile]
_ALL_COMPILE = _C_COMPILE + _CXX_COMPILE
_LINK = [ACTION_NAMES.cpp_link_executable, ACTION_NAMES.cpp_link_dynamic_library, ACTION_NAMES.cpp_link_nodeps_dynamic_library]

# Flags every UEFI compile shares (environment.md): freestanding, clang's builtin headers only, UCS-2 wchar_t,
# no stack protector or stack probes (no runtime to provide them), DWARF for gdb.
_UEFI_COMPILE = [
    "-no-canonical-prefixes",
    "-ffreestanding",
    "-nostdinc",
    "-isystem",
    _BUILTIN,
    "-fshort-wchar",
    "-fno-stack-protector",
    "-mno-stack-arg-probe",
    "-fno-exceptions",
    "-Wall",
    "-Wextra",
    "-Wno-unused-parameter",
    "-gdwarf",
]

_FLAVORS = {
    "host": struct(
        target = "x86_64-unknown-linux-gnu",
        compile = ["-no-canonical-prefixes", "-fno-omit-frame-pointer", "-Wall", "-Wextra", "-Wno-unused-parameter"],
        c = ["-std=c11"],
        cxx = ["-std=c++17"],
        link = ["-fuse-ld=lld", "-no-canonical-prefixes", "-lstdc++", "-lm", "-pthread"],
        builtin_dirs = ["/usr/include", "/usr/local/include", _BUILTIN, _LLVM + "/lib/clang/19/share"],
    ),
    "uefi_x86_64": struct(
        target = "x86_64-unknown-windows",
        compile = _UEFI_COMPILE + ["-mno-red-zone"],
        c = ["-std=c11"],
        cxx = [],
        link = [],
        builtin_dirs = [_BUILTIN],
    ),
    "uefi_aarch64": struct(
        target = "aarch64-unknown-windows",
        compile = _UEFI_COMPILE + ["-mgeneral-regs-only", "-mstrict-align"],
        c = ["-std=c11"],
        cxx = [],
        link = [],
        builtin_dirs = [_BUILTIN],
    ),
}

def _impl(ctx):
    flavor = _FLAVORS[ctx.attr.flavor]
    tool_paths = [
        tool_path(name = "gcc", path = _LLVM + "/bin/clang"),
        tool_path(name = "ld", path = _LLVM + "/bin/ld.lld"),
        tool_path(name = "ar", path = _LLVM + "/bin/llvm-ar"),
        tool_path(name = "cpp", path = _LLVM + "/bin/clang"),
        tool_path(name = "nm", path = _LLVM + "/bin/llvm-nm"),
        tool_path(name = "objdump", path = _LLVM + "/bin/llvm-objdump"),
        tool_path(name = "objcopy", path = _LLVM + "/bin/llvm-objcopy"),
        tool_path(name = "strip", path = _LLVM + "/bin/llvm-strip"),
        tool_path(name = "gcov", path = "/bin/false"),
    ]
    features = [
        feature(
            name = "project_compile_flags",
            enabled = True,
            flag_sets = [
                flag_set(actions = _ALL_COMPILE, flag_groups = [flag_group(flags = ["--target=" + flavor.target] + flavor.compile)]),
                flag_set(actions = [ACTION_NAMES.c_compile], flag_groups = [flag_group(flags = flavor.c)] if flavor.c else []),
                flag_set(actions = _CXX_COMPILE, flag_groups = [flag_group(flags = flavor.cxx)] if flavor.cxx else []),
                flag_set(actions = _ALL_COMPILE, flag_groups = [flag_group(flags = ["-O2", "-g"])], with_features = [with_feature_set(not_features = ["dbg"])]),
                flag_set(actions = _ALL_COMPILE, flag_groups = [flag_group(flags = ["-O0", "-g"])], with_features = [with_feature_set(features = ["dbg"])]),
                # Reproducible: no absolute paths or build dates in objects.
                flag_set(actions = _ALL_COMPILE, flag_groups = [flag_group(flags = [
                    "-Wno-builtin-macro-redefined",
                    "-D__DATE__=\"redacted\"",
                    "-D__TIMESTAMP__=\"redacted\"",
                    "-D__TIME__=\"redacted\"",
                ])]),
            ],
        ),
        feature(
            name = "project_link_flags",
            enabled = True,
            flag_sets = [flag_set(actions = _LINK, flag_groups = [flag_group(flags = ["--target=" + flavor.target] + flavor.link)])] if flavor.link else [],
        ),
        feature(name = "dbg"),
        feature(name = "opt"),
        feature(name = "fastbuild"),
    ]
    return cc_common.create_cc_toolchain_config_info(
        ctx = ctx,
        features = features,
        cxx_builtin_include_directories = flavor.builtin_dirs,
        toolchain_identifier = "clang19-" + ctx.attr.flavor,
        host_system_name = "x86_64-unknown-linux-gnu",
        target_system_name = flavor.target,
        target_cpu = ctx.attr.cpu,
        target_libc = "none" if ctx.attr.flavor != "host" else "glibc",
        compiler = "clang",
        abi_version = "clang19",
        abi_libc_version = "none",
        tool_paths = tool_paths,
    )

cc_toolchain_config = rule(
    implementation = _impl,
    attrs = {
        "flavor": attr.string(mandatory = True, values = _FLAVORS.keys()),
        "cpu": attr.string(mandatory = True),
    },
    provides = [CcToolchainConfigInfo],
)
