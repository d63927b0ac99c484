"""boot_test: one QEMU boot of the kernel, asserted on by tests/boot/boot_test.cc."""

def boot_test(name, arch, esp = None, qemu = [], cmdline = "debug", expect = "handoff", expect_status = 0, timeout_s = 240, exit = "device", el = None, levels = None, ram_above_4g = False, screenshot = False, cpus = None, numa_mib = [], numa_source = "srat", **kwargs):
    """exit: the runner's --exit= (device or firmware). el: the AArch64 exception level the kernel must report
    on boot.start (default 1 on AArch64; x86 reports none). levels: the paging levels paging.installed must
    report (default 4 on x86_64; AArch64 not checked). ram_above_4g: the machine has RAM above 4 GiB, which
    must be managed and mapped (a free run ends above it, and a normal paging.range covers that run's last frame).
    screenshot: the runner saves the final screen (--screenshot, needs the test-hooks ESP for selftest.hold_screen)
    and the test reads the console's text on it; kept as the test output screen.ppm.
    cpus: the CPUs that must come online (smp.online cpus= and expected=); default the -smp count in `qemu`
    (1 without).
    numa_mib: a NUMA machine, one node per entry of that many MiB (each with one CPU; -m is their sum), whose
    mm.numa must name numa_source (srat or devicetree) and whose mm.node ranges must match the sizes."""
    esp = esp or "//:esp_" + arch
    if el == None:
        el = 1 if arch == "aarch64" else 0
    if cpus == None:
        cpus = len(numa_mib) if numa_mib else 1
        for i in range(len(qemu) - 1):
            if qemu[i] == "-smp":
                cpus = int(qemu[i + 1].split(",")[0])
    if levels == None:
        levels = 4 if arch == "x86_64" else 0
    numa_qemu = []
    if numa_mib:
        total = 0
        for mib in numa_mib:
            total += mib
        numa_qemu = ["-m", "%dM" % total, "-smp", str(len(numa_mib))]
        for i, mib in enumerate(numa_mib):
            numa_qemu += [
                "-object",
                "memory-backend-ram,id=m%d,size=%dM" % (i, mib),
                "-numa",
                "node,memdev=m%d,cpus=%d" % (i, i),
            ]
    native.cc_test(
        name = name,
        srcs = ["boot_test.cc"],
        args = [
            "--runner=$(rootpath //tools/qemu:run_qemu.sh)",
            "--esp=$(rootpath %s)" % esp,
            "--arch=" + arch,
            "'--cmdline=%s'" % cmdline,  # args are shell-tokenized
            "--expect=" + expect,
            "--expect_status=%d" % expect_status,
            "--timeout=%d" % timeout_s,
            "--exit=" + exit,
            "--expect_el=%d" % el,
            "--expect_levels=%d" % levels,
            "--expect_cpus=%d" % cpus,
            "--ram_above_4g=%d" % (1 if ram_above_4g else 0),
            "--screenshot=%d" % (1 if screenshot else 0),
        ] + (["--numa_source=" + numa_source] if numa_mib else []) +
        ["--numa_mib=%d" % m for m in numa_mib] + ["--qemu=" + q for q in qemu + numa_qemu],
        data = [
            "//tools/qemu:run_qemu.sh",
            esp,
        ],
        deps = [
            ":boot_log",
            ":screen",
            "//boot:fbcon_font",
            "@googletest//:gtest",
        ],
        # The runner's own --timeout fails a hung boot well before Bazel's moderate (300 s) limit.
        timeout = "moderate",
        tags = ["boot"] + kwargs.pop("tags", []),
        **kwargs
    )
