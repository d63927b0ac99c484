// phys_restable.c: the runtime allocator's reservation table: the shared sorted table of res_table.c with
// prefix maxima, so "does [b, e) touch a reservation" and "which reservation holds f" are binary searches.
// Storage comes from above (phys_grow.c moves the table into larger storage it took); this file never allocates.
#include "mm/phys_restable.h"

// phys_res_find and phys_res_touches are static inline in phys_restable.h.

void phys_res_recompute_maxend(mm_phys_allocator *a, uint64_t from) {
  mm_res_table_recompute(&a->res, from);
}

void phys_res_insert(mm_phys_allocator *a, phys_addr_t base, phys_addr_t end, mm_reservation_kind kind,
                     const char *label) {
  if (!mm_res_table_insert(&a->res, base, end, kind, label)) {
    mm_panic("phys_res_insert", "reservation table full (caller must ensure a slot)");
  }
}

// Removes the bookkeeping entry exactly covering [base, end); panics if there is none.
void phys_res_remove_bookkeeping(mm_phys_allocator *a, phys_addr_t base, phys_addr_t end) {
  uint64_t i = mm_res_table_index_of(&a->res, base, end, MM_RES_BOOKKEEPING, 0);
  if (i == a->res.count) {
    mm_panic("phys_res_remove_bookkeeping", "released block has no bookkeeping reservation");
  }
  mm_res_table_remove_at(&a->res, i);
}

// Calls fn for each maximal piece of [base, end) that no reservation covers.
void phys_for_each_unreserved(mm_phys_allocator *a, phys_addr_t base, phys_addr_t end, phys_piece_fn fn,
                              void *ctx) {
  phys_addr_t pos = base;
  while (pos < end) {
    const mm_reservation *r = phys_res_find(a, pos, end);
    if (r == 0) {
      fn(a, pos, end, ctx);
      return;
    }
    // fn may grow the table (reclaim tops up spare slots): copy the entry's bounds before calling it.
    phys_addr_t rb = r->base, re = r->end;
    if (rb > pos) {
      fn(a, pos, rb, ctx);
    }
    pos = re;
  }
}

