// phys_grow.h: the runtime allocator's growth policy (phys_grow.c). Private to //mm.
#ifndef MM_PHYS_GROW_H
#define MM_PHYS_GROW_H

#include "mm/phys_state.h"

#define PHYS_RUN_SPARE 4u  // spare run slots kept after every mutating operation
#define PHYS_RES_SPARE 4u  // spare reservation slots kept after every mutating operation

// The frame source injected into the free set (a->source).
extern const phys_frame_source phys_grow_source;

// Takes the lowest `frames` contiguous free frames out of the free set and maps them; records nothing (the
// caller records them). False, nothing changed, when nothing fits or the window cannot map them.
bool phys_bk_grab(mm_phys_allocator *a, uint64_t frames, phys_addr_t *phys, void **ptr);
// phys_bk_grab, then records the frames as MM_RES_BOOKKEEPING `label` (needs a free reservation slot).
bool phys_bk_take(mm_phys_allocator *a, uint64_t frames, const char *label, phys_addr_t *phys, void **ptr);
// Ensure a free slot exists (growing the table); false if memory is too exhausted to grow.
bool phys_ensure_span_slot(mm_phys_allocator *a);
bool phys_ensure_res_slot(mm_phys_allocator *a);
// Tops the tables up to their spare slots and re-indexes parked ranges (best effort).
void phys_maintain(mm_phys_allocator *a);
void phys_finish_slow(mm_phys_allocator *a);

// End of every successful mutating operation: queued span conversions, then spare slots. The check is inline
// because it runs on every single-frame allocation and free.
static inline void phys_finish(mm_phys_allocator *a) {
  if (a->fs.pending_count != 0 || a->fs.run_cap - a->fs.run_count < PHYS_RUN_SPARE ||
      a->res.capacity - a->res.count < PHYS_RES_SPARE || a->fs.parked_ranges != 0) {
    phys_finish_slow(a);
  }
}

#endif  // MM_PHYS_GROW_H
