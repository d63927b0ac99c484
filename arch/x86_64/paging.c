// paging.c (x86_64): builds identity page tables for 4-level paging.
//
// Portable C with no inline asm: the same file is compiled for the UEFI target and for the host tests, which
// build tables in a simulated physical memory and walk them (paging_test.cc). Activation (EFER.NXE, CR3) is
// in cpu.c.
//
// [intel/sdm-3a]: Intel 64 and IA-32 Architectures Software Developer's Manual, Vol. 3A.
//   4.5 "4-Level Paging and 5-Level Paging": PML4 -> PDPT -> PD -> PT, 9 index bits per level, 4 KiB tables
//       of 512 eight-byte entries; a PDPTE with PS=1 maps a 1 GiB page, a PDE with PS=1 a 2 MiB page.
//   Tables 4-15..4-20: entry formats (PML4E, PDPTE 1 GiB / table, PDE 2 MiB / table, PTE).
//   11.12 "Page Attribute Table (PAT)": PAT, PCD, PWT select one of eight PAT entries; with the power-up
//       IA32_PAT (0x0007040600070406) index 0 = WB, 2 = UC-, 3 = UC.
//   11.5.2.2 Table 11-7: effective type of a PAT UC- page is the MTRR type if that is WC, else UC.
#include "arch/arch.h"

#define X86_PTE_P ((uint64_t)1 << 0)     // present
#define X86_PTE_RW ((uint64_t)1 << 1)    // writable
#define X86_PTE_PWT ((uint64_t)1 << 3)   // page-level write-through (PAT index bit 0)
#define X86_PTE_PCD ((uint64_t)1 << 4)   // page-level cache disable (PAT index bit 1)
#define X86_PTE_PS ((uint64_t)1 << 7)    // PDPTE/PDE: this entry maps a 1 GiB / 2 MiB page
#define X86_PTE_NX ((uint64_t)1 << 63)   // execute-disable, only legal with EFER.NXE = 1
#define X86_PTE_ADDR ((uint64_t)0x000FFFFFFFFFF000)  // bits 51:12: next table or 4 KiB frame

#define X86_ENTRIES 512u
#define X86_TOP_LEVEL 4u  // PML4; level 3 = PDPT, 2 = PD, 1 = PT
#define X86_MAX_PHYS_BITS 52u  // MAXPHYADDR is at most 52 (SDM Vol. 3A 4.1.4)
#define X86_MIN_PHYS_BITS 32u

#define SIZE_4K ((uint64_t)1 << 12)
#define SIZE_2M ((uint64_t)1 << 21)
#define SIZE_1G ((uint64_t)1 << 30)

typedef struct x86_builder {
  const arch_frame_source *source;
  const mm_phys_window *window;
  phys_addr_t root;
  uint64_t tables;
} x86_builder;

// Bit position of the lowest virtual-address bit indexed at `level` (4 -> 39, 3 -> 30, 2 -> 21, 1 -> 12).
static unsigned level_shift(unsigned level) { return MM_FRAME_SHIFT + 9u * (level - 1u); }

static unsigned level_index(uint64_t va, unsigned level) {
  return (unsigned)((va >> level_shift(level)) & (X86_ENTRIES - 1u));
}

// Returns the entries of the table at `table` through the window, or NULL if the window cannot map it.
// A pointer is used only until the next call: a window may reuse one mapping slot.
static uint64_t *table_entries(const x86_builder *b, phys_addr_t table) {
  return (uint64_t *)b->window->map(b->window->ctx, table, MM_FRAME_SIZE);
}

