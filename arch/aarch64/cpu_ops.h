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
AARCH64_SYSREG_READER(r_tcr_el1, TCR_EL1)
AARCH64_SYSREG_READER(r_tcr_el2, TCR_EL2)
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
#define AARCH64_SCTLR_M ((uint64_t)1 << 0)
#define AARCH64_SCTLR_WXN ((uint64_t)1 << 19)

// CNTVCT_EL0 with an ISB first so the read is not hoisted above earlier instructions
// (DDI 0487 D12 "Generic Timer": reads of the counter can occur speculatively and out of order).
// YIELD (Arm ARM DDI 0487 C6.2, YIELD): a hint that this PE is spinning, so a multithreaded core or a
// hypervisor may run something else. No event protocol to honour (unlike WFE).

static inline uint64_t r_cntvct_el0(void) {
  uint64_t v;
  __asm__ volatile("isb\n\tmrs %0, CNTVCT_EL0" : "=r"(v)::"memory");
  return v;
}

// Replaces the stage 1 regime of one exception level (MAIR, TCR, TTBR0, SCTLR) with the MMU off in between, so
// no TLB can hold entries of the firmware's tables (any granule and start level) next to entries of the
// kernel's for the same address: the TLB conflict abort the architecture permits when live entries are
// replaced without break-before-make (DDI 0487 D8.14 "TLB maintenance", D8.16 "Translation table entry
// updates: break-before-make") cannot happen. The kernel runs from identity-mapped memory, so the next
// instruction has the same address with the MMU on or off.
//
// While the MMU is off (D8.2 "The effects of disabling a stage of address translation"), data accesses are
// Device-nGnRnE and instruction fetches are Normal, write-through or non-cacheable by SCTLR.I: the window makes
// no data access at all (operands are in registers, the stack is not used), and the code lines of the window
// are cleaned and invalidated to the Point of Coherency first (DC CIVAC by CTR_EL0.DminLine), so a
// non-cacheable fetch reads what the cacheable write of the image left. The tables stay in the cache: they are
// written with cacheable stores and walked cacheable (TCR IRGN0/ORGN0 write-back) once the MMU is back on.
// Ordering, per DDI 0487 B2.3 (DSB/ISB), D8.14 ("Ordering and completion of TLB maintenance instructions") and
// the register chapter's "Synchronization requirements for System registers":
//   DSB ISH          the table stores are complete before any walk of them;
//   DC CIVAC loop; DSB ISH; ISB   the window's code is at the PoC;
//   MSR SCTLR (M=0); ISB          MMU off;
//   MSR MAIR, TCR, TTBR0; ISB     the kernel's regime, not yet used;
//   TLBI; DSB ISH; ISB            no entry of the old regime is left (EL1: VMALLE1, the EL1&0 entries of this
//                                 VMID, ALLE1 being an EL2 instruction; EL2: ALLE2, also EL2&0 with E2H);
//   MSR SCTLR (M=1, the rest as before but WXN); ISB   walks of the kernel's tables only;
//   IC IALLU; DSB NSH; ISB        no instruction fetched under the old regime is reused.
// The register names are spliced into the strings; clang-format would split those lines.
// clang-format off
#define AARCH64_SWITCH_TABLES(el, tlbi)                                                             \
  __asm__ volatile(                                                                                 \
      "dsb ish\n\t"                                                                                 \
      "mrs %[line], CTR_EL0\n\t"                                                                    \
      "ubfx %[line], %[line], #16, #4\n\t" /* DminLine: log2(words) of the smallest D-cache line */ \
      "mov %[p], #4\n\t"                                                                            \
      "lsl %[line], %[p], %[line]\n\t"                                                              \
      "adr %[p], 1f\n\t"                                                                            \
      "adr %[e], 2f\n\t"                                                                            \
      "sub %[t], %[line], #1\n\t"                                                                   \
      "bic %[p], %[p], %[t]\n\t"                                                                    \
      "3:\n\t"                                                                                      \
      "dc civac, %[p]\n\t"                                                                          \
      "add %[p], %[p], %[line]\n\t"                                                                 \
      "cmp %[p], %[e]\n\t"                                                                          \
      "b.ls 3b\n\t"                                                                                 \
      "dsb ish\n\t"                                                                                 \
      "isb\n\t"                                                                                     \
      "1:\n\t"                                                                                      \
      "msr SCTLR_" el ", %[off]\n\t"                                                                \
      "isb\n\t"                                                                                     \
      "msr MAIR_" el ", %[mair]\n\t"                                                                \
      "msr TCR_" el ", %[tcr]\n\t"                                                                  \
      "msr TTBR0_" el ", %[ttbr0]\n\t"                                                              \
      "isb\n\t"                                                                                     \
      "tlbi " tlbi "\n\t"                                                                           \
      "dsb ish\n\t"                                                                                 \
      "isb\n\t"                                                                                     \
      "msr SCTLR_" el ", %[on]\n\t"                                                                 \
      "isb\n\t"                                                                                     \
      "2:\n\t"                                                                                      \
      "ic iallu\n\t"                                                                                \
      "dsb nsh\n\t"                                                                                 \
      "isb\n\t"                                                                                     \
      : [line] "=&r"(line), [p] "=&r"(p), [e] "=&r"(e), [t] "=&r"(t)                                \
      : [mair] "r"(mair), [tcr] "r"(tcr), [ttbr0] "r"(ttbr0), [off] "r"(sctlr & ~AARCH64_SCTLR_M),  \
        [on] "r"(sctlr | AARCH64_SCTLR_M)                                                           \
      : "cc", "memory")
// clang-format on

