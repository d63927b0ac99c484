// phys_restable.h: the runtime allocator's reservation table (phys_restable.c). Private to //mm.
#ifndef MM_PHYS_RESTABLE_H
#define MM_PHYS_RESTABLE_H

#include "mm/phys_state.h"
#include "mm/res_table.h"

// The lowest-based entry intersecting [base, end), or NULL. O(log n).
static inline const mm_reservation *phys_res_find(const mm_phys_allocator *a, phys_addr_t base, phys_addr_t end) {
  return mm_res_table_find(&a->res, base, end);
}
static inline bool phys_res_touches(const mm_phys_allocator *a, phys_addr_t base, phys_addr_t end) {
  return phys_res_find(a, base, end) != 0;
}
// Recomputes the prefix maxima from index `from` on.
void phys_res_recompute_maxend(mm_phys_allocator *a, uint64_t from);
// Inserts an entry in (base, end) order; the caller guarantees a free slot (panics otherwise).
void phys_res_insert(mm_phys_allocator *a, phys_addr_t base, phys_addr_t end, mm_reservation_kind kind,
                     const char *label);
// Removes the bookkeeping entry exactly covering [base, end); panics if there is none.
void phys_res_remove_bookkeeping(mm_phys_allocator *a, phys_addr_t base, phys_addr_t end);
// Calls fn for each maximal piece of [base, end) that no reservation covers. fn may grow the table.
typedef void (*phys_piece_fn)(mm_phys_allocator *a, phys_addr_t base, phys_addr_t end, void *ctx);
void phys_for_each_unreserved(mm_phys_allocator *a, phys_addr_t base, phys_addr_t end, phys_piece_fn fn,
                              void *ctx);

#endif  // MM_PHYS_RESTABLE_H
