// paging.c (aarch64): builds identity translation tables for the VMSAv8-64 stage 1 regime, 4 KiB granule.
//
// Portable C with no inline asm: the same file is compiled for the UEFI target and for the host tests, which
// build tables in a simulated physical memory and walk them (paging_test.cc). Argument checks, frame handling
// and the build driver are shared with x86_64 (arch/paging_common.h); this file holds the VMSAv8-64 descriptor
// formats and level walk. The register writes are in cpu.c.
//
// Size: the VA range equals the physical width capped at 48 bits, or features->va_bits (vmsa.h), so the walk
// starts at level 0 (4 levels) for more than 39 bits and at level 1 (3 levels) for 32..39 bits. Level-1 blocks
// map 1 GiB, level-2 blocks 2 MiB, level-3 pages 4 KiB; level 0 has no blocks with this granule.
//
// [arm/v8] DDI 0487, D8 (VMSAv8-64):
//   "Translation table descriptor formats": bits[1:0] 0b11 = table (levels 0-2) or page (level 3), 0b01 =
//     block (levels 1-2); output/next-table address in bits[47:12] (block: [47:30] / [47:21]).
//   Stage 1 block/page attributes: AttrIndx[4:2] (MAIR index), AP[7:6], SH[9:8], AF[10], nG[11],
//     PXN[53], UXN or XN[54].
//   "Stage 1 data access permissions": in the EL1&0 and EL2&0 regimes AP[1] = 0 keeps EL0 out (and an
//     EL0-writable page would be PXN for EL1); in the EL2 regime without VHE (one VA range, one privilege
//     level) AP[1] is RES1, bit 54 is XN and PXN is RES0. AP[2] = 1 is read-only in every regime: AP[2:1]
//     0b10 = EL1 (or EL2&0 EL2) read-only, no EL0 access; 0b11 with AP[1] RES1 = EL2 read-only.
//   "Memory region attributes": shareability; Device and Normal non-cacheable are outer shareable whatever SH
//     says, so SH = inner shareable is written everywhere and matters for write-back RAM.
//   The Access Flag must be 1: without FEAT_HAFDBS hardware updates, AF = 0 faults on first access.
#include "arch/aarch64/vmsa.h"
#include "arch/paging_common.h"

#define DESC_VALID ((uint64_t)1 << 0)
#define DESC_TABLE ((uint64_t)3)       // levels 0-2
#define DESC_BLOCK ((uint64_t)1)       // levels 1-2
#define DESC_PAGE ((uint64_t)3)        // level 3
#define DESC_TYPE_MASK ((uint64_t)3)
#define DESC_ATTRINDX(i) ((uint64_t)(i) << 2)
#define DESC_AP1 ((uint64_t)1 << 6)    // AP[1]: EL0 access (EL1&0), RES1 (EL2 without VHE)
#define DESC_AP2 ((uint64_t)1 << 7)    // AP[2]: read-only (every regime)
#define DESC_SH_INNER ((uint64_t)3 << 8)
#define DESC_AF ((uint64_t)1 << 10)
#define DESC_PXN ((uint64_t)1 << 53)
#define DESC_UXN ((uint64_t)1 << 54)   // XN in the EL2 regime without VHE
#define DESC_ADDR ((uint64_t)0x0000FFFFFFFFF000)  // bits 47:12

#define ENTRIES 512u
#define LAST_LEVEL 3u

unsigned aarch64_va_bits(unsigned phys_addr_bits) {
  if (phys_addr_bits > AARCH64_MAX_ADDR_BITS) return AARCH64_MAX_ADDR_BITS;
  if (phys_addr_bits < AARCH64_MIN_ADDR_BITS) return AARCH64_MIN_ADDR_BITS;
  return phys_addr_bits;
}

unsigned aarch64_start_level(unsigned va_bits) {
  unsigned levels = (va_bits - MM_FRAME_SHIFT + 8u) / 9u;  // ceil((va_bits - 12) / 9)
  return 4u - levels;
}

// Granule encodings of TCR_ELx.TG0 [15:14] (TCR_EL1 and TCR_EL2 register descriptions, DDI 0487).
#define TCR_TG0_SHIFT 14u
#define TCR_T0SZ_MASK ((uint64_t)0x3F)
static const unsigned tg0_granule_shift[3] = {12u, 16u, 14u};  // 0b00 4 KiB, 0b01 64 KiB, 0b10 16 KiB

bool aarch64_geometry_from_tcr(uint64_t tcr, aarch64_geometry *out) {
  unsigned tg0 = (unsigned)((tcr >> TCR_TG0_SHIFT) & 3u);
  unsigned t0sz = (unsigned)(tcr & TCR_T0SZ_MASK);
  if (tg0 == 3u || t0sz < 12u || t0sz > 48u) return false;
  unsigned shift = tg0_granule_shift[tg0];
  unsigned va_bits = 64u - t0sz;
  unsigned stride = shift - 3u;
  unsigned levels = va_bits <= shift ? 1u : (va_bits - shift + stride - 1u) / stride;
  if (levels > 4u) return false;  // level -1: FEAT_LPA2 tables, which the kernel does not decode
  aarch64_geometry g = {.granule_shift = shift, .va_bits = va_bits, .start_level = 4u - levels, .levels = levels};
  *out = g;
  return true;
}

