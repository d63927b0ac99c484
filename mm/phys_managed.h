// phys_managed.h: managed memory of the runtime allocator (phys_managed.c). Private to //mm.
#ifndef MM_PHYS_MANAGED_H
#define MM_PHYS_MANAGED_H

#include "mm/phys_state.h"

uint64_t phys_count_managed(const mm_phys_allocator *a);
// Frames of managed memory inside the union of the reservation table.
uint64_t phys_count_reserved_managed(const mm_phys_allocator *a);

// Static inline: range checks on every free and fixed allocation, and the bring-up's counts, call these (as
// extern calls they were a measured share of BM_RandomChurn4GiB and BM_Bringup, bench/mm_bench.cc).

// True when region `r` is managed: usable, or reclaimable once the allocator has reclaimed.
static inline bool phys_region_managed(const mm_phys_allocator *a, const mm_region *r) {
  return r->type == MM_REGION_USABLE || (a->reclaimed && mm_region_type_reclaimable(r->type));
}

// Index of the last region with base <= x, or region_count when there is none.
static inline uint64_t phys_region_at_or_below(const mm_firmware_map *map, phys_addr_t x) {
  uint64_t lo = 0, hi = map->region_count;
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    if (map->regions[mid].base <= x) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo == 0 ? map->region_count : lo - 1;
}

// True when every frame of [base, end) lies in managed memory.
static inline bool phys_managed_covers(const mm_phys_allocator *a, phys_addr_t base, phys_addr_t end) {
  const mm_firmware_map *map = a->map;
  uint64_t i = phys_region_at_or_below(map, base);
  if (i >= map->region_count) {
    return false;
  }
  phys_addr_t pos = base;
  for (; i < map->region_count; i++) {
    const mm_region *r = &map->regions[i];
    if (r->base > pos || r->end <= pos || !phys_region_managed(a, r)) {
      return false;
    }
    pos = r->end;
    if (pos >= end) {
      return true;
    }
  }
  return false;
}

#endif  // MM_PHYS_MANAGED_H
