// phys_alloc_internal.h: composes the runtime allocator's private layers for the code above them (phys_alloc.c,
// the checker phys_check.c, the test-only phys_corrupt.c and white-box tests inside //mm). Declares nothing
// itself. Layers, each including only what lies below it:
//   phys_state.h     the state and shared types
//   phys_managed.h   managed memory          phys_restable.h  the reservation table
//   phys_span.h      bitmap span primitives  phys_parked.h    parked ranges
//   phys_freeset.h   the free set (runs + spans + parked), frames from an injected source
//   phys_grow.h      growth policy, the frame source
#ifndef MM_PHYS_ALLOC_INTERNAL_H
#define MM_PHYS_ALLOC_INTERNAL_H

#include "mm/phys_freeset.h"
#include "mm/phys_grow.h"
#include "mm/phys_managed.h"
#include "mm/phys_parked.h"
#include "mm/phys_restable.h"
#include "mm/phys_span.h"
#include "mm/phys_state.h"

#endif  // MM_PHYS_ALLOC_INTERNAL_H
