// phys_span.h: bitmap span primitives (phys_span.c). Private to //mm.
#ifndef MM_PHYS_SPAN_H
#define MM_PHYS_SPAN_H

#include "mm/phys_state.h"

// Sets (set) or clears bits [i0, i1); returns how many bits changed. Keeps the summaries, not the counters.
uint64_t phys_bits_update(phys_span *c, uint64_t i0, uint64_t i1, bool set);
// Set bits in [i0, i1).
uint64_t phys_bits_count(const phys_span *c, uint64_t i0, uint64_t i1);
// Exact popcount of the whole span (the checker compares it with the counter).
uint64_t phys_span_recount(const phys_span *c);

static inline uint64_t phys_frame_index(const phys_span *c, phys_addr_t x) { return (x - c->base) >> MM_FRAME_SHIFT; }

static inline void phys_summary_update(phys_span *c, uint64_t w) {
  uint64_t v = c->bits[w];
  uint64_t bit = (uint64_t)1 << (w & 63);
  if (v != 0) {
    c->nonzero[w >> 6] |= bit;
  } else {
    c->nonzero[w >> 6] &= ~bit;
  }
  if (v == ~(uint64_t)0) {
    c->full[w >> 6] |= bit;
  } else {
    c->full[w >> 6] &= ~bit;
  }
}

// Mask of bits [lo, hi) inside one word, 0 <= lo < hi <= 64.
static inline uint64_t phys_word_mask(uint64_t lo, uint64_t hi) {
  uint64_t m = ~(uint64_t)0 << lo;
  if (hi < 64) {
    m &= ((uint64_t)1 << hi) - 1;
  }
  return m;
}

// Hot search primitives and the span hint, static inline so every layer above (free set, allocation paths)
// gets them without a call: measured as extern calls they cost ~40% on BM_Aligned2MiB (bench/mm_bench.cc).

// Index of the first span whose span contains x or lies above it (first span with span end > x).
static inline uint64_t phys_span_lower(const mm_phys_allocator *a, phys_addr_t x) {
  phys_addr_t w = phys_span_base(x);
  uint64_t lo = 0, hi = a->fs.span_count;
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    if (a->fs.spans[mid].base >= w) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

// The span whose span contains x, or NULL.
static inline phys_span *phys_span_at(const mm_phys_allocator *a, phys_addr_t x) {
  uint64_t c = phys_span_lower(a, x);
  if (c < a->fs.span_count && a->fs.spans[c].base == phys_span_base(x)) {
    return &a->fs.spans[c];
  }
  return 0;
}

// First index >= from whose bit in the 512-bit summary is set (invert: clear), or PHYS_SPAN_WORDS.
static inline uint64_t phys_summary_next(const uint64_t s[PHYS_SUMMARY_WORDS], uint64_t from, bool invert) {
  while (from < PHYS_SPAN_WORDS) {
    uint64_t v = s[from >> 6];
    if (invert) {
      v = ~v;
    }
    v &= ~(uint64_t)0 << (from & 63);
    if (v != 0) {
      return (from & ~(uint64_t)63) + (uint64_t)__builtin_ctzll(v);
    }
    from = (from | 63) + 1;
  }
  return PHYS_SPAN_WORDS;
}

// First set bit (frame index in the span) at or after `from`, or PHYS_SPAN_FRAMES.
static inline uint64_t phys_bit_next_set(const phys_span *c, uint64_t from) {
  if (from >= PHYS_SPAN_FRAMES) {
    return PHYS_SPAN_FRAMES;
  }
  uint64_t w = from >> 6;
  uint64_t v = c->bits[w] & (~(uint64_t)0 << (from & 63));
  if (v != 0) {
    return (w << 6) + (uint64_t)__builtin_ctzll(v);
  }
  w = phys_summary_next(c->nonzero, w + 1, false);
  if (w >= PHYS_SPAN_WORDS) {
    return PHYS_SPAN_FRAMES;
  }
  return (w << 6) + (uint64_t)__builtin_ctzll(c->bits[w]);
}

// First clear bit at or after `from`, or PHYS_SPAN_FRAMES.
static inline uint64_t phys_bit_next_clear(const phys_span *c, uint64_t from) {
  if (from >= PHYS_SPAN_FRAMES) {
    return PHYS_SPAN_FRAMES;
  }
  uint64_t w = from >> 6;
  uint64_t v = ~c->bits[w] & (~(uint64_t)0 << (from & 63));
  if (v != 0) {
    return (w << 6) + (uint64_t)__builtin_ctzll(v);
  }
  w = phys_summary_next(c->full, w + 1, true);
  if (w >= PHYS_SPAN_WORDS) {
    return PHYS_SPAN_FRAMES;
  }
  return (w << 6) + (uint64_t)__builtin_ctzll(~c->bits[w]);
}

// Keep a->fs.span_hint (every span below it has no free frame) after `c` gained frames / after a loss.
static inline void phys_hint_after_gain(mm_phys_allocator *a, const phys_span *c) {
  uint64_t idx = (uint64_t)(c - a->fs.spans);
  if (idx < a->fs.span_hint) {
    a->fs.span_hint = idx;
  }
}

static inline void phys_hint_after_loss(mm_phys_allocator *a) {
  while (a->fs.span_hint < a->fs.span_count && a->fs.spans[a->fs.span_hint].free == 0) {
    a->fs.span_hint++;
  }
}

#endif  // MM_PHYS_SPAN_H
