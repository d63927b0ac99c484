// phys_span.c: bitmap spans, the free set's representation for fragmented 128 MiB spans (PHYS_SPAN_FRAMES
// frames, one bit per frame in one 4 KiB frame, 1 = free), with a free counter and two 512-bit summaries
// ("word nonzero", "word all-free") that make single-frame and aligned searches a few word scans. This file
// holds the primitives on one span and the span table's search and hint; it never allocates.
#include "mm/phys_span.h"

// ---------------------------------------------------------------------------------------------------------
// Bitmap spans. (The searches and the span hint are static inline in phys_span.h: hot in every allocation.)

// Sets (set) or clears bits [i0, i1) of the span; returns how many bits changed.
uint64_t phys_bits_update(phys_span *c, uint64_t i0, uint64_t i1, bool set) {
  uint64_t changed = 0;
  while (i0 < i1) {
    uint64_t w = i0 >> 6;
    uint64_t hi = (i1 - (w << 6)) < 64 ? (i1 - (w << 6)) : 64;
    uint64_t m = phys_word_mask(i0 & 63, hi);
    uint64_t old = c->bits[w];
    if (set) {
      changed += (uint64_t)__builtin_popcountll(~old & m);
      c->bits[w] = old | m;
    } else {
      changed += (uint64_t)__builtin_popcountll(old & m);
      c->bits[w] = old & ~m;
    }
    phys_summary_update(c, w);
    i0 = (w << 6) + hi;
  }
  if (set) {
    c->free += changed;
  } else {
    c->free -= changed;
  }
  return changed;
}

uint64_t phys_bits_count(const phys_span *c, uint64_t i0, uint64_t i1) {
  uint64_t n = 0;
  while (i0 < i1) {
    uint64_t w = i0 >> 6;
    uint64_t hi = (i1 - (w << 6)) < 64 ? (i1 - (w << 6)) : 64;
    n += (uint64_t)__builtin_popcountll(c->bits[w] & phys_word_mask(i0 & 63, hi));
    i0 = (w << 6) + hi;
  }
  return n;
}

// Exact popcount of the whole span (the checker compares it with the counter).
uint64_t phys_span_recount(const phys_span *c) { return phys_bits_count(c, 0, PHYS_SPAN_FRAMES); }
