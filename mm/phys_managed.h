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
// True when region `r` is managed: usable, or reclaimable once reclaimed.
bool phys_region_managed(const phys_managed *self, const mm_region *r);
// Index of the last region with base <= x, or region_count when there is none.
uint64_t phys_region_at_or_below(const mm_firmware_map *map, phys_addr_t x);
// True when every frame of [base, end) lies in managed memory.
bool phys_managed_covers(const phys_managed *self, phys_addr_t base, phys_addr_t end);
// Managed frames recounted from the map (the checker compares this with `frames`).
uint64_t phys_count_managed(const phys_managed *self);
// Frames of managed memory inside the union of the entries of `res` (sorted by base, then end).
uint64_t phys_count_reserved_managed(const phys_managed *self, const mm_res_table *res);

#endif  // MM_PHYS_MANAGED_H