// Takes a frame from the source, zeroes it and counts it. Returns the source's error, MM_ERR_MISALIGNED if
// the source returned a frame that is not 4 KiB aligned, MM_ERR_NO_MEMORY if the window cannot map it.
static mm_status new_table(x86_builder *b, phys_addr_t *out) {
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

// Writes leaf entry `leaf` for virtual address `va` at `leaf_level` (3: 1 GiB, 2: 2 MiB, 1: 4 KiB), creating
// the tables above it. Non-leaf entries are present + writable with no NX, so only leaves decide access
// (SDM Vol. 3A 4.6: permissions combine across levels). Panics if something is already mapped there: the
// caller validated that the ranges are disjoint, so that is a builder bug. Returns new_table's errors.
static mm_status install(x86_builder *b, uint64_t va, unsigned leaf_level, uint64_t leaf) {
  phys_addr_t table = b->root;
  for (unsigned level = X86_TOP_LEVEL;; level--) {
    uint64_t *entries = table_entries(b, table);
    if (entries == NULL) return MM_ERR_NO_MEMORY;
    uint64_t entry = entries[level_index(va, level)];
    if (level == leaf_level) {
      if ((entry & X86_PTE_P) != 0) mm_panic("x86_paging_install", "remap of a present entry");
      entries[level_index(va, level)] = leaf;
      return MM_OK;
    }
    if ((entry & X86_PTE_P) == 0) {
      phys_addr_t next = 0;
      mm_status status = new_table(b, &next);
      if (status != MM_OK) return status;
      entries = table_entries(b, table);  // new_table used the window
      if (entries == NULL) return MM_ERR_NO_MEMORY;
      entry = next | X86_PTE_P | X86_PTE_RW;
      entries[level_index(va, level)] = entry;
    } else if ((entry & X86_PTE_PS) != 0) {
      mm_panic("x86_paging_install", "remap inside a large page");
    }
    table = entry & X86_PTE_ADDR;
  }
}

// Leaf flags for a range (SDM Vol. 3A 11.12.3 selects the PAT entry from PAT/PCD/PWT; PAT bit left 0):
//   normal      PCD=0 PWT=0 -> PAT0 = WB
//   device      PCD=1 PWT=1 -> PAT3 = UC (strong uncacheable whatever the MTRRs say)
//   framebuffer PCD=1 PWT=0 -> PAT2 = UC-: uncached, but becomes write-combining where the firmware set a WC
//               MTRR over the framebuffer (Table 11-7). IA32_PAT is not reprogrammed: changing it safely
//               needs the 11.12.4 procedure on every CPU, and UC- already gives WC where firmware asked.
static uint64_t leaf_flags(const arch_map_range *r, const arch_paging_features *f) {
  uint64_t flags = X86_PTE_P | X86_PTE_RW;
  if (r->type == ARCH_MEM_DEVICE) flags |= X86_PTE_PCD | X86_PTE_PWT;
  if (r->type == ARCH_MEM_FRAMEBUFFER) flags |= X86_PTE_PCD;
  if (!r->executable && f->nx) flags |= X86_PTE_NX;
  return flags;
}

// Maps [r->base, r->end) with the largest pages the alignment of each step allows.
static mm_status map_range(x86_builder *b, const arch_map_range *r, const arch_paging_features *f) {
  uint64_t flags = leaf_flags(r, f);
  for (phys_addr_t addr = r->base; addr < r->end;) {
    uint64_t left = r->end - addr;
    uint64_t size = SIZE_4K;
    unsigned level = 1;
    if (f->huge_1g && (addr & (SIZE_1G - 1)) == 0 && left >= SIZE_1G) {
      size = SIZE_1G;
      level = 3;
    } else if ((addr & (SIZE_2M - 1)) == 0 && left >= SIZE_2M) {
      size = SIZE_2M;
      level = 2;
    }
    uint64_t leaf = addr | flags | (level > 1 ? X86_PTE_PS : 0);
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
  if (f->phys_addr_bits < X86_MIN_PHYS_BITS || f->phys_addr_bits > X86_MAX_PHYS_BITS) {
    return MM_ERR_INVALID_ARGUMENT;
  }
  uint64_t limit = (uint64_t)1 << f->phys_addr_bits;
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

// Builds identity tables for `ranges` (contract in arch/arch.h). Empty ranges (base == end) are allowed and
// map nothing. On error `out` is untouched; frames already taken from `source` stay taken (the tables are
// not reachable from anything live, the caller may free or leak them).
mm_status arch_paging_build(const arch_map_range *ranges, uint64_t count, const arch_paging_features *features,
                            const arch_frame_source *source, const mm_phys_window *window,
                            arch_paging_info *out) {
  mm_status status = validate(ranges, count, features, source, window, out);
  if (status != MM_OK) return status;

  x86_builder b = {.source = source, .window = window, .root = 0, .tables = 0};
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
