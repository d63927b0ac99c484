// phys_freeset.c: the runtime allocator's free set (runs + bitmap spans + parked ranges).
//
// Free memory outside bitmap spans is a sorted array of disjoint, non-adjacent runs. A 128 MiB span whose
// run count passes PHYS_SPAN_RUN_LIMIT becomes a bitmap span: one bit per frame in a 4 KiB frame the
// allocator takes from itself, a free counter, a "word nonzero" and a "word all-free" summary (512 bits each,
// one per bitmap word). Runs never overlap a bitmap span, so every address is owned by exactly one of the two
// representations. Parked ranges are the last resort when the run array is full and cannot grow: the range's
// own first frame holds the list node, so recording it needs no bookkeeping space at all.
//
// Every function here keeps a->fs.free_frames, the parked counters and the span summaries exact; callers keep
// allocated/reserved counters.
//
// Bookkeeping frames (a bitmap frame, span-table room) come from the frame source injected in a->source
// (phys_grow.c); nothing here calls up into the allocator.
#include "mm/phys_freeset.h"

#include "mm/phys_parked.h"
#include "mm/phys_span.h"

// ---------------------------------------------------------------------------------------------------------
// Searches.

// Index of the first run whose end is above x (runs are disjoint and sorted, so ends are sorted too).
uint64_t phys_run_lower(const mm_phys_allocator *a, phys_addr_t x) {
  uint64_t lo = 0, hi = a->fs.run_count;
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    if (a->fs.runs[mid].end > x) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}


// ---------------------------------------------------------------------------------------------------------
// Runs.

static void queue_conversion(mm_phys_allocator *a, phys_addr_t x) {
  phys_addr_t w = phys_span_base(x);
  for (uint32_t i = 0; i < a->fs.pending_count; i++) {
    if (a->fs.pending[i] == w) {
      return;
    }
  }
  if (a->fs.pending_count < sizeof(a->fs.pending) / sizeof(a->fs.pending[0])) {
    a->fs.pending[a->fs.pending_count++] = w;
  }
}

// Number of runs that intersect the span at w.
static uint64_t runs_in_span(const mm_phys_allocator *a, phys_addr_t w) {
  uint64_t lo = phys_run_lower(a, w);
  uint64_t hi = lo;
  while (hi < a->fs.run_count && a->fs.runs[hi].base < phys_span_end(w) && hi - lo <= PHYS_SPAN_RUN_LIMIT) {
    hi++;
  }
  return hi - lo;
}

static void note_new_run(mm_phys_allocator *a, phys_addr_t x) {
  if (runs_in_span(a, phys_span_base(x)) > PHYS_SPAN_RUN_LIMIT) {
    queue_conversion(a, x);
  }
}

static void runs_insert_at(mm_phys_allocator *a, uint64_t i, phys_addr_t x, phys_addr_t y) {
  mm_memmove(&a->fs.runs[i + 1], &a->fs.runs[i], (a->fs.run_count - i) * sizeof(phys_run));
  a->fs.runs[i].base = x;
  a->fs.runs[i].end = y;
  a->fs.run_count++;
}

static void runs_delete(mm_phys_allocator *a, uint64_t i, uint64_t n) {
  if (n == 0) {
    return;
  }
  mm_memmove(&a->fs.runs[i], &a->fs.runs[i + n], (a->fs.run_count - i - n) * sizeof(phys_run));
  a->fs.run_count -= n;
}

// Adds [x, y), which lies outside every bitmap span and touches no free frame, merging with neighbours.
static void runs_add_at(mm_phys_allocator *a, uint64_t i, phys_addr_t x, phys_addr_t y) {
  bool left = i > 0 && a->fs.runs[i - 1].end == x;
  bool right = i < a->fs.run_count && a->fs.runs[i].base == y;
  if (left && right) {
    a->fs.runs[i - 1].end = a->fs.runs[i].end;
    runs_delete(a, i, 1);
  } else if (left) {
    a->fs.runs[i - 1].end = y;
  } else if (right) {
    a->fs.runs[i].base = x;
  } else if (a->fs.run_count < a->fs.run_cap) {
    runs_insert_at(a, i, x, y);
    note_new_run(a, x);
  } else {
    phys_parked_insert(a, x, y);
  }
}

