// paging.c (aarch64): builds identity translation tables for the VMSAv8-64 stage 1 regime, 4 KiB granule.
//
// Portable C with no inline asm: the same file is compiled for the UEFI target and for the host tests, which
// build tables in a simulated physical memory and walk them (paging_test.cc). The register writes are in
// cpu.c.
//
// Size: the VA range equals the physical width capped at 48 bits (vmsa.h), so the walk starts at level 0
// (4 levels) for more than 39 bits and at level 1 (3 levels) for 32..39 bits. Level-1 blocks map 1 GiB,
// level-2 blocks 2 MiB, level-3 pages 4 KiB; level 0 has no blocks with this granule.
//
// [arm/v8] DDI 0487, D8 (VMSAv8-64):
//   "Translation table descriptor formats": bits[1:0] 0b11 = table (levels 0-2) or page (level 3), 0b01 =
//     block (levels 1-2); output/next-table address in bits[47:12] (block: [47:30] / [47:21]).
//   Stage 1 block/page attributes: AttrIndx[4:2] (MAIR index), AP[7:6], SH[9:8], AF[10], nG[11],
//     PXN[53], UXN or XN[54].
//   "Stage 1 data access permissions": in the EL1&0 and EL2&0 regimes AP[1] = 0 keeps EL0 out (and an
//     EL0-writable page would be PXN for EL1); in the EL2 regime without VHE (one VA range, one privilege
//     level) AP[1] is RES1, bit 54 is XN and PXN is RES0.
//   "Memory region attributes": shareability; Device and Normal non-cacheable are outer shareable whatever SH
//     says, so SH = inner shareable is written everywhere and matters for write-back RAM.
//   The Access Flag must be 1: without FEAT_HAFDBS hardware updates, AF = 0 faults on first access.
#include "arch/aarch64/vmsa.h"

#define DESC_VALID ((uint64_t)1 << 0)
#define DESC_TABLE ((uint64_t)3)       // levels 0-2
#define DESC_BLOCK ((uint64_t)1)       // levels 1-2
#define DESC_PAGE ((uint64_t)3)        // level 3
#define DESC_TYPE_MASK ((uint64_t)3)
#define DESC_ATTRINDX(i) ((uint64_t)(i) << 2)
#define DESC_AP1 ((uint64_t)1 << 6)    // AP[1]: EL0 access (EL1&0), RES1 (EL2 without VHE)
#define DESC_SH_INNER ((uint64_t)3 << 8)
#define DESC_AF ((uint64_t)1 << 10)
#define DESC_PXN ((uint64_t)1 << 53)
#define DESC_UXN ((uint64_t)1 << 54)   // XN in the EL2 regime without VHE
#define DESC_ADDR ((uint64_t)0x0000FFFFFFFFF000)  // bits 47:12

#define ENTRIES 512u
#define LAST_LEVEL 3u

#define SIZE_4K ((uint64_t)1 << 12)
#define SIZE_2M ((uint64_t)1 << 21)
#define SIZE_1G ((uint64_t)1 << 30)

unsigned aarch64_va_bits(unsigned phys_addr_bits) {
  if (phys_addr_bits > AARCH64_MAX_ADDR_BITS) return AARCH64_MAX_ADDR_BITS;
  if (phys_addr_bits < AARCH64_MIN_ADDR_BITS) return AARCH64_MIN_ADDR_BITS;
  return phys_addr_bits;
}

unsigned aarch64_start_level(unsigned va_bits) { return va_bits > 39u ? 0u : 1u; }

