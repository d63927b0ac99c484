// phys_grow.h: the runtime allocator's growth policy (phys_grow.c). Private to //mm.
//
// Growth is the one layer that composes the others: it decides when the run array, the reservation table and
// the span table grow, drains the free set's conversion queue, and is the frame source (phys_frame_source)
// those layers grow through. So its functions take the whole allocator (phys_state.h); its own state is
// `phys_grow`, written by phys_grow.c only.
#ifndef MM_PHYS_GROW_H
#define MM_PHYS_GROW_H

#include "mm/phys_types.h"

#define PHYS_RUN_SPARE 4u  // spare run slots kept after every mutating operation
#define PHYS_RES_SPARE 4u  // spare reservation slots kept after every mutating operation

typedef struct phys_grow {
  uint64_t own_bytes;   // live blocks and bitmap frames taken from the allocator itself
  bool in_maintenance;  // growth and conversion never nest
} phys_grow;

// The frame source over allocator `a` (its ctx is `a`).
phys_frame_source phys_grow_source(mm_phys_allocator *a);
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
// Queued span conversions, then phys_maintain (phys_finish in phys_state.h calls it when needed).
void phys_finish_slow(mm_phys_allocator *a);

#endif  // MM_PHYS_GROW_H
