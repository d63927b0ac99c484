// phys_freeset.c: the runtime allocator's free set (runs + bitmap spans + parked ranges).
//
// Free memory outside bitmap spans is a sorted array of disjoint, non-adjacent runs. A 128 MiB span whose
// run count passes PHYS_SPAN_RUN_LIMIT becomes a bitmap span: one bit per frame in a 4 KiB frame the
// allocator takes from itself, a free counter, a "word nonzero" and a "word all-free" summary (512 bits each,
// one per bitmap word). Runs never overlap a bitmap span, so every address is owned by exactly one of the two
// representations. Parked ranges are the last resort when the run array is full and cannot grow: the range's
// own first frame holds the list node, so recording it needs no bookkeeping space at all.
//
// Every function here keeps self->free_frames, the parked counters and the span summaries exact; callers keep
// allocated/reserved counters.
//
// Bookkeeping frames (a bitmap frame, span-table room, a larger run array) come from the frame source passed to
// (phys_grow.c); nothing here calls up into the allocator.
#include "mm/phys_freeset.h"

#include "mm/log.h"

void phys_fs_init(phys_free_set *self, phys_run *runs, uint64_t run_cap, phys_block runs_block,
                  const mm_phys_window *window) {
  mm_memset(self, 0, sizeof(*self));
  self->runs = runs;
  self->run_cap = run_cap;
  self->runs_block = runs_block;
  phys_parked_init(&self->parked, window);
}

// ---------------------------------------------------------------------------------------------------------
// Searches.

