// smp.h: every CPU online (issue 11): the generic part of the bring-up, after the memory bring-up.
//
//   1 the CPU list from the platform description (platform/cpus.h), stored in memory from the runtime allocator
//     sized to this machine (reservation kind late, label "smp.cpus");
//   2 per CPU a kernel stack from the runtime allocator (kind stack, label "cpuN_stack") and its number 0..N-1
//     (the boot CPU is 0, the others follow the table order);
//   3 the allocator cell's owner function becomes arch_cpu_number() + 1, before the first secondary starts;
//   4 arch_cpu_start for each secondary, one at a time; one `smp.cpu` line per CPU, then `smp.online`;
//   5 the concurrent self-test (boot/smp_stress.h) on every online CPU, `smp.stress`; the secondaries then park
//     (arch_cpu_park) and the boot CPU returns to finish the boot.
//
// Log lines (INFO unless said):
//   smp.cpus source=madt|devicetree|none entries=N usable=N disabled=N online_capable=N duplicates=N [reason=..]
//   smp.cpu_skipped hwid=0x.. uid=N reason=disabled|online_capable|duplicate       (one per skipped entry)
//   smp.trampoline base=0x.. kind=ap_trampoline   (x86, more than one CPU: the start page, reserved while CPUs start)
//   smp.trampoline none=1 reason=<mm status>      (more than one CPU and no frame below 1 MiB: AArch64, or an x86
//                                                  without one, whose starts then fail with bad_trampoline)
//   smp.cpu id=N hwid=0x.. online=1 stack=0x..   or   smp.cpu id=N hwid=0x.. online=0 reason=<arch_cpu_start's word>
//   smp.trampoline released=1 base=0x..           (after the last start: the reservation ended, the page free again)
//   smp.online cpus=N expected=M cycles=N        (N: CPUs running the kernel; M: usable entries of the list)
//   smp.stress cpus=N ops=N result=ok rounds=N block_misses=N cycles=N
//   smp.stress cpus=N ops=N result=fail reason=<word> [detail=..] cpu=N   then `panic stage=smp ...`, status 3
// A failure to get memory for the list or a stack is a `panic stage=smp reason=<mm status>` line.
#ifndef BOOT_SMP_H
#define BOOT_SMP_H

#include "boot/kernel.h"
#include "platform/discover.h"

// Rounds of the concurrent self-test per CPU (small: the CI host has 2 cores for up to 4 emulated CPUs).
#define SMP_STRESS_ROUNDS 24u

// Runs steps 1-5 on the boot CPU. Returns once every secondary has parked; panics (status 3) on failure.
// `opt` reaches the test hooks (boot/test_hooks.h, selftest.fault_secondary).
void smp_bringup(const platform_info *platform, const kernel_options *opt);

#endif  // BOOT_SMP_H
