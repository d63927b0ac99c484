// early_alloc.h: the early frame allocator, used only before the runtime allocator exists.
//
// Hands out frames from normalized usable memory, skipping every reservation, and records each allocation in
// the reservation set (kind given by the caller) so nothing it gave out is ever recycled. Bump-style: it
// never frees.
#ifndef MM_EARLY_ALLOC_H
#define MM_EARLY_ALLOC_H

#include "mm/firmware_map.h"
#include "mm/reservations.h"

typedef struct mm_early_allocator {
  const mm_firmware_map *map;
  mm_reservation_set *reservations;
  uint64_t frames_allocated;
} mm_early_allocator;

void mm_early_init(mm_early_allocator *early, const mm_firmware_map *map, mm_reservation_set *reservations);

// Allocates `count` contiguous frames aligned to `align` bytes (a power of two >= MM_FRAME_SIZE), lowest
// address first, and records them as a reservation of `kind` with `label`. Errors: MM_ERR_ZERO_COUNT,
// MM_ERR_INVALID_ARGUMENT (alignment), MM_ERR_NO_MEMORY, MM_ERR_STORAGE_TOO_SMALL (reservation set full);
// nothing changes on error.
mm_status mm_early_alloc(mm_early_allocator *early, uint64_t count, uint64_t align, mm_reservation_kind kind,
                         const char *label, phys_addr_t *out);

#endif  // MM_EARLY_ALLOC_H
