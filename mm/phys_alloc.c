// phys_alloc.c: the runtime physical frame allocator: the public operations and initialization. The layers
// below it, each a type of its own (phys_alloc_internal.h lists them): phys_freeset.c (phys_free_set: runs,
// bitmap spans in phys_span.c, parked ranges in phys_parked.c), phys_restable.c (phys_res: the reservation
// table, res_table.c), phys_managed.c (phys_managed) and phys_grow.c (growth policy and the frame source the
// layers grow through).
//
// Representation (struct mm_phys_allocator in phys_state.h composes the layers):
// - Coarse free memory is a sorted array of disjoint, merged [base, end) runs: an unfragmented 384 GiB machine
//   is a handful of runs, so the bookkeeping at hand-off is the two carved arrays and nothing else.
// - Memory that fragments switches, one 128 MiB span (32768 frames) at a time, to a bitmap: when an operation
//   leaves more than PHYS_SPAN_RUN_LIMIT runs in a span, the span's runs move into a 4 KiB bitmap frame
//   the allocator takes from itself. A bitmap costs one 4 KiB frame plus a 160-byte descriptor per 128 MiB
//   span and never turns back into runs, so bookkeeping is bounded per span (phys_alloc.h states the bound:
//   0.003% of a fully backed span, about 1.6% in the worst case of spans holding only a few usable frames),
//   and single-frame alloc/free inside a bitmap span is a binary search over the span table plus a bit flip.
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

// ---------------------------------------------------------------------------------------------------------
// Initialization.

uint64_t mm_phys_allocator_size(void) { return sizeof(mm_phys_allocator); }

