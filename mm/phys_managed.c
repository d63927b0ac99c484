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

bool phys_region_managed(const phys_managed *self, const mm_region *r) {
  return r->type == MM_REGION_USABLE || (self->reclaimed && mm_region_type_reclaimable(r->type));
}

// Index of the last region with base <= x, or region_count when there is none.
uint64_t phys_region_at_or_below(const mm_firmware_map *map, phys_addr_t x) {
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
bool phys_managed_covers(const phys_managed *self, phys_addr_t base, phys_addr_t end) {
  const mm_firmware_map *map = self->map;
  uint64_t i = phys_region_at_or_below(map, base);
  if (i >= map->region_count) {
    return false;
  }
  phys_addr_t pos = base;
  for (; i < map->region_count; i++) {
    const mm_region *r = &map->regions[i];
    if (r->base > pos || r->end <= pos || !phys_region_managed(self, r)) {
      return false;
    }
    pos = r->end;
    if (pos >= end) {
      return true;
    }
  }
  return false;
}

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
