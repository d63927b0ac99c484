// phys_parked.c: parked ranges, the free set's last resort when the run array is full and cannot grow: a
// sorted singly linked list whose nodes live in each parked range's own first frame, so recording a range needs
// no bookkeeping space at all.
#include "mm/phys_parked.h"

void phys_parked_init(phys_parked_list *self, const mm_phys_window *window) {
  self->window = *window;
  self->head = PHYS_NONE;
  self->ranges = 0;
  self->frames = 0;
}

phys_parked_node *phys_parked_at(const phys_parked_list *self, phys_addr_t at) {
  phys_parked_node *n = (phys_parked_node *)phys_window_map(&self->window, at, sizeof(phys_parked_node));
  if (n == 0) {
    mm_panic("phys_parked_node", "window cannot map a parked frame");
  }
  return n;
}

static void parked_write(const phys_parked_list *self, phys_addr_t at, phys_addr_t next, phys_addr_t end) {
  phys_parked_node *n = phys_parked_at(self, at);
  n->magic = PHYS_PARKED_MAGIC;
  n->next = next;
  n->end = end;
}

// Inserts [x, y) into the sorted parked list. Needs no storage: the node lives at x.
void phys_parked_insert(phys_parked_list *self, phys_addr_t x, phys_addr_t y) {
  phys_addr_t prev = PHYS_NONE, cur = self->head;
  while (cur != PHYS_NONE && cur < x) {
    prev = cur;
    cur = phys_parked_at(self, cur)->next;
  }
  parked_write(self, x, cur, y);
  if (prev == PHYS_NONE) {
    self->head = x;
  } else {
    phys_parked_at(self, prev)->next = x;
  }
  self->ranges++;
  self->frames += (y - x) >> MM_FRAME_SHIFT;
}

// Removes the frames of [x, y) from parked ranges. If `into` is given, the removed frames are set in its
// bitmap (span conversion). Returns the number of frames removed.
uint64_t phys_parked_remove(phys_parked_list *self, phys_addr_t x, phys_addr_t y, phys_span *into) {
  uint64_t removed = 0;
  phys_addr_t prev = PHYS_NONE, cur = self->head;
  while (cur != PHYS_NONE && cur < y) {
    phys_parked_node *n = phys_parked_at(self, cur);
    phys_addr_t next = n->next, end = n->end;
    if (end <= x) {
      prev = cur;
      cur = next;
      continue;
    }
    phys_addr_t cb = cur > x ? cur : x, ce = end < y ? end : y;
    removed += (ce - cb) >> MM_FRAME_SHIFT;
    if (into != 0) {
      phys_bits_update(into, phys_frame_index(into, cb), phys_frame_index(into, ce), true);
    }
    // Pieces that stay: [cur, cb) and [ce, end).
    phys_addr_t link = next;
    if (ce < end) {
      parked_write(self, ce, next, end);
      link = ce;
      self->ranges++;
    }
    if (cb > cur) {
      n->end = cb;
      n->next = link;
      prev = cur;
    } else {
      if (prev == PHYS_NONE) {
        self->head = link;
      } else {
        phys_parked_at(self, prev)->next = link;
      }
      self->ranges--;
    }
    if (ce < end) {
      prev = ce;
    }
    cur = next;
  }
  self->frames -= removed;
  return removed;
}

uint64_t phys_parked_count(const phys_parked_list *self, phys_addr_t x, phys_addr_t y) {
  uint64_t n = 0;
  for (phys_addr_t cur = self->head; cur != PHYS_NONE && cur < y;) {
    const phys_parked_node *node = phys_parked_at(self, cur);
    if (node->end > x) {
      phys_addr_t cb = cur > x ? cur : x, ce = node->end < y ? node->end : y;
      n += (ce - cb) >> MM_FRAME_SHIFT;
    }
    cur = node->next;
  }
  return n;
}

bool phys_parked_pop(phys_parked_list *self, phys_addr_t *x, phys_addr_t *y) {
  if (self->head == PHYS_NONE) {
    return false;
  }
  phys_parked_node *n = phys_parked_at(self, self->head);
  *x = self->head;
  *y = n->end;
  self->head = n->next;
  self->ranges--;
  self->frames -= (*y - *x) >> MM_FRAME_SHIFT;
  n->magic = 0;
  return true;
}