// TCR fields (register descriptions of TCR_EL1 and TCR_EL2 in DDI 0487):
//   T0SZ[5:0], IRGN0[9:8] = 0b01 and ORGN0[11:10] = 0b01 (walks write-back read/write-allocate),
//   SH0[13:12] = 0b11 (inner shareable), TG0[15:14] = 0b00 (4 KiB).
//   TCR_EL1 (and TCR_EL2 with E2H = 1): EPD1[23] = 1 (no TTBR1 walks: nothing lives in the upper half),
//     TG1[31:30] = 0b10 (4 KiB; also Cortex-A57 erratum 822227 wants TG1 valid), IPS[34:32].
//   TCR_EL2 with E2H = 0: PS[18:16], bits 23 and 31 RES1.
// A1 = 0, AS = 0, TBI0 = 0, HA/HD = 0: ASID from TTBR0 (unused, all mappings are global), no top-byte ignore.
uint64_t aarch64_tcr_value(const arch_paging_features *features) {
  unsigned bits = aarch64_va_bits(features->phys_addr_bits);
  uint64_t ps;  // the smallest PARange encoding that covers `bits`
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
  uint64_t tcr = (uint64_t)(64u - bits) | ((uint64_t)1 << 8) | ((uint64_t)1 << 10) | ((uint64_t)3 << 12);
  if (features->el2_regime) return tcr | (ps << 16) | ((uint64_t)1 << 23) | ((uint64_t)1 << 31);
  return tcr | ((uint64_t)1 << 23) | ((uint64_t)2 << 30) | (ps << 32);
}

typedef struct a64_builder {
  const arch_frame_source *source;
  const mm_phys_window *window;
  unsigned start_level;
  phys_addr_t root;
  uint64_t tables;
} a64_builder;

// Lowest VA bit indexed at `level`: 0 -> 39, 1 -> 30, 2 -> 21, 3 -> 12.
static unsigned level_shift(unsigned level) { return MM_FRAME_SHIFT + 9u * (LAST_LEVEL - level); }

static unsigned level_index(uint64_t va, unsigned level) {
  return (unsigned)((va >> level_shift(level)) & (ENTRIES - 1u));
}

// Returns the descriptors of the table at `table` through the window, or NULL if the window cannot map it.
// A pointer is used only until the next call: a window may reuse one mapping slot.
static uint64_t *table_entries(const a64_builder *b, phys_addr_t table) {
  return (uint64_t *)b->window->map(b->window->ctx, table, MM_FRAME_SIZE);
}

// Takes a frame from the source, zeroes it and counts it. Returns the source's error, MM_ERR_MISALIGNED if
// the frame is not 4 KiB aligned, MM_ERR_NO_MEMORY if the window cannot map it. The tables are written with
// ordinary cacheable stores: walks are configured cacheable and inner shareable (TCR), so they are coherent
// with them once activation's DSB has completed the stores.
static mm_status new_table(a64_builder *b, phys_addr_t *out) {
  phys_addr_t frame = 0;
  mm_status status = b->source->alloc_frame(b->source->ctx, &frame);
  if (status != MM_OK) return status;
  if ((frame & MM_FRAME_MASK) != 0) return MM_ERR_MISALIGNED;
  uint64_t *entries = table_entries(b, frame);
  if (entries == NULL) return MM_ERR_NO_MEMORY;
  mm_memset(entries, 0, MM_FRAME_SIZE);
  b->tables++;
  *out = frame;
  return MM_OK;
}

