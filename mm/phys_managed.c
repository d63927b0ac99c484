// phys_managed.c: which memory the runtime allocator manages (usable regions, plus reclaimable regions once
// reclaimed) and how much of it the reservation table covers.
#include "mm/phys_managed.h"

void phys_managed_init(phys_managed *self, const mm_firmware_map *map) {
  self->map = map;
  self->reclaimed = false;
  self->frames = phys_count_managed(self);
}

bool phys_managed_reclaim(phys_managed *self) {
  if (self->reclaimed) {
    return false;
  }
  self->reclaimed = true;
  self->frames = phys_count_managed(self);
  return true;
}

// phys_region_managed, phys_region_at_or_below and phys_managed_covers are static inline in phys_managed.h
// (every free and fixed allocation checks its range with them).

uint64_t phys_count_managed(const phys_managed *self) {
  uint64_t n = 0;
  for (uint64_t i = 0; i < self->map->region_count; i++) {
    const mm_region *r = &self->map->regions[i];
    if (phys_region_managed(self, r)) {
      n += (r->end - r->base) >> MM_FRAME_SHIFT;
    }
  }
  return n;
}

// Frames of managed memory inside the union of the reservation table: one merge of two sorted lists.
uint64_t phys_count_reserved_managed(const phys_managed *self, const mm_res_table *res) {
  const mm_firmware_map *map = self->map;
  uint64_t n = 0, k = 0, i = 0;
  while (i < res->count) {
    phys_addr_t ub = res->entries[i].base, ue = res->entries[i].end;
    for (i++; i < res->count && res->entries[i].base <= ue; i++) {
      if (res->entries[i].end > ue) {
        ue = res->entries[i].end;
      }
    }
    while (k < map->region_count && map->regions[k].end <= ub) {
      k++;
    }
    for (uint64_t j = k; j < map->region_count && map->regions[j].base < ue; j++) {
      const mm_region *r = &map->regions[j];
      if (!phys_region_managed(self, r)) {
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
