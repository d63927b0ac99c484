// phys_corrupt.c: deliberate corruption of the runtime allocator's private state (see phys_corrupt.h).
// Test-only: linked by unit tests and by KERNEL_TEST_HOOKS kernels, never by a production kernel.
#include "mm/phys_corrupt.h"

#include "mm/phys_alloc_internal.h"

// Prefix maxima from `from` on, through the reservation table's own helper, so a corruption of an entry stays
// a corruption of that entry only.
static void recompute_maxend(mm_phys_allocator *a, uint64_t from) { phys_res_recompute_maxend(&a->res, from); }

// Stretches the last entry with base <= frame (frame is free, so that entry ends at or below it) to cover
// `frame`. Entries after it start above `frame`, so the table stays sorted.
static bool stretch_entry_over(mm_phys_allocator *a, phys_addr_t frame, const char **label) {
  uint64_t i = a->res.table.count;
  while (i > 0 && a->res.table.entries[i - 1].base > frame) {
    i--;
  }
  if (i == 0) {
    return false;
  }
  mm_reservation *r = &a->res.table.entries[i - 1];
  r->end = frame + MM_FRAME_SIZE;
  recompute_maxend(a, i - 1);
  if (label != 0) {
    *label = r->label;
  }
  return true;
}

bool mm_phys_corrupt_reservation_over_free(mm_phys_allocator *a, phys_addr_t *frame, const char **label) {
  if (a == 0 || frame == 0) {
    return false;
  }
  phys_addr_t f = phys_fs_lowest(&a->fs);
  if (f == PHYS_NONE || !stretch_entry_over(a, f, label)) {
    return false;
  }
  *frame = f;
  return true;
}

// The entry exactly recording `b` as bookkeeping labelled `label`, or NULL.
static mm_reservation *record_of(mm_phys_allocator *a, phys_addr_t base, uint64_t bytes, const char *label) {
  char want[MM_LABEL_MAX];
  mm_reservation_copy_label(want, label);
  for (uint64_t i = 0; i < a->res.table.count; i++) {
    mm_reservation *r = &a->res.table.entries[i];
    bool same = r->base == base && r->end == base + bytes && r->kind == MM_RES_BOOKKEEPING;
    for (uint32_t k = 0; same && k < MM_LABEL_MAX; k++) {
      same = r->label[k] == want[k];
    }
    if (same) {
      return r;
    }
  }
  return 0;
}

static void relabel(mm_reservation *r, const char *label) { mm_reservation_copy_label(r->label, label); }

// Sets the first clear bit of span 0 whose frame is (un)managed and (un)reserved as asked, keeping the span's
// counter, the summaries and the allocator's free counter in step with the bits.
static bool bitmap_free_frame(mm_phys_allocator *a, bool managed, bool reserved) {
  if (a->fs.spans.count == 0) {
    return false;
  }
  phys_span *c = &a->fs.spans.items[0];
  for (uint64_t i = 0; i < PHYS_SPAN_FRAMES; i++) {
    if ((c->bits[i >> 6] >> (i & 63)) & 1) {
      continue;
    }
    phys_addr_t f = c->base + (i << MM_FRAME_SHIFT);
    if (phys_managed_covers(&a->managed, f, f + MM_FRAME_SIZE) != managed ||
        phys_res_touches(&a->res, f, f + MM_FRAME_SIZE) != reserved) {
      continue;
    }
    phys_span_set_one(&a->fs.spans, 0, i);  // the span layer's own single-frame helper
    a->fs.free_frames++;
    return true;
  }
  return false;
}

static phys_parked_node *first_parked(mm_phys_allocator *a) {
  if (a->fs.parked.head == PHYS_NONE) {
    return 0;
  }
  return (phys_parked_node *)phys_map(a, a->fs.parked.head, sizeof(phys_parked_node));
}

static bool park_last_run(mm_phys_allocator *a) {
  if (a->fs.run_count == 0 || a->fs.parked.head != PHYS_NONE) {
    return false;
  }
  phys_run r = a->fs.runs[a->fs.run_count - 1];
  phys_parked_node *n = (phys_parked_node *)phys_map(a, r.base, sizeof(phys_parked_node));
  if (n == 0) {
    return false;
  }
  n->magic = PHYS_PARKED_MAGIC;
  n->next = PHYS_NONE;
  n->end = r.end;
  a->fs.run_count--;
  a->fs.parked.head = r.base;
  a->fs.parked.ranges = 1;
  a->fs.parked.frames = (r.end - r.base) >> MM_FRAME_SHIFT;
  return true;
}