// Writes descriptor `leaf` for `va` at `leaf_level` (1: 1 GiB block, 2: 2 MiB block, 3: page), creating the
// tables above it. Table descriptors carry no APTable/XNTable limits, so only leaves decide access. Panics if
// something is already mapped there (the ranges were validated disjoint: a builder bug). Returns
// new_table's errors.
static mm_status install(a64_builder *b, uint64_t va, unsigned leaf_level, uint64_t leaf) {
  phys_addr_t table = b->root;
  for (unsigned level = b->start_level;; level++) {
    uint64_t *entries = table_entries(b, table);
    if (entries == NULL) return MM_ERR_NO_MEMORY;
    uint64_t entry = entries[level_index(va, level)];
    if (level == leaf_level) {
      if ((entry & DESC_VALID) != 0) mm_panic("aarch64_paging_install", "remap of a valid descriptor");
      entries[level_index(va, level)] = leaf;
      return MM_OK;
    }
    if ((entry & DESC_VALID) == 0) {
      phys_addr_t next = 0;
      mm_status status = new_table(b, &next);
      if (status != MM_OK) return status;
      entries = table_entries(b, table);  // new_table used the window
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
  return attr;
}

// Maps [r->base, r->end) with the largest blocks the alignment of each step allows.
static mm_status map_range(a64_builder *b, const arch_map_range *r, const arch_paging_features *f) {
  uint64_t attr = leaf_attributes(r, f);
  for (phys_addr_t addr = r->base; addr < r->end;) {
    uint64_t left = r->end - addr;
    uint64_t size = SIZE_4K;
    unsigned level = 3;
    if (f->huge_1g && b->start_level <= 1 && (addr & (SIZE_1G - 1)) == 0 && left >= SIZE_1G) {
      size = SIZE_1G;
      level = 1;
    } else if ((addr & (SIZE_2M - 1)) == 0 && left >= SIZE_2M) {
      size = SIZE_2M;
      level = 2;
    }
    uint64_t leaf = addr | attr | (level == LAST_LEVEL ? DESC_PAGE : DESC_BLOCK);
    mm_status status = install(b, addr, level, leaf);
    if (status != MM_OK) return status;
    addr += size;
  }
  return MM_OK;
}

// Checks every argument before any frame is taken, so a rejected call consumes nothing.
static mm_status validate(const arch_map_range *ranges, uint64_t count, const arch_paging_features *f,
                          const arch_frame_source *source, const mm_phys_window *window,
                          const arch_paging_info *out) {
  if ((ranges == NULL && count != 0) || f == NULL || source == NULL || source->alloc_frame == NULL ||
      window == NULL || window->map == NULL || out == NULL) {
    return MM_ERR_INVALID_ARGUMENT;
  }
  // PARange encodes 32..52 bits; anything else did not come from a CPU.
  if (f->phys_addr_bits < AARCH64_MIN_ADDR_BITS || f->phys_addr_bits > 52u) return MM_ERR_INVALID_ARGUMENT;
  uint64_t limit = (uint64_t)1 << aarch64_va_bits(f->phys_addr_bits);
  phys_addr_t previous_end = 0;
  for (uint64_t i = 0; i < count; i++) {
    const arch_map_range *r = &ranges[i];
    if (((r->base | r->end) & MM_FRAME_MASK) != 0) return MM_ERR_INVALID_ARGUMENT;
    if (r->base > r->end || r->base < previous_end || r->end > limit) return MM_ERR_INVALID_ARGUMENT;
    if (r->type != ARCH_MEM_NORMAL && r->type != ARCH_MEM_DEVICE && r->type != ARCH_MEM_FRAMEBUFFER) {
      return MM_ERR_INVALID_ARGUMENT;
    }
    previous_end = r->end;
  }
  return MM_OK;
}

// Builds identity tables for `ranges` (contract in arch/arch.h). Ranges must end at or below
// 2^min(phys_addr_bits, 48). Empty ranges (base == end) are allowed and map nothing. On error `out` is
// untouched; frames already taken from `source` stay taken (nothing live points at them).
mm_status arch_paging_build(const arch_map_range *ranges, uint64_t count, const arch_paging_features *features,
                            const arch_frame_source *source, const mm_phys_window *window,
                            arch_paging_info *out) {
  mm_status status = validate(ranges, count, features, source, window, out);
  if (status != MM_OK) return status;

  a64_builder b = {.source = source,
                   .window = window,
                   .start_level = aarch64_start_level(aarch64_va_bits(features->phys_addr_bits)),
                   .root = 0,
                   .tables = 0};
  status = new_table(&b, &b.root);
  if (status != MM_OK) return status;

  uint64_t mapped = 0;
  for (uint64_t i = 0; i < count; i++) {
    status = map_range(&b, &ranges[i], features);
    if (status != MM_OK) return status;
    mapped += ranges[i].end - ranges[i].base;
  }
  out->root = b.root;
  out->mapped_bytes = mapped;
  out->tables = b.tables;
  return MM_OK;
}
