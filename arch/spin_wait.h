// spin_wait.h: the bounded wait for a flag another CPU sets, shared by both architectures' secondary-CPU start
// (arch/x86_64/smp.c, arch/aarch64/smp.c). Built only on arch.h's counter and spin hint, so it is the same code on
// every architecture; what differs (the counter's rate) is the caller's conversion into ticks.
#ifndef ARCH_SPIN_WAIT_H
#define ARCH_SPIN_WAIT_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/arch.h"

// Polls *flag with acquire loads (what its writer stored before its release store of a nonzero value is visible
// once it is seen) until it is nonzero or more than `ticks` of arch_cycles() have passed since the call, with
// arch_cpu_relax between polls. `ticks` is in arch_cycles() units: x86 TSC ticks (x86_tsc_ticks_per_us per
// microsecond), AArch64 generic timer ticks (CNTFRQ_EL0 per second). The difference of two counter reads is
// unsigned, so a wrap inside the wait does not end it early. Returns true once the flag was seen nonzero, false
// on the timeout.
static inline bool arch_spin_wait_flag(const uint64_t *flag, uint64_t ticks) {
  uint64_t start = arch_cycles();
  while (__atomic_load_n(flag, __ATOMIC_ACQUIRE) == 0) {
    if (arch_cycles() - start > ticks) return false;
    arch_cpu_relax();
  }
  return true;
}

#endif  // ARCH_SPIN_WAIT_H