// Free runs = managed regions minus the union of `res` (sorted by base): one merge of two sorted lists.
static mm_status build_runs(mm_phys_allocator *a, const mm_reservation *res, uint64_t res_count) {
  const mm_firmware_map *map = a->managed.map;
  uint64_t ri = 0;
  phys_addr_t ub = 0, ue = 0;
  bool have_u = false;
  for (uint64_t k = 0; k < map->region_count; k++) {
    if (!phys_region_managed(&a->managed, &map->regions[k])) {
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
        if (!phys_fs_append_run(&a->fs, pos, re)) {
          return MM_ERR_STORAGE_TOO_SMALL;
        }
        break;
      }
      if (ub > pos && !phys_fs_append_run(&a->fs, pos, ub)) {
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
mm_status mm_phys_init(mm_phys_allocator *alloc, const mm_firmware_map *map, const mm_reservation_set *reservations,
                       const mm_carved_storage *carved, const mm_phys_window *window) {
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
  phys_managed_init(&a.managed, map);
  a.window = *window;
  a.carved_bytes = carved->free_runs_bytes + carved->reserved_bytes;

  phys_run *runs = 0;
  if (carved->free_runs_bytes / sizeof(phys_run) != 0) {
    runs = (phys_run *)phys_map(&a, carved->free_runs_phys, carved->free_runs_bytes);
    if (runs == 0) {
      return MM_ERR_NO_MEMORY;
    }
  }
  phys_fs_init(&a.fs, runs, carved->free_runs_bytes / sizeof(phys_run),
               (phys_block){carved->free_runs_phys, carved->free_runs_bytes, true}, window);
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
  phys_fs_count_initial(&a.fs);

  // The copied set becomes the allocator's table (the shared sorted table, with prefix maxima).
  if (!phys_res_init(&a.res, reservations->entries, reservations->count, res_ptr,
                     (phys_block){carved->reserved_phys, carved->reserved_bytes, true})) {
    // The carved array cannot hold entries and maxima: take a table from the memory just built. It is
    // recorded in itself; the carved array stays reserved (it is in the copied set).
    uint64_t cap = reservations->count * 2 + 2 * PHYS_RES_SPARE;
    uint64_t frames = phys_frames_for(cap * PHYS_RES_SLOT_BYTES);
    phys_addr_t phys;
    void *ptr;
    if (!phys_bk_grab(&a, frames, &phys, &ptr)) {
      return MM_ERR_STORAGE_TOO_SMALL;
    }
    phys_res_init(&a.res, reservations->entries, reservations->count, ptr,
                  (phys_block){phys, frames << MM_FRAME_SHIFT, false});  // room for twice the entries
    phys_res_insert(&a.res, phys, phys + (frames << MM_FRAME_SHIFT), MM_RES_BOOKKEEPING, "phys.reserved");
  }

  a.reserved_frames = phys_count_reserved_managed(&a.managed, &a.res.table);
  if (a.fs.free_frames + a.reserved_frames > a.managed.frames) {
    mm_panic("mm_phys_init", "free and reserved frames exceed managed memory");
  }
  a.allocated_frames = a.managed.frames - a.fs.free_frames - a.reserved_frames;
  *alloc = a;
  phys_maintain(alloc);
  mm_phys_stats st = mm_phys_get_stats(alloc);
  debug_structured(LOG_DEBUG, "mm.phys_init", KV_U("managed_frames", st.managed_frames),
                   KV_U("free_frames", st.free_frames), KV_U("free_runs", alloc->fs.run_count),
                   KV_U("reservations", st.reservations), KV_U("bookkeeping_bytes", st.bookkeeping_bytes));
  return MM_OK;
}

uint64_t mm_phys_run_slot_bytes(void) { return sizeof(phys_run); }

uint64_t mm_phys_reservation_slot_bytes(void) { return PHYS_RES_SLOT_BYTES; }

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
      !storage_frames_bytes(reserved_slots, PHYS_RES_SLOT_BYTES, &res) || runs > UINT64_MAX - res) {
    return UINT64_MAX;
  }
  return runs + res;
}

// ---------------------------------------------------------------------------------------------------------
// Allocation.

// True once per-CPU caches are enabled: the hooks below cost one load while they are not.
static inline bool caches_on(const mm_phys_allocator *a) { return phys_cache_cpus(&a->cache) != 0; }

// Allocates one frame by the single-frame policy (phys_alloc.h); when there is none, drains the per-CPU caches
// (phys_pcpu.h) and tries again. Errors: MM_ERR_NO_MEMORY (state unchanged but for the drained caches).
mm_status mm_phys_alloc_frame(mm_phys_allocator *alloc, phys_addr_t *out) {
  if (alloc == 0 || out == 0) {
    return MM_ERR_INVALID_ARGUMENT;
  }
  phys_addr_t f = phys_take_frame(alloc);
  if (f == PHYS_NONE && phys_pcpu_drain_all(alloc) != 0) {
    f = phys_take_frame(alloc);
  }
  if (f == PHYS_NONE) {
    return MM_ERR_NO_MEMORY;
  }
  *out = f;
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
  phys_addr_t at = phys_fs_find(&alloc->fs, req->count, align, req->min_addr, hi);
  if (at == PHYS_NONE && phys_pcpu_drain_all(alloc) != 0) {
    at = phys_fs_find(&alloc->fs, req->count, align, req->min_addr, hi);
  }
  if (at == PHYS_NONE) {
    return MM_ERR_NO_MEMORY;
  }
  if (phys_fs_remove(&alloc->fs, at, at + (req->count << MM_FRAME_SHIFT)) != req->count) {
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
  if (!phys_managed_covers(&a->managed, base, *end)) {
    return MM_ERR_NOT_OWNED;
  }
  if (phys_res_touches(&a->res, base, *end)) {
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
  // Cached frames are free memory: out of their caches first, when that makes the whole range free.
  uint64_t cached = caches_on(alloc) ? phys_pcpu_count_state(alloc, base, end, PHYS_FRAME_CACHED) : 0;
  if (cached != 0) {
    if (phys_fs_count_free(&alloc->fs, base, end) + cached != count) {
      return MM_ERR_NOT_FREE;
    }
    phys_pcpu_evict(alloc, base, end);
  }
  if (count == 1) {
    if (!phys_fs_take_one(&alloc->fs, base)) {
      return MM_ERR_NOT_FREE;
    }
  } else {
    if (phys_fs_count_free(&alloc->fs, base, end) != count) {
      return MM_ERR_NOT_FREE;
    }
    phys_fs_remove(&alloc->fs, base, end);
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
  if (caches_on(alloc) && phys_pcpu_count_state(alloc, base, end, PHYS_FRAME_CACHED) != 0) {
    return MM_ERR_DOUBLE_FREE;  // a frame sitting in a CPU cache is free already
  }
  if (count == 1) {
    if (!phys_fs_add_one(&alloc->fs, base)) {
      return MM_ERR_DOUBLE_FREE;
    }
  } else {
    if (phys_fs_count_free(&alloc->fs, base, end) != 0) {
      return MM_ERR_DOUBLE_FREE;
    }
    phys_fs_add(&alloc->fs, base, end);
  }
  if (caches_on(alloc)) {
    phys_pcpu_forget_out(alloc, base, end);
  }
  alloc->allocated_frames -= count;
  phys_finish(alloc);
  return MM_OK;
}

// ---------------------------------------------------------------------------------------------------------
// Late reservations and reclaim.

// Calls fn on each piece of [base, end) that lies in a managed region and under no reservation of the table as
// it stands, in ascending order: the walk mm_phys_reserve and mm_phys_unreserve share.
static void for_each_unreserved_managed(mm_phys_allocator *a, phys_addr_t base, phys_addr_t end, phys_piece_fn fn,
                                        void *ctx) {
  const mm_firmware_map *map = a->managed.map;
  uint64_t i = phys_region_at_or_below(map, base);
  if (i >= map->region_count) {
    i = 0;
  }
  for (; i < map->region_count && map->regions[i].base < end; i++) {
    const mm_region *r = &map->regions[i];
    if (!phys_region_managed(&a->managed, r) || r->end <= base) {
      continue;
    }
    phys_addr_t b = r->base > base ? r->base : base, e = r->end < end ? r->end : end;
    phys_for_each_unreserved(&a->res, b, e, fn, ctx);
  }
}

typedef struct reserve_ctx {
  mm_phys_allocator *alloc;
  uint64_t newly_reserved;
} reserve_ctx;

static void reserve_piece(void *ctx, phys_addr_t base, phys_addr_t end) {
  mm_phys_allocator *a = ((reserve_ctx *)ctx)->alloc;
  // [base, end) is managed and not yet reserved: its frames are either free or allocated.
  uint64_t frames = (end - base) >> MM_FRAME_SHIFT;
  uint64_t was_free = phys_fs_remove(&a->fs, base, end);
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
  // Frames a CPU cache handed out stay allocated (their holder's later free fails MM_ERR_RESERVED); cached
  // frames leave their caches for the free set, from which the walk below takes them.
  phys_pcpu_forget_out(alloc, base, end);
  phys_pcpu_evict(alloc, base, end);
  // The pieces of the range in managed memory that no reservation covers yet.
  reserve_ctx ctx = {alloc, 0};
  for_each_unreserved_managed(alloc, base, end, reserve_piece, &ctx);
  phys_res_insert(&alloc->res, base, end, kind, label);
  alloc->reserved_frames += ctx.newly_reserved;
  debug_structured(LOG_DEBUG, "mm.phys_reserve", KV_X("base", base), KV_X("end", end),
                   KV_S("kind", mm_reservation_kind_name(kind)), KV_S("label", label ? label : ""));
  phys_finish(alloc);
  return MM_OK;
}

typedef struct unreserve_ctx {
  mm_phys_allocator *alloc;
  uint64_t released;
} unreserve_ctx;

// [base, end) is managed and, with the entry gone, under no reservation: back to the free set.
static void unreserve_piece(void *ctx, phys_addr_t base, phys_addr_t end) {
  unreserve_ctx *u = (unreserve_ctx *)ctx;
  phys_fs_add(&u->alloc->fs, base, end);
  u->released += (end - base) >> MM_FRAME_SHIFT;
}

// Ends one reservation of a releasable kind (phys_alloc.h). Errors (state unchanged) in the documented order.
mm_status mm_phys_unreserve(mm_phys_allocator *alloc, phys_addr_t base, uint64_t bytes, mm_reservation_kind kind) {
  if (alloc == 0 || (uint32_t)kind >= (uint32_t)MM_RES_KIND_COUNT || !mm_reservation_kind_releasable(kind)) {
    return MM_ERR_INVALID_ARGUMENT;
  }
  if (bytes == 0) {
    return MM_ERR_ZERO_COUNT;
  }
  phys_addr_t end;
  if (mm_reservation_round(base, bytes, &base, &end) != MM_OK) {
    return MM_ERR_OVERFLOW;
  }
  uint64_t i = mm_res_table_index_of(&alloc->res.table, base, end, kind, 0);
  if (i == phys_res_count(&alloc->res)) {
    return MM_ERR_NOT_RESERVED;
  }
  char label[MM_LABEL_MAX];
  mm_memcpy(label, alloc->res.table.entries[i].label, MM_LABEL_MAX);
  mm_res_table_remove_at(&alloc->res.table, i);
  // A reserved frame is neither cached nor handed out by a cache (mm_phys_reserve took it out of both), so the
  // frames go straight to the free set; only managed pieces, and of those only what no other entry covers.
  unreserve_ctx ctx = {alloc, 0};
  for_each_unreserved_managed(alloc, base, end, unreserve_piece, &ctx);
  alloc->reserved_frames -= ctx.released;
  debug_structured(LOG_DEBUG, "mm.phys_unreserve", KV_X("base", base), KV_X("end", end),
                   KV_S("kind", mm_reservation_kind_name(kind)), KV_S("label", label), KV_U("frames", ctx.released));
  phys_finish(alloc);
  return MM_OK;
}

typedef struct reclaim_ctx {
  mm_phys_allocator *alloc;
  uint64_t gained;
} reclaim_ctx;

// Adds one unreserved piece of a reclaimed region, then tops the spare slots up (phys_finish) before the next
// piece, so a map with many reclaimable pieces grows the run array as it goes instead of parking.
static void reclaim_piece(void *ctx, phys_addr_t base, phys_addr_t end) {
  mm_phys_allocator *a = ((reclaim_ctx *)ctx)->alloc;
  phys_fs_add(&a->fs, base, end);
  ((reclaim_ctx *)ctx)->gained += (end - base) >> MM_FRAME_SHIFT;
  phys_finish(a);
}

// Reclaims every boot-services and loader region (mm_region_type_reclaimable) minus every reservation into the
// free set. Idempotent: later calls gain nothing. *reclaimed_frames (may be NULL) receives the frames gained.
mm_status mm_phys_reclaim(mm_phys_allocator *alloc, uint64_t *reclaimed_frames) {
  if (alloc == 0) {
    return MM_ERR_INVALID_ARGUMENT;
  }
  reclaim_ctx ctx = {alloc, 0};
  if (phys_managed_reclaim(&alloc->managed)) {
    const mm_firmware_map *map = alloc->managed.map;
    for (uint64_t i = 0; i < map->region_count; i++) {
      const mm_region *r = &map->regions[i];
      if (!mm_region_type_reclaimable(r->type)) {
        continue;
      }
      uint64_t before = ctx.gained;
      uint64_t frames = (r->end - r->base) >> MM_FRAME_SHIFT;
      // Count first: reclaim_piece may take bookkeeping frames, which adjust reserved_frames themselves.
      alloc->reserved_frames += frames;
      phys_for_each_unreserved(&alloc->res, r->base, r->end, reclaim_piece, &ctx);
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
  return alloc != 0 && phys_fs_is_free(&alloc->fs, frame & ~MM_FRAME_MASK);
}

// Copies the reservation holding `frame` (the lowest-based one if several overlap) into *out (may be NULL).
bool mm_phys_reservation_at(const mm_phys_allocator *alloc, phys_addr_t frame, mm_reservation *out) {
  if (alloc == 0) {
    return false;
  }
  frame &= ~MM_FRAME_MASK;
  const mm_reservation *r = phys_res_find(&alloc->res, frame, frame + MM_FRAME_SIZE);
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
  st.managed_frames = alloc->managed.frames;
  st.free_frames = alloc->fs.free_frames;
  st.reserved_frames = alloc->reserved_frames;
  st.cached_frames = phys_pcpu_cached_frames(alloc);
  st.allocated_frames = alloc->allocated_frames - st.cached_frames;
  phys_fs_for_each(&alloc->fs, count_run, &st.free_runs);
  st.reservations = phys_res_count(&alloc->res);
  st.bookkeeping_bytes = sizeof(mm_phys_allocator) + alloc->carved_bytes + alloc->grow.own_bytes +
                         alloc->cache.block.bytes;
  return st;
}

// The map the allocator was built from (kept for provenance and reclaim).
const mm_firmware_map *mm_phys_firmware_map(const mm_phys_allocator *alloc) { return alloc ? alloc->managed.map : 0; }

// Visits maximal free runs in ascending order until fn returns false.
void mm_phys_for_each_free_run(const mm_phys_allocator *alloc, mm_range_fn fn, void *ctx) {
  if (alloc != 0 && fn != 0) {
    phys_fs_for_each(&alloc->fs, fn, ctx);
  }
}

// Visits reservations in table order (sorted by base, then end) until fn returns false.
void mm_phys_for_each_reservation(const mm_phys_allocator *alloc, mm_reservation_fn fn, void *ctx) {
  if (alloc == 0 || fn == 0) {
    return;
  }
  for (uint64_t i = 0; i < phys_res_count(&alloc->res); i++) {
    if (!fn(ctx, &alloc->res.table.entries[i])) {
      return;
    }
  }
}
