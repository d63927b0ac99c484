// phys_span.h: bitmap spans and the span table (phys_span.c). Private to //mm.
//
// A bitmap span covers PHYS_SPAN_FRAMES frames at an aligned base, one bit per frame (1 = free) in one
// allocator-owned 4 KiB frame, plus a free counter and two 512-bit summaries. The span table is the sorted
// array of them, with a hint below which no span has a free frame. Its fields are written by phys_span.c
// (and the inline helpers below) only; the free set reads them.
#ifndef MM_PHYS_SPAN_H
#define MM_PHYS_SPAN_H

#include "mm/phys_types.h"

#define PHYS_SPAN_SHIFT 15u                                 // frames per span, log2
#define PHYS_SPAN_FRAMES ((uint64_t)1 << PHYS_SPAN_SHIFT)  // 32768 frames = 128 MiB
#define PHYS_SPAN_BYTES (PHYS_SPAN_FRAMES << MM_FRAME_SHIFT)
#define PHYS_SPAN_WORDS (PHYS_SPAN_FRAMES / 64u)      // 512 bitmap words = one 4 KiB frame
#define PHYS_SUMMARY_WORDS (PHYS_SPAN_WORDS / 64u)    // 8 summary words per summary
#define PHYS_SPAN_RUN_LIMIT 8u  // a span holding more runs than this becomes a bitmap span

// End of the span that starts at `base`, saturated: the top span of the 64-bit space ends at the last
// frame boundary instead of wrapping to 0 (an exclusive 64-bit end cannot express 2^64 anyway).
static inline phys_addr_t phys_span_end(phys_addr_t base) {
  return base > UINT64_MAX - PHYS_SPAN_BYTES ? (UINT64_MAX & ~MM_FRAME_MASK) : base + PHYS_SPAN_BYTES;
}

static inline phys_addr_t phys_span_base(phys_addr_t x) { return x & ~(PHYS_SPAN_BYTES - 1); }

typedef struct phys_span {
  phys_addr_t base;                      // span base, PHYS_SPAN_BYTES aligned
  uint64_t free;                         // set bits in `bits`
  uint64_t *bits;                        // PHYS_SPAN_WORDS words, bit i = frame base + i * 4 KiB is free
  phys_addr_t bits_phys;                 // the bitmap frame (a MM_RES_BOOKKEEPING "phys.bitmap" entry)
  uint64_t nonzero[PHYS_SUMMARY_WORDS];  // bit w set iff bits[w] != 0
  uint64_t full[PHYS_SUMMARY_WORDS];     // bit w set iff bits[w] == ~0
} phys_span;

_Static_assert(sizeof(phys_span) == MM_PHYS_SPAN_DESCRIPTOR_BYTES, "phys_alloc.h states the span descriptor size");

// The table's storage holds `cap` descriptors followed by PHYS_SPAN_MARK_SETS sets of phys_span_mark_words(cap)
// words of marks: one bit per span index, which the layer above (phys_huge.h) sets and clears and this layer
// keeps aligned with the spans when one is inserted or the table grows. Bits at and above `count` are clear.
typedef struct phys_span_table {
  phys_span *items;  // sorted by base
  uint64_t count;
  uint64_t cap;      // descriptors that fit before the marks
  uint64_t hint;     // every span below this index has no free frame
  phys_block block;  // the storage of `items` (a MM_RES_BOOKKEEPING "phys.spans" entry once grown)
} phys_span_table;

#define PHYS_SPAN_MARK_SETS 2u  // mark bitmaps per table (phys_huge.h: whole blocks, broken blocks)
// Words of one mark set for `cap` spans; the storage holds PHYS_SPAN_MARK_SETS of them.
static inline uint64_t phys_span_mark_words(uint64_t cap) { return (cap + 63) / 64; }
// Mark set `set` (bit i = span i), after the `cap` descriptors and the sets before it.
static inline uint64_t *phys_span_marks_of(const phys_span_table *self, uint32_t set) {
  return (uint64_t *)(self->items + self->cap) + set * phys_span_mark_words(self->cap);
}
static inline uint64_t *phys_span_marks(const phys_span_table *self) { return phys_span_marks_of(self, 0); }
static inline bool phys_span_marked_in(const phys_span_table *self, uint32_t set, uint64_t idx) {
  return (phys_span_marks_of(self, set)[idx >> 6] >> (idx & 63)) & 1;
}
static inline bool phys_span_marked(const phys_span_table *self, uint64_t idx) {
  return phys_span_marked_in(self, 0, idx);
}

