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

// The hardware id start_secondaries (boot/smp.c) passes to arch_cpu_start for CPU `cpu`, listed at `hw_id`: with
// `selftest.ap_absent`, CPU 1 is started at TEST_HOOKS_ABSENT_HW_ID, an id no CPU of the test machines has, and one
// `selftest.ap_absent cpu=1 hwid=0x.. listed=0x..` line says so; the start must then fail without a hang (x86: the
// INIT and Start-Up IPIs reach no CPU, so the wait ends in `timeout`; AArch64: PSCI CPU_ON refuses the MPIDR).
// Otherwise returns `hw_id`.
uint64_t test_hooks_start_hw_id(const kernel_options *opt, uint32_t cpu, uint64_t hw_id);

// 0xFE: not 0xFF, which an xAPIC physical destination treats as broadcast to every CPU (Intel SDM Vol. 3A
// 11.6.2.1), nor 0xFFFFFFFF, x2APIC's broadcast (11.12.9); the QEMU machines the boot tests run number their CPUs
// from 0 (x86 APIC IDs, AArch64 MPIDR Aff0), far below it. As an MPIDR it names Aff0 = 0xFE, which no virt CPU has.
#define TEST_HOOKS_ABSENT_HW_ID 0xFEu

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
