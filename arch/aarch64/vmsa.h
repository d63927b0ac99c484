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
// Since arch_paging_activate installs MAIR with the MMU off (cpu_ops.h), matching the firmware is no longer
// required; keeping EDK2's layout only makes register dumps of both regimes read alike.
#define AARCH64_ATTR_DEVICE 0u
#define AARCH64_ATTR_NORMAL_NC 1u
#define AARCH64_ATTR_NORMAL_WT 2u
#define AARCH64_ATTR_NORMAL_WB 3u
#define AARCH64_MAIR_VALUE                                                                            \
  (((uint64_t)0x04 << (8 * AARCH64_ATTR_DEVICE)) | ((uint64_t)0x44 << (8 * AARCH64_ATTR_NORMAL_NC)) | \
   ((uint64_t)0xBB << (8 * AARCH64_ATTR_NORMAL_WT)) | ((uint64_t)0xFF << (8 * AARCH64_ATTR_NORMAL_WB)))

// With the 4 KiB granule and no FEAT_LPA2, input and output addresses are at most 48 bits.
#define AARCH64_MAX_ADDR_BITS 48u
#define AARCH64_MIN_ADDR_BITS 32u

// Bits of VA the identity tables translate: the physical width capped at 48 (the choice EDK2's ArmConfigureMmu
// makes, T0SZ = 64 - min(PARange bits, 48)), at least 32. The firmware's T0SZ may differ (U-Boot derives it
// from its memory map): the kernel's TCR replaces it with the MMU off.
unsigned aarch64_va_bits(unsigned phys_addr_bits);

// Level of the root table for a 4 KiB granule (D8 "translation table walk starting level"): level 0 when
// more than 39 VA bits are translated, level 1 for 31..39 bits, level 2 for 22..30 bits.
unsigned aarch64_start_level(unsigned va_bits);

// The highest physical address width the kernel can use: `cpu_bits` (ID_AA64MMFR0_EL1.PARange) capped at what
// arch_paging_build maps (48 bits: 4 KiB granule without FEAT_LPA2). arch_phys_addr_bits returns it, so the
// firmware map counts RAM above it as a beyond_phys_width repair and the builder never sees such a range:
// a range ending above 2^aarch64_mappable_phys_bits(bits) is exactly what the builder refuses.
unsigned aarch64_mappable_phys_bits(unsigned cpu_bits);

// ---- The translation regime the firmware hands over ------------------------------------------------------

// Geometry of a stage 1 regime with one VA range (TTBR0) as TCR_ELx.TG0 and T0SZ give it (D8 "translation
// granule", "translation table walk starting level"): TG0 in bits [15:14] and T0SZ in [5:0], at the same place
// in TCR_EL1 and in TCR_EL2 with or without E2H.
typedef struct aarch64_geometry {
  unsigned granule_shift;  // 12 (4 KiB), 14 (16 KiB) or 16 (64 KiB)
  unsigned va_bits;        // 64 - T0SZ
  unsigned start_level;    // level of the root table: 4 KiB 0..3, 16 KiB 0..3, 64 KiB 1..3
  unsigned levels;         // levels walked, 4 - start_level
} aarch64_geometry;

// Decodes TG0 and T0SZ from `tcr` into *out. Each level resolves granule_shift - 3 bits of VA above the
// granule's offset bits, so the walk starts at 4 - ceil((va_bits - granule_shift) / (granule_shift - 3)).
// T0SZ 12..48 (16..52 VA bits) is decoded; returns false and leaves *out untouched for TG0 = 0b11 (reserved),
// T0SZ outside that range, or a geometry that needs a level -1 (4 KiB granule above 48 bits: FEAT_LPA2).
bool aarch64_geometry_from_tcr(uint64_t tcr, aarch64_geometry *out);

// Why the kernel cannot take over translation on this CPU, from the registers as the firmware left them:
// NULL when it can, otherwise a static message (one word, for `reason=`) naming what was found:
//   "cpu_has_no_4k_granule"      ID_AA64MMFR0_EL1.TGran4 [31:28] = 0b1111: the kernel's tables use 4 KiB;
//   "big_endian_translation"     SCTLR_ELx.EE [25] = 1: tables and data would be read big-endian;
//   "firmware_tcr_tg0_reserved", "firmware_tcr_t0sz_unsupported" (aarch64_geometry_from_tcr refuses it).
// The firmware's own granule and start level are not a requirement: arch_paging_activate turns the MMU off
// before it installs the kernel's TCR and tables, so any 4/16/64 KiB regime with any start level is replaced
// whole. `mmfr0`, `sctlr` and `tcr` are ID_AA64MMFR0_EL1 and the SCTLR/TCR of the exception level entered.
const char *aarch64_regime_unsupported(uint64_t mmfr0, uint64_t sctlr, uint64_t tcr);

// VA bits the kernel's tables translate: features->va_bits when set, else aarch64_va_bits(phys_addr_bits).
unsigned aarch64_table_va_bits(const arch_paging_features *features);

// TCR value for the regime in `features`: TCR_EL1 layout for EL1&0 (also TCR_EL2 when HCR_EL2.E2H == 1),
// TCR_EL2 layout when features->el2_regime. T0SZ from aarch64_table_va_bits, 4 KiB granule, table walks inner
// shareable write-back write-allocate, IPS/PS from the physical width (capped at 48 bits).
uint64_t aarch64_tcr_value(const arch_paging_features *features);

#endif  // ARCH_AARCH64_VMSA_H