bool mm_phys_corrupt(mm_phys_allocator *a, mm_phys_corruption what) {
  if (a == 0) {
    return false;
  }
  phys_span *c0 = a->fs.spans.count != 0 ? &a->fs.spans.items[0] : 0;
  phys_parked_node *p0 = first_parked(a);
  switch (what) {
    case MM_CORRUPT_RES_COUNT_OVER_CAPACITY:
      a->res.table.count = a->res.table.capacity + 1;
      return true;
    case MM_CORRUPT_RES_EMPTY_ENTRY:
      if (a->res.table.count == 0) return false;
      a->res.table.entries[0].end = a->res.table.entries[0].base;
      return true;
    case MM_CORRUPT_RES_UNSORTED: {
      if (a->res.table.count < 2 || a->res.table.entries[0].base == a->res.table.entries[1].base) return false;
      mm_reservation t = a->res.table.entries[0];
      a->res.table.entries[0] = a->res.table.entries[1];
      a->res.table.entries[1] = t;
      recompute_maxend(a, 0);
      return true;
    }
    case MM_CORRUPT_RES_PREFIX_MAX_STALE:
      if (a->res.table.count == 0) return false;
      a->res.table.maxend[a->res.table.count - 1] += MM_FRAME_SIZE;
      return true;
    case MM_CORRUPT_RUN_COUNT_OVER_CAPACITY:
      a->fs.run_count = a->fs.run_cap + 1;
      return true;
    case MM_CORRUPT_RUN_EMPTY:
      if (a->fs.run_count == 0) return false;
      a->fs.runs[0].end = a->fs.runs[0].base;
      return true;
    case MM_CORRUPT_RUN_OVERLAPPING:
      if (a->fs.run_count < 2) return false;
      a->fs.runs[1].base = a->fs.runs[0].end - MM_FRAME_SIZE;
      return true;
    case MM_CORRUPT_RUN_NOT_MERGED:
      if (a->fs.run_count < 2) return false;
      a->fs.runs[1].base = a->fs.runs[0].end;
      return true;
    case MM_CORRUPT_RUN_INTO_BITMAP:
      if (a->fs.run_count == 0 || a->fs.spans.count != 1) return false;
      c0->base = phys_span_base(a->fs.runs[0].base);
      return true;
    case MM_CORRUPT_RUN_OUTSIDE_MANAGED:
      if (a->fs.run_count == 0 || a->managed.map->region_count == 0 || a->managed.map->regions[0].base < MM_FRAME_SIZE)
        return false;
      a->fs.runs[0].base = a->managed.map->regions[0].base - MM_FRAME_SIZE;
      return true;
    case MM_CORRUPT_BITMAP_COUNT_OVER_CAPACITY:
      a->fs.spans.count = a->fs.spans.cap + 1;
      return true;
    case MM_CORRUPT_BITMAP_MISALIGNED:
      if (c0 == 0) return false;
      c0->base += MM_FRAME_SIZE;
      return true;
    case MM_CORRUPT_BITMAP_DUPLICATED:
      if (c0 == 0 || a->fs.spans.count >= a->fs.spans.cap) return false;
      mm_memmove(&a->fs.spans.items[1], &a->fs.spans.items[0], a->fs.spans.count * sizeof(phys_span));
      a->fs.spans.count++;
      return true;
    case MM_CORRUPT_BITMAP_HINT_SKIPS_FREE:
      if (c0 == 0 || c0->free == 0) return false;
      a->fs.spans.hint = 1;
      return true;
    case MM_CORRUPT_BITMAP_FREE_COUNTER:
      if (c0 == 0) return false;
      c0->free++;
      return true;
    case MM_CORRUPT_BITMAP_SUMMARY:
      if (c0 == 0) return false;
      c0->nonzero[0] ^= 1;
      return true;
    case MM_CORRUPT_BITMAP_RECORD_RELABELLED: {
      mm_reservation *r = c0 ? record_of(a, c0->bits_phys, MM_FRAME_SIZE, "phys.bitmap") : 0;
      if (r == 0) return false;
      relabel(r, "phys.runs");
      return true;
    }
    case MM_CORRUPT_BITMAP_FREE_UNMANAGED:
      return bitmap_free_frame(a, false, false);
    case MM_CORRUPT_BITMAP_FREE_RESERVED:
      return bitmap_free_frame(a, true, true);
    case MM_CORRUPT_BITMAP_HINT_AT_FULL: {
      if (a->fs.spans.hint >= a->fs.spans.count) return false;
      phys_span *c = &a->fs.spans.items[a->fs.spans.hint];
      a->fs.free_frames -= c->free;
      mm_memset(c->bits, 0, PHYS_SPAN_WORDS * sizeof(uint64_t));
      mm_memset(c->nonzero, 0, sizeof(c->nonzero));
      mm_memset(c->full, 0, sizeof(c->full));
      c->free = 0;
      return true;
    }
    case MM_CORRUPT_PARK_LAST_RUN:
      return park_last_run(a);
    case MM_CORRUPT_PARKED_MAGIC:
      if (p0 == 0) return false;
      p0->magic ^= 1;
      return true;
    case MM_CORRUPT_PARKED_EMPTY:
      if (p0 == 0) return false;
      p0->end = a->fs.parked.head;
      return true;
    case MM_CORRUPT_PARKED_OUTSIDE_MANAGED:
      if (p0 == 0 || a->managed.map->region_count == 0) return false;
      p0->end = a->managed.map->regions[a->managed.map->region_count - 1].end + MM_FRAME_SIZE;
      return true;
    case MM_CORRUPT_PARKED_RESERVED:
      return p0 != 0 && stretch_entry_over(a, a->fs.parked.head, 0);
    case MM_CORRUPT_PARKED_INTO_BITMAP: {
      uint64_t c = phys_span_lower(&a->fs.spans, a->fs.parked.head);
      if (p0 == 0 || c >= a->fs.spans.count || a->fs.spans.items[c].base != p0->end) return false;
      p0->end += MM_FRAME_SIZE;
      return true;
    }
    case MM_CORRUPT_PARKED_OVER_RUN: {
      if (p0 == 0 || a->fs.run_count >= a->fs.run_cap) return false;
      uint64_t i = phys_run_lower(&a->fs, a->fs.parked.head);
      mm_memmove(&a->fs.runs[i + 1], &a->fs.runs[i], (a->fs.run_count - i) * sizeof(phys_run));
      a->fs.runs[i] = (phys_run){a->fs.parked.head, a->fs.parked.head + MM_FRAME_SIZE};
      a->fs.run_count++;
      return true;
    }
    case MM_CORRUPT_PARKED_COUNT_LOW:
      if (p0 == 0) return false;
      a->fs.parked.ranges = 0;
      return true;
    case MM_CORRUPT_PARKED_FRAMES:
      if (p0 == 0) return false;
      a->fs.parked.frames++;
      return true;
    case MM_CORRUPT_FREE_COUNTER:
      a->fs.free_frames++;
      return true;
    case MM_CORRUPT_MANAGED_COUNTER:
      a->managed.frames++;
      return true;
    case MM_CORRUPT_RESERVED_COUNTER:
      a->reserved_frames++;
      return true;
    case MM_CORRUPT_ALLOCATED_COUNTER:
      a->allocated_frames++;
      return true;
    case MM_CORRUPT_RUNS_RECORD_RELABELLED: {
      mm_reservation *r = a->fs.runs_block.carved
                              ? 0
                              : record_of(a, a->fs.runs_block.phys, a->fs.runs_block.bytes, "phys.runs");
      if (r == 0) return false;
      relabel(r, "phys.spans");
      return true;
    }
    case MM_CORRUPT_RES_RECORD_KIND_LATE: {
      mm_reservation *r = a->res.block.carved ? 0
                                              : record_of(a, a->res.block.phys, a->res.block.bytes, "phys.reserved");
      if (r == 0) return false;
      r->kind = MM_RES_LATE;
      return true;
    }
    case MM_CORRUPT_BITMAP_TABLE_SHIFTED:
      if (a->fs.spans.block.bytes == 0) return false;
      a->fs.spans.block.phys += MM_FRAME_SIZE;
      return true;
    case MM_CORRUPT_OWN_BYTES:
      a->grow.own_bytes += MM_FRAME_SIZE;
      return true;
    case MM_CORRUPT_CARVED_BLOCK_MOVED: {
      phys_addr_t f = phys_fs_lowest(&a->fs);
      if (!a->fs.runs_block.carved || a->fs.runs_block.bytes == 0 || f == PHYS_NONE) return false;
      a->fs.runs_block.phys = f;
      a->fs.runs_block.bytes = MM_FRAME_SIZE;
      return true;
    }
    case MM_CORRUPT_HUGE_MARK_FLIPPED:
      if (c0 == 0) return false;
      phys_span_marks(&a->fs.spans)[0] ^= 1;
      return true;
    case MM_CORRUPT_HUGE_MARK_PAST_END: {
      uint64_t n = a->fs.spans.count;
      if (c0 == 0 || n >= a->fs.spans.cap) return false;
      phys_span_marks(&a->fs.spans)[n >> 6] |= (uint64_t)1 << (n & 63);
      return true;
    }
    case MM_CORRUPT_HUGE_BROKEN_MARK_FLIPPED:
      if (c0 == 0 || !phys_huge_span_has_broken(c0)) return false;
      phys_span_marks_of(&a->fs.spans, 1)[0] &= ~(uint64_t)1;  // set 1: broken blocks (phys_huge.h)
      return true;
    case MM_CORRUPT_COUNT:
      break;
  }
  return false;
}