#define MMFR0_TGRAN4_SHIFT 28u
#define MMFR0_TGRAN4_ABSENT 0xFu
#define SCTLR_EE ((uint64_t)1 << 25)

const char *aarch64_regime_unsupported(uint64_t mmfr0, uint64_t sctlr, uint64_t tcr) {
  if (((mmfr0 >> MMFR0_TGRAN4_SHIFT) & 0xFu) == MMFR0_TGRAN4_ABSENT) return "cpu_has_no_4k_granule";
  if ((sctlr & SCTLR_EE) != 0) return "big_endian_translation";
  aarch64_geometry g;
  if (!aarch64_geometry_from_tcr(tcr, &g)) {
    return ((tcr >> TCR_TG0_SHIFT) & 3u) == 3u ? "firmware_tcr_tg0_reserved" : "firmware_tcr_t0sz_unsupported";
  }
  return NULL;
}

// TCR fields (register descriptions of TCR_EL1 and TCR_EL2 in DDI 0487):
//   T0SZ[5:0], IRGN0[9:8] = 0b01 and ORGN0[11:10] = 0b01 (walks write-back read/write-allocate),
//   SH0[13:12] = 0b11 (inner shareable), TG0[15:14] = 0b00 (4 KiB).
//   TCR_EL1 (and TCR_EL2 with E2H = 1): EPD1[23] = 1 (no TTBR1 walks: nothing lives in the upper half),
//     TG1[31:30] = 0b10 (4 KiB; also Cortex-A57 erratum 822227 wants TG1 valid), IPS[34:32].
//   TCR_EL2 with E2H = 0: PS[18:16], bits 23 and 31 RES1.
// A1 = 0, AS = 0, TBI0 = 0, HA/HD = 0: ASID from TTBR0 (unused, all mappings are global), no top-byte ignore.
unsigned aarch64_table_va_bits(const arch_paging_features *features) {
  return features->va_bits != 0 ? features->va_bits : aarch64_va_bits(features->phys_addr_bits);
}

uint64_t aarch64_tcr_value(const arch_paging_features *features) {
  unsigned bits = aarch64_va_bits(features->phys_addr_bits);
  uint64_t ps;  // the smallest PARange encoding that covers `bits` (output addresses)
  if (bits <= 32) {
    ps = 0;
  } else if (bits <= 36) {
    ps = 1;
  } else if (bits <= 40) {
    ps = 2;
  } else if (bits <= 42) {
    ps = 3;
  } else if (bits <= 44) {
    ps = 4;
  } else {
    ps = 5;
  }
  uint64_t tcr = (uint64_t)(64u - aarch64_table_va_bits(features)) | ((uint64_t)1 << 8) | ((uint64_t)1 << 10) |
                 ((uint64_t)3 << 12);
  if (features->el2_regime) return tcr | (ps << 16) | ((uint64_t)1 << 23) | ((uint64_t)1 << 31);
  return tcr | ((uint64_t)1 << 23) | ((uint64_t)2 << 30) | (ps << 32);
}

// Lowest VA bit indexed at `level`: 0 -> 39, 1 -> 30, 2 -> 21, 3 -> 12.
static unsigned level_shift(unsigned level) { return MM_FRAME_SHIFT + 9u * (LAST_LEVEL - level); }

static unsigned level_index(uint64_t va, unsigned level) {
  return (unsigned)((va >> level_shift(level)) & (ENTRIES - 1u));
}

// Writes descriptor `leaf` for `va` at `leaf_level` (1: 1 GiB block, 2: 2 MiB block, 3: page), walking down
// from the root at `start_level` and creating the tables above the leaf. Table descriptors carry no
// APTable/XNTable limits, so only leaves decide access. The tables are written with ordinary cacheable stores:
// walks are configured cacheable and inner shareable (TCR), so they are coherent with them once activation's
// DSB has completed the stores. Panics if something is already mapped there (the ranges were validated
// disjoint: a builder bug). Returns arch_table_new's errors, or MM_ERR_NO_MEMORY if the window cannot map a
// table.
static mm_status install(arch_table_builder *b, unsigned start_level, uint64_t va, unsigned leaf_level, uint64_t leaf) {
  phys_addr_t table = b->root;
  for (unsigned level = start_level;; level++) {
    uint64_t *entries = arch_table_entries(b, table);
    if (entries == NULL) return MM_ERR_NO_MEMORY;
    uint64_t entry = entries[level_index(va, level)];
    if (level == leaf_level) {
      if ((entry & DESC_VALID) != 0) mm_panic("aarch64_paging_install", "remap of a valid descriptor");
      entries[level_index(va, level)] = leaf;
      return MM_OK;
    }
    if ((entry & DESC_VALID) == 0) {
      phys_addr_t next = 0;
      mm_status status = arch_table_new(b, &next);
      if (status != MM_OK) return status;
      entries = arch_table_entries(b, table);  // arch_table_new used the window
      if (entries == NULL) return MM_ERR_NO_MEMORY;
      entry = next | DESC_TABLE;
      entries[level_index(va, level)] = entry;
    } else if ((entry & DESC_TYPE_MASK) != DESC_TABLE) {
      mm_panic("aarch64_paging_install", "remap inside a block");
    }
    table = entry & DESC_ADDR;
  }
}

