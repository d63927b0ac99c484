// phys_huge.h: the index of fully free 2 MiB blocks in bitmap spans (phys_huge.c). Private to //mm.
//
// A 2 MiB block is PHYS_HUGE_FRAMES = 512 frames at a 2 MiB-aligned address: 8 bitmap words, so block k of a
// span is fully free exactly when byte k of the span's "word all-free" summary is 0xff, and has a free frame
// exactly when byte k of its "word nonzero" summary is not 0. The per-span masks of whole blocks and of broken
// blocks with room are therefore derived from the summaries (no storage of their own), and the layer keeps two
// marks per span in the span table (phys_span_marks_of): "holds a fully free block" and "holds a broken block
// with room". "The lowest fully free 2 MiB block at or above x" is then a find-first-set over the marks plus
// one mask, never a look at a span without a whole free block; "the lowest frame of a broken block" (the
// anti-fragmentation policy of mm_phys_alloc_frame) is the same over the other marks. The free set calls the update
// helpers after every change to a span's bits; the marks are checked against the summaries by mm_phys_check_invariants.
//
// Layer: above phys_span.h, below phys_freeset.h. Runs keep no index: the free set scans its (few, coarse)
// runs itself (phys_fs_find).
#ifndef MM_PHYS_HUGE_H
#define MM_PHYS_HUGE_H

#include "mm/phys_span.h"

#define PHYS_HUGE_SHIFT 9u  // frames per block, log2
#define PHYS_HUGE_FRAMES ((uint64_t)1 << PHYS_HUGE_SHIFT)  // 512 frames
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

// Bit 8i of the result is set iff byte i of `s` is not 0.
static inline uint64_t phys_huge_bytes_any(uint64_t s) {
  s |= s >> 1;
  s |= s >> 2;
  s |= s >> 4;
  return s & 0x0101010101010101ull;
}

// Mark sets in the span table: whole = the span holds a fully free block (exact); broken = set whenever the
// span holds a broken block with room (a block with free frames that is not fully free), and possibly for a
// while after it no longer does (cleared lazily by the search, so the single-frame paths never rescan a span
// when a block fills or empties).
#define PHYS_HUGE_MARK_WHOLE 0u
#define PHYS_HUGE_MARK_BROKEN 1u
_Static_assert(PHYS_SPAN_MARK_SETS == 2, "the span table stores both mark sets");

// Bit k set iff block k of span `c` has a free frame and is not fully free.
static inline uint64_t phys_huge_span_broken(const phys_span *c) {
  uint64_t mask = 0;
  for (uint64_t j = 0; j < PHYS_SUMMARY_WORDS; j++) {
    uint64_t t = phys_huge_bytes_any(c->nonzero[j]) & ~phys_huge_bytes_full(c->full[j]);
    mask |= ((t * 0x0102040810204080ull) >> 56) << (8 * j);
  }
  return mask;
}

// Whether span `c` holds a whole block / a broken block with room: the masks above without gathering bits
// (the single-frame paths ask this when a block changes state).
static inline bool phys_huge_span_has_whole(const phys_span *c) {
  uint64_t any = 0;
  for (uint64_t j = 0; j < PHYS_SUMMARY_WORDS; j++) {
    any |= phys_huge_bytes_full(c->full[j]);
  }
  return any != 0;
}
static inline bool phys_huge_span_has_broken(const phys_span *c) {
  uint64_t any = 0;
  for (uint64_t j = 0; j < PHYS_SUMMARY_WORDS; j++) {
    any |= phys_huge_bytes_any(c->nonzero[j]) & ~phys_huge_bytes_full(c->full[j]);
  }
  return any != 0;
}

static inline void phys_huge_set_mark(phys_span_table *t, uint32_t set, uint64_t idx, bool on) {
  uint64_t bit = (uint64_t)1 << (idx & 63);
  if (on) {
    phys_span_marks_of(t, set)[idx >> 6] |= bit;
  } else {
    phys_span_marks_of(t, set)[idx >> 6] &= ~bit;
  }
}

// Recomputes both marks of span idx from its summaries (exactly): after a range update of its bits.
static inline void phys_huge_refresh(phys_span_table *t, uint64_t idx) {
  phys_huge_set_mark(t, PHYS_HUGE_MARK_WHOLE, idx, phys_huge_span_has_whole(&t->items[idx]));
  phys_huge_set_mark(t, PHYS_HUGE_MARK_BROKEN, idx, phys_huge_span_has_broken(&t->items[idx]));
}

// Byte of a summary for the block holding bitmap word w (one bit per word of the block).
static inline uint64_t phys_huge_summary_byte(const uint64_t s[PHYS_SUMMARY_WORDS], uint64_t w) {
  return (s[w >> 6] >> (w & 56)) & 0xff;
}
// Whether the block holding bitmap word w of `c` is fully free.
static inline bool phys_huge_block_whole(const phys_span *c, uint64_t w) {
  return phys_huge_summary_byte(c->full, w) == 0xff;
}

// One frame was set in word w of span idx (phys_span_set_one): the block either became fully free (whole mark
// set) or has room and is not whole (broken mark set).
static inline void phys_huge_after_set(phys_span_table *t, uint64_t idx, uint64_t w) {
  const phys_span *c = &t->items[idx];
  if (c->bits[w] == ~(uint64_t)0 && phys_huge_block_whole(c, w)) {
    phys_huge_set_mark(t, PHYS_HUGE_MARK_WHOLE, idx, true);
  } else {
    phys_huge_set_mark(t, PHYS_HUGE_MARK_BROKEN, idx, true);
  }
}

// One frame was taken from word w of span idx; `was_whole` is phys_huge_block_whole from before. A whole block
// is broken now (broken mark set, whole mark recomputed). A broken block that lost its last free frame leaves
// the broken mark as it is unless the span has no free frame at all: phys_huge_first_broken clears it when it
// finds no broken block behind it.
static inline void phys_huge_after_take(phys_span_table *t, uint64_t idx, uint64_t w, bool was_whole) {
  (void)w;
  if (was_whole) {
    phys_huge_set_mark(t, PHYS_HUGE_MARK_BROKEN, idx, true);
    phys_huge_set_mark(t, PHYS_HUGE_MARK_WHOLE, idx, phys_huge_span_has_whole(&t->items[idx]));
  } else if (t->items[idx].free == 0) {
    phys_huge_set_mark(t, PHYS_HUGE_MARK_BROKEN, idx, false);  // no free frame left: no broken block, exactly
  }
}

// The lowest free frame of a broken block in the bitmap spans: its span index in *idx and frame index in
// *frame. False when no span holds a broken block with room. Clears the broken marks of the spans it passes
// that hold none (single-frame paths leave them set, see phys_huge_after_take).
bool phys_huge_first_broken(phys_span_table *t, uint64_t *idx, uint64_t *frame);

// The lowest address >= x of a fully free 2 MiB block in a bitmap span, or PHYS_NONE.
phys_addr_t phys_huge_next(const phys_span_table *t, phys_addr_t x);

#endif  // MM_PHYS_HUGE_H
