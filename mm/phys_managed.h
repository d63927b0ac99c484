// phys_managed.h: managed memory of the runtime allocator (phys_managed.c). Private to //mm.
#ifndef MM_PHYS_MANAGED_H
#define MM_PHYS_MANAGED_H

#include "mm/phys_state.h"

// True when region `r` is managed: usable, or reclaimable once the allocator has reclaimed.
bool phys_region_managed(const mm_phys_allocator *a, const mm_region *r);
// Index of the last region with base <= x, or region_count when there is none.
uint64_t phys_region_at_or_below(const mm_firmware_map *map, phys_addr_t x);
// True when every frame of [base, end) lies in managed memory.
bool phys_managed_covers(const mm_phys_allocator *a, phys_addr_t base, phys_addr_t end);
uint64_t phys_count_managed(const mm_phys_allocator *a);
// Frames of managed memory inside the union of the reservation table.
uint64_t phys_count_reserved_managed(const mm_phys_allocator *a);

#endif  // MM_PHYS_MANAGED_H
