// phys_fs_iter.c: iteration over the free set, runs, bitmap bit-runs and parked ranges merged in ascending
// order with adjacent pieces coalesced, so callers see maximal free runs whatever the representation.
#include "mm/phys_freeset.h"

typedef struct fs_cursor {
  uint64_t run;
  uint64_t span;
  uint64_t bit;
  phys_addr_t parked;
} fs_cursor;

void phys_fs_for_each(const phys_free_set *self, mm_range_fn fn, void *ctx) {
  fs_cursor cur = {0, 0, 0, self->parked.head};
  mm_range pending = {0, 0};
  bool have = false;
  for (;;) {
    mm_range piece = {PHYS_NONE, PHYS_NONE};
    int src = -1;
    if (cur.run < self->run_count) {
      piece.base = self->runs[cur.run].base;
      piece.end = self->runs[cur.run].end;
      src = 0;
    }
    mm_range bp = {PHYS_NONE, PHYS_NONE};
    while (cur.span < self->spans.count) {
      const phys_span *ch = &self->spans.items[cur.span];
      uint64_t b = phys_bit_next_set(ch, cur.bit);
      if (b >= PHYS_SPAN_FRAMES) {
        cur.span++;
        cur.bit = 0;
        continue;
      }
      uint64_t e = phys_bit_next_clear(ch, b);
      bp.base = ch->base + (b << MM_FRAME_SHIFT);
      bp.end = ch->base + (e << MM_FRAME_SHIFT);
      break;
    }
    if (bp.base < piece.base) {
      piece = bp;
      src = 1;
    }
    if (cur.parked != PHYS_NONE && cur.parked < piece.base) {
      piece.base = cur.parked;
      piece.end = phys_parked_at(&self->parked, cur.parked)->end;
      src = 2;
    }
    if (src < 0) {
      break;
    }
    if (src == 0) {
      cur.run++;
    } else if (src == 1) {
      cur.bit = (piece.end - self->spans.items[cur.span].base) >> MM_FRAME_SHIFT;
    } else {
      cur.parked = phys_parked_at(&self->parked, cur.parked)->next;
    }
    if (have && pending.end == piece.base) {
      pending.end = piece.end;
      continue;
    }
    if (have && !fn(ctx, pending)) {
      return;
    }
    pending = piece;
    have = true;
  }
  if (have) {
    fn(ctx, pending);
  }
}