// The searches and the span hint are static inline so every layer above (free set, allocation paths) gets them
// without a call: measured as extern calls they cost ~40% on BM_Aligned2MiB (bench/mm_bench.cc).

// Index of the first span whose span contains x or lies above it (first span with span end > x).
static inline uint64_t phys_span_lower(const phys_span_table *self, phys_addr_t x) {
  phys_addr_t w = phys_span_base(x);
  if (self->count == 0 || self->items[self->count - 1].base < w) {
    return self->count;  // above every span (high memory kept as runs): no search
  }
  if (w <= self->items[0].base) {
    return 0;
  }
  // Spans are distinct and aligned, so the one at `w` (if any) has index <= (w - first base) / span size, with
  // equality when the spans below it are contiguous (fragmented memory usually is): one probe, no search.
  uint64_t guess = (w - self->items[0].base) >> (PHYS_SPAN_SHIFT + MM_FRAME_SHIFT);
  if (guess < self->count && self->items[guess].base == w) {
    return guess;
  }
  // Branch-free lower bound: random addresses make a branching search mispredict at every step.
  const phys_span *b = self->items;
  uint64_t n = self->count;
  while (n > 1) {
    uint64_t half = n / 2;
    b = b[half - 1].base < w ? b + half : b;
    n -= half;
  }
  return (uint64_t)(b - self->items) + (b->base < w);
}
// The span containing x, or NULL.
static inline phys_span *phys_span_at(const phys_span_table *self, phys_addr_t x) {
  uint64_t c = phys_span_lower(self, x);
  if (c < self->count && self->items[c].base == phys_span_base(x)) {
    return &self->items[c];
  }
  return 0;
}
// Inserts an empty span (no bit set, mark clear) at `base` using bitmap frame `bits` (mapped) / `bits_phys`,
// keeping the table sorted (and the marks of the spans above moving up with them), and returns it. The caller
// guarantees a free slot and that no span holds `base` (panics).
phys_span *phys_span_table_insert(phys_span_table *self, phys_addr_t base, uint64_t *bits, phys_addr_t bits_phys);
// Moves the table (descriptors and marks) into storage twice as large (at least one frame), taken from `src` as
// "phys.spans"; the old block goes back to `src`. False, nothing changed, when `src` has no frames.
bool phys_span_table_grow(phys_span_table *self, const phys_frame_source *src);
// Keep the hint (every span below it has no free frame) after `c` gained frames / after a loss; reset scans
// from the first span.
static inline void phys_hint_after_gain(phys_span_table *self, const phys_span *c) {
  uint64_t idx = (uint64_t)(c - self->items);
  if (idx < self->hint) {
    self->hint = idx;
  }
}
static inline void phys_hint_after_loss(phys_span_table *self) {
  while (self->hint < self->count && self->items[self->hint].free == 0) {
    self->hint++;
  }
}
void phys_hint_reset(phys_span_table *self);

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
// First set (free) / clear bit at or after `from`, or PHYS_SPAN_FRAMES.
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
// Sets (set) or clears bits [i0, i1); returns how many bits changed. Keeps the summaries and the span's free
// counter, not the free set's.
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

// Single-frame fast paths of the free set. set_one marks frame index i of span `idx` free (false, nothing
// changed, when it already is); store_taken stores word `w` = `v` after one frame of it was taken.
static inline bool phys_span_set_one(phys_span_table *self, uint64_t idx, uint64_t i) {
  phys_span *ch = &self->items[idx];
  uint64_t w = i >> 6, bit = (uint64_t)1 << (i & 63);
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
  if (idx < self->hint) {
    self->hint = idx;
  }
  return true;
}

static inline void phys_span_store_taken(phys_span_table *self, phys_span *ch, uint64_t w, uint64_t v) {
  ch->bits[w] = v;
  ch->full[w >> 6] &= ~((uint64_t)1 << (w & 63));
  if (v == 0) {
    ch->nonzero[w >> 6] &= ~((uint64_t)1 << (w & 63));
  }
  if (--ch->free == 0) {
    phys_hint_after_loss(self);
  }
}

#endif  // MM_PHYS_SPAN_H
