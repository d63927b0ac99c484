// phys_alloc.c: the runtime physical frame allocator (public operations, reservations, bookkeeping growth).
//
// Representation (free set in phys_freeset.c, state in phys_alloc_internal.h):
// - Coarse free memory is a sorted array of disjoint, merged [base, end) runs: an unfragmented 384 GiB machine
//   is a handful of runs, so the bookkeeping at hand-off is the two carved arrays and nothing else.
// - Memory that fragments switches, one 128 MiB span (32768 frames) at a time, to a bitmap: when an operation
//   leaves more than PHYS_SPAN_RUN_LIMIT runs in a span, the span's runs move into a 4 KiB bitmap frame
//   the allocator takes from itself. Bitmaps cost 1/32768 of the memory they cover plus a 160-byte descriptor,
//   so bookkeeping stays far below 0.1% of managed memory whatever the fragmentation, and single-frame
//   alloc/free inside a bitmap span is a binary search over the span table plus a bit flip.
// - Reservations live in an allocator-owned sorted table with a prefix maximum of ends, so "does [b, e) touch
//   a reservation" is one binary search even though reservations may overlap.
//
// No hard-coded limits: the run array, the reservation table and the span table double by taking frames from
// the allocator itself (recorded as MM_RES_BOOKKEEPING "phys.runs" / "phys.reserved" / "phys.spans", bitmap
// frames as "phys.bitmap"). Storage policy for replaced arrays: the carved arrays were reserved during
// bring-up and stay reserved forever (every region marked during bring-up remains excluded), and are still
// counted in bookkeeping_bytes; arrays the allocator took from itself are freed back (their reservation entry
// is removed and the frames not covered by another reservation return to the free set).
//
// Free never fails for lack of space: after every successful mutating operation the tables are topped up to
// PHYS_RUN_SPARE / PHYS_RES_SPARE spare slots (phys_maintain), so a free normally finds a slot; if memory was
// too exhausted or fragmented to grow, a range that cannot be indexed is parked in a linked list whose nodes
// live in the parked frames themselves (no space needed) and is moved into the run array as soon as it can
// grow. Parked ranges are free frames for every query and allocation.
//
// Counters: allocated_frames is kept independently of the structures, so free + reserved + allocated ==
// managed is a real check in mm_phys_check_invariants (phys_check.c).
#include "mm/phys_alloc_internal.h"

#include "mm/log.h"

// One reservation-table slot: the entry plus its prefix maximum of ends (the maxima follow the entries in the
// same block).
#define RES_ENTRY_BYTES ((uint64_t)(sizeof(mm_reservation) + sizeof(uint64_t)))

// ---------------------------------------------------------------------------------------------------------
// Small helpers.

void *phys_map(const mm_phys_allocator *a, phys_addr_t phys, uint64_t bytes) {
  return a->window.map(a->window.ctx, phys, bytes);
}

static uint64_t frames_for(uint64_t bytes) { return (bytes + MM_FRAME_MASK) >> MM_FRAME_SHIFT; }

// ---------------------------------------------------------------------------------------------------------
// Managed memory: usable regions, plus reclaimable regions once reclaimed.

static bool region_managed(const mm_phys_allocator *a, const mm_region *r) {
  return r->type == MM_REGION_USABLE || (a->reclaimed && mm_region_type_reclaimable(r->type));
}

