// phys_check.c: mm_phys_check_invariants, every structural invariant of the runtime allocator re-derived from
// scratch (nothing here trusts a counter it is checking).
#include "mm/phys_alloc_internal.h"

#define FAIL(msg)            \
  do {                       \
    if (why != 0) {          \
      *why = (msg);          \
    }                        \
    return MM_ERR_INVARIANT; \
  } while (0)

// The one reason for a free frame that a reservation covers, whichever representation holds the frame.
#define WHY_FREE_RESERVED "free/reserved overlap: a free frame lies inside a reservation"

static bool labels_equal(const char *x, const char *y) {
  for (uint32_t i = 0; i < MM_LABEL_MAX; i++) {
    if (x[i] != y[i]) {
      return false;
    }
  }
  return true;
}

// True when the table holds an entry exactly {base, end, kind, label}: the allocator's own bookkeeping blocks
// must stay recorded as what they are, or the next growth releases the wrong entry.
static bool res_has_exact(const mm_phys_allocator *a, phys_addr_t base, phys_addr_t end, mm_reservation_kind kind,
                          const char *label) {
  uint64_t lo = 0, hi = a->res.table.count;
  while (lo < hi) {  // first entry with base >= `base`
    uint64_t mid = lo + (hi - lo) / 2;
    if (a->res.table.entries[mid].base < base) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  char want[MM_LABEL_MAX];
  mm_reservation_copy_label(want, label);
  for (; lo < a->res.table.count && a->res.table.entries[lo].base == base; lo++) {
    const mm_reservation *r = &a->res.table.entries[lo];
    if (r->end == end && r->kind == kind && labels_equal(r->label, want)) {
      return true;
    }
  }
  return false;
}

static mm_status check_runs(const mm_phys_allocator *a, uint64_t *frames, const char **why) {
  if (a->fs.run_count > a->fs.run_cap) {
    FAIL("run count exceeds capacity");
  }
  for (uint64_t i = 0; i < a->fs.run_count; i++) {
    const phys_run *r = &a->fs.runs[i];
    if (r->base >= r->end || ((r->base | r->end) & MM_FRAME_MASK) != 0) {
      FAIL("run empty or not frame aligned");
    }
    if (i > 0 && a->fs.runs[i - 1].end > r->base) {
      FAIL("runs unsorted or overlapping");
    }
    if (i > 0 && a->fs.runs[i - 1].end == r->base) {
      FAIL("adjacent runs not merged");
    }
    uint64_t c = phys_span_lower(&a->fs.spans, r->base);
    if (c < a->fs.spans.count && a->fs.spans.items[c].base < r->end) {
      FAIL("run overlaps a bitmap span");
    }
    if (!phys_managed_covers(&a->managed, r->base, r->end)) {
      FAIL("run outside managed memory");
    }
    if (phys_res_touches(&a->res, r->base, r->end)) {
      FAIL(WHY_FREE_RESERVED);
    }
    *frames += (r->end - r->base) >> MM_FRAME_SHIFT;
  }
  return MM_OK;
}

static mm_status check_spans(const mm_phys_allocator *a, uint64_t *frames, const char **why) {
  if (a->fs.spans.count > a->fs.spans.cap) {
    FAIL("span count exceeds capacity");
  }
  for (uint64_t i = 0; i < a->fs.spans.count; i++) {
    const phys_span *c = &a->fs.spans.items[i];
    if ((c->base & (PHYS_SPAN_BYTES - 1)) != 0) {
      FAIL("bitmap span not aligned");
    }
    if (i > 0 && a->fs.spans.items[i - 1].base >= c->base) {
      FAIL("bitmap spans unsorted or duplicated");
    }
    if (i < a->fs.spans.hint && c->free != 0) {
      FAIL("span hint skips a span with free frames");
    }
    if (phys_span_recount(c) != c->free) {
      FAIL("bitmap span free counter disagrees with its bits");
    }
    for (uint64_t w = 0; w < PHYS_SPAN_WORDS; w++) {
      bool nz = (c->nonzero[w >> 6] >> (w & 63)) & 1, full = (c->full[w >> 6] >> (w & 63)) & 1;
      if (nz != (c->bits[w] != 0) || full != (c->bits[w] == ~(uint64_t)0)) {
        FAIL("bitmap span summary disagrees with its bits");
      }
    }
    if (!res_has_exact(a, c->bits_phys, c->bits_phys + MM_FRAME_SIZE, MM_RES_BOOKKEEPING, "phys.bitmap")) {
      FAIL("bitmap frame is not recorded as its phys.bitmap bookkeeping reservation");
    }
    // Every maximal bit-run must be managed and unreserved.
    uint64_t bit = 0;
    while (bit < PHYS_SPAN_FRAMES) {
      uint64_t w = bit >> 6;
      uint64_t v = c->bits[w] & (~(uint64_t)0 << (bit & 63));
      if (v == 0) {
        bit = (w + 1) << 6;
        continue;
      }
      uint64_t s = (w << 6) + (uint64_t)__builtin_ctzll(v);
      uint64_t e = s;
      while (e < PHYS_SPAN_FRAMES) {
        uint64_t ww = e >> 6;
        uint64_t nv = ~c->bits[ww] & (~(uint64_t)0 << (e & 63));
        if (nv != 0) {
          e = (ww << 6) + (uint64_t)__builtin_ctzll(nv);
          break;
        }
        e = (ww + 1) << 6;
      }
      phys_addr_t fb = c->base + (s << MM_FRAME_SHIFT), fe = c->base + (e << MM_FRAME_SHIFT);
      if (!phys_managed_covers(&a->managed, fb, fe)) {
        FAIL("bitmap marks a frame free outside managed memory");
      }
      if (phys_res_touches(&a->res, fb, fe)) {
        FAIL(WHY_FREE_RESERVED);
      }
      bit = e;
    }
    *frames += c->free;
  }
  for (uint64_t i = a->fs.spans.hint; i < a->fs.spans.count && i == a->fs.spans.hint; i++) {
    if (a->fs.spans.items[i].free == 0) {
      FAIL("span hint points at a full span");
    }
  }
  // The 2 MiB block index (phys_huge.h): each span's whole mark says exactly whether it holds a fully free
  // block, and a span holding a broken block with room has its broken mark, re-derived here from the bits
  // themselves; no mark is set past the last span.
  for (uint64_t i = 0; i < a->fs.spans.count; i++) {
    const phys_span *c = &a->fs.spans.items[i];
    bool whole = false, broken = false;
    for (uint64_t blk = 0; blk < PHYS_HUGE_PER_SPAN; blk++) {
      uint64_t n = phys_bits_count(c, blk * PHYS_HUGE_FRAMES, (blk + 1) * PHYS_HUGE_FRAMES);
      whole = whole || n == PHYS_HUGE_FRAMES;
      broken = broken || (n != 0 && n != PHYS_HUGE_FRAMES);
    }
    if (phys_span_marked_in(&a->fs.spans, PHYS_HUGE_MARK_WHOLE, i) != whole) {
      FAIL("2 MiB block mark disagrees with its span's bits");
    }
    if (broken && !phys_span_marked_in(&a->fs.spans, PHYS_HUGE_MARK_BROKEN, i)) {
      FAIL("broken 2 MiB block not marked in its span");  // (a mark without one is allowed: cleared lazily)
    }
  }
  for (uint32_t set = 0; set < PHYS_SPAN_MARK_SETS && a->fs.spans.cap != 0; set++) {
    const uint64_t *marks = phys_span_marks_of(&a->fs.spans, set);
    for (uint64_t k = a->fs.spans.count >> 6; k < phys_span_mark_words(a->fs.spans.cap); k++) {
      uint64_t past = k == (a->fs.spans.count >> 6) ? ~(uint64_t)0 << (a->fs.spans.count & 63) : ~(uint64_t)0;
      if ((marks[k] & past) != 0) {
        FAIL("2 MiB block mark set past the last span");
      }
    }
  }
  return MM_OK;
}

static mm_status check_parked(const mm_phys_allocator *a, uint64_t *frames, const char **why) {
  uint64_t ranges = 0, n = 0;
  phys_addr_t prev_end = 0;
  for (phys_addr_t cur = a->fs.parked.head; cur != PHYS_NONE;) {
    const phys_parked_node *node = (const phys_parked_node *)phys_map(a, cur, sizeof(phys_parked_node));
    if (node == 0 || node->magic != PHYS_PARKED_MAGIC) {
      FAIL("parked node corrupted");
    }
    if (cur < prev_end || node->end <= cur || ((cur | node->end) & MM_FRAME_MASK) != 0) {
      FAIL("parked ranges unsorted, overlapping or empty");
    }
    if (!phys_managed_covers(&a->managed, cur, node->end)) {
      FAIL("parked range outside managed memory");
    }
    if (phys_res_touches(&a->res, cur, node->end)) {
      FAIL(WHY_FREE_RESERVED);
    }
    uint64_t c = phys_span_lower(&a->fs.spans, cur);
    if (c < a->fs.spans.count && a->fs.spans.items[c].base < node->end) {
      FAIL("parked range overlaps a bitmap span");
    }
    uint64_t r = phys_run_lower(&a->fs, cur);
    if (r < a->fs.run_count && a->fs.runs[r].base < node->end) {
      FAIL("parked range overlaps a run");
    }
    ranges++;
    n += (node->end - cur) >> MM_FRAME_SHIFT;
    prev_end = node->end;
    cur = node->next;
    if (ranges > a->fs.parked.ranges) {
      FAIL("parked list longer than its counter");
    }
  }
  if (ranges != a->fs.parked.ranges || n != a->fs.parked.frames) {
    FAIL("parked counters disagree with the list");
  }
  *frames += n;
  return MM_OK;
}

static mm_status check_reservations(const mm_phys_allocator *a, const char **why) {
  if (a->res.table.count > a->res.table.capacity) {
    FAIL("reservation count exceeds capacity");
  }
  uint64_t m = 0;
  for (uint64_t i = 0; i < a->res.table.count; i++) {
    const mm_reservation *r = &a->res.table.entries[i];
    if (r->base >= r->end || ((r->base | r->end) & MM_FRAME_MASK) != 0) {
      FAIL("reservation empty or not frame aligned");
    }
    if (i > 0 && (a->res.table.entries[i - 1].base > r->base ||
                  (a->res.table.entries[i - 1].base == r->base && a->res.table.entries[i - 1].end > r->end))) {
      FAIL("reservations not sorted by base, then end");
    }
    if (r->end > m) {
      m = r->end;
    }
    if (a->res.table.maxend[i] != m) {
      FAIL("reservation prefix maximum stale");
    }
  }
  return MM_OK;
}

// The blocks the allocator took from itself are recorded exactly (kind MM_RES_BOOKKEEPING, their own label,
// their exact bounds), and own_bytes is their sum. Carved blocks are the bring-up's reservations, not checked
// here beyond being reserved (they stay reserved forever).
static mm_status check_records(const mm_phys_allocator *a, const char **why) {
  uint64_t own = 0;
  const phys_block *blocks[3] = {&a->fs.runs_block, &a->res.block, &a->fs.spans.block};
  static const char *const labels[3] = {"phys.runs", "phys.reserved", "phys.spans"};
  static const char *const reasons[3] = {
      "run array storage is not recorded as its phys.runs bookkeeping reservation",
      "reservation table storage is not recorded as its phys.reserved bookkeeping reservation",
      "span table storage is not recorded as its phys.spans bookkeeping reservation",
  };
  for (int i = 0; i < 3; i++) {
    const phys_block *b = blocks[i];
    if (b->bytes == 0) {
      continue;
    }
    if (b->carved) {
      if (!phys_res_touches(&a->res, b->phys, b->phys + b->bytes)) {
        FAIL("carved bookkeeping storage is not reserved");
      }
      continue;
    }
    if (!res_has_exact(a, b->phys, b->phys + b->bytes, MM_RES_BOOKKEEPING, labels[i])) {
      FAIL(reasons[i]);
    }
    own += b->bytes;
  }
  own += a->fs.spans.count * MM_FRAME_SIZE;  // one bitmap frame per span, checked in check_spans
  if (own != a->grow.own_bytes) {
    FAIL("own bookkeeping byte counter disagrees with the live blocks");
  }
  return MM_OK;
}

// The per-CPU caches (phys_cache.h), with every cache lock held so fast paths stand still: each cache within
// its capacity; each cached frame in state cached, managed, not free, in no reservation; the states count
// exactly the cached frames; every frame a cache handed out is allocated (neither free nor reserved); the
// storage recorded as its bookkeeping reservation.
static mm_status check_cache_frames(const mm_phys_allocator *a, const char **why) {
  const phys_cache *c = &a->cache;
  uint64_t cached = 0;
  for (uint32_t i = 0; i < c->cpu_count; i++) {
    const phys_cpu_cache *cpu = &c->cpus[i];
    if (cpu->count > PHYS_CACHE_CAPACITY) {
      FAIL("a CPU cache holds more frames than its capacity");
    }
    for (uint32_t k = 0; k < cpu->count; k++) {
      phys_addr_t f = cpu->frames[k];
      if ((f & MM_FRAME_MASK) != 0 || !phys_cache_covers(c, f) || phys_cache_state(c, f) != PHYS_FRAME_CACHED) {
        FAIL("a frame in a CPU cache is not in state cached");
      }
      if (phys_fs_is_free(&a->fs, f)) {
        FAIL("a frame in a CPU cache is also in the free set");
      }
      if (phys_res_touches(&a->res, f, f + MM_FRAME_SIZE)) {
        FAIL("a frame in a CPU cache lies inside a reservation");
      }
    }
    cached += cpu->count;
  }
  if (phys_pcpu_count_state(a, c->base, c->end, PHYS_FRAME_CACHED) != cached) {
    FAIL("frame states count other cached frames than the CPU caches hold");
  }
  if (cached > a->allocated_frames) {
    FAIL("cached frames exceed the allocated frame counter");
  }
  const uint64_t pair_low = 0x5555555555555555ull, words = (((c->end - c->base) >> MM_FRAME_SHIFT) + 31u) / 32u;
  for (uint64_t wi = 0; wi < words; wi++) {
    uint64_t w = __atomic_load_n(&c->states[wi], __ATOMIC_RELAXED);
    for (uint64_t out = (w >> 1) & ~w & pair_low; out != 0; out &= out - 1u) {
      phys_addr_t f = c->base + ((wi * 32u + (uint64_t)__builtin_ctzll(out) / 2u) << MM_FRAME_SHIFT);
      if (phys_fs_is_free(&a->fs, f) || phys_res_touches(&a->res, f, f + MM_FRAME_SIZE)) {
        FAIL("a frame a CPU cache handed out is free or reserved");
      }
    }
  }
  if (!res_has_exact(a, c->block.phys, c->block.phys + c->block.bytes, MM_RES_BOOKKEEPING, "phys.cpu_caches")) {
    FAIL("CPU cache storage is not recorded as its phys.cpu_caches bookkeeping reservation");
  }
  return MM_OK;
}

static mm_status check_caches(const mm_phys_allocator *a, const char **why) {
  if (phys_cache_cpus(&a->cache) == 0) {
    return MM_OK;
  }
  // The locks are synchronization, not allocator state: taking them leaves the allocator as it was.
  mm_phys_allocator *locked = (mm_phys_allocator *)(uintptr_t)a;
  phys_pcpu_lock_all(locked);
  mm_status s = check_cache_frames(a, why);
  phys_pcpu_unlock_all(locked);
  return s;
}

// Verifies every structural invariant (see phys_alloc.h). Returns MM_OK or MM_ERR_INVARIANT with a static
// description in *why. O(size of the bookkeeping).
mm_status mm_phys_check_invariants(const mm_phys_allocator *alloc, const char **why) {
  if (alloc == 0) {
    FAIL("allocator is NULL");
  }
  const mm_phys_allocator *a = alloc;
  mm_status s = check_reservations(a, why);
  if (s != MM_OK || (s = check_caches(a, why)) != MM_OK) {
    return s;
  }
  uint64_t free_frames = 0;
  if ((s = check_runs(a, &free_frames, why)) != MM_OK || (s = check_spans(a, &free_frames, why)) != MM_OK ||
      (s = check_parked(a, &free_frames, why)) != MM_OK) {
    return s;
  }
  if (free_frames != a->fs.free_frames) {
    FAIL("free frame counter disagrees with the free set");
  }
  uint64_t managed = phys_count_managed(&a->managed);
  if (managed != a->managed.frames) {
    FAIL("managed frame counter disagrees with the map");
  }
  uint64_t reserved = phys_count_reserved_managed(&a->managed, &a->res.table);
  if (reserved != a->reserved_frames) {
    FAIL("reserved frame counter disagrees with the reservation table");
  }
  if (free_frames + reserved + a->allocated_frames != managed) {
    FAIL("free + reserved + allocated != managed");
  }
  if ((s = check_records(a, why)) != MM_OK) {
    return s;
  }
  if (why != 0) {
    *why = "ok";
  }
  return MM_OK;
}
