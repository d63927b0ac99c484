// phys_restable.c: the runtime allocator's reservation table, sorted by (base, end) with a prefix maximum of
// ends so that "does [b, e) touch a reservation" and "which reservation holds f" are binary searches.
// Storage comes from above (phys_grow.c grows it); this file never allocates.
#include "mm/phys_restable.h"

const mm_reservation *phys_res_find(const mm_phys_allocator *a, phys_addr_t base, phys_addr_t end) {
  uint64_t lo = 0, hi = a->res_count;
  while (lo < hi) {  // first index whose prefix maximum of ends passes base
    uint64_t mid = lo + (hi - lo) / 2;
    if (a->res_maxend[mid] > base) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  if (lo < a->res_count && a->res[lo].base < end) {
    return &a->res[lo];
  }
  return 0;
}

bool phys_res_touches(const mm_phys_allocator *a, phys_addr_t base, phys_addr_t end) {
  return phys_res_find(a, base, end) != 0;
}

void phys_res_recompute_maxend(mm_phys_allocator *a, uint64_t from) {
  uint64_t m = from == 0 ? 0 : a->res_maxend[from - 1];
  for (uint64_t i = from; i < a->res_count; i++) {
    if (a->res[i].end > m) {
      m = a->res[i].end;
    }
    a->res_maxend[i] = m;
  }
}

void phys_res_insert(mm_phys_allocator *a, phys_addr_t base, phys_addr_t end, mm_reservation_kind kind,
                     const char *label) {
  if (a->res_count >= a->res_cap) {
    mm_panic("phys_res_insert", "reservation table full (caller must ensure a slot)");
  }
  uint64_t lo = 0, hi = a->res_count;
  while (lo < hi) {  // upper bound by (base, end)
    uint64_t mid = lo + (hi - lo) / 2;
    const mm_reservation *e = &a->res[mid];
    if (e->base < base || (e->base == base && e->end <= end)) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  mm_memmove(&a->res[lo + 1], &a->res[lo], (a->res_count - lo) * sizeof(mm_reservation));
  mm_reservation *e = &a->res[lo];
  mm_memset(e, 0, sizeof(*e));
  e->base = base;
  e->end = end;
  e->kind = kind;
  mm_reservation_copy_label(e->label, label);
  a->res_count++;
  phys_res_recompute_maxend(a, lo);
}

// Removes the bookkeeping entry exactly covering [base, end); panics if there is none.
void phys_res_remove_bookkeeping(mm_phys_allocator *a, phys_addr_t base, phys_addr_t end) {
  for (uint64_t i = 0; i < a->res_count; i++) {
    const mm_reservation *e = &a->res[i];
    if (e->base == base && e->end == end && e->kind == MM_RES_BOOKKEEPING) {
      mm_memmove(&a->res[i], &a->res[i + 1], (a->res_count - i - 1) * sizeof(mm_reservation));
      a->res_count--;
      phys_res_recompute_maxend(a, i);
      return;
    }
  }
  mm_panic("phys_res_remove_bookkeeping", "released block has no bookkeeping reservation");
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

