// smp.c (aarch64): secondary CPUs (arch.h "Secondary CPUs"): PSCI CPU_ON, the entry stub, the CPU number.
//
// Arm PSCI (DEN0022) 5.1.4 CPU_ON (SMC64 function ID 0xC4000003): X1 target MPIDR, X2 entry point address
// (physical), X3 context ID, which the new CPU receives in X0. 6.4.3.3 ("CPU_ON"/entry state) and 6.4.3.4: the CPU
// starts at the entry point in the exception level of the caller (EL1 from an EL1 kernel; EL2 from an EL2 one),
// AArch64, with the MMU and data cache off and all exceptions masked (DAIF set); every other system register of
// its exception level is UNKNOWN, so the stub sets each one the kernel relies on.
//
// The context ID is a boot block holding what the stub needs (the boot CPU's MAIR, TCR, TTBR0, SCTLR, VBAR,
// CPACR/CPTR and at EL2 HCR; the stack, the CPU number, entry and argument). It lives at the top of the new CPU's
// own stack, so every CPU has its own and a CPU that answers late reads nothing another CPU uses.
//
// Caches (DDI 0487 D7.5, B2.2): the boot CPU writes the block with its caches on, the new CPU reads it with its
// MMU off, i.e. as Device-nGnRnE / non-cacheable (D8.2.10 "The effects of disabling address translation"), from
// memory: the block and the stub's code (fetched non-cacheable too, SCTLR.I being 0 out of reset) are cleaned to
// the Point of Coherency before CPU_ON (dc_cvac_range). The page tables are not: they are read only by the new
// CPU's table walker once its MMU is on, with the inner/outer write-back attributes of TCR IRGN0/ORGN0 and
// inner-shareable SH0 (aarch64_tcr_value), i.e. coherently with the boot CPU's caches (D8.2.4, walks are memory
// accesses with the attributes in TCR; B2.2 coherency within the inner shareable domain).
// The stub's register sequence follows the boot CPU's own (cpu_ops.h AARCH64_SWITCH_TABLES): MAIR, TCR, TTBR0,
// ISB; TLBI (VMALLE1 at EL1, ALLE2 at EL2: nothing may be left from before the reset), DSB, ISB; SCTLR with M set;
// ISB; IC IALLU; DSB; ISB. Then VBAR (the kernel's vectors), TPIDR_ELx = CPU number (arch_cpu_number), SP.
// The arrival flag is written after the MMU is on (cacheable, so the boot CPU's cached poll sees it).
#include <stddef.h>

#include "arch/aarch64/cpu_ops.h"
#include "arch/aarch64/psci.h"
#include "arch/arch.h"
#include "arch/spin_wait.h"

// MPIDR_EL1 affinity fields (D17.2 MPIDR_EL1): Aff3 [39:32], Aff2 [23:16], Aff1 [15:8], Aff0 [7:0]. PSCI CPU_ON's
// target_cpu takes the same layout (DEN0022 5.1.4).
#define MPIDR_AFFINITY_MASK 0xFF00FFFFFFull

// How long arch_cpu_start waits for the CPU to reach the kernel: 2 s of the generic timer (TCG with more emulated
// CPUs than host cores takes a while to schedule a new CPU's thread).
#define START_TIMEOUT_SECONDS 2u

typedef struct aarch64_boot_block {
  uint64_t mair;     // 0
  uint64_t tcr;      // 8
  uint64_t ttbr0;    // 16
  uint64_t sctlr;    // 24
  uint64_t vbar;     // 32
  uint64_t sp;       // 40
  uint64_t cpu;      // 48
  uint64_t entry;    // 56
  uint64_t arg;      // 64
  uint64_t cpacr;    // 72: CPACR_EL1 at EL1, CPTR_EL2 at EL2 (FP/SIMD traps as on the boot CPU)
  uint64_t hcr;      // 80: HCR_EL2 (EL2 only: E2H decides the TCR_EL2/TTBR format)
  uint64_t arrived;  // 88: 1 once the CPU runs with the kernel's regime (written by the stub)
} aarch64_boot_block;

