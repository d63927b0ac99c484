// plan.h: runtime_storage_plan, sizing the runtime allocator's bookkeeping to the real topology.
#ifndef MM_PLAN_H
#define MM_PLAN_H

#include "mm/firmware_map.h"
#include "mm/reservations.h"

// Bytes per slot of the two carved arrays. A free-run slot is an mm_range; a reserved-region slot is an
// mm_reservation plus the runtime allocator's prefix maximum of ends for it (phys_alloc.c), so the plan, the
// carver and the allocator agree on how many slots a carved array holds.
#define MM_FREE_SLOT_BYTES ((uint64_t)sizeof(mm_range))
#define MM_RESERVED_SLOT_BYTES ((uint64_t)(sizeof(mm_reservation) + sizeof(uint64_t)))

typedef struct mm_storage_plan {
  uint64_t free_slots;            // capacity of the free-run array
  uint64_t reserved_slots;        // capacity of the reserved-region array
  uint64_t conventional_regions;  // usable regions counted in the normalized map
  uint64_t reservations;          // pending reservations folded in (including the two carved buffers)
} mm_storage_plan;

// Sizes the bookkeeping for `map` with `pending_reservations` reservations known now. Headroom policy
// (docs/memory-handoff.md): every reservation can split one usable region in two, so free runs need
// conventional_regions + reservations + 2 slots; both arrays then get slack for late reservations and are
// rounded up to fill whole frames. Logs mm.plan at debug level. Pure: no allocation.
mm_storage_plan runtime_storage_plan(const mm_firmware_map *map, uint64_t pending_reservations);

#endif  // MM_PLAN_H