// The EL1&0 regime: `sctlr` is the SCTLR_EL1 value to run with (M is set by the sequence).
static inline void aarch64_switch_tables_el1(uint64_t mair, uint64_t tcr, uint64_t sctlr, uint64_t ttbr0) {
  uint64_t line, p, e, t;
  AARCH64_SWITCH_TABLES("EL1", "vmalle1");
}

// The EL2 (or, with HCR_EL2.E2H = 1, EL2&0) regime.
static inline void aarch64_switch_tables_el2(uint64_t mair, uint64_t tcr, uint64_t sctlr, uint64_t ttbr0) {
  uint64_t line, p, e, t;
  AARCH64_SWITCH_TABLES("EL2", "alle2");
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

static inline uint8_t mmio_read8(uintptr_t addr) {
  uint32_t v;
  __asm__ volatile("ldrb %w0, [%1]" : "=r"(v) : "r"(addr) : "memory");
  return (uint8_t)v;
}

static inline void mmio_write8(uintptr_t addr, uint8_t v) {
  __asm__ volatile("strb %w0, [%1]" : : "rZ"((uint32_t)v), "r"(addr) : "memory");
}

static inline uint16_t mmio_read16(uintptr_t addr) {
  uint32_t v;
  __asm__ volatile("ldrh %w0, [%1]" : "=r"(v) : "r"(addr) : "memory");
  return (uint16_t)v;
}

static inline void mmio_write16(uintptr_t addr, uint16_t v) {
  __asm__ volatile("strh %w0, [%1]" : : "rZ"((uint32_t)v), "r"(addr) : "memory");
}

// Semihosting call (Arm "Semihosting for AArch32 and AArch64", A64: HLT #0xF000, operation in W0, parameter
// block address in X1, result in X0). Traps as UNDEFINED when no debugger/emulator services it.
static inline uint64_t semihosting_call(uint64_t op, const void *block) {
  register uint64_t x0 __asm__("x0") = op;
  register const void *x1 __asm__("x1") = block;
  __asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
  return x0;
}

// PSCI calls (SMC Calling Convention, DEN0028 2.6/2.7: function ID in W0, arguments in X1-X3, result in X0;
// X1-X17 may be clobbered by the callee). HVC goes to EL2, SMC to EL3 (or to the emulator standing in for it).
// Only arch/aarch64/psci.c calls these, choosing the conduit the platform named.
#define AARCH64_PSCI_CALL(insn)                                                                                  \
  register uint64_t x0 __asm__("x0") = fn;                                                                       \
  register uint64_t x1 __asm__("x1") = a1;                                                                       \
  register uint64_t x2 __asm__("x2") = a2;                                                                       \
  register uint64_t x3 __asm__("x3") = a3;                                                                       \
  __asm__ volatile(insn                                                                                          \
                   : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)                                                      \
                   :                                                                                             \
                   : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17", \
                     "memory");                                                                                  \
  return x0

static inline uint64_t psci_call_hvc(uint32_t fn, uint64_t a1, uint64_t a2, uint64_t a3) {
  AARCH64_PSCI_CALL("hvc #0");
}

static inline uint64_t psci_call_smc(uint32_t fn, uint64_t a1, uint64_t a2, uint64_t a3) {
  AARCH64_PSCI_CALL("smc #0");
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

// ---- Secondary CPUs (smp.c) ----

AARCH64_SYSREG_READER(r_mpidr_el1, MPIDR_EL1)
AARCH64_SYSREG_READER(r_mair_el1, MAIR_EL1)
AARCH64_SYSREG_READER(r_mair_el2, MAIR_EL2)
AARCH64_SYSREG_READER(r_ttbr0_el1, TTBR0_EL1)
AARCH64_SYSREG_READER(r_ttbr0_el2, TTBR0_EL2)
AARCH64_SYSREG_READER(r_cpacr_el1, CPACR_EL1)
AARCH64_SYSREG_READER(r_cptr_el2, CPTR_EL2)  // only at EL2
AARCH64_SYSREG_READER(r_tpidr_el1, TPIDR_EL1)
AARCH64_SYSREG_READER(r_tpidr_el2, TPIDR_EL2)  // only at EL2

// TPIDR_ELx: a software thread ID register the architecture never interprets (DDI 0487 D17.2), the kernel's
// per-CPU number. No ISB: only this CPU's own later reads depend on it, and they are in program order.
static inline void w_tpidr_el1(uint64_t v) { __asm__ volatile("msr TPIDR_EL1, %0" : : "r"(v) : "memory"); }
static inline void w_tpidr_el2(uint64_t v) { __asm__ volatile("msr TPIDR_EL2, %0" : : "r"(v) : "memory"); }

// Cleans [start, start + bytes) to the Point of Coherency (DC CVAC by CTR_EL0.DminLine), then DSB ISH: what a
// cacheable write left in this CPU's caches is in memory for an observer that reads non-cacheable (a CPU with
// its MMU off, DDI 0487 D7.5 "Data and unified caches", D7.5.9 cache maintenance by VA).
static inline void dc_cvac_range(uint64_t start, uint64_t bytes) {
  uint64_t ctr;
  __asm__ volatile("mrs %0, CTR_EL0" : "=r"(ctr));
  uint64_t line = 4ull << ((ctr >> 16) & 0xFu);
  for (uint64_t p = start & ~(line - 1u); p < start + bytes; p += line) {
    __asm__ volatile("dc cvac, %0" : : "r"(p) : "memory");
  }
  __asm__ volatile("dsb ish" ::: "memory");
}

static inline uint64_t r_cntfrq_el0(void) {
  uint64_t v;
  __asm__ volatile("mrs %0, CNTFRQ_EL0" : "=r"(v));
  return v;
}

#endif  // ARCH_AARCH64_CPU_OPS_H
