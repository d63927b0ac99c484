// early_alloc.c: the early frame allocator, lowest-address first fit over usable memory minus reservations.
//
// Used only between firmware map normalization and the runtime allocator hand-off. It owns no free list:
// every call walks the normalized usable regions and the union of the reservation set side by side (both
// sorted by base) and takes the first aligned block that fits, so one call is O(regions + reservations).
// Each allocation is recorded as a reservation, which is also what keeps it from being handed out twice.
#include "mm/early_alloc.h"

// Starts an early allocator over `map` and `reservations`; both must outlive it. Panics on NULL (a
// bring-up ordering bug, not a run-time condition).
void mm_early_init(mm_early_allocator *early, const mm_firmware_map *map, mm_reservation_set *reservations) {
  if (early == 0 || map == 0 || reservations == 0) {
    mm_panic("mm_early_init", "NULL allocator, map or reservation set");
  }
  early->map = map;
  early->reservations = reservations;
  early->frames_allocated = 0;
}

// Iterator over the union of a sorted reservation set: yields maximal disjoint [base, end) in order.
typedef struct early_union {
  const mm_reservation_set *set;
  uint64_t next;  // index of the first entry not yet folded into `cur`
  bool valid;
  mm_range cur;
} early_union;

static void early_union_advance(early_union *u) {
  const mm_reservation_set *set = u->set;
  if (u->next >= set->count) {
    u->valid = false;
    return;
  }
  u->cur.base = set->entries[u->next].base;
  u->cur.end = set->entries[u->next].end;
  u->next++;
  while (u->next < set->count && set->entries[u->next].base <= u->cur.end) {
    if (set->entries[u->next].end > u->cur.end) {
      u->cur.end = set->entries[u->next].end;
    }
    u->next++;
  }
  u->valid = true;
}

// Lowest address in [lo, hi) aligned to `align` with `size` bytes fitting below hi; false if none.
static bool early_fit(uint64_t lo, uint64_t hi, uint64_t size, uint64_t align, phys_addr_t *out) {
  if (lo > UINT64_MAX - (align - 1)) {
    return false;
  }
  uint64_t at = (lo + (align - 1)) & ~(align - 1);
  if (at >= hi || hi - at < size) {
    return false;
  }
  *out = at;
  return true;
}

// First fit: walks usable regions and the reservation union together. Returns false when nothing fits.
static bool early_find(const mm_early_allocator *early, uint64_t size, uint64_t align, phys_addr_t *out) {
  const mm_firmware_map *map = early->map;
  early_union u = {early->reservations, 0, false, {0, 0}};
  early_union_advance(&u);
  for (uint64_t i = 0; i < map->region_count; i++) {
    const mm_region *r = &map->regions[i];
    if (r->type != MM_REGION_USABLE) {
      continue;
    }
    uint64_t pos = r->base;
    while (pos < r->end) {
      while (u.valid && u.cur.end <= pos) {
        early_union_advance(&u);
      }
      if (u.valid && u.cur.base <= pos) {
        pos = u.cur.end;  // inside a reserved span: jump past it
        continue;
      }
      uint64_t gap_end = (u.valid && u.cur.base < r->end) ? u.cur.base : r->end;
      if (early_fit(pos, gap_end, size, align, out)) {
        return true;
      }
      pos = gap_end;
    }
  }
  return false;
}

// Allocates `count` frames aligned to `align` bytes (power of two >= MM_FRAME_SIZE; 0 means MM_FRAME_SIZE),
// lowest address first, outside every reservation, and records them as a reservation of `kind`.
// Errors (nothing changes): MM_ERR_INVALID_ARGUMENT (NULL early/out, alignment, kind), MM_ERR_ZERO_COUNT,
// MM_ERR_NO_MEMORY (no fit, or count * 4 KiB past 2^64), MM_ERR_STORAGE_TOO_SMALL (reservation set full).
mm_status mm_early_alloc(mm_early_allocator *early, uint64_t count, uint64_t align, mm_reservation_kind kind,
                         const char *label, phys_addr_t *out) {
  if (early == 0 || out == 0 || early->map == 0 || early->reservations == 0) {
    return MM_ERR_INVALID_ARGUMENT;
  }
  if (count == 0) {
    return MM_ERR_ZERO_COUNT;
  }
  if (align == 0) {
    align = MM_FRAME_SIZE;
  }
  if (align < MM_FRAME_SIZE || (align & (align - 1)) != 0 || (uint32_t)kind >= (uint32_t)MM_RES_KIND_COUNT) {
    return MM_ERR_INVALID_ARGUMENT;
  }
  if (count > (UINT64_MAX >> MM_FRAME_SHIFT)) {
    return MM_ERR_NO_MEMORY;
  }
  if (early->reservations->count >= early->reservations->capacity) {
    return MM_ERR_STORAGE_TOO_SMALL;
  }
  const uint64_t size = count << MM_FRAME_SHIFT;
  phys_addr_t at;
  if (!early_find(early, size, align, &at)) {
    return MM_ERR_NO_MEMORY;
  }
  mm_status status = mm_reservation_add(early->reservations, at, size, kind, label);
  if (status != MM_OK) {
    return status;
  }
  early->frames_allocated += count;
  *out = at;
  return MM_OK;
}
