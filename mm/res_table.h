// res_table.h: the one sorted reservation table, used before the hand-off (mm_reservation_set, reservations.c)
// and inside the runtime allocator (phys_restable.c).
//
// Entries are sorted by base, then end, and may overlap. With a parallel prefix maximum of ends
// (maxend[i] = max(entries[0..i].end)) intersection queries are a binary search; without one (maxend NULL,
// the early stages' caller arrays) they scan from the front.
//
// Storage is the owner's, by design, and mm_res_table_move is the one way a table changes storage. The table
// has two owners with different memory: before the hand-off mm_reservation_set hands it a fixed caller array
// (there is no allocator yet, and a full table is an error the caller reports), after it the runtime
// allocator's phys_res (phys_restable.h) grows it through the phys_frame_source it is given, moving it with
// mm_res_table_move and recording the new block in the table itself. Putting a frame source in here would
// give the early stages a callback they can never honour and make this file depend on the allocator's types;
// the growable table is phys_res, and only phys_restable.c calls mm_res_table_move.
#ifndef MM_RES_TABLE_H
#define MM_RES_TABLE_H

#include "mm/reservations.h"

typedef struct mm_res_table {
  mm_reservation *entries;
  uint64_t *maxend;  // NULL, or `capacity` prefix maxima kept in step with `entries`
  uint64_t count;
  uint64_t capacity;
} mm_res_table;

// Bytes per slot when the table keeps prefix maxima (entry + maximum).
#define MM_RES_TABLE_INDEXED_SLOT_BYTES ((uint64_t)(sizeof(mm_reservation) + sizeof(uint64_t)))

// Index of the first entry ordered strictly after (base, end): equal entries stay in insertion order.
uint64_t mm_res_table_upper_bound(const mm_res_table *t, phys_addr_t base, phys_addr_t end);

// Inserts {base, end, kind, label} in order. Returns false (nothing changed) when the table is full.
bool mm_res_table_insert(mm_res_table *t, phys_addr_t base, phys_addr_t end, mm_reservation_kind kind,
                         const char *label);

// Removes entry i (i < count), keeping order and maxima.
void mm_res_table_remove_at(mm_res_table *t, uint64_t i);

// Index of an entry equal to {base, end, kind} and, when label is not NULL, that label (compared after
// truncation); `count` when there is none.
uint64_t mm_res_table_index_of(const mm_res_table *t, phys_addr_t base, phys_addr_t end, mm_reservation_kind kind,
                               const char *label);

// The first entry (lowest base, then lowest end) intersecting [base, end), or NULL. O(log n) with maxima.
// Static inline: the allocator checks every free and fixed allocation against the table with it.
static inline const mm_reservation *mm_res_table_find(const mm_res_table *t, phys_addr_t base, phys_addr_t end) {
  if (base >= end) {
    return 0;
  }
  if (t->maxend == 0) {
    for (uint64_t i = 0; i < t->count; i++) {
      const mm_reservation *e = &t->entries[i];
      if (e->base >= end) {
        break;  // sorted by base: nothing later can start before `end`
      }
      if (e->end > base) {
        return e;
      }
    }
    return 0;
  }
  if (t->count == 0 || t->maxend[t->count - 1] <= base) {
    return 0;  // every entry ends at or below base (memory above all reservations): no search
  }
  uint64_t lo = 0, hi = t->count;
  while (lo < hi) {  // first index whose prefix maximum of ends passes base: the first entry ending after it
    uint64_t mid = lo + (hi - lo) / 2;
    if (t->maxend[mid] > base) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo < t->count && t->entries[lo].base < end ? &t->entries[lo] : 0;
}

// Recomputes the prefix maxima from index `from` on (no-op without maxima).
void mm_res_table_recompute(mm_res_table *t, uint64_t from);

// Moves the entries into `storage` (`bytes` long, laid out as entries then prefix maxima) and recomputes the
// maxima there; capacity becomes bytes / MM_RES_TABLE_INDEXED_SLOT_BYTES. Returns false (nothing changed)
// when that capacity is below `count`.
bool mm_res_table_move(mm_res_table *t, void *storage, uint64_t bytes);

#endif  // MM_RES_TABLE_H