static void runs_add(mm_phys_allocator *a, phys_addr_t x, phys_addr_t y) { runs_add_at(a, phys_run_lower(a, x), x, y); }

// Removes the run frames of [x, y) (outside bitmap spans); returns how many were free.
static uint64_t runs_remove(mm_phys_allocator *a, phys_addr_t x, phys_addr_t y) {
  uint64_t i = phys_run_lower(a, x);
  if (i >= a->fs.run_count || a->fs.runs[i].base >= y) {
    return 0;
  }
  phys_run *r = &a->fs.runs[i];
  if (r->base < x && r->end > y) {  // strictly inside: split
    phys_addr_t old_end = r->end;
    r->end = x;
    if (a->fs.run_count < a->fs.run_cap) {
      runs_insert_at(a, i + 1, y, old_end);
      note_new_run(a, x);
    } else {
      phys_parked_insert(a, y, old_end);
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
  while (j < a->fs.run_count && a->fs.runs[j].end <= y) {
    removed += (a->fs.runs[j].end - a->fs.runs[j].base) >> MM_FRAME_SHIFT;
    j++;
  }
  runs_delete(a, i, j - i);
  if (i < a->fs.run_count && a->fs.runs[i].base < y) {
    removed += (y - a->fs.runs[i].base) >> MM_FRAME_SHIFT;
    a->fs.runs[i].base = y;
  }
  return removed;
}

// ---------------------------------------------------------------------------------------------------------
// The free set.

bool phys_fs_is_free(const mm_phys_allocator *a, phys_addr_t f) {
  uint64_t c = phys_span_lower(a, f);
  if (c < a->fs.span_count && a->fs.spans[c].base == phys_span_base(f)) {
    uint64_t i = phys_frame_index(&a->fs.spans[c], f);
    return (a->fs.spans[c].bits[i >> 6] >> (i & 63)) & 1;
  }
  uint64_t r = phys_run_lower(a, f);
  if (r < a->fs.run_count && a->fs.runs[r].base <= f) {
    return true;
  }
  return a->fs.parked_ranges != 0 && phys_parked_count(a, f, f + MM_FRAME_SIZE) != 0;
}

uint64_t phys_fs_count_free(const mm_phys_allocator *a, phys_addr_t x, phys_addr_t y) {
  uint64_t n = 0;
  while (x < y) {
    uint64_t c = phys_span_lower(a, x);
    if (c < a->fs.span_count && a->fs.spans[c].base <= x) {
      const phys_span *ch = &a->fs.spans[c];
      phys_addr_t e = phys_span_end(ch->base) < y ? phys_span_end(ch->base) : y;
      n += phys_bits_count(ch, phys_frame_index(ch, x), phys_frame_index(ch, e));
      x = e;
      continue;
    }
    phys_addr_t e = (c < a->fs.span_count && a->fs.spans[c].base < y) ? a->fs.spans[c].base : y;
    for (uint64_t r = phys_run_lower(a, x); r < a->fs.run_count && a->fs.runs[r].base < e; r++) {
      phys_addr_t rb = a->fs.runs[r].base > x ? a->fs.runs[r].base : x;
      phys_addr_t re = a->fs.runs[r].end < e ? a->fs.runs[r].end : e;
      n += (re - rb) >> MM_FRAME_SHIFT;
    }
    if (a->fs.parked_ranges != 0) {
      n += phys_parked_count(a, x, e);
    }
    x = e;
  }
  return n;
}

void phys_fs_add(mm_phys_allocator *a, phys_addr_t x, phys_addr_t y) {
  a->fs.free_frames += (y - x) >> MM_FRAME_SHIFT;
  while (x < y) {
    uint64_t c = phys_span_lower(a, x);
    if (c < a->fs.span_count && a->fs.spans[c].base <= x) {
      phys_span *ch = &a->fs.spans[c];
      phys_addr_t e = phys_span_end(ch->base) < y ? phys_span_end(ch->base) : y;
      uint64_t changed = phys_bits_update(ch, phys_frame_index(ch, x), phys_frame_index(ch, e), true);
      if (changed != (e - x) >> MM_FRAME_SHIFT) {
        mm_panic("phys_fs_add", "frame added to a bitmap span was already free");
      }
      phys_hint_after_gain(a, ch);
      x = e;
      continue;
    }
    phys_addr_t e = (c < a->fs.span_count && a->fs.spans[c].base < y) ? a->fs.spans[c].base : y;
    runs_add(a, x, e);
    x = e;
  }
}

uint64_t phys_fs_remove(mm_phys_allocator *a, phys_addr_t x, phys_addr_t y) {
  uint64_t removed = 0;
  while (x < y) {
    uint64_t c = phys_span_lower(a, x);
    if (c < a->fs.span_count && a->fs.spans[c].base <= x) {
      phys_span *ch = &a->fs.spans[c];
      phys_addr_t e = phys_span_end(ch->base) < y ? phys_span_end(ch->base) : y;
      removed += phys_bits_update(ch, phys_frame_index(ch, x), phys_frame_index(ch, e), false);
      phys_hint_after_loss(a);
      x = e;
      continue;
    }
    phys_addr_t e = (c < a->fs.span_count && a->fs.spans[c].base < y) ? a->fs.spans[c].base : y;
    removed += runs_remove(a, x, e);
    if (a->fs.parked_ranges != 0) {
      removed += phys_parked_remove(a, x, e, 0);
    }
    x = e;
  }
  a->fs.free_frames -= removed;
  return removed;
}

phys_addr_t phys_fs_lowest(const mm_phys_allocator *a) {
  phys_addr_t best = a->fs.run_count != 0 ? a->fs.runs[0].base : PHYS_NONE;
  if (a->fs.span_hint < a->fs.span_count) {
    const phys_span *c = &a->fs.spans[a->fs.span_hint];
    if (c->base < best) {
      uint64_t b = phys_bit_next_set(c, 0);
      phys_addr_t f = c->base + (b << MM_FRAME_SHIFT);
      if (f < best) {
        best = f;
      }
    }
  }
  if (a->fs.parked_head < best) {
    best = a->fs.parked_head;
  }
  return best;
}

phys_addr_t phys_fs_next_free(const mm_phys_allocator *a, phys_addr_t from) {
  phys_addr_t best = PHYS_NONE;
  uint64_t r = phys_run_lower(a, from);
  if (r < a->fs.run_count) {
    best = a->fs.runs[r].base > from ? a->fs.runs[r].base : from;
  }
  for (uint64_t c = phys_span_lower(a, from); c < a->fs.span_count && a->fs.spans[c].base < best; c++) {
    const phys_span *ch = &a->fs.spans[c];
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
  for (phys_addr_t cur = a->fs.parked_head; cur != PHYS_NONE && cur < best;) {
    const phys_parked_node *n = phys_parked_at(a, cur);
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

phys_addr_t phys_fs_extent(const mm_phys_allocator *a, phys_addr_t x, phys_addr_t limit) {
  while (x < limit) {
    phys_addr_t e = x;
    const phys_span *ch = phys_span_at(a, x);
    if (ch != 0) {
      e = ch->base + (phys_bit_next_clear(ch, phys_frame_index(ch, x)) << MM_FRAME_SHIFT);
    } else {
      uint64_t r = phys_run_lower(a, x);
      if (r < a->fs.run_count && a->fs.runs[r].base <= x) {
        e = a->fs.runs[r].end;
      } else {
        for (phys_addr_t cur = a->fs.parked_head; cur != PHYS_NONE && cur <= x;) {
          const phys_parked_node *n = phys_parked_at(a, cur);
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
static phys_addr_t span_aligned_candidate(const phys_span *ch, phys_addr_t x, uint64_t frames,
                                           uint64_t align) {
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

phys_addr_t phys_fs_find(const mm_phys_allocator *a, uint64_t frames, uint64_t align, phys_addr_t lo,
                         phys_addr_t hi) {
  uint64_t size = frames << MM_FRAME_SHIFT;
  bool accelerate = frames >= 64 && (align >> MM_FRAME_SHIFT) >= 64;
  phys_addr_t x = align_up(lo, align);  // an unaligned lo must not round down to its frame in a bitmap
  if (x == PHYS_NONE) {
    return PHYS_NONE;
  }
  for (;;) {
    phys_addr_t f = phys_fs_next_free(a, x);
    if (f == PHYS_NONE) {
      return PHYS_NONE;
    }
    phys_addr_t c = align_up(f, align);
    if (c == PHYS_NONE || c >= hi || hi - c < size) {
      return PHYS_NONE;
    }
    if (accelerate) {
      const phys_span *ch = phys_span_at(a, c);
      if (ch != 0) {
        phys_addr_t cand = span_aligned_candidate(ch, c, frames, align);
        if (cand != c) {
          x = cand;
          continue;
        }
      }
    }
    if (c != f && !phys_fs_is_free(a, c)) {
      x = c;
      continue;
    }
    phys_addr_t e = phys_fs_extent(a, c, c + size);
    if (e >= c + size) {
      return c;
    }
    x = e;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Single-frame fast paths (the hot paths of mm_phys_free and mm_phys_alloc_frame): one lookup, no range loop.

bool phys_fs_add_one(mm_phys_allocator *a, phys_addr_t f) {
  uint64_t c = phys_span_lower(a, f);
  if (c < a->fs.span_count && a->fs.spans[c].base == phys_span_base(f)) {
    phys_span *ch = &a->fs.spans[c];
    uint64_t i = phys_frame_index(ch, f), w = i >> 6, bit = (uint64_t)1 << (i & 63);
    uint64_t old = ch->bits[w];
    if (old & bit) {
      return false;
    }
    ch->bits[w] = old | bit;
    ch->nonzero[w >> 6] |= (uint64_t)1 << (w & 63);
    if ((old | bit) == ~(uint64_t)0) {
      ch->full[w >> 6] |= (uint64_t)1 << (w & 63);
    }
    ch->free++;
    if (c < a->fs.span_hint) {
      a->fs.span_hint = c;
    }
    a->fs.free_frames++;
    return true;
  }
  uint64_t r = phys_run_lower(a, f);
  if ((r < a->fs.run_count && a->fs.runs[r].base <= f) ||
      (a->fs.parked_ranges != 0 && phys_parked_count(a, f, f + MM_FRAME_SIZE) != 0)) {
    return false;
  }
  a->fs.free_frames++;
  if (c < a->fs.span_count && a->fs.spans[c].base < f + MM_FRAME_SIZE) {
    mm_panic("phys_fs_add_one", "frame inside a bitmap span took the run path");
  }
  runs_add_at(a, r, f, f + MM_FRAME_SIZE);
  return true;
}
// Stores bitmap word `w` of `ch` after one frame in it was taken (`v` is the word's new value) and keeps the
// summaries and the free counters in step: the single-frame fast paths share this.
static inline void span_store_taken(mm_phys_allocator *a, phys_span *ch, uint64_t w, uint64_t v) {
  ch->bits[w] = v;
  ch->full[w >> 6] &= ~((uint64_t)1 << (w & 63));
  if (v == 0) {
    ch->nonzero[w >> 6] &= ~((uint64_t)1 << (w & 63));
  }
  if (--ch->free == 0) {
    phys_hint_after_loss(a);
  }
  a->fs.free_frames--;
}


bool phys_fs_take_one(mm_phys_allocator *a, phys_addr_t f) {
  uint64_t c = phys_span_lower(a, f);
  if (c < a->fs.span_count && a->fs.spans[c].base == phys_span_base(f)) {
    phys_span *ch = &a->fs.spans[c];
    uint64_t i = phys_frame_index(ch, f), w = i >> 6, bit = (uint64_t)1 << (i & 63);
    uint64_t v = ch->bits[w];
    if ((v & bit) == 0) {
      return false;
    }
    span_store_taken(a, ch, w, v & ~bit);
    return true;
  }
  if (phys_fs_count_free(a, f, f + MM_FRAME_SIZE) == 0) {
    return false;
  }
  phys_fs_remove(a, f, f + MM_FRAME_SIZE);
  return true;
}

phys_addr_t phys_fs_take_lowest(mm_phys_allocator *a) {
  phys_addr_t run_low = a->fs.run_count != 0 ? a->fs.runs[0].base : PHYS_NONE;
  if (a->fs.span_hint < a->fs.span_count && a->fs.spans[a->fs.span_hint].base < run_low) {
    phys_span *ch = &a->fs.spans[a->fs.span_hint];
    uint64_t w = phys_summary_next(ch->nonzero, 0, false);
    uint64_t v = ch->bits[w];
    uint64_t i = (w << 6) + (uint64_t)__builtin_ctzll(v);
    phys_addr_t f = ch->base + (i << MM_FRAME_SHIFT);
    if (f < run_low && f < a->fs.parked_head) {
      span_store_taken(a, ch, w, v & (v - 1));
      return f;
    }
  }
  phys_addr_t f = phys_fs_lowest(a);
  if (f != PHYS_NONE) {
    phys_fs_remove(a, f, f + MM_FRAME_SIZE);
  }
  return f;
}

// ---------------------------------------------------------------------------------------------------------
// Span conversion.

void phys_fs_convert_span(mm_phys_allocator *a, phys_addr_t w) {
  if (phys_span_at(a, w) != 0 || runs_in_span(a, w) <= PHYS_SPAN_RUN_LIMIT) {
    return;
  }
  if (!a->source->span_slot(a)) {
    return;
  }
  phys_addr_t bits_phys;
  void *bits;
  if (!a->source->take(a, 1, "phys.bitmap", &bits_phys, &bits)) {
    return;
  }
  // Insert the descriptor in base order.
  uint64_t ci = phys_span_lower(a, w);
  mm_memmove(&a->fs.spans[ci + 1], &a->fs.spans[ci], (a->fs.span_count - ci) * sizeof(phys_span));
  a->fs.span_count++;
  phys_span *ch = &a->fs.spans[ci];
  mm_memset(ch, 0, sizeof(*ch));
  ch->base = w;
  ch->bits = (uint64_t *)bits;
  ch->bits_phys = bits_phys;
  mm_memset(bits, 0, MM_FRAME_SIZE);
  // Move the runs (and parked ranges) inside the span into bits.
  phys_addr_t we = phys_span_end(w);
  uint64_t i = phys_run_lower(a, w);
  uint64_t first_delete = i, delete_count = 0;
  for (uint64_t r = i; r < a->fs.run_count && a->fs.runs[r].base < we; r++) {
    phys_run *run = &a->fs.runs[r];
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
  runs_delete(a, first_delete, delete_count);
  if (a->fs.parked_ranges != 0) {
    phys_parked_remove(a, w, we, ch);
  }
  // The bitmap frame left the free set through the frame source; the span holds exactly what was free.
  a->fs.span_hint = 0;
  phys_hint_after_loss(a);
}


void phys_fs_drain_parked(mm_phys_allocator *a) {
  while (a->fs.parked_head != PHYS_NONE && a->fs.run_count + 1 < a->fs.run_cap) {
    phys_addr_t x = a->fs.parked_head;
    phys_parked_node *n = phys_parked_at(a, x);
    phys_addr_t y = n->end;
    a->fs.parked_head = n->next;
    a->fs.parked_ranges--;
    a->fs.parked_frames -= (y - x) >> MM_FRAME_SHIFT;
    n->magic = 0;
    runs_add(a, x, y);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Building the run array at initialization.

// phys_fs_append_run is static inline in phys_freeset.h (called per usable region at bring-up).