// Index of the last region with base <= x, or region_count when there is none.
static uint64_t region_at_or_below(const mm_firmware_map *map, phys_addr_t x) {
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
bool phys_managed_covers(const mm_phys_allocator *a, phys_addr_t base, phys_addr_t end) {
  const mm_firmware_map *map = a->map;
  uint64_t i = region_at_or_below(map, base);
  if (i >= map->region_count) {
    return false;
  }
  phys_addr_t pos = base;
  for (; i < map->region_count; i++) {
    const mm_region *r = &map->regions[i];
    if (r->base > pos || r->end <= pos || !region_managed(a, r)) {
      return false;
    }
    pos = r->end;
    if (pos >= end) {
      return true;
    }
  }
  return false;
}

uint64_t phys_count_managed(const mm_phys_allocator *a) {
  uint64_t n = 0;
  for (uint64_t i = 0; i < a->map->region_count; i++) {
    const mm_region *r = &a->map->regions[i];
    if (region_managed(a, r)) {
      n += (r->end - r->base) >> MM_FRAME_SHIFT;
    }
  }
  return n;
}

// Frames of managed memory inside the union of the reservation table: one merge of two sorted lists.
uint64_t phys_count_reserved_managed(const mm_phys_allocator *a) {
  const mm_firmware_map *map = a->map;
  uint64_t n = 0, k = 0, i = 0;
  while (i < a->res_count) {
    phys_addr_t ub = a->res[i].base, ue = a->res[i].end;
    for (i++; i < a->res_count && a->res[i].base <= ue; i++) {
      if (a->res[i].end > ue) {
        ue = a->res[i].end;
      }
    }
    while (k < map->region_count && map->regions[k].end <= ub) {
      k++;
    }
    for (uint64_t j = k; j < map->region_count && map->regions[j].base < ue; j++) {
      const mm_region *r = &map->regions[j];
      if (!region_managed(a, r)) {
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

// ---------------------------------------------------------------------------------------------------------
// The reservation table.

const mm_reservation *phys_res_find(const mm_phys_allocator *a, phys_addr_t base, phys_addr_t end) {
  uint64_t lo = 0, hi = a->res_count;
  while (lo < hi) {  // first index whose prefix maximum of ends passes base
    uint64_t mid = lo + (hi - lo) / 2;
    if (a->res_maxend[mid] > base) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  if (lo < a->res_count && a->res[lo].base < end) {
    return &a->res[lo];
  }
  return 0;
}

bool phys_res_touches(const mm_phys_allocator *a, phys_addr_t base, phys_addr_t end) {
  return phys_res_find(a, base, end) != 0;
}

static void res_recompute_maxend(mm_phys_allocator *a, uint64_t from) {
  uint64_t m = from == 0 ? 0 : a->res_maxend[from - 1];
  for (uint64_t i = from; i < a->res_count; i++) {
    if (a->res[i].end > m) {
      m = a->res[i].end;
    }
    a->res_maxend[i] = m;
  }
}

void phys_res_insert(mm_phys_allocator *a, phys_addr_t base, phys_addr_t end, mm_reservation_kind kind,
                     const char *label) {
  if (a->res_count >= a->res_cap) {
    mm_panic("phys_res_insert", "reservation table full (caller must ensure a slot)");
  }
  uint64_t lo = 0, hi = a->res_count;
  while (lo < hi) {  // upper bound by (base, end)
    uint64_t mid = lo + (hi - lo) / 2;
    const mm_reservation *e = &a->res[mid];
    if (e->base < base || (e->base == base && e->end <= end)) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  mm_memmove(&a->res[lo + 1], &a->res[lo], (a->res_count - lo) * sizeof(mm_reservation));
  mm_reservation *e = &a->res[lo];
  mm_memset(e, 0, sizeof(*e));
  e->base = base;
  e->end = end;
  e->kind = kind;
  mm_reservation_copy_label(e->label, label);
  a->res_count++;
  res_recompute_maxend(a, lo);
}

// Removes the bookkeeping entry exactly covering [base, end); panics if there is none.
static void res_remove_bookkeeping(mm_phys_allocator *a, phys_addr_t base, phys_addr_t end) {
  for (uint64_t i = 0; i < a->res_count; i++) {
    const mm_reservation *e = &a->res[i];
    if (e->base == base && e->end == end && e->kind == MM_RES_BOOKKEEPING) {
      mm_memmove(&a->res[i], &a->res[i + 1], (a->res_count - i - 1) * sizeof(mm_reservation));
      a->res_count--;
      res_recompute_maxend(a, i);
      return;
    }
  }
  mm_panic("res_remove_bookkeeping", "released block has no bookkeeping reservation");
}

// Calls fn for each maximal piece of [base, end) that no reservation covers.
typedef void (*piece_fn)(mm_phys_allocator *a, phys_addr_t base, phys_addr_t end, void *ctx);
static void for_each_unreserved(mm_phys_allocator *a, phys_addr_t base, phys_addr_t end, piece_fn fn,
                                void *ctx) {
  phys_addr_t pos = base;
  while (pos < end) {
    const mm_reservation *r = phys_res_find(a, pos, end);
    if (r == 0) {
      fn(a, pos, end, ctx);
      return;
    }
    // fn may grow the table (reclaim tops up spare slots): copy the entry's bounds before calling it.
    phys_addr_t rb = r->base, re = r->end;
    if (rb > pos) {
      fn(a, pos, rb, ctx);
    }
    pos = re;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Bookkeeping storage taken from the allocator itself.

// Takes the lowest `frames` contiguous free frames and maps them. Nothing is recorded; false when
// nothing fits or the window (mm_phys_window) cannot map.
static bool bk_grab(mm_phys_allocator *a, uint64_t frames, phys_addr_t *phys, void **ptr) {
  phys_addr_t at = PHYS_NONE;
  if (frames == 1) {
    at = phys_fs_lowest(a);
  } else {
    at = phys_fs_find(a, frames, MM_FRAME_SIZE, 0, UINT64_MAX);
  }
  if (at == PHYS_NONE) {
    return false;
  }
  // Out of the free set first: the frames may hold parked-range nodes that the removal still reads.
  if (phys_fs_remove(a, at, at + (frames << MM_FRAME_SHIFT)) != frames) {
    mm_panic("bk_grab", "bookkeeping block was not entirely free");
  }
  void *p = phys_map(a, at, frames << MM_FRAME_SHIFT);
  if (p == 0) {
    phys_fs_add(a, at, at + (frames << MM_FRAME_SHIFT));
    return false;
  }
  *phys = at;
  *ptr = p;
  a->own_bytes += frames << MM_FRAME_SHIFT;
  a->reserved_frames += frames;
  return true;
}

bool phys_bk_take(mm_phys_allocator *a, uint64_t frames, const char *label, phys_addr_t *phys, void **ptr) {
  if (a->res_count >= a->res_cap || !bk_grab(a, frames, phys, ptr)) {
    return false;
  }
  phys_res_insert(a, *phys, *phys + (frames << MM_FRAME_SHIFT), MM_RES_BOOKKEEPING, label);
  return true;
}

static void release_piece(mm_phys_allocator *a, phys_addr_t base, phys_addr_t end, void *ctx) {
  (void)ctx;
  a->reserved_frames -= (end - base) >> MM_FRAME_SHIFT;
  phys_fs_add(a, base, end);
}

// Gives a replaced block back: carved blocks stay reserved; blocks taken from the allocator are freed (minus
// whatever another reservation still covers).
static void bk_release(mm_phys_allocator *a, phys_block block) {
  if (block.bytes == 0 || block.carved) {
    return;
  }
  res_remove_bookkeeping(a, block.phys, block.phys + block.bytes);
  a->own_bytes -= block.bytes;
  for_each_unreserved(a, block.phys, block.phys + block.bytes, release_piece, 0);
}

static void log_growth(const char *table, uint64_t cap, phys_addr_t phys, uint64_t bytes) {
  debug_structured(LOG_DEBUG, "mm.phys_grow", KV_S("table", table), KV_U("capacity", cap), KV_X("phys", phys),
                   KV_U("bytes", bytes));
}

static bool grow_runs(mm_phys_allocator *a) {
  uint64_t want = a->run_cap * 2 > a->run_cap + 2 * PHYS_RUN_SPARE ? a->run_cap * 2 : a->run_cap + 2 * PHYS_RUN_SPARE;
  uint64_t frames = frames_for(want * sizeof(phys_run));
  phys_addr_t phys;
  void *ptr;
  if (!phys_bk_take(a, frames, "phys.runs", &phys, &ptr)) {
    return false;
  }
  mm_memcpy(ptr, a->runs, a->run_count * sizeof(phys_run));
  phys_block old = a->runs_block;
  a->runs = (phys_run *)ptr;
  a->run_cap = (frames << MM_FRAME_SHIFT) / sizeof(phys_run);
  a->runs_block = (phys_block){phys, frames << MM_FRAME_SHIFT, false};
  log_growth("runs", a->run_cap, phys, frames << MM_FRAME_SHIFT);
  bk_release(a, old);
  return true;
}

static bool grow_res(mm_phys_allocator *a) {
  uint64_t want = a->res_cap * 2 > a->res_cap + 2 * PHYS_RES_SPARE ? a->res_cap * 2 : a->res_cap + 2 * PHYS_RES_SPARE;
  uint64_t frames = frames_for(want * RES_ENTRY_BYTES);
  phys_addr_t phys;
  void *ptr;
  if (!bk_grab(a, frames, &phys, &ptr)) {
    return false;
  }
  uint64_t cap = (frames << MM_FRAME_SHIFT) / RES_ENTRY_BYTES;
  mm_reservation *res = (mm_reservation *)ptr;
  uint64_t *maxend = (uint64_t *)((uint8_t *)ptr + cap * sizeof(mm_reservation));
  mm_memcpy(res, a->res, a->res_count * sizeof(mm_reservation));
  phys_block old = a->res_block, old_maxend = a->maxend_block;
  a->res = res;
  a->res_maxend = maxend;
  a->res_cap = cap;
  a->res_block = (phys_block){phys, frames << MM_FRAME_SHIFT, false};
  a->maxend_block = (phys_block){0, 0, false};
  res_recompute_maxend(a, 0);
  phys_res_insert(a, phys, phys + (frames << MM_FRAME_SHIFT), MM_RES_BOOKKEEPING, "phys.reserved");
  log_growth("reserved", cap, phys, frames << MM_FRAME_SHIFT);
  bk_release(a, old);
  bk_release(a, old_maxend);
  return true;
}

static bool grow_spans(mm_phys_allocator *a) {
  uint64_t want = a->span_cap * 2 > MM_FRAME_SIZE / sizeof(phys_span) ? a->span_cap * 2
                                                                        : MM_FRAME_SIZE / sizeof(phys_span);
  uint64_t frames = frames_for(want * sizeof(phys_span));
  phys_addr_t phys;
  void *ptr;
  if (!phys_bk_take(a, frames, "phys.spans", &phys, &ptr)) {
    return false;
  }
  mm_memcpy(ptr, a->spans, a->span_count * sizeof(phys_span));
  phys_block old = a->spans_block;
  a->spans = (phys_span *)ptr;
  a->span_cap = (frames << MM_FRAME_SHIFT) / sizeof(phys_span);
  a->spans_block = (phys_block){phys, frames << MM_FRAME_SHIFT, false};
  log_growth("spans", a->span_cap, phys, frames << MM_FRAME_SHIFT);
  bk_release(a, old);
  return true;
}

bool phys_ensure_res_slot(mm_phys_allocator *a) { return a->res_count < a->res_cap || grow_res(a); }

bool phys_ensure_span_slot(mm_phys_allocator *a) {
  if (a->span_count < a->span_cap) {
    return true;
  }
  // Growing records a reservation: make sure the table has room for it first.
  if (a->res_count + 1 >= a->res_cap && !grow_res(a)) {
    return false;
  }
  return grow_spans(a);
}

// Tops the tables up to their spare slots and re-indexes parked ranges. Best effort: when memory is too
// exhausted to grow, the next operations use the remaining spares and, past those, parking.
static void phys_maintain(mm_phys_allocator *a) {
  if (a->in_maintenance) {
    return;
  }
  a->in_maintenance = true;
  if (a->res_cap - a->res_count < PHYS_RES_SPARE) {
    grow_res(a);
  }
  if (a->run_cap - a->run_count < PHYS_RUN_SPARE + a->parked_ranges && a->res_count < a->res_cap) {
    grow_runs(a);
  }
  if (a->res_cap - a->res_count < PHYS_RES_SPARE) {
    grow_res(a);
  }
  if (a->parked_ranges != 0) {
    phys_fs_drain_parked(a);
  }
  a->in_maintenance = false;
}

static inline bool maintenance_due(const mm_phys_allocator *a) {
  return a->pending_count != 0 || a->run_cap - a->run_count < PHYS_RUN_SPARE ||
         a->res_cap - a->res_count < PHYS_RES_SPARE || a->parked_ranges != 0;
}

// End of every successful mutating operation: queued span conversions, then spare slots.
static void phys_finish(mm_phys_allocator *a) {
  if (!maintenance_due(a)) {
    return;
  }
  phys_fs_convert_pending(a);
  phys_maintain(a);
}

// ---------------------------------------------------------------------------------------------------------
// Initialization.

uint64_t mm_phys_allocator_size(void) { return sizeof(mm_phys_allocator); }

static bool append_run(mm_phys_allocator *a, phys_addr_t b, phys_addr_t e) {
  if (a->run_count != 0 && a->runs[a->run_count - 1].end == b) {
    a->runs[a->run_count - 1].end = e;
    return true;
  }
  if (a->run_count >= a->run_cap) {
    return false;
  }
  a->runs[a->run_count].base = b;
  a->runs[a->run_count].end = e;
  a->run_count++;
  return true;
}

// Free runs = managed regions minus the union of `res` (sorted by base): one merge of two sorted lists.
static mm_status build_runs(mm_phys_allocator *a, const mm_reservation *res, uint64_t res_count) {
  const mm_firmware_map *map = a->map;
  uint64_t ri = 0;
  phys_addr_t ub = 0, ue = 0;
  bool have_u = false;
  for (uint64_t k = 0; k < map->region_count; k++) {
    if (!region_managed(a, &map->regions[k])) {
      continue;
    }
    phys_addr_t pos = map->regions[k].base, re = map->regions[k].end;
    while (pos < re) {
      while ((!have_u || ue <= pos) && ri < res_count) {
        ub = res[ri].base;
        ue = res[ri].end;
        for (ri++; ri < res_count && res[ri].base <= ue; ri++) {
          if (res[ri].end > ue) {
            ue = res[ri].end;
          }
        }
        have_u = true;
      }
      if (!have_u || ue <= pos || ub >= re) {
        if (!append_run(a, pos, re)) {
          return MM_ERR_STORAGE_TOO_SMALL;
        }
        break;
      }
      if (ub > pos && !append_run(a, pos, ub)) {
        return MM_ERR_STORAGE_TOO_SMALL;
      }
      pos = ue;
    }
  }
  return MM_OK;
}

// Builds the allocator (see phys_alloc.h). The reservation set is copied into the carved reserved array
// (laid out as entries followed by their prefix maxima); only when that array is too small for the maxima
// too does the allocator take a larger table from itself. Errors: MM_ERR_INVALID_ARGUMENT (NULL, a reservation
// entry not frame aligned, empty, ending below its base or of an unknown kind, entries not sorted by base then
// end), MM_ERR_NO_USABLE_MEMORY, MM_ERR_NO_MEMORY (window cannot map the carved arrays),
// MM_ERR_STORAGE_TOO_SMALL (free runs do not fit the carved free-run array, or no table fits at all).
mm_status mm_phys_init(mm_phys_allocator *alloc, const mm_firmware_map *map,
                       const mm_reservation_set *reservations, const mm_carved_storage *carved,
                       const mm_phys_window *window) {
  if (alloc == 0 || map == 0 || reservations == 0 || carved == 0 || window == 0 || window->map == 0 ||
      (map->region_count != 0 && map->regions == 0) || (reservations->count != 0 && reservations->entries == 0)) {
    return MM_ERR_INVALID_ARGUMENT;
  }
  for (uint64_t i = 0; i < reservations->count; i++) {
    const mm_reservation *r = &reservations->entries[i];
    if (((r->base | r->end) & MM_FRAME_MASK) != 0 || r->end <= r->base ||
        (uint32_t)r->kind >= (uint32_t)MM_RES_KIND_COUNT) {
      return MM_ERR_INVALID_ARGUMENT;  // what mm_reservation_add can never produce
    }
    const mm_reservation *p = i > 0 ? &reservations->entries[i - 1] : 0;
    if (p != 0 && (r->base < p->base || (r->base == p->base && r->end < p->end))) {
      return MM_ERR_INVALID_ARGUMENT;
    }
  }
  if (mm_firmware_map_usable_frames(map) == 0) {
    return MM_ERR_NO_USABLE_MEMORY;
  }
  mm_phys_allocator a;
  mm_memset(&a, 0, sizeof(a));
  a.map = map;
  a.window = *window;
  a.parked_head = PHYS_NONE;
  a.carved_bytes = carved->free_runs_bytes + carved->reserved_bytes;

  a.run_cap = carved->free_runs_bytes / sizeof(phys_run);
  a.runs_block = (phys_block){carved->free_runs_phys, carved->free_runs_bytes, true};
  if (a.run_cap != 0) {
    a.runs = (phys_run *)phys_map(&a, carved->free_runs_phys, carved->free_runs_bytes);
    if (a.runs == 0) {
      return MM_ERR_NO_MEMORY;
    }
  }
  void *res_ptr = 0;
  if (carved->reserved_bytes != 0) {
    res_ptr = phys_map(&a, carved->reserved_phys, carved->reserved_bytes);
    if (res_ptr == 0) {
      return MM_ERR_NO_MEMORY;
    }
  }
  mm_status status = build_runs(&a, reservations->entries, reservations->count);
  if (status != MM_OK) {
    return status;
  }
  uint64_t run_frames = 0;
  for (uint64_t i = 0; i < a.run_count; i++) {
    run_frames += (a.runs[i].end - a.runs[i].base) >> MM_FRAME_SHIFT;
  }
  a.free_frames = run_frames;

  uint64_t carved_cap = carved->reserved_bytes / RES_ENTRY_BYTES;
  if (reservations->count + 1 <= carved_cap) {
    a.res = (mm_reservation *)res_ptr;
    a.res_maxend = (uint64_t *)((uint8_t *)res_ptr + carved_cap * sizeof(mm_reservation));
    a.res_cap = carved_cap;
    a.res_block = (phys_block){carved->reserved_phys, carved->reserved_bytes, true};
    mm_memcpy(a.res, reservations->entries, reservations->count * sizeof(mm_reservation));
    a.res_count = reservations->count;
  } else {
    // The carved array cannot hold entries and maxima: take a table from the memory just built. It is
    // recorded in itself; the carved array stays reserved (it is in the copied set).
    uint64_t cap = reservations->count * 2 + 2 * PHYS_RES_SPARE;
    uint64_t frames = frames_for(cap * RES_ENTRY_BYTES);
    phys_addr_t phys;
    void *ptr;
    if (!bk_grab(&a, frames, &phys, &ptr)) {
      return MM_ERR_STORAGE_TOO_SMALL;
    }
    a.res_cap = (frames << MM_FRAME_SHIFT) / RES_ENTRY_BYTES;
    a.res = (mm_reservation *)ptr;
    a.res_maxend = (uint64_t *)((uint8_t *)ptr + a.res_cap * sizeof(mm_reservation));
    a.res_block = (phys_block){phys, frames << MM_FRAME_SHIFT, false};
    mm_memcpy(a.res, reservations->entries, reservations->count * sizeof(mm_reservation));
    a.res_count = reservations->count;
    res_recompute_maxend(&a, 0);
    phys_res_insert(&a, phys, phys + (frames << MM_FRAME_SHIFT), MM_RES_BOOKKEEPING, "phys.reserved");
  }
  res_recompute_maxend(&a, 0);

  a.managed_frames = phys_count_managed(&a);
  a.reserved_frames = phys_count_reserved_managed(&a);
  if (a.free_frames + a.reserved_frames > a.managed_frames) {
    mm_panic("mm_phys_init", "free and reserved frames exceed managed memory");
  }
  a.allocated_frames = a.managed_frames - a.free_frames - a.reserved_frames;
  *alloc = a;
  phys_maintain(alloc);
  mm_phys_stats st = mm_phys_get_stats(alloc);
  debug_structured(LOG_DEBUG, "mm.phys_init", KV_U("managed_frames", st.managed_frames),
                   KV_U("free_frames", st.free_frames), KV_U("free_runs", alloc->run_count),
                   KV_U("reservations", st.reservations), KV_U("bookkeeping_bytes", st.bookkeeping_bytes));
  return MM_OK;
}

uint64_t mm_phys_run_slot_bytes(void) { return sizeof(phys_run); }

uint64_t mm_phys_reservation_slot_bytes(void) { return RES_ENTRY_BYTES; }

// Bytes of whole frames holding `slots` slots of `slot_bytes`; false when that passes 2^64.
static bool storage_frames_bytes(uint64_t slots, uint64_t slot_bytes, uint64_t *bytes) {
  if (slots > (UINT64_MAX - MM_FRAME_MASK) / slot_bytes) {
    return false;
  }
  *bytes = (slots * slot_bytes + MM_FRAME_MASK) & ~MM_FRAME_MASK;
  return true;
}

uint64_t mm_phys_storage_bytes(uint64_t free_slots, uint64_t reserved_slots) {
  uint64_t runs, res;
  if (!storage_frames_bytes(free_slots, sizeof(phys_run), &runs) ||
      !storage_frames_bytes(reserved_slots, RES_ENTRY_BYTES, &res) || runs > UINT64_MAX - res) {
    return UINT64_MAX;
  }
  return runs + res;
}

// ---------------------------------------------------------------------------------------------------------
// Allocation.

// Allocates the lowest free frame. Errors: MM_ERR_NO_MEMORY (state unchanged).
mm_status mm_phys_alloc_frame(mm_phys_allocator *alloc, phys_addr_t *out) {
  if (alloc == 0 || out == 0) {
    return MM_ERR_INVALID_ARGUMENT;
  }
  phys_addr_t f;
  if (alloc->run_count != 0 && alloc->span_hint >= alloc->span_count && alloc->parked_ranges == 0) {
    // Hot path: no bitmap span has a free frame, so the lowest frame is the first run's.
    phys_run *r = &alloc->runs[0];
    f = r->base;
    r->base += MM_FRAME_SIZE;
    if (r->base == r->end) {
      mm_memmove(&alloc->runs[0], &alloc->runs[1], (alloc->run_count - 1) * sizeof(phys_run));
      alloc->run_count--;
    }
    alloc->free_frames--;
  } else {
    f = phys_fs_take_lowest(alloc);
    if (f == PHYS_NONE) {
      return MM_ERR_NO_MEMORY;
    }
  }
  alloc->allocated_frames++;
  *out = f;
  phys_finish(alloc);
  return MM_OK;
}

// Allocates req->count contiguous frames, the lowest fit for the alignment inside [min_addr, max_addr).
// Errors (state unchanged): MM_ERR_INVALID_ARGUMENT (NULL, alignment not a power of two, empty window),
// MM_ERR_ZERO_COUNT, MM_ERR_NO_MEMORY.
mm_status mm_phys_alloc(mm_phys_allocator *alloc, const mm_alloc_request *req, phys_addr_t *out) {
  if (alloc == 0 || req == 0 || out == 0) {
    return MM_ERR_INVALID_ARGUMENT;
  }
  if (req->count == 0) {
    return MM_ERR_ZERO_COUNT;
  }
  uint64_t align = req->align == 0 ? MM_FRAME_SIZE : req->align;
  if ((align & (align - 1)) != 0) {
    return MM_ERR_INVALID_ARGUMENT;
  }
  if (align < MM_FRAME_SIZE) {
    align = MM_FRAME_SIZE;  // every frame satisfies an alignment below one frame
  }
  phys_addr_t hi = req->max_addr == 0 ? UINT64_MAX : req->max_addr;
  if (req->min_addr >= hi) {
    return MM_ERR_INVALID_ARGUMENT;
  }
  if (req->count > (UINT64_MAX >> MM_FRAME_SHIFT)) {
    return MM_ERR_NO_MEMORY;
  }
  phys_addr_t at = phys_fs_find(alloc, req->count, align, req->min_addr, hi);
  if (at == PHYS_NONE) {
    return MM_ERR_NO_MEMORY;
  }
  if (phys_fs_remove(alloc, at, at + (req->count << MM_FRAME_SHIFT)) != req->count) {
    mm_panic("mm_phys_alloc", "found range was not entirely free");
  }
  alloc->allocated_frames += req->count;
  *out = at;
  phys_finish(alloc);
  return MM_OK;
}

// Argument checks shared by free and fixed allocation, in the one order phys_alloc.h documents.
static mm_status check_range(const mm_phys_allocator *a, phys_addr_t base, uint64_t count, phys_addr_t *end) {
  if (count == 0) {
    return MM_ERR_ZERO_COUNT;
  }
  if ((base & MM_FRAME_MASK) != 0) {
    return MM_ERR_MISALIGNED;
  }
  if (count > ((UINT64_MAX - base) >> MM_FRAME_SHIFT)) {
    return MM_ERR_OVERFLOW;
  }
  *end = base + (count << MM_FRAME_SHIFT);
  if (!phys_managed_covers(a, base, *end)) {
    return MM_ERR_NOT_OWNED;
  }
  if (phys_res_touches(a, base, *end)) {
    return MM_ERR_RESERVED;
  }
  return MM_OK;
}

// Allocates exactly [base, base + count frames). Errors (state unchanged) in the order of phys_alloc.h.
mm_status mm_phys_alloc_fixed(mm_phys_allocator *alloc, phys_addr_t base, uint64_t count) {
  if (alloc == 0) {
    return MM_ERR_INVALID_ARGUMENT;
  }
  phys_addr_t end;
  mm_status s = check_range(alloc, base, count, &end);
  if (s != MM_OK) {
    return s;
  }
  if (count == 1) {
    if (!phys_fs_take_one(alloc, base)) {
      return MM_ERR_NOT_FREE;
    }
  } else {
    if (phys_fs_count_free(alloc, base, end) != count) {
      return MM_ERR_NOT_FREE;
    }
    phys_fs_remove(alloc, base, end);
  }
  alloc->allocated_frames += count;
  phys_finish(alloc);
  return MM_OK;
}

// Returns [base, base + count frames) to the free set. Errors (state unchanged) in the order of phys_alloc.h.
// Never fails for lack of bookkeeping space (see the file comment).
mm_status mm_phys_free(mm_phys_allocator *alloc, phys_addr_t base, uint64_t count) {
  if (alloc == 0) {
    return MM_ERR_INVALID_ARGUMENT;
  }
  phys_addr_t end;
  mm_status s = check_range(alloc, base, count, &end);
  if (s != MM_OK) {
    return s;
  }
  if (count == 1) {
    if (!phys_fs_add_one(alloc, base)) {
      return MM_ERR_DOUBLE_FREE;
    }
  } else {
    if (phys_fs_count_free(alloc, base, end) != 0) {
      return MM_ERR_DOUBLE_FREE;
    }
    phys_fs_add(alloc, base, end);
  }
  alloc->allocated_frames -= count;
  phys_finish(alloc);
  return MM_OK;
}

// ---------------------------------------------------------------------------------------------------------
// Late reservations and reclaim.

typedef struct reserve_ctx {
  uint64_t newly_reserved;
} reserve_ctx;

static void reserve_piece(mm_phys_allocator *a, phys_addr_t base, phys_addr_t end, void *ctx) {
  // [base, end) is managed and not yet reserved: its frames are either free or allocated.
  uint64_t frames = (end - base) >> MM_FRAME_SHIFT;
  uint64_t was_free = phys_fs_remove(a, base, end);
  a->allocated_frames -= frames - was_free;
  ((reserve_ctx *)ctx)->newly_reserved += frames;
}

// Records the late reservation [base, base + bytes) rounded outward to frames: its free frames leave the free
// set, its allocated frames leave the allocated count, and nothing in it is handed out again. Errors (state
// unchanged): MM_ERR_INVALID_ARGUMENT (NULL, kind), MM_ERR_ZERO_COUNT, MM_ERR_OVERFLOW, MM_ERR_NO_MEMORY (the
// table is full and memory is too exhausted to grow it).
mm_status mm_phys_reserve(mm_phys_allocator *alloc, phys_addr_t base, uint64_t bytes, mm_reservation_kind kind,
                          const char *label) {
  if (alloc == 0) {
    return MM_ERR_INVALID_ARGUMENT;
  }
  if (bytes == 0) {
    return MM_ERR_ZERO_COUNT;
  }
  phys_addr_t end;
  if (mm_reservation_round(base, bytes, &base, &end) != MM_OK) {
    return MM_ERR_OVERFLOW;
  }
  if ((uint32_t)kind >= (uint32_t)MM_RES_KIND_COUNT) {
    return MM_ERR_INVALID_ARGUMENT;
  }
  // Grows the table first if it is full (frames from the allocator itself); only when memory is too
  // exhausted for that does the reservation fail, with nothing changed.
  if (!phys_ensure_res_slot(alloc)) {
    return MM_ERR_NO_MEMORY;
  }
  // Walk the managed regions the range meets; inside each, the pieces no reservation covers yet.
  reserve_ctx ctx = {0};
  const mm_firmware_map *map = alloc->map;
  uint64_t i = region_at_or_below(map, base);
  if (i >= map->region_count) {
    i = 0;
  }
  for (; i < map->region_count && map->regions[i].base < end; i++) {
    const mm_region *r = &map->regions[i];
    if (!region_managed(alloc, r) || r->end <= base) {
      continue;
    }
    phys_addr_t b = r->base > base ? r->base : base, e = r->end < end ? r->end : end;
    for_each_unreserved(alloc, b, e, reserve_piece, &ctx);
  }
  phys_res_insert(alloc, base, end, kind, label);
  alloc->reserved_frames += ctx.newly_reserved;
  debug_structured(LOG_DEBUG, "mm.phys_reserve", KV_X("base", base), KV_X("end", end),
                   KV_S("kind", mm_reservation_kind_name(kind)), KV_S("label", label ? label : ""));
  phys_finish(alloc);
  return MM_OK;
}

typedef struct reclaim_ctx {
  uint64_t gained;
} reclaim_ctx;

// Adds one unreserved piece of a reclaimed region, then tops the spare slots up (phys_finish) before the next
// piece, so a map with many reclaimable pieces grows the run array as it goes instead of parking.
static void reclaim_piece(mm_phys_allocator *a, phys_addr_t base, phys_addr_t end, void *ctx) {
  phys_fs_add(a, base, end);
  ((reclaim_ctx *)ctx)->gained += (end - base) >> MM_FRAME_SHIFT;
  phys_finish(a);
}

// Reclaims every boot-services and loader region (mm_region_type_reclaimable) minus every reservation into the
// free set. Idempotent: later calls gain nothing. *reclaimed_frames (may be NULL) receives the frames gained.
mm_status mm_phys_reclaim(mm_phys_allocator *alloc, uint64_t *reclaimed_frames) {
  if (alloc == 0) {
    return MM_ERR_INVALID_ARGUMENT;
  }
  reclaim_ctx ctx = {0};
  if (!alloc->reclaimed) {
    alloc->reclaimed = true;
    const mm_firmware_map *map = alloc->map;
    for (uint64_t i = 0; i < map->region_count; i++) {
      const mm_region *r = &map->regions[i];
      if (!mm_region_type_reclaimable(r->type)) {
        continue;
      }
      uint64_t before = ctx.gained;
      uint64_t frames = (r->end - r->base) >> MM_FRAME_SHIFT;
      alloc->managed_frames += frames;
      // Count first: reclaim_piece may take bookkeeping frames, which adjust reserved_frames themselves.
      alloc->reserved_frames += frames;
      for_each_unreserved(alloc, r->base, r->end, reclaim_piece, &ctx);
      alloc->reserved_frames -= ctx.gained - before;
    }
    phys_finish(alloc);
    debug_structured(LOG_DEBUG, "mm.phys_reclaim", KV_U("frames", ctx.gained));
  }
  if (reclaimed_frames != 0) {
    *reclaimed_frames = ctx.gained;
  }
  return MM_OK;
}

// ---------------------------------------------------------------------------------------------------------
// Queries.

// True when `frame` (rounded down to its frame) is free. False for a NULL allocator.
bool mm_phys_is_free(const mm_phys_allocator *alloc, phys_addr_t frame) {
  return alloc != 0 && phys_fs_is_free(alloc, frame & ~MM_FRAME_MASK);
}

// Copies the reservation holding `frame` (the lowest-based one if several overlap) into *out (may be NULL).
bool mm_phys_reservation_at(const mm_phys_allocator *alloc, phys_addr_t frame, mm_reservation *out) {
  if (alloc == 0) {
    return false;
  }
  frame &= ~MM_FRAME_MASK;
  const mm_reservation *r = phys_res_find(alloc, frame, frame + MM_FRAME_SIZE);
  if (r == 0) {
    return false;
  }
  if (out != 0) {
    *out = *r;
  }
  return true;
}

static bool count_run(void *ctx, mm_range r) {
  (void)r;
  (*(uint64_t *)ctx)++;
  return true;
}

// Current sizes. free_runs counts maximal runs across both representations (O(bookkeeping)).
mm_phys_stats mm_phys_get_stats(const mm_phys_allocator *alloc) {
  mm_phys_stats st;
  mm_memset(&st, 0, sizeof(st));
  if (alloc == 0) {
    return st;
  }
  st.managed_frames = alloc->managed_frames;
  st.free_frames = alloc->free_frames;
  st.reserved_frames = alloc->reserved_frames;
  st.allocated_frames = alloc->allocated_frames;
  phys_fs_for_each(alloc, count_run, &st.free_runs);
  st.reservations = alloc->res_count;
  st.bookkeeping_bytes = sizeof(mm_phys_allocator) + alloc->carved_bytes + alloc->own_bytes;
  return st;
}

// The map the allocator was built from (kept for provenance and reclaim).
const mm_firmware_map *mm_phys_firmware_map(const mm_phys_allocator *alloc) { return alloc ? alloc->map : 0; }

// Visits maximal free runs in ascending order until fn returns false.
void mm_phys_for_each_free_run(const mm_phys_allocator *alloc, mm_range_fn fn, void *ctx) {
  if (alloc != 0 && fn != 0) {
    phys_fs_for_each(alloc, fn, ctx);
  }
}

// Visits reservations in table order (sorted by base, then end) until fn returns false.
void mm_phys_for_each_reservation(const mm_phys_allocator *alloc, mm_reservation_fn fn, void *ctx) {
  if (alloc == 0 || fn == 0) {
    return;
  }
  for (uint64_t i = 0; i < alloc->res_count; i++) {
    if (!fn(ctx, &alloc->res[i])) {
      return;
    }
  }
}
