// phys_parked.h: parked ranges (phys_parked.c). Private to //mm.
#ifndef MM_PHYS_PARKED_H
#define MM_PHYS_PARKED_H

#include "mm/phys_state.h"

// The node of the parked range starting at `at` (panics when the window cannot map it).
phys_parked_node *phys_parked_at(const mm_phys_allocator *a, phys_addr_t at);
// Inserts [x, y) into the sorted list. Needs no storage: the node lives at x.
void phys_parked_insert(mm_phys_allocator *a, phys_addr_t x, phys_addr_t y);
// Removes the frames of [x, y) from parked ranges; sets them in `into`'s bitmap when given (span conversion).
// Returns the number of frames removed.
uint64_t phys_parked_remove(mm_phys_allocator *a, phys_addr_t x, phys_addr_t y, phys_span *into);
// Parked frames inside [x, y).
uint64_t phys_parked_count(const mm_phys_allocator *a, phys_addr_t x, phys_addr_t y);

#endif  // MM_PHYS_PARKED_H
