// cpu.c (aarch64): name, cycle counter, physical width, paging probe and paging activation.
//
// Kernel only: system register access through cpu_ops.h.
#include "arch/aarch64/cpu_ops.h"
#include "arch/aarch64/vmsa.h"

// Returns "aarch64", the name logged with paging.installed.
const char *arch_name(void) { return "aarch64"; }

// Returns the virtual counter CNTVCT_EL0 (ticks at CNTFRQ_EL0, 62.5 MHz on QEMU virt).
uint64_t arch_cycles(void) { return r_cntvct_el0(); }

// YIELD: the spin-wait hint (installed as the runtime allocator cell's relax function).
// Returns the physical address width the kernel uses: ID_AA64MMFR0_EL1.PARange [3:0] (0 -> 32, 1 -> 36,
// 2 -> 40, 3 -> 42, 4 -> 44, 5 -> 48, 6 -> 52; reserved values are read as 48) capped at what the identity
// tables map (aarch64_mappable_phys_bits: 48 bits), so RAM above 256 TiB is a firmware map repair and never
// reaches the table builder.
unsigned arch_phys_addr_bits(void) {
  static const unsigned bits[] = {32, 36, 40, 42, 44, 48, 52};
  uint64_t parange = r_id_aa64mmfr0_el1() & 0xFu;
  return aarch64_mappable_phys_bits(parange < sizeof bits / sizeof bits[0] ? bits[parange] : 48u);
}

static unsigned current_el(void) { return (unsigned)((r_currentel() >> 2) & 3u); }

// Reports the paging features: XN and level-1 blocks always exist with the 4 KiB granule; el2_regime when
// running at EL2 without VHE (HCR_EL2.E2H = 0), where descriptors use the single-range format; `unsupported`
// from the CPU's granules and the SCTLR/TCR of the level entered (aarch64_regime_unsupported, vmsa.h).
arch_paging_features arch_paging_probe(void) {
  bool el2 = current_el() == 2u;
  bool el2_single_range = el2 && (r_hcr_el2() & AARCH64_HCR_E2H) == 0;
  arch_paging_features f = {.phys_addr_bits = arch_phys_addr_bits(),
                            .nx = true,
                            .huge_1g = true,
                            .el2_regime = el2_single_range,
                            .va_bits = arch_paging_requested_va_bits(),
                            .unsupported = aarch64_regime_unsupported(r_id_aa64mmfr0_el1(),
                                                                      el2 ? r_sctlr_el2() : r_sctlr_el1(),
                                                                      el2 ? r_tcr_el2() : r_tcr_el1())};
  return f;
}

// Switches the current exception level's stage 1 regime to the tables in `info`: MMU off, the kernel's MAIR,
// TCR and TTBR0, TLB invalidation, MMU on (aarch64_switch_tables_el1/el2 in cpu_ops.h give the sequence and
// the Arm ARM sections). Because the MMU is off while the registers change, nothing of the firmware's regime
// (granule, T0SZ and start level, MAIR layout) needs to match the kernel's.
// SCTLR.WXN is cleared if the firmware set it: RAM here is writable and executable where asked, and WXN
// would make it execute-never. Everything else in SCTLR (C, I, alignment checks) stays as it was.
// Secondary PEs are not considered: they are parked by the firmware and do not use these tables.
// Panics if `features` describe another regime than the one running (the descriptors would be misread), or if
// the probe finds the regime unsupported (the UEFI entry refuses such a machine before ExitBootServices).
void arch_paging_activate(const arch_paging_info *info, const arch_paging_features *features) {
  arch_paging_features now = arch_paging_probe();
  if (now.unsupported != NULL) mm_panic("arch_paging_activate", now.unsupported);
  if (now.el2_regime != features->el2_regime) {
    mm_panic("arch_paging_activate", "tables built for another translation regime");
  }
  uint64_t tcr = aarch64_tcr_value(features);
  if (current_el() == 2u) {
    aarch64_switch_tables_el2(AARCH64_MAIR_VALUE, tcr, r_sctlr_el2() & ~AARCH64_SCTLR_WXN, info->root);
  } else {
    aarch64_switch_tables_el1(AARCH64_MAIR_VALUE, tcr, r_sctlr_el1() & ~AARCH64_SCTLR_WXN, info->root);
  }
}

// Parks this CPU: every exception masked, then WFI forever (a WFI may also end spuriously, DDI 0487 D1.16.2
// "Wait For Interrupt": the loop takes it back).
_Noreturn void arch_cpu_park(void) {
  mask_all_interrupts();
  for (;;) wfi();
}
