// phys_parked.h: parked ranges (phys_parked.c), the free set's last resort. Private to //mm.
//
// A sorted singly linked list of free ranges whose nodes live in each range's own first frame, so recording a
// range needs no bookkeeping space. The list's fields are written by phys_parked.c only.
#ifndef MM_PHYS_PARKED_H
#define MM_PHYS_PARKED_H

#include "mm/phys_span.h"

// A parked range's node, stored in the range's own first frame.
typedef struct phys_parked_node {
  uint64_t magic;
  phys_addr_t next;  // PHYS_NONE ends the list
  phys_addr_t end;
} phys_parked_node;
#define PHYS_PARKED_MAGIC 0x6b72617064656b70ull

typedef struct phys_parked_list {
  mm_phys_window window;  // maps the nodes
  phys_addr_t head;       // PHYS_NONE when empty
  uint64_t ranges;
  uint64_t frames;
} phys_parked_list;

// An empty list whose nodes are reached through `window`.
void phys_parked_init(phys_parked_list *self, const mm_phys_window *window);
// The node of the parked range starting at `at` (panics when the window cannot map it).
phys_parked_node *phys_parked_at(const phys_parked_list *self, phys_addr_t at);
// Inserts [x, y) (frame aligned, x < y, disjoint from every parked range) into the sorted list.
void phys_parked_insert(phys_parked_list *self, phys_addr_t x, phys_addr_t y);
// Removes the frames of [x, y) from parked ranges; sets them in `into`'s bitmap when given (span conversion).
// Returns the number of frames removed.
uint64_t phys_parked_remove(phys_parked_list *self, phys_addr_t x, phys_addr_t y, phys_span *into);
// Parked frames inside [x, y).
uint64_t phys_parked_count(const phys_parked_list *self, phys_addr_t x, phys_addr_t y);
// Removes the lowest parked range into [*x, *y) and clears its node's magic; false when the list is empty.
bool phys_parked_pop(phys_parked_list *self, phys_addr_t *x, phys_addr_t *y);

#endif  // MM_PHYS_PARKED_H