_Static_assert(offsetof(aarch64_boot_block, mair) == 0, "stub offsets");
_Static_assert(offsetof(aarch64_boot_block, ttbr0) == 16, "stub offsets");
_Static_assert(offsetof(aarch64_boot_block, vbar) == 32, "stub offsets");
_Static_assert(offsetof(aarch64_boot_block, cpu) == 48, "stub offsets");
_Static_assert(offsetof(aarch64_boot_block, entry) == 56, "stub offsets");
_Static_assert(offsetof(aarch64_boot_block, cpacr) == 72, "stub offsets");
_Static_assert(offsetof(aarch64_boot_block, hcr) == 80, "stub offsets");
_Static_assert(offsetof(aarch64_boot_block, arrived) == 88, "stub offsets");
_Static_assert(sizeof(aarch64_boot_block) % 16 == 0, "the block sits at the stack top, SP stays 16-byte aligned");

extern const char aarch64_secondary_entry[];
extern const char aarch64_secondary_entry_end[];

// The entry stub. X0 = the boot block (physical == virtual: the kernel's tables are an identity map). Only
// aligned 64-bit loads before the MMU is on (Device memory faults on unaligned accesses).
// clang-format off
__asm__(
    ".text\n\t"
    ".balign 64\n\t"
    ".globl aarch64_secondary_entry\n"
    "aarch64_secondary_entry:\n\t"
    "msr daifset, #0xf\n\t"
    "mov x19, x0\n\t"
    "ldp x1, x2, [x19, #0]\n\t"    // MAIR, TCR
    "ldp x3, x4, [x19, #16]\n\t"   // TTBR0, SCTLR
    "ldp x5, x6, [x19, #32]\n\t"   // VBAR, SP
    "ldr x7, [x19, #48]\n\t"       // CPU number
    "ldp x9, x10, [x19, #72]\n\t"  // CPACR/CPTR, HCR
    "mrs x11, CurrentEL\n\t"
    "cmp x11, #8\n\t"              // CurrentEL[3:2] == 2
    "b.eq 2f\n\t"
    "msr CPACR_EL1, x9\n\t"
    "msr MAIR_EL1, x1\n\t"
    "msr TCR_EL1, x2\n\t"
    "msr TTBR0_EL1, x3\n\t"
    "isb\n\t"
    "tlbi vmalle1\n\t"
    "dsb nsh\n\t"
    "isb\n\t"
    "msr SCTLR_EL1, x4\n\t"
    "isb\n\t"
    "ic iallu\n\t"
    "dsb nsh\n\t"
    "isb\n\t"
    "msr VBAR_EL1, x5\n\t"
    "msr TPIDR_EL1, x7\n\t"
    "b 3f\n"
    "2:\n\t"
    "msr HCR_EL2, x10\n\t"
    "msr CPTR_EL2, x9\n\t"
    "msr MAIR_EL2, x1\n\t"
    "msr TCR_EL2, x2\n\t"
    "msr TTBR0_EL2, x3\n\t"
    "isb\n\t"
    "tlbi alle2\n\t"
    "dsb nsh\n\t"
    "isb\n\t"
    "msr SCTLR_EL2, x4\n\t"
    "isb\n\t"
    "ic iallu\n\t"
    "dsb nsh\n\t"
    "isb\n\t"
    "msr VBAR_EL2, x5\n\t"
    "msr TPIDR_EL2, x7\n"
    "3:\n\t"
    "isb\n\t"
    "msr spsel, #1\n\t"
    "mov sp, x6\n\t"
    "mov x8, #1\n\t"
    "add x11, x19, #88\n\t"
    "stlr x8, [x11]\n\t"           // arrived: the boot CPU may reuse nothing of the block but the stack below it
    "ldp x8, x0, [x19, #56]\n\t"   // entry, arg
    "blr x8\n"
    "4:\n\t"
    "wfi\n\t"                      // entry must not return; park if it does
    "b 4b\n\t"
    ".globl aarch64_secondary_entry_end\n"
    "aarch64_secondary_entry_end:\n\t");
