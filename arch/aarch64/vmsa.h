// vmsa.h (aarch64): the translation settings shared by the table builder (paging.c, portable, host-tested)
// and the register writer (cpu.c): memory attribute indexes, the VA size, and the TCR value.
//
// [arm/v8]: Arm Architecture Reference Manual for A-profile, DDI 0487, chapter D8 "The AArch64 Virtual
// Memory System Architecture" (VMSAv8-64): translation granule and starting level, descriptor formats,
// memory attributes (MAIR), and the TCR_EL1 / TCR_EL2 register descriptions in chapter D19/D24 (register
// chapter numbering moves between issues; look the registers up by name).
#ifndef ARCH_AARCH64_VMSA_H
#define ARCH_AARCH64_VMSA_H

#include "arch/arch.h"

// MAIR_ELx attribute indexes. The layout is the one EDK2's ArmMmuLib (ArmPkg, so AAVMF too) programs:
//   0 Device (EDK2 0x00 nGnRnE; we use 0x04 Device-nGnRE)   1 Normal non-cacheable 0x44
//   2 Normal write-through 0xBB (unused here)                 3 Normal write-back RW-allocate 0xFF
// Matching it matters because MAIR is rewritten while the MMU is on and the firmware's tables are still
// live (see arch_paging_activate in cpu.c): every index the firmware's descriptors use keeps a compatible
// meaning, in particular index 3, with which the firmware maps the code, data and stack we run from.
#define AARCH64_ATTR_DEVICE 0u
#define AARCH64_ATTR_NORMAL_NC 1u
#define AARCH64_ATTR_NORMAL_WT 2u
#define AARCH64_ATTR_NORMAL_WB 3u
#define AARCH64_MAIR_VALUE                                                                             \
  (((uint64_t)0x04 << (8 * AARCH64_ATTR_DEVICE)) | ((uint64_t)0x44 << (8 * AARCH64_ATTR_NORMAL_NC)) | \
   ((uint64_t)0xBB << (8 * AARCH64_ATTR_NORMAL_WT)) | ((uint64_t)0xFF << (8 * AARCH64_ATTR_NORMAL_WB)))

// With the 4 KiB granule and no FEAT_LPA2, input and output addresses are at most 48 bits.
#define AARCH64_MAX_ADDR_BITS 48u
#define AARCH64_MIN_ADDR_BITS 32u

// Bits of VA the identity tables translate: the physical width capped at 48, the same choice EDK2's
// ArmConfigureMmu makes (T0SZ = 64 - min(PARange bits, 48)), so our TCR.T0SZ equals the firmware's.
unsigned aarch64_va_bits(unsigned phys_addr_bits);

// Level of the root table for a 4 KiB granule (D8 "translation table walk starting level"): level 0 when
// more than 39 VA bits are translated, level 1 for 32..39 bits.
unsigned aarch64_start_level(unsigned va_bits);

// TCR value for the regime in `features`: TCR_EL1 layout for EL1&0 (also TCR_EL2 when HCR_EL2.E2H == 1),
// TCR_EL2 layout when features->el2_regime. T0SZ from aarch64_va_bits, 4 KiB granule, table walks inner
// shareable write-back write-allocate, IPS/PS from the physical width.
uint64_t aarch64_tcr_value(const arch_paging_features *features);

#endif  // ARCH_AARCH64_VMSA_H
