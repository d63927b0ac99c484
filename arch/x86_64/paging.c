// paging.c (x86_64): builds identity page tables for 4-level or 5-level paging.
//
// Portable C with no inline asm: the same file is compiled for the UEFI target and for the host tests, which
// build tables in a simulated physical memory and walk them (paging_test.cc). Argument checks, frame handling
// and the build driver are shared with aarch64 (arch/paging_common.h); this file holds the x86 entry formats
// and level walk. Activation (EFER.NXE, CR3) is in cpu.c.
//
// [intel/sdm-3a]: Intel 64 and IA-32 Architectures Software Developer's Manual, Vol. 3A.
//   4.5 "4-Level Paging and 5-Level Paging": PML4 -> PDPT -> PD -> PT, 9 index bits per level, 4 KiB tables
//       of 512 eight-byte entries; a PDPTE with PS=1 maps a 1 GiB page, a PDE with PS=1 a 2 MiB page. With
//       CR4.LA57 = 1 a PML5 (bits 56:48) sits above the PML4 (4.1.1, 4.5); its entries have the PML4E format.
//   4.5 (canonicality): linear addresses are 48 bits (4-level) or 57 bits (5-level) sign-extended. An identity
//       map uses the lower half only, so it reaches physical 2^47 (4-level) or 2^56 (5-level): physical
//       0x800000000000 would land in PML4[256], virtual 0xffff800000000000, and physical 2^48 would wrap to
//       PML4[0] and alias low memory. Those ranges are refused, never mapped.
//   Tables 4-15..4-20: entry formats (PML4E, PDPTE 1 GiB / table, PDE 2 MiB / table, PTE).
//   11.12 "Page Attribute Table (PAT)": PAT, PCD, PWT select one of eight PAT entries; with the power-up
//       IA32_PAT (0x0007040600070406) index 0 = WB, 2 = UC-, 3 = UC.
//   11.5.2.2 Table 11-7: effective type of a PAT UC- page is the MTRR type if that is WC, else UC.
//   4.6.1 "Determination of Access Rights": a supervisor-mode write to a linear address whose leaf (or any
//       paging-structure entry above it) has R/W = 0 faults only when CR0.WP = 1 (2.5: CR0.WP); with WP = 0
//       the supervisor may write anywhere. arch_paging_activate (cpu.c) sets CR0.WP, so read-only leaves hold.
#include "arch/x86_64/paging.h"

#include "arch/paging_common.h"

#define X86_PTE_P ((uint64_t)1 << 0)     // present
#define X86_PTE_RW ((uint64_t)1 << 1)    // writable
#define X86_PTE_PWT ((uint64_t)1 << 3)   // page-level write-through (PAT index bit 0)
#define X86_PTE_PCD ((uint64_t)1 << 4)   // page-level cache disable (PAT index bit 1)
#define X86_PTE_PS ((uint64_t)1 << 7)    // PDPTE/PDE: this entry maps a 1 GiB / 2 MiB page
#define X86_PTE_NX ((uint64_t)1 << 63)   // execute-disable, only legal with EFER.NXE = 1
#define X86_PTE_ADDR ((uint64_t)0x000FFFFFFFFFF000)  // bits 51:12: next table or 4 KiB frame

#define X86_ENTRIES 512u
#define X86_LEVELS_4 4u  // PML4 on top; level 3 = PDPT, 2 = PD, 1 = PT
#define X86_LEVELS_5 5u  // PML5 on top of the PML4 (CR4.LA57 = 1)
#define X86_MAX_PHYS_BITS 52u  // MAXPHYADDR is at most 52 (SDM Vol. 3A 4.1.4)
#define X86_MIN_PHYS_BITS 32u

// Bit position of the lowest virtual-address bit indexed at `level` (4 -> 39, 3 -> 30, 2 -> 21, 1 -> 12).
static unsigned level_shift(unsigned level) { return MM_FRAME_SHIFT + 9u * (level - 1u); }

static unsigned level_index(uint64_t va, unsigned level) {
  return (unsigned)((va >> level_shift(level)) & (X86_ENTRIES - 1u));
}

