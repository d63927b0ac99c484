// phys_huge.h: the index of fully free 2 MiB blocks in bitmap spans (phys_huge.c). Private to //mm.
//
// A 2 MiB block is PHYS_HUGE_FRAMES = 512 frames at a 2 MiB-aligned address: 8 bitmap words, so block k of a
// span is fully free exactly when byte k of the span's "word all-free" summary is 0xff. The per-span mask of
// fully free blocks is therefore derived from the summary (8 words, no storage of its own), and the layer
// keeps one mark per span in the span table (phys_span_marks: set iff the span holds a fully free block), so
// "the lowest fully free 2 MiB block at or above x" is a find-first-set over the marks plus one mask: it never
// looks at a span without a whole free block. The free set calls the update helpers after every change to a
// span's bits; the marks are checked against the summaries by mm_phys_check_invariants.
//
// Layer: above phys_span.h, below phys_freeset.h. Runs keep no index: the free set scans its (few, coarse)
// runs itself (phys_fs_find).
#ifndef MM_PHYS_HUGE_H
#define MM_PHYS_HUGE_H

#include "mm/phys_span.h"

#define PHYS_HUGE_SHIFT 9u                                  // frames per block, log2
#define PHYS_HUGE_FRAMES ((uint64_t)1 << PHYS_HUGE_SHIFT)   // 512 frames
#define PHYS_HUGE_BYTES (PHYS_HUGE_FRAMES << MM_FRAME_SHIFT)  // 2 MiB
#define PHYS_HUGE_PER_SPAN (PHYS_SPAN_FRAMES / PHYS_HUGE_FRAMES)  // 64 blocks per span: one 64-bit mask

_Static_assert(PHYS_HUGE_PER_SPAN == 64, "one mask word per span");
_Static_assert(PHYS_HUGE_FRAMES / 64 == 8, "a block is one byte of the 512-bit summary");

// Bit 8i of the result is set iff byte i of `s` is 0xff (other bits clear).
static inline uint64_t phys_huge_bytes_full(uint64_t s) {
  s &= s >> 1;
  s &= s >> 2;
  s &= s >> 4;
  return s & 0x0101010101010101ull;
}

// Bit k set iff block k of span `c` is fully free.
static inline uint64_t phys_huge_span_mask(const phys_span *c) {
  uint64_t mask = 0;
  for (uint64_t j = 0; j < PHYS_SUMMARY_WORDS; j++) {
    // Gathers bit 8i into bit i (the multiply sums shifted copies that never collide below bit 64).
    uint64_t t = phys_huge_bytes_full(c->full[j]);
    mask |= ((t * 0x0102040810204080ull) >> 56) << (8 * j);
  }
  return mask;
}

static inline void phys_huge_set_mark(phys_span_table *t, uint64_t idx, bool on) {
  uint64_t bit = (uint64_t)1 << (idx & 63);
  if (on) {
    phys_span_marks(t)[idx >> 6] |= bit;
  } else {
    phys_span_marks(t)[idx >> 6] &= ~bit;
  }
}

// Recomputes span idx's mark from its summary: after a range update of its bits.
static inline void phys_huge_refresh(phys_span_table *t, uint64_t idx) {
  phys_huge_set_mark(t, idx, phys_huge_span_mask(&t->items[idx]) != 0);
}

// Word w of span idx just became all-free (one frame was set): its block may now be fully free.
static inline void phys_huge_after_word_full(phys_span_table *t, uint64_t idx, uint64_t w) {
  uint64_t byte = (t->items[idx].full[w >> 6] >> (w & 56)) & 0xff;
  if (byte == 0xff) {
    phys_huge_set_mark(t, idx, true);
  }
}

// One frame was taken from word w of span idx, which was all-free before: its block, if it was fully free, is
// broken now, and the span keeps its mark only if another block is fully free.
static inline void phys_huge_after_word_broken(phys_span_table *t, uint64_t idx) {
  if (phys_span_marked(t, idx)) {
    phys_huge_refresh(t, idx);
  }
}

// The lowest address >= x of a fully free 2 MiB block in a bitmap span, or PHYS_NONE.
phys_addr_t phys_huge_next(const phys_span_table *t, phys_addr_t x);

#endif  // MM_PHYS_HUGE_H
