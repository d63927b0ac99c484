"""uefi_image and esp_image: the kernel as a PE32+ EFI application, and a FAT disk that boots it.

uefi_image carries its `deps` through a transition to a UEFI platform, so `bazel build //...` on the host
builds both architectures' images in one invocation with no --platforms flag. The dependencies are compiled
by the matching toolchain (cc_toolchain_config.bzl) and linked here by lld-link directly, because Bazel's
C++ link action adds GNU-style flags (-Wl,-S, -whole-archive) that lld-link does not understand.
"""

# Host-only instrumentation stays on the host side: coverage (.bazelrc's --config=coverage; a UEFI image has no
# profile runtime to link: lld-link reports undefined __llvm_profile_runtime) and the sanitizers (--config=asan,
# ubsan: no sanitizer runtime exists for a UEFI application, and clang's ignore lists are undeclared inputs of
# the UEFI toolchain). The kernel is neither what is measured nor what the sanitizer configs test.
_HOST_ONLY_COPT_PREFIXES = ["-fprofile-instr-generate", "-fcoverage-", "-fsanitize", "-fno-sanitize"]

def _uefi_copts(copts):
    return [c for c in copts if not [p for p in _HOST_ONLY_COPT_PREFIXES if c.startswith(p)]]

def _uefi_platform_transition_impl(settings, attr):
    return {
        "//command_line_option:platforms": str(attr.platform),
        "//command_line_option:copt": _uefi_copts(settings["//command_line_option:copt"]),
    }

_uefi_platform_transition = transition(
    implementation = _uefi_platform_transition_impl,
    inputs = ["//command_line_option:copt"],
    outputs = ["//command_line_option:platforms", "//command_line_option:copt"],
)

def _uefi_image_impl(ctx):
    archives = []
    for dep in ctx.attr.deps:
        for linker_input in dep[CcInfo].linking_context.linker_inputs.to_list():
            for library in linker_input.libraries:
                if library.static_library:
                    archives.append(library.static_library)
                elif library.pic_static_library:
                    archives.append(library.pic_static_library)
    out = ctx.actions.declare_file(ctx.label.name + ".efi")
    args = ctx.actions.args()
    args.add("/nologo")
    args.add("/subsystem:efi_application")
    args.add("/entry:" + ctx.attr.entry)
    args.add("/nodefaultlib")
    args.add("/machine:" + ctx.attr.machine)
    # DWARF stays in the image for gdb (README: debugging); relocations stay so firmware can load it anywhere.
    args.add("/debug:dwarf")
    # No link time in the image: the PE and debug-directory timestamps become a hash of the contents, so the
    # same sources give the same bytes (the disk images built from it are reproducible, tools/disk).
    args.add("/Brepro")
    args.add("/out:" + out.path)
    args.add_all(archives)
    # Every archive member the entry point reaches is linked; lld-link searches archives in any order.
    ctx.actions.run(
        executable = ctx.executable._lld_link,
        arguments = [args],
        inputs = archives,
        outputs = [out],
        mnemonic = "UefiLink",
        progress_message = "Linking EFI application %s" % out.short_path,
    )
    # Runfiles too, so a test can name the image in `data` (tools/disk compares the disk's copy with it).
    return [DefaultInfo(files = depset([out]), runfiles = ctx.runfiles(files = [out]))]

uefi_image = rule(
    implementation = _uefi_image_impl,
    attrs = {
        "deps": attr.label_list(providers = [CcInfo], cfg = _uefi_platform_transition),
        "platform": attr.label(mandatory = True),
        "machine": attr.string(mandatory = True, values = ["x64", "arm64"]),
        "entry": attr.string(default = "efi_main"),
        "_lld_link": attr.label(default = "@llvm_toolchain//:bin/lld-link", executable = True, allow_single_file = True, cfg = "exec"),
        "_allowlist_function_transition": attr.label(default = "@bazel_tools//tools/allowlists/function_transition_allowlist"),
    },
    doc = "Links cc_library deps, built for `platform`, into a PE32+ EFI application <name>.efi.",
)

def _esp_image_impl(ctx):
    out = ctx.actions.declare_file(ctx.label.name + ".img")
    efi = ctx.file.efi
    cmdline = ctx.file.cmdline
    # mtools builds the FAT image without root or loop devices (environment.md). 32 MiB FAT16: large enough for
    # any debug build of the kernel, small enough to copy per run.
    ctx.actions.run_shell(
        inputs = [efi, cmdline],
        outputs = [out],
        command = """
set -eu
export MTOOLS_SKIP_CHECK=1
mformat -i "$1" -C -T 65536 -h 64 -s 32 -v ESP ::
mmd -i "$1" ::/EFI ::/EFI/BOOT
mcopy -i "$1" "$2" "::/EFI/BOOT/$4"
mcopy -i "$1" "$3" ::/EFI/BOOT/cmdline
""",
        arguments = [out.path, efi.path, cmdline.path, ctx.attr.boot_name],
        mnemonic = "EspImage",
        progress_message = "Building ESP image %s" % out.short_path,
        use_default_shell_env = True,
    )
    return [DefaultInfo(files = depset([out]), runfiles = ctx.runfiles(files = [out]))]

esp_image = rule(
    implementation = _esp_image_impl,
    attrs = {
        "efi": attr.label(mandatory = True, allow_single_file = [".efi"]),
        "boot_name": attr.string(mandatory = True, values = ["BOOTX64.EFI", "BOOTAA64.EFI"]),
        "cmdline": attr.label(mandatory = True, allow_single_file = True),
    },
    doc = "A FAT EFI system partition image with EFI/BOOT/<boot_name> and EFI/BOOT/cmdline.",
)

def _gpt_disk_image_impl(ctx):
    out = ctx.actions.declare_file(ctx.label.name + ".img")
    ctx.actions.run_shell(
        inputs = [ctx.file.efi, ctx.file._make_gpt_disk],
        outputs = [out],
        command = 'bash "$@"',
        arguments = [
            ctx.file._make_gpt_disk.path,
            out.path,
            ctx.file.efi.path,
            ctx.attr.boot_name,
            ctx.attr.disk_guid,
            ctx.attr.partition_guid,
            str(ctx.attr.esp_mib),
        ],
        mnemonic = "GptDiskImage",
        progress_message = "Building GPT disk image %s" % out.short_path,
        use_default_shell_env = True,
    )
    return [DefaultInfo(files = depset([out]), runfiles = ctx.runfiles(files = [out]))]

gpt_disk_image = rule(
    implementation = _gpt_disk_image_impl,
    attrs = {
        "efi": attr.label(mandatory = True, allow_single_file = [".efi"]),
        "boot_name": attr.string(mandatory = True, values = ["BOOTX64.EFI", "BOOTAA64.EFI"]),
        "disk_guid": attr.string(mandatory = True, doc = "the GPT's DiskGUID, upper case; fixed so the image is reproducible"),
        "partition_guid": attr.string(mandatory = True, doc = "the ESP's UniquePartitionGUID, upper case"),
        "esp_mib": attr.int(default = 64, doc = "ESP size in MiB (FAT32: at least 34)"),
        "_make_gpt_disk": attr.label(default = "//tools/disk:make_gpt_disk.sh", allow_single_file = True),
    },
    doc = """A GPT disk image <name>.img for real machines: one FAT32 EFI System Partition at 1 MiB holding efi as
\\EFI\\BOOT\\<boot_name> and no command line file, so the kernel boots with its defaults
(tools/disk/make_gpt_disk.sh has the layout).""",
)