// clang-format on

static unsigned current_el(void) { return (unsigned)((r_currentel() >> 2) & 3u); }

uint64_t arch_cpu_hw_id(void) { return r_mpidr_el1() & MPIDR_AFFINITY_MASK; }

uint32_t arch_cpu_number(void) { return (uint32_t)(current_el() == 2u ? r_tpidr_el2() : r_tpidr_el1()); }

void arch_cpu_relax(void) { cpu_relax(); }

// CPU_ON's return values (Arm DEN0022 PSCI, 5.6 "CPU_ON"): each its own word, prefixed psci_ so that PSCI's
// INVALID_PARAMETERS (the target MPIDR names no CPU) is not mistaken for arch_cpu_start's own argument check.
static const char *psci_reason(int64_t ret) {
  switch (ret) {
    case PSCI_RET_NOT_SUPPORTED:
      return "psci_not_supported";
    case PSCI_RET_INVALID_PARAMETERS:
      return "psci_invalid_parameters";
    case PSCI_RET_DENIED:
      return "psci_denied";
    case PSCI_RET_ALREADY_ON:
      return "psci_already_on";
    case PSCI_RET_ON_PENDING:
      return "psci_on_pending";
    case PSCI_RET_INTERNAL_FAILURE:
      return "psci_internal_failure";
    case PSCI_RET_INVALID_ADDRESS:
      return "psci_invalid_address";
  }
  return "psci_error";
}

// PSCI CPU_ON takes the entry point address itself (Arm DEN0022, CPU_ON): no low page.
bool arch_secondary_needs_trampoline(void) { return false; }

const char *arch_cpu_start(const arch_secondary_start *start) {
  if (start == 0 || start->entry == 0 || start->cpu_number == 0 || (start->stack_top & 15u) != 0 ||
      start->stack_top < sizeof(aarch64_boot_block) || (start->hw_id & ~MPIDR_AFFINITY_MASK) != 0) {
    return "invalid_parameters";
  }
  bool el2 = current_el() == 2u;
  aarch64_boot_block *b = (aarch64_boot_block *)(uintptr_t)(start->stack_top - sizeof(aarch64_boot_block));
  // The MMU-on values of the boot CPU, exactly as arch_paging_activate left them.
  *b = (aarch64_boot_block){
      .mair = el2 ? r_mair_el2() : r_mair_el1(),
      .tcr = el2 ? r_tcr_el2() : r_tcr_el1(),
      .ttbr0 = el2 ? r_ttbr0_el2() : r_ttbr0_el1(),
      .sctlr = el2 ? r_sctlr_el2() : r_sctlr_el1(),
      .vbar = el2 ? r_vbar_el2() : r_vbar_el1(),
      .sp = (uint64_t)(uintptr_t)b,
      .cpu = start->cpu_number,
      .entry = (uint64_t)(uintptr_t)start->entry,
      .arg = (uint64_t)(uintptr_t)start->arg,
      .cpacr = el2 ? r_cptr_el2() : r_cpacr_el1(),
      .hcr = el2 ? r_hcr_el2() : 0,
      .arrived = 0,
  };
  uint64_t stub = (uint64_t)(uintptr_t)aarch64_secondary_entry;
  dc_cvac_range((uint64_t)(uintptr_t)b, sizeof *b);
  dc_cvac_range(stub, (uint64_t)(uintptr_t)aarch64_secondary_entry_end - stub);
  int64_t ret = (int64_t)psci_call(PSCI_FN_CPU_ON_64, start->hw_id, stub, (uint64_t)(uintptr_t)b);
  if (ret != PSCI_RET_SUCCESS) return psci_reason(ret);
  // arch_cycles is CNTVCT_EL0, CNTFRQ_EL0 ticks per second.
  return arch_spin_wait_flag(&b->arrived, r_cntfrq_el0() * START_TIMEOUT_SECONDS) ? 0 : "timeout";
}
