// paging_common.h: the architecture-neutral half of the identity table builders (arch/x86_64/paging.c,
// arch/aarch64/paging.c): argument checks, taking and zeroing table frames, and the build driver.
//
// Portable C with no inline asm, compiled for the host tests and both UEFI targets. Each architecture keeps
// its own descriptor formats, level walk and manual citations in its paging.c and describes them here with
// one arch_paging_format. Only arch/<name>/paging.c includes this header; generic code uses arch/arch.h.
#ifndef ARCH_PAGING_COMMON_H
#define ARCH_PAGING_COMMON_H

#include "arch/arch.h"

// Table-building state shared by both architectures. Every table is one 4 KiB frame of 512 eight-byte
// entries (x86 4-level paging, AArch64 4 KiB granule).
typedef struct arch_table_builder {
  const arch_frame_source *source;
  const mm_phys_window *window;
  phys_addr_t root;  // the root table, taken before the first range is mapped
  uint64_t tables;   // frames taken so far, root included
} arch_table_builder;

// Leaf sizes both architectures use (x86 4-level paging; AArch64 4 KiB granule: pages and level-2/1 blocks).
#define ARCH_SIZE_4K ((uint64_t)1 << 12)
#define ARCH_SIZE_2M ((uint64_t)1 << 21)
#define ARCH_SIZE_1G ((uint64_t)1 << 30)

// What one architecture supplies to arch_paging_build_with: the widths it accepts and its table format.
typedef struct arch_paging_format {
  unsigned min_phys_bits;    // features->phys_addr_bits below this did not come from a CPU
  unsigned max_phys_bits;    // ... nor above this
  unsigned max_mapped_bits;  // ranges must end at or below 2^min(phys_addr_bits, max_mapped_bits)
  unsigned levels;           // translation levels of the tables built (reported in arch_paging_info.levels)
  // The attribute bits of every leaf that maps part of the validated range `r`; called once per range.
  uint64_t (*leaf_bits)(const arch_map_range *r, const arch_paging_features *f);
  // Writes the identity leaf for [addr, addr + size) (`size` one of ARCH_SIZE_*, `addr` aligned to it, 1 GiB
  // only when f->huge_1g) carrying `bits`, creating the tables above it. Returns MM_OK or the first error of
  // arch_table_new / arch_table_entries; panics (naming its function) if something is already mapped there.
  mm_status (*install)(arch_table_builder *b, phys_addr_t addr, uint64_t size, uint64_t bits,
                       const arch_paging_features *f);
} arch_paging_format;

// Returns the entries of the table at `table` through b's window, or NULL if the window cannot map it.
// A pointer is valid only until the next call: a window may reuse one mapping slot.
uint64_t *arch_table_entries(const arch_table_builder *b, phys_addr_t table);

// Takes a frame from b's source, zeroes it through the window, counts it and stores its address in *out.
// Returns the source's error as is, MM_ERR_MISALIGNED if the source returned a frame that is not 4 KiB
// aligned, MM_ERR_NO_MEMORY if the window cannot map it. *out is written only on MM_OK.
mm_status arch_table_new(arch_table_builder *b, phys_addr_t *out);

// Checks every argument of arch_paging_build before any frame is taken, so a rejected call consumes nothing:
// non-NULL pointers and callbacks, a plausible physical width (`format`), and ranges that are frame aligned,
// base <= end, sorted, disjoint, below 2^min(phys_addr_bits, max_mapped_bits) and of a known arch_mem_type.
// Returns MM_OK or MM_ERR_INVALID_ARGUMENT.
mm_status arch_paging_validate(const arch_map_range *ranges, uint64_t count, const arch_paging_features *f,
                               const arch_frame_source *source, const mm_phys_window *window,
                               const arch_paging_info *out, const arch_paging_format *format);

// arch_paging_build for the architecture described by `format`: validates (arch_paging_validate), takes the
// root table, then maps each range in order with the largest leaves its alignment allows (1 GiB only when
// features->huge_1g, then 2 MiB, then 4 KiB) through format->install, and fills *out. Returns the first
// error; on error *out is untouched and frames already taken stay taken (nothing live points at them; the
// caller may free or leak them).
mm_status arch_paging_build_with(const arch_map_range *ranges, uint64_t count, const arch_paging_features *features,
                                 const arch_frame_source *source, const mm_phys_window *window,
                                 const arch_paging_format *format, arch_paging_info *out);

#endif  // ARCH_PAGING_COMMON_H
