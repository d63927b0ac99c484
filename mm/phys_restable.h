// phys_restable.h: the runtime allocator's reservation table (phys_restable.c). Private to //mm.
//
// The shared sorted table of res_table.h, kept with prefix maxima, plus the block it lives in. It grows
// itself, through the phys_frame_source passed to phys_res_grow, and records its own block in itself
// ("phys.reserved"). Its fields are written by phys_restable.c only.
#ifndef MM_PHYS_RESTABLE_H
#define MM_PHYS_RESTABLE_H

#include "mm/phys_types.h"
#include "mm/res_table.h"

typedef struct phys_res {
  mm_res_table table;  // entries sorted by (base, end), with prefix maxima
  phys_block block;    // entries, then the prefix maxima after them
} phys_res;

// One reservation-table slot: the entry plus its prefix maximum of ends.
#define PHYS_RES_SLOT_BYTES MM_RES_TABLE_INDEXED_SLOT_BYTES

// Makes `entries` (`count` of them, sorted by (base, end)) the table, stored in `storage` (mapped, `block`
// describes it) with prefix maxima. False, nothing changed, when the storage holds fewer than `count` + 1
// slots (one is kept for the table's own entry when it grows).
bool phys_res_init(phys_res *self, const mm_reservation *entries, uint64_t count, void *storage, phys_block block);
// Slots in use / free.
static inline uint64_t phys_res_count(const phys_res *self) { return self->table.count; }
static inline uint64_t phys_res_spare(const phys_res *self) { return self->table.capacity - self->table.count; }
// The lowest-based entry intersecting [base, end), or NULL. O(log n). The pointer is valid until the table
// next changes.
static inline const mm_reservation *phys_res_find(const phys_res *self, phys_addr_t base, phys_addr_t end) {
  return mm_res_table_find(&self->table, base, end);
}
static inline bool phys_res_touches(const phys_res *self, phys_addr_t base, phys_addr_t end) {
  return phys_res_find(self, base, end) != 0;
}
// Recomputes the prefix maxima from index `from` on.
void phys_res_recompute_maxend(phys_res *self, uint64_t from);
// Inserts an entry in (base, end) order; the caller guarantees a free slot (panics otherwise).
void phys_res_insert(phys_res *self, phys_addr_t base, phys_addr_t end, mm_reservation_kind kind, const char *label);
// Removes the bookkeeping entry exactly covering [base, end); panics if there is none.
void phys_res_remove_bookkeeping(phys_res *self, phys_addr_t base, phys_addr_t end);
// Moves the table into storage for twice its capacity (plus 2 * `spare`) taken from `src` (unrecorded), records
// that block in itself as MM_RES_BOOKKEEPING "phys.reserved" and gives the old block back to `src`. False,
// nothing changed, when `src` has no frames.
bool phys_res_grow(phys_res *self, uint64_t spare, const phys_frame_source *src);
// Calls fn for each maximal piece of [base, end) that no reservation covers, in ascending order. fn may change
// the table (reclaim tops up spare slots): each entry's bounds are read before fn runs.
typedef void (*phys_piece_fn)(void *ctx, phys_addr_t base, phys_addr_t end);
void phys_for_each_unreserved(const phys_res *self, phys_addr_t base, phys_addr_t end, phys_piece_fn fn, void *ctx);

#endif  // MM_PHYS_RESTABLE_H
