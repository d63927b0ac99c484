// identity_paging.h: stage 6 of the bring-up, the kernel's own identity page tables.
//
// The policy (what is mapped how) is boot/identity_ranges.c; this file feeds it the machine's inputs, takes its
// scratch and every table frame from the runtime allocator (each table frame becomes a page_tables
// reservation, the scratch goes back) and hands the ranges to arch_paging_build.
#ifndef BOOT_IDENTITY_PAGING_H
#define BOOT_IDENTITY_PAGING_H

#include "arch/arch.h"
#include "boot/efi/mat.h"
#include "boot/handoff.h"
#include "mm/phys_alloc.h"

typedef struct identity_paging {
  const boot_handoff *handoff;   // in: framebuffer and image
  const mm_phys_window *window;  // in: how the kernel reaches physical memory
  arch_paging_features features; // in: arch_paging_probe()
  uint64_t range_count;          // out: ranges mapped
  arch_paging_info info;         // out: for arch_paging_activate and the log
  const efi_mat_view *mat;       // in: the checked Memory Attributes table, or NULL
} identity_paging;

// An mm_runtime_fn (ctx: identity_paging *): builds the tables, not yet active, and logs one debug line per
// mapped range (`paging.range base= end= type=normal|device|framebuffer exec=0|1 ro=0|1`). Errors: those of
// mm_phys_alloc, identity_ranges_build, arch_paging_build and mm_phys_free; page-table frames taken before an error
// stay reserved.
mm_status identity_paging_build(mm_phys_allocator *a, void *ctx);

#endif  // BOOT_IDENTITY_PAGING_H