// Index of the first run whose end is above x (runs are disjoint and sorted, so ends are sorted too).
uint64_t phys_run_lower(const phys_free_set *self, phys_addr_t x) {
  uint64_t lo = 0, hi = self->run_count;
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    if (self->runs[mid].end > x) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

// ---------------------------------------------------------------------------------------------------------
// Runs.

static void queue_conversion(phys_free_set *self, phys_addr_t x) {
  phys_addr_t w = phys_span_base(x);
  for (uint32_t i = 0; i < self->pending_count; i++) {
    if (self->pending[i] == w) {
      return;
    }
  }
  if (self->pending_count < sizeof(self->pending) / sizeof(self->pending[0])) {
    self->pending[self->pending_count++] = w;
  }
}

// Number of runs that intersect the span at w.
static uint64_t runs_in_span(const phys_free_set *self, phys_addr_t w) {
  uint64_t lo = phys_run_lower(self, w);
  uint64_t hi = lo;
  while (hi < self->run_count && self->runs[hi].base < phys_span_end(w) && hi - lo <= PHYS_SPAN_RUN_LIMIT) {
    hi++;
  }
  return hi - lo;
}

static void note_new_run(phys_free_set *self, phys_addr_t x) {
  if (runs_in_span(self, phys_span_base(x)) > PHYS_SPAN_RUN_LIMIT) {
    queue_conversion(self, x);
  }
}

static void runs_insert_at(phys_free_set *self, uint64_t i, phys_addr_t x, phys_addr_t y) {
  mm_memmove(&self->runs[i + 1], &self->runs[i], (self->run_count - i) * sizeof(phys_run));
  self->runs[i].base = x;
  self->runs[i].end = y;
  self->run_count++;
}

static void runs_delete(phys_free_set *self, uint64_t i, uint64_t n) {
  if (n == 0) {
    return;
  }
  mm_memmove(&self->runs[i], &self->runs[i + n], (self->run_count - i - n) * sizeof(phys_run));
  self->run_count -= n;
}

// Adds [x, y), which lies outside every bitmap span and touches no free frame, merging with neighbours.
static void runs_add_at(phys_free_set *self, uint64_t i, phys_addr_t x, phys_addr_t y) {
  bool left = i > 0 && self->runs[i - 1].end == x;
  bool right = i < self->run_count && self->runs[i].base == y;
  if (left && right) {
    self->runs[i - 1].end = self->runs[i].end;
    runs_delete(self, i, 1);
  } else if (left) {
    self->runs[i - 1].end = y;
  } else if (right) {
    self->runs[i].base = x;
  } else if (self->run_count < self->run_cap) {
    runs_insert_at(self, i, x, y);
    note_new_run(self, x);
  } else {
    phys_parked_insert(&self->parked, x, y);
  }
}

static void runs_add(phys_free_set *self, phys_addr_t x, phys_addr_t y) {
  runs_add_at(self, phys_run_lower(self, x), x, y);
}

// Removes the run frames of [x, y) (outside bitmap spans); returns how many were free.
static uint64_t runs_remove(phys_free_set *self, phys_addr_t x, phys_addr_t y) {
  uint64_t i = phys_run_lower(self, x);
  if (i >= self->run_count || self->runs[i].base >= y) {
    return 0;
  }
  phys_run *r = &self->runs[i];
  if (r->base < x && r->end > y) {  // strictly inside: split
    phys_addr_t old_end = r->end;
    r->end = x;
    if (self->run_count < self->run_cap) {
      runs_insert_at(self, i + 1, y, old_end);
      note_new_run(self, x);
    } else {
      phys_parked_insert(&self->parked, y, old_end);
    }
    return (y - x) >> MM_FRAME_SHIFT;
  }
  uint64_t removed = 0;
  if (r->base < x) {  // overlaps on the left, ends inside
    removed += (r->end - x) >> MM_FRAME_SHIFT;
    r->end = x;
    i++;
  }
  uint64_t j = i;
  while (j < self->run_count && self->runs[j].end <= y) {
    removed += (self->runs[j].end - self->runs[j].base) >> MM_FRAME_SHIFT;
    j++;
  }
  runs_delete(self, i, j - i);
  if (i < self->run_count && self->runs[i].base < y) {
    removed += (y - self->runs[i].base) >> MM_FRAME_SHIFT;
    self->runs[i].base = y;
  }
  return removed;
}

// ---------------------------------------------------------------------------------------------------------
// The free set.

bool phys_fs_is_free(const phys_free_set *self, phys_addr_t f) {
  uint64_t c = phys_span_lower(&self->spans, f);
  if (c < self->spans.count && self->spans.items[c].base == phys_span_base(f)) {
    uint64_t i = phys_frame_index(&self->spans.items[c], f);
    return (self->spans.items[c].bits[i >> 6] >> (i & 63)) & 1;
  }
  uint64_t r = phys_run_lower(self, f);
  if (r < self->run_count && self->runs[r].base <= f) {
    return true;
  }
  return self->parked.ranges != 0 && phys_parked_count(&self->parked, f, f + MM_FRAME_SIZE) != 0;
}

uint64_t phys_fs_count_free(const phys_free_set *self, phys_addr_t x, phys_addr_t y) {
  uint64_t n = 0;
  while (x < y) {
    uint64_t c = phys_span_lower(&self->spans, x);
    if (c < self->spans.count && self->spans.items[c].base <= x) {
      const phys_span *ch = &self->spans.items[c];
      phys_addr_t e = phys_span_end(ch->base) < y ? phys_span_end(ch->base) : y;
      n += phys_bits_count(ch, phys_frame_index(ch, x), phys_frame_index(ch, e));
      x = e;
      continue;
    }
    phys_addr_t e = (c < self->spans.count && self->spans.items[c].base < y) ? self->spans.items[c].base : y;
    for (uint64_t r = phys_run_lower(self, x); r < self->run_count && self->runs[r].base < e; r++) {
      phys_addr_t rb = self->runs[r].base > x ? self->runs[r].base : x;
      phys_addr_t re = self->runs[r].end < e ? self->runs[r].end : e;
      n += (re - rb) >> MM_FRAME_SHIFT;
    }
    if (self->parked.ranges != 0) {
      n += phys_parked_count(&self->parked, x, e);
    }
    x = e;
  }
  return n;
}

void phys_fs_add(phys_free_set *self, phys_addr_t x, phys_addr_t y) {
  self->free_frames += (y - x) >> MM_FRAME_SHIFT;
  while (x < y) {
    uint64_t c = phys_span_lower(&self->spans, x);
    if (c < self->spans.count && self->spans.items[c].base <= x) {
      phys_span *ch = &self->spans.items[c];
      phys_addr_t e = phys_span_end(ch->base) < y ? phys_span_end(ch->base) : y;
      uint64_t changed = phys_bits_update(ch, phys_frame_index(ch, x), phys_frame_index(ch, e), true);
      if (changed != (e - x) >> MM_FRAME_SHIFT) {
        mm_panic("phys_fs_add", "frame added to a bitmap span was already free");
      }
      phys_hint_after_gain(&self->spans, ch);
      phys_huge_refresh(&self->spans, c);
      x = e;
      continue;
    }
    phys_addr_t e = (c < self->spans.count && self->spans.items[c].base < y) ? self->spans.items[c].base : y;
    runs_add(self, x, e);
    x = e;
  }
}

uint64_t phys_fs_remove(phys_free_set *self, phys_addr_t x, phys_addr_t y) {
  uint64_t removed = 0;
  while (x < y) {
    uint64_t c = phys_span_lower(&self->spans, x);
    if (c < self->spans.count && self->spans.items[c].base <= x) {
      phys_span *ch = &self->spans.items[c];
      phys_addr_t e = phys_span_end(ch->base) < y ? phys_span_end(ch->base) : y;
      removed += phys_bits_update(ch, phys_frame_index(ch, x), phys_frame_index(ch, e), false);
      phys_hint_after_loss(&self->spans);
      phys_huge_refresh(&self->spans, c);
      x = e;
      continue;
    }
    phys_addr_t e = (c < self->spans.count && self->spans.items[c].base < y) ? self->spans.items[c].base : y;
    removed += runs_remove(self, x, e);
    if (self->parked.ranges != 0) {
      removed += phys_parked_remove(&self->parked, x, e, 0);
    }
    x = e;
  }
  self->free_frames -= removed;
  return removed;
}

phys_addr_t phys_fs_lowest(const phys_free_set *self) {
  phys_addr_t best = self->run_count != 0 ? self->runs[0].base : PHYS_NONE;
  if (self->spans.hint < self->spans.count) {
    const phys_span *c = &self->spans.items[self->spans.hint];
    if (c->base < best) {
      uint64_t b = phys_bit_next_set(c, 0);
      phys_addr_t f = c->base + (b << MM_FRAME_SHIFT);
      if (f < best) {
        best = f;
      }
    }
  }
  if (self->parked.head < best) {
    best = self->parked.head;
  }
  return best;
}

phys_addr_t phys_fs_next_free(const phys_free_set *self, phys_addr_t from) {
  phys_addr_t best = PHYS_NONE;
  uint64_t r = phys_run_lower(self, from);
  if (r < self->run_count) {
    best = self->runs[r].base > from ? self->runs[r].base : from;
  }
  for (uint64_t c = phys_span_lower(&self->spans, from); c < self->spans.count && self->spans.items[c].base < best;
       c++) {
    const phys_span *ch = &self->spans.items[c];
    if (ch->free == 0) {
      continue;
    }
    uint64_t start = from > ch->base ? phys_frame_index(ch, from) : 0;
    uint64_t b = phys_bit_next_set(ch, start);
    if (b < PHYS_SPAN_FRAMES) {
      phys_addr_t f = ch->base + (b << MM_FRAME_SHIFT);
      if (f < best) {
        best = f;
      }
      break;
    }
  }
  for (phys_addr_t cur = self->parked.head; cur != PHYS_NONE && cur < best;) {
    const phys_parked_node *n = phys_parked_at(&self->parked, cur);
    if (n->end > from) {
      phys_addr_t f = cur > from ? cur : from;
      if (f < best) {
        best = f;
      }
      break;
    }
    cur = n->next;
  }
  return best;
}

phys_addr_t phys_fs_extent(const phys_free_set *self, phys_addr_t x, phys_addr_t limit) {
  while (x < limit) {
    phys_addr_t e = x;
    const phys_span *ch = phys_span_at(&self->spans, x);
    if (ch != 0) {
      e = ch->base + (phys_bit_next_clear(ch, phys_frame_index(ch, x)) << MM_FRAME_SHIFT);
    } else {
      uint64_t r = phys_run_lower(self, x);
      if (r < self->run_count && self->runs[r].base <= x) {
        e = self->runs[r].end;
      } else {
        for (phys_addr_t cur = self->parked.head; cur != PHYS_NONE && cur <= x;) {
          const phys_parked_node *n = phys_parked_at(&self->parked, cur);
          if (n->end > x) {
            e = n->end;
            break;
          }
          cur = n->next;
        }
      }
    }
    if (e == x) {
      return x;
    }
    x = e;
  }
  return limit;
}

static phys_addr_t align_up(phys_addr_t x, uint64_t align) {
  if (x > UINT64_MAX - (align - 1)) {
    return PHYS_NONE;
  }
  return (x + align - 1) & ~(align - 1);
}

// Inside bitmap span `ch`, the lowest address >= x (x aligned, align >= 64 frames) whose first
// min(frames / 64, rest of span) words are all free, judged from the all-free summary alone; the span's
// end if there is none. The caller verifies the exact extent.
static phys_addr_t span_aligned_candidate(const phys_span *ch, phys_addr_t x, uint64_t frames, uint64_t align) {
  uint64_t align_words = (align >> MM_FRAME_SHIFT) / 64;
  uint64_t full_words = frames / 64;
  uint64_t w = phys_frame_index(ch, x) / 64;
  while (w < PHYS_SPAN_WORDS) {
    uint64_t need = full_words < PHYS_SPAN_WORDS - w ? full_words : PHYS_SPAN_WORDS - w;
    uint64_t f = phys_summary_next(ch->full, w, false);
    if (f >= PHYS_SPAN_WORDS) {
      break;
    }
    if (f > w) {
      w = (f + align_words - 1) / align_words * align_words;
      continue;
    }
    uint64_t g = phys_summary_next(ch->full, w, true);
    if (g >= w + need) {
      return ch->base + ((w * 64) << MM_FRAME_SHIFT);
    }
    w = (g + align_words - 1) / align_words * align_words;
  }
  return phys_span_end(ch->base);
}

// The lowest 2 MiB-aligned address >= x, below `limit`, whose whole 2 MiB block lies inside one run, or
// PHYS_NONE. Runs are few and coarse (a span with more than PHYS_SPAN_RUN_LIMIT of them becomes a bitmap), and
// the scan stops at the first run that holds a block.
// *run_end receives the end of that run.
static phys_addr_t runs_next_block(const phys_free_set *self, phys_addr_t x, phys_addr_t limit, phys_addr_t *run_end) {
  for (uint64_t r = phys_run_lower(self, x); r < self->run_count && self->runs[r].base < limit; r++) {
    phys_addr_t b = self->runs[r].base > x ? self->runs[r].base : x;
    phys_addr_t c = align_up(b, PHYS_HUGE_BYTES);
    if (c != PHYS_NONE && c < self->runs[r].end && self->runs[r].end - c >= PHYS_HUGE_BYTES) {
      *run_end = self->runs[r].end;
      return c < limit ? c : PHYS_NONE;
    }
  }
  return PHYS_NONE;
}

// phys_fs_find for whole 2 MiB blocks (frames >= 512, align >= 2 MiB) with nothing parked: every fit starts
// with a fully free 2 MiB block, so candidates come from the block index of the bitmap spans (phys_huge.h)
// and from the runs, never from a scan of fragmented spans. Same result as the general search (lowest fit).
static phys_addr_t find_blocks(const phys_free_set *self, uint64_t size, uint64_t align, phys_addr_t x,
                               phys_addr_t hi) {
  for (;;) {
    phys_addr_t f = phys_huge_next(&self->spans, x);
    phys_addr_t run_end = 0;
    phys_addr_t r = runs_next_block(self, x, f, &run_end);
    if (r != PHYS_NONE) {
      f = r;
    }
    if (f == PHYS_NONE) {
      return PHYS_NONE;
    }
    phys_addr_t c = align_up(f, align);
    if (c == PHYS_NONE || c >= hi || hi - c < size) {
      return PHYS_NONE;
    }
    if (c != f) {
      x = c;  // a fit must start with a fully free block at c itself
      continue;
    }
    if (c == r && run_end - c >= size) {
      return c;  // inside one run: no need to look further
    }
    phys_addr_t e = phys_fs_extent(self, c, c + size);
    if (e >= c + size) {
      return c;
    }
    x = e;
  }
}

phys_addr_t phys_fs_find(const phys_free_set *self, uint64_t frames, uint64_t align, phys_addr_t lo, phys_addr_t hi) {
  uint64_t size = frames << MM_FRAME_SHIFT;
  if (frames >= PHYS_HUGE_FRAMES && align >= PHYS_HUGE_BYTES && self->parked.ranges == 0) {
    phys_addr_t x = align_up(lo, align);
    return x == PHYS_NONE ? PHYS_NONE : find_blocks(self, size, align, x, hi);
  }
  bool accelerate = frames >= 64 && (align >> MM_FRAME_SHIFT) >= 64;
  phys_addr_t x = align_up(lo, align);  // an unaligned lo must not round down to its frame in a bitmap
  if (x == PHYS_NONE) {
    return PHYS_NONE;
  }
  for (;;) {
    phys_addr_t f = phys_fs_next_free(self, x);
    if (f == PHYS_NONE) {
      return PHYS_NONE;
    }
    phys_addr_t c = align_up(f, align);
    if (c == PHYS_NONE || c >= hi || hi - c < size) {
      return PHYS_NONE;
    }
    if (accelerate) {
      const phys_span *ch = phys_span_at(&self->spans, c);
      if (ch != 0) {
        phys_addr_t cand = span_aligned_candidate(ch, c, frames, align);
        if (cand != c) {
          x = cand;
          continue;
        }
      }
    }
    if (c != f && !phys_fs_is_free(self, c)) {
      x = c;
      continue;
    }
    phys_addr_t e = phys_fs_extent(self, c, c + size);
    if (e >= c + size) {
      return c;
    }
    x = e;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Single-frame fast paths (the hot paths of mm_phys_free and mm_phys_alloc_frame): one lookup, no range loop.

bool phys_fs_add_one(phys_free_set *self, phys_addr_t f) {
  uint64_t c = phys_span_lower(&self->spans, f);
  if (c < self->spans.count && self->spans.items[c].base == phys_span_base(f)) {
    uint64_t i = phys_frame_index(&self->spans.items[c], f);
    if (!phys_span_set_one(&self->spans, c, i)) {
      return false;
    }
    phys_huge_after_set(&self->spans, c, i >> 6);
    self->free_frames++;
    return true;
  }
  uint64_t r = phys_run_lower(self, f);
  if ((r < self->run_count && self->runs[r].base <= f) ||
      (self->parked.ranges != 0 && phys_parked_count(&self->parked, f, f + MM_FRAME_SIZE) != 0)) {
    return false;
  }
  self->free_frames++;
  if (c < self->spans.count && self->spans.items[c].base < f + MM_FRAME_SIZE) {
    mm_panic("phys_fs_add_one", "frame inside a bitmap span took the run path");
  }
  runs_add_at(self, r, f, f + MM_FRAME_SIZE);
  return true;
}
// Stores bitmap word `w` of `ch` after one frame in it was taken (`v` is the word's new value): the single-frame
// fast paths share this.
// `old` is the word's value before, for the 2 MiB block index (phys_huge.h).
static inline void span_store_taken(phys_free_set *self, phys_span *ch, uint64_t w, uint64_t old, uint64_t v) {
  bool was_whole = old == ~(uint64_t)0 && phys_huge_block_whole(ch, w);
  phys_span_store_taken(&self->spans, ch, w, v);
  self->free_frames--;
  phys_huge_after_take(&self->spans, (uint64_t)(ch - self->spans.items), w, was_whole);
}

bool phys_fs_take_one(phys_free_set *self, phys_addr_t f) {
  uint64_t c = phys_span_lower(&self->spans, f);
  if (c < self->spans.count && self->spans.items[c].base == phys_span_base(f)) {
    phys_span *ch = &self->spans.items[c];
    uint64_t i = phys_frame_index(ch, f), w = i >> 6, bit = (uint64_t)1 << (i & 63);
    uint64_t v = ch->bits[w];
    if ((v & bit) == 0) {
      return false;
    }
    span_store_taken(self, ch, w, v, v & ~bit);
    return true;
  }
  if (phys_fs_count_free(self, f, f + MM_FRAME_SIZE) == 0) {
    return false;
  }
  phys_fs_remove(self, f, f + MM_FRAME_SIZE);
  return true;
}

phys_addr_t phys_fs_take_lowest(phys_free_set *self) {
  phys_addr_t run_low = self->run_count != 0 ? self->runs[0].base : PHYS_NONE;
  if (self->spans.hint < self->spans.count && self->spans.items[self->spans.hint].base < run_low) {
    phys_span *ch = &self->spans.items[self->spans.hint];
    uint64_t w = phys_summary_next(ch->nonzero, 0, false);
    uint64_t v = ch->bits[w];
    uint64_t i = (w << 6) + (uint64_t)__builtin_ctzll(v);
    phys_addr_t f = ch->base + (i << MM_FRAME_SHIFT);
    if (f < run_low && f < self->parked.head) {
      span_store_taken(self, ch, w, v, v & (v - 1));
      return f;
    }
  }
  phys_addr_t f = phys_fs_lowest(self);
  if (f != PHYS_NONE) {
    phys_fs_remove(self, f, f + MM_FRAME_SIZE);
  }
  return f;
}

// The frame mm_phys_alloc_frame hands out (phys_alloc.h states the policy): the lowest free frame of a broken
// 2 MiB block, else the lowest free frame. In maximal free runs, a broken block with room holds a run edge that
// is not 2 MiB aligned, so the first maximal run with an unaligned base (its base) or an unaligned end (the
// start of its last block) gives it. Without parked ranges every block lies in one representation: bitmap
// spans answer from their broken marks (phys_huge.h), runs by that edge rule; with parked ranges, which may
// touch a run, the maximal runs are walked (slow, and rare: parking is the last resort).
typedef struct broken_ctx {
  phys_addr_t found;
} broken_ctx;

static phys_addr_t broken_edge(phys_addr_t b, phys_addr_t e) {
  if ((b & (PHYS_HUGE_BYTES - 1)) != 0) {
    return b;
  }
  if ((e & (PHYS_HUGE_BYTES - 1)) != 0) {
    return e & ~(PHYS_HUGE_BYTES - 1);  // >= b: b is aligned and below e
  }
  return PHYS_NONE;
}

static bool first_broken_edge(void *ctx, mm_range r) {
  ((broken_ctx *)ctx)->found = broken_edge(r.base, r.end);
  return ((broken_ctx *)ctx)->found == PHYS_NONE;
}

phys_addr_t phys_fs_take_frame(phys_free_set *self) {
  phys_addr_t f = PHYS_NONE;
  if (self->parked.ranges != 0) {
    broken_ctx ctx = {PHYS_NONE};
    phys_fs_for_each(self, first_broken_edge, &ctx);
    f = ctx.found;
  } else {
    uint64_t idx = 0, i = 0;
    if (phys_huge_first_broken(&self->spans, &idx, &i)) {
      f = self->spans.items[idx].base + (i << MM_FRAME_SHIFT);
    }
    phys_addr_t in_span = f;
    for (uint64_t r = 0; r < self->run_count && self->runs[r].base < f; r++) {
      phys_addr_t g = broken_edge(self->runs[r].base, self->runs[r].end);
      if (g != PHYS_NONE) {
        f = g < f ? g : f;
        break;
      }
    }
    if (f != PHYS_NONE && f == in_span) {  // the span's frame: take it where the search found it
      phys_span *ch = &self->spans.items[idx];
      uint64_t w = i >> 6, v = ch->bits[w];
      span_store_taken(self, ch, w, v, v & ~((uint64_t)1 << (i & 63)));
      return f;
    }
  }
  if (f == PHYS_NONE) {
    return phys_fs_take_lowest(self);  // every free frame lies in a fully free block
  }
  if (!phys_fs_take_one(self, f)) {
    mm_panic("phys_fs_take_frame", "chosen frame was not free");
  }
  return f;
}

// ---------------------------------------------------------------------------------------------------------
// Span conversion.

void phys_fs_convert_span(phys_free_set *self, phys_addr_t w, const phys_frame_source *src) {
  if (phys_span_at(&self->spans, w) != 0 || runs_in_span(self, w) <= PHYS_SPAN_RUN_LIMIT) {
    return;
  }
  if (!src->span_slot(src->ctx)) {
    return;
  }
  phys_addr_t bits_phys;
  void *bits;
  if (!src->take(src->ctx, 1, "phys.bitmap", &bits_phys, &bits)) {
    return;
  }
  phys_span *ch = phys_span_table_insert(&self->spans, w, (uint64_t *)bits, bits_phys);
  // Move the runs (and parked ranges) inside the span into bits.
  phys_addr_t we = phys_span_end(w);
  uint64_t i = phys_run_lower(self, w);
  uint64_t first_delete = i, delete_count = 0;
  for (uint64_t r = i; r < self->run_count && self->runs[r].base < we; r++) {
    phys_run *run = &self->runs[r];
    phys_addr_t cb = run->base > w ? run->base : w, ce = run->end < we ? run->end : we;
    phys_bits_update(ch, phys_frame_index(ch, cb), phys_frame_index(ch, ce), true);
    if (run->base < w && run->end > we) {
      mm_panic("phys_fs_convert_span", "a single run covers the whole span");
    } else if (run->base < w) {
      run->end = w;
      first_delete = r + 1;
    } else if (run->end > we) {
      run->base = we;
    } else {
      delete_count++;
    }
  }
  runs_delete(self, first_delete, delete_count);
  if (self->parked.ranges != 0) {
    phys_parked_remove(&self->parked, w, we, ch);
  }
  // The bitmap frame left the free set through the frame source; the span holds exactly what was free.
  phys_hint_reset(&self->spans);
  phys_huge_refresh(&self->spans, (uint64_t)(ch - self->spans.items));
}

void phys_fs_drain_parked(phys_free_set *self) {
  phys_addr_t x, y;
  while (self->run_count + 1 < self->run_cap && phys_parked_pop(&self->parked, &x, &y)) {
    runs_add(self, x, y);
  }
}

bool phys_fs_pop_pending(phys_free_set *self, phys_addr_t *w) {
  if (self->pending_count == 0) {
    return false;
  }
  *w = self->pending[--self->pending_count];
  return true;
}

bool phys_fs_grow_runs(phys_free_set *self, uint64_t spare, const phys_frame_source *src) {
  uint64_t want = self->run_cap * 2 > self->run_cap + 2 * spare ? self->run_cap * 2 : self->run_cap + 2 * spare;
  uint64_t frames = phys_frames_for(want * sizeof(phys_run));
  phys_addr_t phys;
  void *ptr;
  // Taking the frames changes the runs: copy them after.
  if (!src->take(src->ctx, frames, "phys.runs", &phys, &ptr)) {
    return false;
  }
  mm_memcpy(ptr, self->runs, self->run_count * sizeof(phys_run));
  phys_block old = self->runs_block;
  self->runs = (phys_run *)ptr;
  self->run_cap = (frames << MM_FRAME_SHIFT) / sizeof(phys_run);
  self->runs_block = (phys_block){phys, frames << MM_FRAME_SHIFT, false};
  debug_structured(LOG_DEBUG, "mm.phys_grow", KV_S("table", "runs"), KV_U("capacity", self->run_cap),
                   KV_X("phys", phys), KV_U("bytes", frames << MM_FRAME_SHIFT));
  src->give_back(src->ctx, old);
  return true;
}

// ---------------------------------------------------------------------------------------------------------
// Building the run array at initialization. (phys_fs_append_run is static inline in phys_freeset.h: called per
// usable region at bring-up.)

void phys_fs_count_initial(phys_free_set *self) {
  uint64_t n = 0;
  for (uint64_t i = 0; i < self->run_count; i++) {
    n += (self->runs[i].end - self->runs[i].base) >> MM_FRAME_SHIFT;
  }
  self->free_frames = n;
}
