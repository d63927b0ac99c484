"""boot_test: one QEMU boot of the kernel, asserted on by tests/boot/boot_test.cc."""

def boot_test(name, arch, qemu = [], cmdline = "debug", expect = "handoff", expect_status = 0, timeout_s = 240, **kwargs):
    native.cc_test(
        name = name,
        srcs = ["boot_test.cc"],
        args = [
            "--runner=$(rootpath //tools/qemu:run_qemu.sh)",
            "--esp=$(rootpath //:esp_%s)" % arch,
            "--arch=" + arch,
            "--cmdline=" + cmdline,
            "--expect=" + expect,
            "--expect_status=%d" % expect_status,
            "--timeout=%d" % timeout_s,
        ] + ["--qemu=" + q for q in qemu],
        data = [
            "//tools/qemu:run_qemu.sh",
            "//:esp_" + arch,
        ],
        deps = [
            ":boot_log",
            "@googletest//:gtest",
        ],
        # The runner's own --timeout fails a hung boot well before Bazel's moderate (300 s) limit.
        timeout = "moderate",
        tags = ["boot"] + kwargs.pop("tags", []),
        **kwargs
    )
