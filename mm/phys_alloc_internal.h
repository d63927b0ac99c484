// phys_alloc_internal.h: composes the runtime allocator's private layers for the code above them (phys_alloc.c,
// the checker phys_check.c, the test-only phys_corrupt.c and white-box tests inside //mm). Declares nothing
// itself. Layers, bottom up, each header including only what lies below it:
//   phys_types.h     shared vocabulary: PHYS_NONE, phys_block, phys_frame_source
//   phys_span.h      bitmap spans and the span table (phys_span_table)
//   phys_huge.h      the index of fully free 2 MiB blocks in bitmap spans (marks in the span table)
//   phys_parked.h    parked ranges (phys_parked_list)
//   phys_freeset.h   the free set (phys_free_set: runs + span table + parked list)
//   phys_restable.h  the reservation table (phys_res)       phys_managed.h  managed memory (phys_managed)
//   phys_grow.h      growth policy, the frame source the layers grow through
//   phys_cache.h     per-CPU frame caches and their frame-state map (phys_cache)
//   phys_state.h     struct mm_phys_allocator, composing the layers
//   phys_pcpu.h      the per-CPU front end: refill, drain, eviction, between the caches and the free set
#ifndef MM_PHYS_ALLOC_INTERNAL_H
#define MM_PHYS_ALLOC_INTERNAL_H

#include "mm/phys_cache.h"
#include "mm/phys_freeset.h"
#include "mm/phys_grow.h"
#include "mm/phys_huge.h"
#include "mm/phys_managed.h"
#include "mm/phys_parked.h"
#include "mm/phys_pcpu.h"
#include "mm/phys_restable.h"
#include "mm/phys_span.h"
#include "mm/phys_state.h"
#include "mm/phys_types.h"

#endif  // MM_PHYS_ALLOC_INTERNAL_H
