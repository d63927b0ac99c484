// phys_corrupt_stub.c: TEMPORARY stub of mm/phys_corrupt.h (see there), the logic boot/memory_bringup.c used
// before: find the lowest free frame, then write the reservation table entry directly. Replaced at merge by
// the real helper, which also keeps the table's derived data consistent.
#include "mm/phys_corrupt.h"

typedef struct corrupt_ctx {
  phys_addr_t free_frame;
  const mm_reservation *victim;
} corrupt_ctx;

static bool corrupt_pick_victim(void *ctx, const mm_reservation *r) {
  corrupt_ctx *c = ctx;
  if (r->base <= c->free_frame) c->victim = r;
  return r->base <= c->free_frame;
}

bool mm_phys_corrupt_reservation_over_free(mm_phys_allocator *a, phys_addr_t *frame, const char **label) {
  corrupt_ctx c = {0, 0};
  if (a == 0 || frame == 0 || label == 0) return false;
  if (mm_phys_alloc_frame(a, &c.free_frame) != MM_OK) return false;
  if (mm_phys_free(a, c.free_frame, 1) != MM_OK) return false;
  mm_phys_for_each_reservation(a, corrupt_pick_victim, &c);
  if (!c.victim) return false;
  // The table lives in memory the allocator owns; the iterator hands out const views of it.
  mm_reservation *victim = (mm_reservation *)(uintptr_t)c.victim;
  victim->end = c.free_frame + MM_FRAME_SIZE;
  *frame = c.free_frame;
  *label = victim->label;
  return true;
}
