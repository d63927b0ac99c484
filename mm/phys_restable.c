// phys_restable.c: the runtime allocator's reservation table: the shared sorted table of res_table.c with
// prefix maxima, so "does [b, e) touch a reservation" and "which reservation holds f" are binary searches.
// It grows through the frame source it is given (res_table.h says why the shared table itself never allocates).
#include "mm/phys_restable.h"

#include "mm/log.h"

bool phys_res_init(phys_res *self, const mm_reservation *entries, uint64_t count, void *storage, phys_block block) {
  if (block.bytes / PHYS_RES_SLOT_BYTES < count + 1) {
    return false;
  }
  mm_res_table t = {(mm_reservation *)entries, 0, count, count};
  mm_res_table_move(&t, storage, block.bytes);  // fits: checked just above
  self->table = t;
  self->block = block;
  return true;
}

// phys_res_find and phys_res_touches are static inline in phys_restable.h.

void phys_res_recompute_maxend(phys_res *self, uint64_t from) { mm_res_table_recompute(&self->table, from); }

void phys_res_insert(phys_res *self, phys_addr_t base, phys_addr_t end, mm_reservation_kind kind, const char *label) {
  if (!mm_res_table_insert(&self->table, base, end, kind, label)) {
    mm_panic("phys_res_insert", "reservation table full (caller must ensure a slot)");
  }
}

void phys_res_remove_bookkeeping(phys_res *self, phys_addr_t base, phys_addr_t end) {
  uint64_t i = mm_res_table_index_of(&self->table, base, end, MM_RES_BOOKKEEPING, 0);
  if (i == self->table.count) {
    mm_panic("phys_res_remove_bookkeeping", "released block has no bookkeeping reservation");
  }
  mm_res_table_remove_at(&self->table, i);
}

bool phys_res_grow(phys_res *self, uint64_t spare, const phys_frame_source *src) {
  uint64_t cap = self->table.capacity;
  uint64_t want = cap * 2 > cap + 2 * spare ? cap * 2 : cap + 2 * spare;
  uint64_t frames = phys_frames_for(want * PHYS_RES_SLOT_BYTES);
  phys_addr_t phys;
  void *ptr;
  if (!src->take(src->ctx, frames, 0, &phys, &ptr)) {
    return false;
  }
  // The table moves into the new frames (entries, then maxima) and records them in itself.
  if (!mm_res_table_move(&self->table, ptr, frames << MM_FRAME_SHIFT)) {
    mm_panic("phys_res_grow", "a doubled table holds fewer entries than the old one");
  }
  phys_block old = self->block;
  self->block = (phys_block){phys, frames << MM_FRAME_SHIFT, false};
  phys_res_insert(self, phys, phys + (frames << MM_FRAME_SHIFT), MM_RES_BOOKKEEPING, "phys.reserved");
  debug_structured(LOG_DEBUG, "mm.phys_grow", KV_S("table", "reserved"), KV_U("capacity", self->table.capacity),
                   KV_X("phys", phys), KV_U("bytes", frames << MM_FRAME_SHIFT));
  src->give_back(src->ctx, old);
  return true;
}

void phys_for_each_unreserved(const phys_res *self, phys_addr_t base, phys_addr_t end, phys_piece_fn fn, void *ctx) {
  phys_addr_t pos = base;
  while (pos < end) {
    const mm_reservation *r = phys_res_find(self, pos, end);
    if (r == 0) {
      fn(ctx, pos, end);
      return;
    }
    // fn may grow the table: copy the entry's bounds before calling it.
    phys_addr_t rb = r->base, re = r->end;
    if (rb > pos) {
      fn(ctx, pos, rb);
    }
    pos = re;
  }
}
