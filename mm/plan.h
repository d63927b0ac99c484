// plan.h: runtime_storage_plan, sizing the runtime allocator's bookkeeping to the real topology.
#ifndef MM_PLAN_H
#define MM_PLAN_H

#include "mm/firmware_map.h"
#include "mm/reservations.h"

typedef struct mm_storage_plan {
  uint64_t free_slots;            // capacity of the free-run array
  uint64_t reserved_slots;        // capacity of the reserved-region array
  uint64_t conventional_regions;  // usable regions counted in the normalized map
  uint64_t reservations;          // pending reservations folded in (including the two carved buffers)
} mm_storage_plan;

// Slot sizes are the runtime allocator's (mm_phys_run_slot_bytes, mm_phys_reservation_slot_bytes), so the
// plan, the carver and the allocator agree on how many slots a carved array holds.
// Sizes the bookkeeping for `map` with `pending_reservations` reservations known now. Headroom policy
// (docs/memory-handoff.md): every reservation can split one usable region in two, so free runs need
// conventional_regions + reservations + 2 slots; both arrays then get slack for late reservations and are
// rounded up to fill whole frames. Logs mm.plan at debug level. Pure: no allocation.
mm_storage_plan runtime_storage_plan(const mm_firmware_map *map, uint64_t pending_reservations);

#endif  // MM_PLAN_H
