// test_hooks.h: the command-line words that break the kernel on purpose, for the boot tests.
//
// Two implementations: boot/test_hooks.c (only in //boot:kernel_testhooks, which the test ESP images boot)
// acts on them; boot/no_test_hooks.c (in //boot:kernel) ignores them and says so once.
#ifndef BOOT_TEST_HOOKS_H
#define BOOT_TEST_HOOKS_H

#include "boot/kernel.h"
#include "mm/selftest.h"

// Before the memory bring-up: with `selftest.paging_levels`, switches the CPU into the paging mode the firmware
// did not enable (x86: 5-level, arch_test_raise_paging_levels) and logs `selftest.paging_levels`; if that is
// impossible, logs a panic (stage=selftest) and ends the run with status 3. Returns when the word is absent.
void test_hooks_before_bringup(const kernel_options *opt);

// After paging is installed: with `selftest.fault_null`, reads page 0, which must end in the kernel's own
// exception vectors as one `panic stage=exception` line. Returns when the word is absent.
void test_hooks_after_paging(const kernel_options *opt);

// On the boot CPU after `smp.online`: with `selftest.fault_secondary` and at least two CPUs online, tells CPU 1
// to read page 0 and parks the boot CPU (so only CPU 1 writes to the console): the read must end in CPU 1's own
// vectors as one `panic stage=exception ... cpu=1` line. Returns when the word is absent or CPU 1 is not online.
void test_hooks_after_smp_online(const kernel_options *opt, uint32_t online);

// On every secondary CPU while it waits for the concurrent self-test: CPU 1 makes the read once told to.
void test_hooks_secondary_waiting(uint32_t cpu);

// The self-test hook for this boot (mm_selftest_run runs it before the invariant checker): with
// `selftest.corrupt_reservation`, one that corrupts a reservation so the checker must stop the boot; else NULL.
mm_selftest_hook test_hooks_selftest_hook(const kernel_options *opt);

// After boot.done, before the run ends: with `selftest.hold_screen`, logs `selftest.hold_screen` and keeps the
// machine (and so the framebuffer) as it is for a bounded time, so the QEMU runner can take a screenshot
// (run_qemu.sh --screenshot) before the exit device or PSCI SYSTEM_OFF ends QEMU. Returns when the word is absent.
void test_hooks_before_exit(const kernel_options *opt);

#endif  // BOOT_TEST_HOOKS_H
