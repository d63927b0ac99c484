// cpu.c (aarch64): name, cycle counter, physical width, paging probe and paging activation.
//
// Kernel only: system register access through cpu_ops.h.
#include "arch/aarch64/cpu_ops.h"
#include "arch/aarch64/vmsa.h"

// Returns "aarch64", the name logged with paging.installed.
const char *arch_name(void) { return "aarch64"; }

// Returns the virtual counter CNTVCT_EL0 (ticks at CNTFRQ_EL0, 62.5 MHz on QEMU virt).
uint64_t arch_cycles(void) { return r_cntvct_el0(); }

// Returns the physical address width from ID_AA64MMFR0_EL1.PARange [3:0]
// (0 -> 32, 1 -> 36, 2 -> 40, 3 -> 42, 4 -> 44, 5 -> 48, 6 -> 52; reserved values are read as 48).
unsigned arch_phys_addr_bits(void) {
  static const unsigned bits[] = {32, 36, 40, 42, 44, 48, 52};
  uint64_t parange = r_id_aa64mmfr0_el1() & 0xFu;
  return parange < sizeof bits / sizeof bits[0] ? bits[parange] : 48u;
}

static unsigned current_el(void) { return (unsigned)((r_currentel() >> 2) & 3u); }

// Reports the paging features: XN and level-1 blocks always exist with the 4 KiB granule; el2_regime when
// running at EL2 without VHE (HCR_EL2.E2H = 0), where descriptors use the single-range format.
arch_paging_features arch_paging_probe(void) {
  bool el2_single_range = current_el() == 2u && (r_hcr_el2() & AARCH64_HCR_E2H) == 0;
  arch_paging_features f = {
      .phys_addr_bits = arch_phys_addr_bits(), .nx = true, .huge_1g = true, .el2_regime = el2_single_range};
  return f;
}

// Switches the current exception level's stage 1 regime to the tables in `info`, with the MMU left on.
//
// Why this is safe without turning the MMU off: until TTBR0 moves, the firmware's tables stay live and the TLB
// may hold their entries, so the new MAIR and TCR must keep the firmware's mappings meaning the same thing:
//   - MAIR: vmsa.h keeps EDK2's index layout (3 = write-back, the attribute of everything we run from; 1 =
//     non-cacheable, 2 = write-through); only index 0 changes, Device-nGnRnE to Device-nGnRE (still Device).
//   - TCR: T0SZ, granule, IPS and walk attributes are computed as EDK2's ArmConfigureMmu computes them, so
//     the value normally equals the firmware's (same starting level: the firmware's root table would be
//     misread if it differed). A different firmware with another T0SZ starting level is not supported.
// After TTBR0 moves, old and new entries both map our code identically as Normal write-back; the TLBI then
// removes every old entry. The window is a handful of instructions in one asm block with no data accesses.
// SCTLR.WXN is cleared if the firmware set it: RAM here is writable and executable where asked, and WXN
// would make it execute-never. Everything else in SCTLR (M, C, I, alignment checks) stays as it was.
// Secondary PEs are not considered: they are parked by the firmware and do not use these tables.
// Panics if `features` describe another regime than the one running (the descriptors would be misread).
void arch_paging_activate(const arch_paging_info *info, const arch_paging_features *features) {
  if (arch_paging_probe().el2_regime != features->el2_regime) {
    mm_panic("arch_paging_activate", "tables built for another translation regime");
  }
  uint64_t tcr = aarch64_tcr_value(features);
  if (current_el() == 2u) {
    uint64_t sctlr = r_sctlr_el2() & ~AARCH64_SCTLR_WXN;
    aarch64_switch_tables_el2(AARCH64_MAIR_VALUE, tcr, sctlr, info->root);
  } else {
    uint64_t sctlr = r_sctlr_el1() & ~AARCH64_SCTLR_WXN;
    aarch64_switch_tables_el1(AARCH64_MAIR_VALUE, tcr, sctlr, info->root);
  }
}
