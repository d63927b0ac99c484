// cpu_ops.h (aarch64): the only place with inline asm for this architecture (besides stack.c's trampoline).
// One small named helper per system register or instruction, in the style of xv6's riscv.h.
//
// Kernel only (UEFI target): never include this from paging.c or anything compiled for the host tests.
#ifndef ARCH_AARCH64_CPU_OPS_H
#define ARCH_AARCH64_CPU_OPS_H

#include <stdint.h>

#define AARCH64_SYSREG_READER(fn, reg)                     \
  static inline uint64_t fn(void) {                        \
    uint64_t v;                                            \
    __asm__ volatile("mrs %0, " #reg : "=r"(v)::"memory"); \
    return v;                                              \
  }

AARCH64_SYSREG_READER(r_currentel, CurrentEL)            // bits [3:2] = EL
AARCH64_SYSREG_READER(r_id_aa64mmfr0_el1, ID_AA64MMFR0_EL1)
AARCH64_SYSREG_READER(r_hcr_el2, HCR_EL2)                // only at EL2 (UNDEFINED at EL1)
AARCH64_SYSREG_READER(r_sctlr_el1, SCTLR_EL1)
AARCH64_SYSREG_READER(r_sctlr_el2, SCTLR_EL2)
// Exception syndrome, link and fault address registers (DDI 0487 D1.10, D17), per exception level.
AARCH64_SYSREG_READER(r_esr_el1, ESR_EL1)
AARCH64_SYSREG_READER(r_elr_el1, ELR_EL1)
AARCH64_SYSREG_READER(r_far_el1, FAR_EL1)
AARCH64_SYSREG_READER(r_spsr_el1, SPSR_EL1)
AARCH64_SYSREG_READER(r_esr_el2, ESR_EL2)
AARCH64_SYSREG_READER(r_elr_el2, ELR_EL2)
AARCH64_SYSREG_READER(r_far_el2, FAR_EL2)
AARCH64_SYSREG_READER(r_spsr_el2, SPSR_EL2)

#define AARCH64_HCR_E2H ((uint64_t)1 << 34)
#define AARCH64_SCTLR_WXN ((uint64_t)1 << 19)

// CNTVCT_EL0 with an ISB first so the read is not hoisted above earlier instructions
// (DDI 0487 D12 "Generic Timer": reads of the counter can occur speculatively and out of order).
static inline uint64_t r_cntvct_el0(void) {
  uint64_t v;
  __asm__ volatile("isb\n\tmrs %0, CNTVCT_EL0" : "=r"(v)::"memory");
  return v;
}

// Installs MAIR/TCR/SCTLR/TTBR0 for the EL1&0 regime and invalidates this PE's EL1&0 TLB entries.
// One asm block with no loads or stores between the first and last instruction, so the only translations the
// sequence itself needs are instruction fetches from the page it sits in. Ordering, per DDI 0487 D8 "TLB
// maintenance" / "Ordering and completion of TLB maintenance instructions" and "Synchronization requirements
// for System registers":
//   DSB ISH        earlier stores (the new tables) are complete and visible to the table walker;
//   MSR MAIR, TCR, SCTLR; ISB   the context change is in effect before TTBR0 moves;
//   MSR TTBR0; ISB  later fetches walk the new tables;
//   TLBI VMALLE1   drop entries cached from the firmware's tables (and TCR/MAIR-derived state);
//   DSB ISH        wait for the invalidation to complete; ISB  refetch under it.
static inline void aarch64_switch_tables_el1(uint64_t mair, uint64_t tcr, uint64_t sctlr, uint64_t ttbr0) {
  __asm__ volatile(
      "dsb ish\n\t"
      "msr MAIR_EL1, %0\n\t"
      "msr TCR_EL1, %1\n\t"
      "msr SCTLR_EL1, %2\n\t"
      "isb\n\t"
      "msr TTBR0_EL1, %3\n\t"
      "isb\n\t"
      "tlbi vmalle1\n\t"
      "dsb ish\n\t"
      "isb\n\t"
      :
      : "r"(mair), "r"(tcr), "r"(sctlr), "r"(ttbr0)
      : "memory");
}

// The same for the EL2 (or, with HCR_EL2.E2H = 1, EL2&0) regime; TLBI ALLE2 covers both.
static inline void aarch64_switch_tables_el2(uint64_t mair, uint64_t tcr, uint64_t sctlr, uint64_t ttbr0) {
  __asm__ volatile(
      "dsb ish\n\t"
      "msr MAIR_EL2, %0\n\t"
      "msr TCR_EL2, %1\n\t"
      "msr SCTLR_EL2, %2\n\t"
      "isb\n\t"
      "msr TTBR0_EL2, %3\n\t"
      "isb\n\t"
      "tlbi alle2\n\t"
      "dsb ish\n\t"
      "isb\n\t"
      :
      : "r"(mair), "r"(tcr), "r"(sctlr), "r"(ttbr0)
      : "memory");
}

// 32-bit MMIO through explicit LDR/STR (no writeback addressing forms, which a hypervisor cannot emulate).
static inline uint32_t mmio_read32(uintptr_t addr) {
  uint32_t v;
  __asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(addr) : "memory");
  return v;
}

