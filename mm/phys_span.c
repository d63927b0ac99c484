// phys_span.c: bitmap spans, the free set's representation for fragmented 128 MiB spans (PHYS_SPAN_FRAMES
// frames, one bit per frame in one 4 KiB frame, 1 = free), with a free counter and two 512-bit summaries
// ("word nonzero", "word all-free") that make single-frame and aligned searches a few word scans. This file
// holds the primitives on one span and the span table (search, hint, insertion, growth through an injected
// frame source).
#include "mm/phys_span.h"

#include "mm/log.h"

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

void phys_hint_reset(phys_span_table *self) {
  self->hint = 0;
  phys_hint_after_loss(self);
}

// ---------------------------------------------------------------------------------------------------------
// The table.

phys_span *phys_span_table_insert(phys_span_table *self, phys_addr_t base, uint64_t *bits, phys_addr_t bits_phys) {
  uint64_t ci = phys_span_lower(self, base);
  if (self->count >= self->cap || (ci < self->count && self->items[ci].base == base)) {
    mm_panic("phys_span_table_insert", "no free slot, or the span exists");
  }
  mm_memmove(&self->items[ci + 1], &self->items[ci], (self->count - ci) * sizeof(phys_span));
  // Marks [ci, count) move up one bit; the new span's mark is clear. Bit `count` is clear and count < cap, so
  // nothing is shifted out of the last word.
  for (uint32_t set = 0; set < PHYS_SPAN_MARK_SETS; set++) {
    uint64_t *marks = phys_span_marks_of(self, set);
    for (uint64_t k = self->count >> 6; k > (ci >> 6); k--) {
      marks[k] = (marks[k] << 1) | (marks[k - 1] >> 63);
    }
    uint64_t low = ((uint64_t)1 << (ci & 63)) - 1, word = marks[ci >> 6];
    marks[ci >> 6] = (word & low) | ((word & ~low) << 1);
  }
  self->count++;
  phys_span *ch = &self->items[ci];
  mm_memset(ch, 0, sizeof(*ch));
  ch->base = base;
  ch->bits = bits;
  ch->bits_phys = bits_phys;
  mm_memset(bits, 0, MM_FRAME_SIZE);
  if (ci < self->hint) {
    self->hint++;  // the new span is empty: the spans below the old hint still have no free frame
  }
  return ch;
}

bool phys_span_table_grow(phys_span_table *self, const phys_frame_source *src) {
  uint64_t min = MM_FRAME_SIZE / sizeof(phys_span);
  uint64_t want = self->cap * 2 > min ? self->cap * 2 : min;
  uint64_t frames = phys_frames_for(want * sizeof(phys_span) +
                                    PHYS_SPAN_MARK_SETS * phys_span_mark_words(want) * sizeof(uint64_t));
  phys_addr_t phys;
  void *ptr;
  if (!src->take(src->ctx, frames, "phys.spans", &phys, &ptr)) {
    return false;
  }
  uint64_t bytes = frames << MM_FRAME_SHIFT;
  uint64_t cap = bytes / sizeof(phys_span);
  while (cap * sizeof(phys_span) + PHYS_SPAN_MARK_SETS * phys_span_mark_words(cap) * sizeof(uint64_t) > bytes) {
    cap--;
  }
  mm_memcpy(ptr, self->items, self->count * sizeof(phys_span));
  uint64_t *marks = (uint64_t *)((phys_span *)ptr + cap);
  mm_memset(marks, 0, PHYS_SPAN_MARK_SETS * phys_span_mark_words(cap) * sizeof(uint64_t));
  for (uint32_t set = 0; set < PHYS_SPAN_MARK_SETS && self->count != 0; set++) {
    mm_memcpy(marks + set * phys_span_mark_words(cap), phys_span_marks_of(self, set),
              phys_span_mark_words(self->count) * sizeof(uint64_t));
  }
  phys_block old = self->block;
  self->items = (phys_span *)ptr;
  self->cap = cap;
  self->block = (phys_block){phys, frames << MM_FRAME_SHIFT, false};
  debug_structured(LOG_DEBUG, "mm.phys_grow", KV_S("table", "spans"), KV_U("capacity", self->cap), KV_X("phys", phys),
                   KV_U("bytes", frames << MM_FRAME_SHIFT));
  src->give_back(src->ctx, old);
  return true;
}
