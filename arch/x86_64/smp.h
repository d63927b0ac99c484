// smp.h (x86_64): what smp.c needs from the rest of arch/x86_64 (private, kernel only).
#ifndef ARCH_X86_64_SMP_H
#define ARCH_X86_64_SMP_H

#include "mm/mm_types.h"

// The root (CR3) arch_paging_activate installed last: secondaries run on it. 0 until then (cpu.c writes it).
extern phys_addr_t x86_kernel_root;

// Gives the boot CPU its per-CPU block (GS base) and number 0, so arch_cpu_number reads %gs from then on.
// arch_trap_init calls it right after loading the kernel's GDT (a GS load clears the base). Before that call
// arch_cpu_number returns 0 without touching GS (only the boot CPU runs then).
void x86_percpu_install_boot(void);

#endif  // ARCH_X86_64_SMP_H