// Block/page attributes for a range, without the type bits.
static uint64_t leaf_attributes(const arch_map_range *r, const arch_paging_features *f) {
  uint64_t attr = DESC_AF | DESC_SH_INNER;
  switch (r->type) {
    case ARCH_MEM_NORMAL:
      attr |= DESC_ATTRINDX(AARCH64_ATTR_NORMAL_WB);
      break;
    case ARCH_MEM_DEVICE:
      attr |= DESC_ATTRINDX(AARCH64_ATTR_DEVICE);
      break;
    case ARCH_MEM_FRAMEBUFFER:
      attr |= DESC_ATTRINDX(AARCH64_ATTR_NORMAL_NC);
      break;
  }
  if (f->el2_regime) {
    // One privilege level: AP[2:1] = 0b01 is read/write (AP[1] RES1); bit 54 is the only execute control.
    attr |= DESC_AP1;
    if (!r->executable) attr |= DESC_UXN;
  } else {
    // AP[2:1] = 0b00: EL1 read/write, no EL0 access. UXN always (nothing runs at EL0); PXN when not code.
    attr |= DESC_UXN;
    if (!r->executable) attr |= DESC_PXN;
  }
  if (r->read_only) attr |= DESC_AP2;  // AP[2:1] 0b10 / 0b11: read-only at the kernel's exception level
  return attr;
}

// arch_paging_format.install: the identity block (level 1: 1 GiB, level 2: 2 MiB) or page (level 3) of `size`
// at `addr`. Both start levels (0 and 1, aarch64_start_level) have level-1 blocks, so any size fits.
static mm_status install_identity(arch_table_builder *b, phys_addr_t addr, uint64_t size, uint64_t attr,
                                  const arch_paging_features *f) {
  unsigned start_level = aarch64_start_level(aarch64_table_va_bits(f));
  unsigned level = size == ARCH_SIZE_1G ? 1u : (size == ARCH_SIZE_2M ? 2u : LAST_LEVEL);
  return install(b, start_level, addr, level, addr | attr | (level == LAST_LEVEL ? DESC_PAGE : DESC_BLOCK));
}

// PARange encodes 32..52 bits (anything else did not come from a CPU); the tables translate
// aarch64_va_bits = min(phys_addr_bits, 48) bits of VA, so ranges must end at or below that.
static const arch_paging_format a64_format = {
    .min_phys_bits = AARCH64_MIN_ADDR_BITS,
    .max_phys_bits = 52u,
    .max_mapped_bits = AARCH64_MAX_ADDR_BITS,
    .leaf_bits = leaf_attributes,
    .install = install_identity,
};

// The builder's bound (arch_paging_validate: min(phys_addr_bits, max_mapped_bits)), so the two cannot drift.
unsigned aarch64_mappable_phys_bits(unsigned cpu_bits) {
  return cpu_bits < a64_format.max_mapped_bits ? cpu_bits : a64_format.max_mapped_bits;
}

// Contract in arch/arch.h; checks, frames and the block-size choice are arch_paging_build_with's. Empty ranges
// (base == end) are allowed and map nothing. On error `out` is untouched; frames already taken from `source`
// stay taken (nothing live points at them).
mm_status arch_paging_build(const arch_map_range *ranges, uint64_t count, const arch_paging_features *features,
                            const arch_frame_source *source, const mm_phys_window *window, arch_paging_info *out) {
  if (features != NULL && features->va_bits != 0) {
    // A requested VA size (arch.h): within 32..mappable width, and every range below its top.
    unsigned va_bits = features->va_bits;
    if (va_bits < AARCH64_MIN_ADDR_BITS || va_bits > aarch64_mappable_phys_bits(features->phys_addr_bits)) {
      return MM_ERR_INVALID_ARGUMENT;
    }
    for (uint64_t i = 0; ranges != NULL && i < count; i++) {
      if (ranges[i].end > ((uint64_t)1 << va_bits)) return MM_ERR_INVALID_ARGUMENT;
    }
  }
  return arch_paging_build_with(ranges, count, features, source, window, &a64_format, out);
}
