// phys_managed.c: which memory the runtime allocator manages (usable regions, plus reclaimable regions once
// reclaimed) and how much of it the reservation table covers.
#include "mm/phys_managed.h"

// phys_region_managed, phys_region_at_or_below and phys_managed_covers are static inline in phys_managed.h
// (every free and fixed allocation checks its range with them).

uint64_t phys_count_managed(const mm_phys_allocator *a) {
  uint64_t n = 0;
  for (uint64_t i = 0; i < a->map->region_count; i++) {
    const mm_region *r = &a->map->regions[i];
    if (phys_region_managed(a, r)) {
      n += (r->end - r->base) >> MM_FRAME_SHIFT;
    }
  }
  return n;
}

// Frames of managed memory inside the union of the reservation table: one merge of two sorted lists.
uint64_t phys_count_reserved_managed(const mm_phys_allocator *a) {
  const mm_firmware_map *map = a->map;
  uint64_t n = 0, k = 0, i = 0;
  while (i < a->res.count) {
    phys_addr_t ub = a->res.entries[i].base, ue = a->res.entries[i].end;
    for (i++; i < a->res.count && a->res.entries[i].base <= ue; i++) {
      if (a->res.entries[i].end > ue) {
        ue = a->res.entries[i].end;
      }
    }
    while (k < map->region_count && map->regions[k].end <= ub) {
      k++;
    }
    for (uint64_t j = k; j < map->region_count && map->regions[j].base < ue; j++) {
      const mm_region *r = &map->regions[j];
      if (!phys_region_managed(a, r)) {
        continue;
      }
      phys_addr_t b = r->base > ub ? r->base : ub, e = r->end < ue ? r->end : ue;
      if (e > b) {
        n += (e - b) >> MM_FRAME_SHIFT;
      }
    }
  }
  return n;
}

