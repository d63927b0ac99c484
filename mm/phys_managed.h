// phys_managed.h: managed memory of the runtime allocator (phys_managed.c). Private to //mm.
//
// Managed memory is the firmware map's usable regions, plus its reclaimable regions once reclaimed. The
// fields are written by phys_managed.c only.
#ifndef MM_PHYS_MANAGED_H
#define MM_PHYS_MANAGED_H

#include "mm/phys_types.h"
#include "mm/res_table.h"

typedef struct phys_managed {
  const mm_firmware_map *map;
  uint64_t frames;  // managed frames
  bool reclaimed;
} phys_managed;

// Managed memory of `map` before reclaim (frames counted).
void phys_managed_init(phys_managed *self, const mm_firmware_map *map);
// Makes the reclaimable regions managed (counted). Returns false, nothing changed, when already reclaimed.
bool phys_managed_reclaim(phys_managed *self);
// The three range checks below are static inline: every free and fixed allocation and the bring-up's counts call
// them (as extern calls they were a measured share of BM_RandomChurn4GiB and BM_Bringup, bench/mm_bench.cc).
// True when region `r` is managed: usable, or reclaimable once reclaimed.
static inline bool phys_region_managed(const phys_managed *self, const mm_region *r) {
  return r->type == MM_REGION_USABLE || (self->reclaimed && mm_region_type_reclaimable(r->type));
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
static inline bool phys_managed_covers(const phys_managed *self, phys_addr_t base, phys_addr_t end) {
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
// Managed frames recounted from the map (the checker compares this with `frames`).
uint64_t phys_count_managed(const phys_managed *self);
// Frames of managed memory inside the union of the entries of `res` (sorted by base, then end).
uint64_t phys_count_reserved_managed(const phys_managed *self, const mm_res_table *res);

#endif  // MM_PHYS_MANAGED_H
