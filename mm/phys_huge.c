// phys_huge.c: the search of the index of fully free 2 MiB blocks (phys_huge.h): find-first-set over the span
// marks, then one mask.
#include "mm/phys_huge.h"

// First span index >= from whose mark in `set` is set, or t->count.
static uint64_t next_marked_in(const phys_span_table *t, uint32_t set, uint64_t from) {
  const uint64_t *marks = phys_span_marks_of(t, set);
  uint64_t words = phys_span_mark_words(t->count);
  uint64_t k = from >> 6;
  if (k >= words) {
    return t->count;
  }
  uint64_t v = marks[k] & (~(uint64_t)0 << (from & 63));
  while (v == 0) {
    if (++k >= words) {
      return t->count;
    }
    v = marks[k];
  }
  return (k << 6) + (uint64_t)__builtin_ctzll(v);  // bits at and above count are clear
}

static uint64_t next_marked(const phys_span_table *t, uint64_t from) {
  return next_marked_in(t, PHYS_HUGE_MARK_WHOLE, from);
}

phys_addr_t phys_huge_next(const phys_span_table *t, phys_addr_t x) {
  if (t->count == 0) {
    return PHYS_NONE;
  }
  // The first marked span at all, before any binary search: with no whole block anywhere (a fragmented
  // machine) the search ends here.
  uint64_t idx = next_marked(t, 0);
  if (idx < t->count && phys_span_end(t->items[idx].base) <= x) {
    idx = next_marked(t, phys_span_lower(t, x));
  }
  for (; idx < t->count; idx = next_marked(t, idx + 1)) {
    const phys_span *c = &t->items[idx];
    uint64_t mask = phys_huge_span_mask(c);
    if (c->base < x) {  // only the span holding x is cut: blocks starting at or above x
      uint64_t first = (x - c->base + PHYS_HUGE_BYTES - 1) / PHYS_HUGE_BYTES;
      mask = first >= PHYS_HUGE_PER_SPAN ? 0 : mask & (~(uint64_t)0 << first);
    }
    if (mask != 0) {
      return c->base + (uint64_t)__builtin_ctzll(mask) * PHYS_HUGE_BYTES;
    }
  }
  return PHYS_NONE;
}

bool phys_huge_first_broken(phys_span_table *t, uint64_t *idx, uint64_t *frame) {
  if (t->count == 0) {
    return false;
  }
  for (uint64_t i = next_marked_in(t, PHYS_HUGE_MARK_BROKEN, 0); i < t->count;
       i = next_marked_in(t, PHYS_HUGE_MARK_BROKEN, i + 1)) {
    const phys_span *c = &t->items[i];
    for (uint64_t j = 0; j < PHYS_SUMMARY_WORDS; j++) {
      if (c->nonzero[j] == 0) {
        continue;  // 8 blocks without a free frame (most of a busy span): no need for the byte masks
      }
      uint64_t cand = phys_huge_bytes_any(c->nonzero[j]) & ~phys_huge_bytes_full(c->full[j]);
      if (cand == 0) {
        continue;
      }
      uint64_t shift = (uint64_t)__builtin_ctzll(cand);  // 8 * the block's byte
      uint64_t words = (c->nonzero[j] >> shift) & 0xff;   // non-empty words of that block
      uint64_t w = j * 64 + shift + (uint64_t)__builtin_ctzll(words);
      *idx = i;
      *frame = (w << 6) + (uint64_t)__builtin_ctzll(c->bits[w]);
      return true;
    }
    phys_huge_set_mark(t, PHYS_HUGE_MARK_BROKEN, i, false);  // stale: no broken block left in this span
  }
  return false;
}
