// smp_pending.c (x86_64): the secondary-CPU part of arch.h until the x86 port lands (branch smpx86, issue 11
// item 2: INIT-SIPI-SIPI and the real-mode trampoline). That branch replaces this whole file.
//
// Until then no application processor is started: arch_cpu_start says so with one word, the generic bring-up
// (boot/smp.c) logs `smp.cpu ... online=0 reason=not_implemented` for each, and only the boot CPU runs, so
// arch_cpu_number() is 0 everywhere it can be called.
#include "arch/arch.h"
#include "arch/x86_64/cpu_ops.h"

const char *arch_cpu_start(const arch_secondary_start *start) {
  (void)start;
  return "not_implemented";
}

// The initial APIC ID: CPUID leaf 0xB EDX (the x2APIC ID, 32 bits) when the leaf exists, else leaf 1 EBX[31:24]
// (Intel SDM Vol. 2A, CPUID).
uint64_t arch_cpu_hw_id(void) {
  if (cpuid(0, 0).eax >= 0xBu && cpuid(0xB, 0).ebx != 0) return cpuid(0xB, 0).edx;
  return cpuid(1, 0).ebx >> 24;
}

uint32_t arch_cpu_number(void) { return 0; }

void arch_cpu_relax(void) { cpu_relax(); }
