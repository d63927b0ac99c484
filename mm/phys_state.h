// phys_state.h: the runtime allocator's state, struct mm_phys_allocator, which only composes its layers (each
// declares its own fields in its own header and writes them in its own .c file). Private to //mm.
//
//   managed   which memory is managed (phys_managed.h)
//   fs        the free set: runs, bitmap spans, parked ranges (phys_freeset.h, phys_span.h, phys_parked.h)
//   res       the reservation table with prefix maxima (phys_restable.h)
//   grow      the growth policy's own state (phys_grow.h)
//   cache     per-CPU frame caches and their frame-state map (phys_cache.h; empty until enabled)
// The counters below belong to the allocator as a whole (phys_alloc.c and phys_grow.c keep them).
#ifndef MM_PHYS_STATE_H
#define MM_PHYS_STATE_H

#include "mm/phys_cache.h"
#include "mm/phys_freeset.h"
#include "mm/phys_grow.h"
#include "mm/phys_managed.h"
#include "mm/phys_restable.h"

struct mm_phys_allocator {
  phys_managed managed;
  mm_phys_window window;
  phys_free_set fs;
  phys_res res;
  phys_grow grow;
  phys_cache cache;

  uint64_t reserved_frames;
  uint64_t allocated_frames;
  uint64_t carved_bytes;  // both carved arrays, reserved forever
};
_Static_assert(sizeof(mm_phys_allocator) == 392 || sizeof(void *) != 8,
               "bookkeeping_bytes reports this size; the replay goldens pin it");

static inline void *phys_map(const mm_phys_allocator *a, phys_addr_t phys, uint64_t bytes) {
  return phys_window_map(&a->window, phys, bytes);
}

// End of every successful mutating operation: queued span conversions, then spare slots. The check is inline
// because it runs on every single-frame allocation and free.
static inline void phys_finish(mm_phys_allocator *a) {
  if (a->fs.pending_count != 0 || a->fs.run_cap - a->fs.run_count < PHYS_RUN_SPARE ||
      phys_res_spare(&a->res) < PHYS_RES_SPARE || a->fs.parked.ranges != 0) {
    phys_finish_slow(a);
  }
}

#endif  // MM_PHYS_STATE_H
