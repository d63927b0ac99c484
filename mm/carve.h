// carve.h: carve_option_storage, backing for the runtime allocator's bookkeeping from the early allocator.
#ifndef MM_CARVE_H
#define MM_CARVE_H

#include "mm/early_alloc.h"
#include "mm/plan.h"

typedef struct mm_carved_storage {
  phys_addr_t free_runs_phys;  // physically contiguous, zeroed, frame aligned
  uint64_t free_runs_bytes;
  phys_addr_t reserved_phys;
  uint64_t reserved_bytes;
} mm_carved_storage;

// Obtains physically contiguous, zeroed blocks for the free-run array and the reserved-region array from
// `early` (so both spans are appended to the reservation set as MM_RES_BOOKKEEPING, labels "free_runs" and
// "reserved"), zeroing them through `window`. Logs mm.carve kind=free_runs|reserved phys=.. bytes=..
// Errors: those of mm_early_alloc, MM_ERR_NO_MEMORY when `window` cannot map the span; on error nothing
// allocated by this call stays recorded.
mm_status carve_option_storage(mm_early_allocator *early, const mm_storage_plan *plan, const mm_phys_window *window,
                               mm_carved_storage *out);

#endif  // MM_CARVE_H