// Sets a covered frame's 2-bit state directly (no transition rules).
static void set_state(phys_cache *c, phys_addr_t f, uint32_t state) {
  uint64_t i = (f - c->base) >> MM_FRAME_SHIFT;
  unsigned shift = (unsigned)(i & 31u) * 2u;
  c->states[i >> 5] = (c->states[i >> 5] & ~((uint64_t)3u << shift)) | ((uint64_t)state << shift);
}

bool mm_phys_corrupt_cache(mm_phys_allocator *a, mm_phys_cache_corruption what) {
  phys_cache *c = &a->cache;
  if (c->cpu_count == 0) return false;
  phys_cpu_cache *cpu0 = &c->cpus[0];
  phys_addr_t top = cpu0->count != 0 ? cpu0->frames[cpu0->count - 1] : PHYS_NONE;
  switch (what) {
    case MM_CORRUPT_CACHE_OVER_CAPACITY:
      cpu0->count = PHYS_CACHE_CAPACITY + 1u;
      return true;
    case MM_CORRUPT_CACHE_STATE_PLAIN:
      if (top == PHYS_NONE) return false;
      set_state(c, top, PHYS_FRAME_PLAIN);
      return true;
    case MM_CORRUPT_CACHE_FRAME_FREE:
      if (top == PHYS_NONE) return false;
      return phys_fs_add_one(&a->fs, top);
    case MM_CORRUPT_CACHE_FRAME_RESERVED:
      if (top == PHYS_NONE) return false;
      phys_res_insert(&a->res, top, top + MM_FRAME_SIZE, MM_RES_TEST, "corrupt");
      return true;
    case MM_CORRUPT_CACHE_FRAME_DROPPED:
      if (top == PHYS_NONE) return false;
      cpu0->count--;
      return true;
    case MM_CORRUPT_CACHE_ALLOCATED_LOW:
      if (top == PHYS_NONE) return false;
      a->allocated_frames = 0;
      return true;
    case MM_CORRUPT_CACHE_OUT_FREE: {
      phys_addr_t f = phys_fs_lowest(&a->fs);
      if (f == PHYS_NONE || !phys_cache_covers(c, f)) return false;
      set_state(c, f, PHYS_FRAME_OUT);
      return true;
    }
    case MM_CORRUPT_CACHE_RECORD_RELABELLED: {
      mm_reservation *r = record_of(a, c->block.phys, c->block.bytes, "phys.cpu_caches");
      if (r == 0) return false;
      relabel(r, "phys.runs");
      return true;
    }
    case MM_CORRUPT_CACHE_COUNT:
      break;
  }
  return false;
}
