// phys_span.h: bitmap span primitives (phys_span.c). Private to //mm.
#ifndef MM_PHYS_SPAN_H
#define MM_PHYS_SPAN_H

#include "mm/phys_state.h"

// Index of the first span whose span contains x or lies above it (first span with span end > x).
uint64_t phys_span_lower(const mm_phys_allocator *a, phys_addr_t x);
// The span containing x, or NULL.
phys_span *phys_span_at(const mm_phys_allocator *a, phys_addr_t x);
// First index >= from whose bit in the 512-bit summary is set (invert: clear), or PHYS_SPAN_WORDS.
uint64_t phys_summary_next(const uint64_t s[PHYS_SUMMARY_WORDS], uint64_t from, bool invert);
// First set (free) / clear bit at or after `from`, or PHYS_SPAN_FRAMES.
uint64_t phys_bit_next_set(const phys_span *c, uint64_t from);
uint64_t phys_bit_next_clear(const phys_span *c, uint64_t from);
// Sets (set) or clears bits [i0, i1); returns how many bits changed. Keeps the summaries, not the counters.
uint64_t phys_bits_update(phys_span *c, uint64_t i0, uint64_t i1, bool set);
// Set bits in [i0, i1).
uint64_t phys_bits_count(const phys_span *c, uint64_t i0, uint64_t i1);
// Exact popcount of the whole span (the checker compares it with the counter).
uint64_t phys_span_recount(const phys_span *c);
// Keep a->fs.span_hint (every span below it has no free frame) after `c` gained frames / after a loss.
void phys_hint_after_gain(mm_phys_allocator *a, const phys_span *c);
void phys_hint_after_loss(mm_phys_allocator *a);

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

#endif  // MM_PHYS_SPAN_H