static inline void mmio_write32(uintptr_t addr, uint32_t v) {
  __asm__ volatile("str %w0, [%1]" : : "rZ"(v), "r"(addr) : "memory");
}

// Semihosting call (Arm "Semihosting for AArch32 and AArch64", A64: HLT #0xF000, operation in W0, parameter
// block address in X1, result in X0). Traps as UNDEFINED when no debugger/emulator services it.
static inline uint64_t semihosting_call(uint64_t op, const void *block) {
  register uint64_t x0 __asm__("x0") = op;
  register const void *x1 __asm__("x1") = block;
  __asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
  return x0;
}

// PSCI calls with a function ID and no arguments (SMC Calling Convention, DEN0028: ID in W0, result in X0;
// X1-X17 may be clobbered by the callee). HVC goes to EL2, SMC to EL3 (or to the emulator standing in for it).
static inline uint64_t psci_call_hvc(uint32_t fn) {
  register uint64_t x0 __asm__("x0") = fn;
  __asm__ volatile("hvc #0"
                   : "+r"(x0)
                   :
                   : "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15",
                     "x16", "x17", "memory");
  return x0;
}

static inline uint64_t psci_call_smc(uint32_t fn) {
  register uint64_t x0 __asm__("x0") = fn;
  __asm__ volatile("smc #0"
                   : "+r"(x0)
                   :
                   : "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15",
                     "x16", "x17", "memory");
  return x0;
}

AARCH64_SYSREG_READER(r_vbar_el1, VBAR_EL1)
AARCH64_SYSREG_READER(r_vbar_el2, VBAR_EL2)

// VBAR_ELx holds the vector table base (bits [10:0] RES0: 2 KiB aligned). The ISB makes the new base take
// effect for exceptions taken after it (DDI 0487 D1.10.2, "Synchronization requirements for System registers").
static inline void w_vbar_el1(uint64_t v) { __asm__ volatile("msr VBAR_EL1, %0\n\tisb" : : "r"(v) : "memory"); }
static inline void w_vbar_el2(uint64_t v) { __asm__ volatile("msr VBAR_EL2, %0\n\tisb" : : "r"(v) : "memory"); }

static inline void mask_all_interrupts(void) { __asm__ volatile("msr daifset, #0xf" ::: "memory"); }

static inline void wfi(void) { __asm__ volatile("wfi" ::: "memory"); }

static inline void cpu_relax(void) { __asm__ volatile("yield" ::: "memory"); }

#endif  // ARCH_AARCH64_CPU_OPS_H
