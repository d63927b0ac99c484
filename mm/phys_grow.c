// phys_grow.c: the runtime allocator's growth policy. Keeps PHYS_RUN_SPARE / PHYS_RES_SPARE spare slots
// after every mutating operation, has the run array, the reservation table and the span table grow themselves
// (each doubles into frames from the frame source below, recorded as MM_RES_BOOKKEEPING "phys.runs" /
// "phys.reserved" / "phys.spans"; bitmap frames as "phys.bitmap"), gives replaced self-taken blocks back, and
// drains the free set's span-conversion queue. No layer below calls up: they get this file's frame source.
#include "mm/phys_grow.h"

#include "mm/phys_state.h"

bool phys_bk_grab(mm_phys_allocator *a, uint64_t frames, phys_addr_t *phys, void **ptr) {
  phys_addr_t at = PHYS_NONE;
  if (frames == 1) {
    at = phys_fs_lowest(&a->fs);
  } else {
    at = phys_fs_find(&a->fs, frames, MM_FRAME_SIZE, 0, UINT64_MAX);
  }
  if (at == PHYS_NONE) {
    return false;
  }
  // Out of the free set first: the frames may hold parked-range nodes that the removal still reads.
  if (phys_fs_remove(&a->fs, at, at + (frames << MM_FRAME_SHIFT)) != frames) {
    mm_panic("phys_bk_grab", "bookkeeping block was not entirely free");
  }
  void *p = phys_map(a, at, frames << MM_FRAME_SHIFT);
  if (p == 0) {
    phys_fs_add(&a->fs, at, at + (frames << MM_FRAME_SHIFT));
    return false;
  }
  *phys = at;
  *ptr = p;
  a->grow.own_bytes += frames << MM_FRAME_SHIFT;
  a->reserved_frames += frames;
  return true;
}

bool phys_bk_take(mm_phys_allocator *a, uint64_t frames, const char *label, phys_addr_t *phys, void **ptr) {
  if (phys_res_spare(&a->res) == 0 || !phys_bk_grab(a, frames, phys, ptr)) {
    return false;
  }
  phys_res_insert(&a->res, *phys, *phys + (frames << MM_FRAME_SHIFT), MM_RES_BOOKKEEPING, label);
  return true;
}

static void release_piece(void *ctx, phys_addr_t base, phys_addr_t end) {
  mm_phys_allocator *a = (mm_phys_allocator *)ctx;
  a->reserved_frames -= (end - base) >> MM_FRAME_SHIFT;
  phys_fs_add(&a->fs, base, end);
}

// Gives a replaced block back: carved blocks stay reserved; blocks taken from the allocator are freed (minus
// whatever another reservation still covers).
static void bk_release(mm_phys_allocator *a, phys_block block) {
  if (block.bytes == 0 || block.carved) {
    return;
  }
  phys_res_remove_bookkeeping(&a->res, block.phys, block.phys + block.bytes);
  a->grow.own_bytes -= block.bytes;
  phys_for_each_unreserved(&a->res, block.phys, block.phys + block.bytes, release_piece, a);
}

// The frame source the layers grow through.
static bool source_take(void *ctx, uint64_t frames, const char *label, phys_addr_t *phys, void **ptr) {
  mm_phys_allocator *a = (mm_phys_allocator *)ctx;
  return label == 0 ? phys_bk_grab(a, frames, phys, ptr) : phys_bk_take(a, frames, label, phys, ptr);
}

static void source_give_back(void *ctx, phys_block block) { bk_release((mm_phys_allocator *)ctx, block); }

static bool source_span_slot(void *ctx) {
  mm_phys_allocator *a = (mm_phys_allocator *)ctx;
  return phys_ensure_span_slot(a) && phys_ensure_res_slot(a);
}

phys_frame_source phys_grow_source(mm_phys_allocator *a) {
  phys_frame_source src = {a, source_take, source_give_back, source_span_slot};
  return src;
}

static bool grow_res(mm_phys_allocator *a) {
  phys_frame_source src = phys_grow_source(a);
  return phys_res_grow(&a->res, PHYS_RES_SPARE, &src);
}

bool phys_ensure_res_slot(mm_phys_allocator *a) { return phys_res_spare(&a->res) != 0 || grow_res(a); }

bool phys_ensure_span_slot(mm_phys_allocator *a) {
  if (a->fs.spans.count < a->fs.spans.cap) {
    return true;
  }
  // Growing records a reservation: make sure the table has room for it first.
  if (phys_res_spare(&a->res) <= 1 && !grow_res(a)) {
    return false;
  }
  phys_frame_source src = phys_grow_source(a);
  return phys_span_table_grow(&a->fs.spans, &src);
}

// Tops the tables up to their spare slots and re-indexes parked ranges. Best effort: when memory is too
// exhausted to grow, the next operations use the remaining spares and, past those, parking.
void phys_maintain(mm_phys_allocator *a) {
  if (a->grow.in_maintenance) {
    return;
  }
  a->grow.in_maintenance = true;
  if (phys_res_spare(&a->res) < PHYS_RES_SPARE) {
    grow_res(a);
  }
  if (a->fs.run_cap - a->fs.run_count < PHYS_RUN_SPARE + a->fs.parked.ranges && phys_res_spare(&a->res) != 0) {
    phys_frame_source src = phys_grow_source(a);
    phys_fs_grow_runs(&a->fs, PHYS_RUN_SPARE, &src);
  }
  if (phys_res_spare(&a->res) < PHYS_RES_SPARE) {
    grow_res(a);
  }
  if (a->fs.parked.ranges != 0) {
    phys_fs_drain_parked(&a->fs);
  }
  a->grow.in_maintenance = false;
}

// Converts the queued spans to bitmap spans; conversion never nests inside growth or another conversion.
static void convert_pending(mm_phys_allocator *a) {
  if (a->grow.in_maintenance) {
    return;
  }
  phys_frame_source src = phys_grow_source(a);
  phys_addr_t w;
  while (phys_fs_pop_pending(&a->fs, &w)) {
    a->grow.in_maintenance = true;
    phys_fs_convert_span(&a->fs, w, &src);
    a->grow.in_maintenance = false;
  }
}

void phys_finish_slow(mm_phys_allocator *a) {
  convert_pending(a);
  phys_maintain(a);
}