// Writes leaf entry `leaf` for virtual address `va` at `leaf_level` (3: 1 GiB, 2: 2 MiB, 1: 4 KiB), creating
// the tables above it. Non-leaf entries are present + writable with no NX, so only leaves decide access
// (SDM Vol. 3A 4.6: permissions combine across levels). Panics if something is already mapped there: the
// caller validated that the ranges are disjoint, so that is a builder bug. Returns arch_table_new's errors, or
// MM_ERR_NO_MEMORY if the window cannot map a table.
static mm_status install(arch_table_builder *b, unsigned top_level, uint64_t va, unsigned leaf_level, uint64_t leaf) {
  phys_addr_t table = b->root;
  for (unsigned level = top_level;; level--) {
    uint64_t *entries = arch_table_entries(b, table);
    if (entries == NULL) return MM_ERR_NO_MEMORY;
    uint64_t entry = entries[level_index(va, level)];
    if (level == leaf_level) {
      if ((entry & X86_PTE_P) != 0) mm_panic("x86_paging_install", "remap of a present entry");
      entries[level_index(va, level)] = leaf;
      return MM_OK;
    }
    if ((entry & X86_PTE_P) == 0) {
      phys_addr_t next = 0;
      mm_status status = arch_table_new(b, &next);
      if (status != MM_OK) return status;
      entries = arch_table_entries(b, table);  // arch_table_new used the window
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
//   read_only   R/W = 0 (4.6.1; table entries above stay writable, so the leaf alone decides).
static uint64_t leaf_flags(const arch_map_range *r, const arch_paging_features *f) {
  uint64_t flags = X86_PTE_P;
  if (!r->read_only) flags |= X86_PTE_RW;
  if (r->type == ARCH_MEM_DEVICE) flags |= X86_PTE_PCD | X86_PTE_PWT;
  if (r->type == ARCH_MEM_FRAMEBUFFER) flags |= X86_PTE_PCD;
  if (!r->executable && f->nx) flags |= X86_PTE_NX;
  return flags;
}

// arch_paging_format.install: the identity leaf of `size` at `addr`; PS = 1 marks a 1 GiB PDPTE or a 2 MiB
// PDE (Tables 4-16, 4-18). `f` picks the walk's top level (PML5 with la57); the flags already carry NX.
static mm_status install_identity(arch_table_builder *b, phys_addr_t addr, uint64_t size, uint64_t flags,
                                  const arch_paging_features *f) {
  unsigned level = size == ARCH_SIZE_1G ? 3u : (size == ARCH_SIZE_2M ? 2u : 1u);
  unsigned top = f->la57 ? X86_LEVELS_5 : X86_LEVELS_4;
  return install(b, top, addr, level, addr | flags | (level > 1 ? X86_PTE_PS : 0));
}

unsigned x86_identity_limit_bits(bool la57) { return la57 ? X86_IDENTITY_BITS_5LEVEL : X86_IDENTITY_BITS_4LEVEL; }

// Ranges must end at or below 2^min(phys_addr_bits, the paging mode's identity limit).
static const arch_paging_format x86_format_4level = {
    .min_phys_bits = X86_MIN_PHYS_BITS,
    .max_phys_bits = X86_MAX_PHYS_BITS,
    .max_mapped_bits = X86_IDENTITY_BITS_4LEVEL,
    .levels = X86_LEVELS_4,
    .leaf_bits = leaf_flags,
    .install = install_identity,
};

static const arch_paging_format x86_format_5level = {
    .min_phys_bits = X86_MIN_PHYS_BITS,
    .max_phys_bits = X86_MAX_PHYS_BITS,
    .max_mapped_bits = X86_IDENTITY_BITS_5LEVEL,
    .levels = X86_LEVELS_5,
    .leaf_bits = leaf_flags,
    .install = install_identity,
};

// Contract in arch/arch.h; checks, frames and the page-size choice are arch_paging_build_with's. Empty ranges
// (base == end) are allowed and map nothing. On error `out` is untouched; frames already taken from `source`
// stay taken (the tables are not reachable from anything live, the caller may free or leak them).
mm_status arch_paging_build(const arch_map_range *ranges, uint64_t count, const arch_paging_features *features,
                            const arch_frame_source *source, const mm_phys_window *window, arch_paging_info *out) {
  if (features == NULL) return MM_ERR_INVALID_ARGUMENT;
  const arch_paging_format *format = features->la57 ? &x86_format_5level : &x86_format_4level;
  return arch_paging_build_with(ranges, count, features, source, window, format, out);
}
