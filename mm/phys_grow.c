// phys_grow.c: the runtime allocator's growth policy. Keeps PHYS_RUN_SPARE / PHYS_RES_SPARE spare slots
// after every mutating operation, doubles the run array, the reservation table and the span table with frames
// taken from the free set (recorded as MM_RES_BOOKKEEPING "phys.runs" / "phys.reserved" / "phys.spans"; bitmap
// frames as "phys.bitmap"), gives replaced self-taken blocks back, and is the frame source (phys_grow_source)
// injected into the free set, which never calls up.
#include "mm/phys_grow.h"

#include "mm/log.h"
#include "mm/phys_freeset.h"
#include "mm/phys_restable.h"

static uint64_t frames_for(uint64_t bytes) { return (bytes + MM_FRAME_MASK) >> MM_FRAME_SHIFT; }

// Takes the lowest `frames` contiguous free frames and maps them. Nothing is recorded; false when
// nothing fits or the window (mm_phys_window) cannot map.
bool phys_bk_grab(mm_phys_allocator *a, uint64_t frames, phys_addr_t *phys, void **ptr) {
  phys_addr_t at = PHYS_NONE;
  if (frames == 1) {
    at = phys_fs_lowest(a);
  } else {
    at = phys_fs_find(a, frames, MM_FRAME_SIZE, 0, UINT64_MAX);
  }
  if (at == PHYS_NONE) {
    return false;
  }
  // Out of the free set first: the frames may hold parked-range nodes that the removal still reads.
  if (phys_fs_remove(a, at, at + (frames << MM_FRAME_SHIFT)) != frames) {
    mm_panic("phys_bk_grab", "bookkeeping block was not entirely free");
  }
  void *p = phys_map(a, at, frames << MM_FRAME_SHIFT);
  if (p == 0) {
    phys_fs_add(a, at, at + (frames << MM_FRAME_SHIFT));
    return false;
  }
  *phys = at;
  *ptr = p;
  a->own_bytes += frames << MM_FRAME_SHIFT;
  a->reserved_frames += frames;
  return true;
}

bool phys_bk_take(mm_phys_allocator *a, uint64_t frames, const char *label, phys_addr_t *phys, void **ptr) {
  if (a->res.count >= a->res.capacity || !phys_bk_grab(a, frames, phys, ptr)) {
    return false;
  }
  phys_res_insert(a, *phys, *phys + (frames << MM_FRAME_SHIFT), MM_RES_BOOKKEEPING, label);
  return true;
}

static void release_piece(mm_phys_allocator *a, phys_addr_t base, phys_addr_t end, void *ctx) {
  (void)ctx;
  a->reserved_frames -= (end - base) >> MM_FRAME_SHIFT;
  phys_fs_add(a, base, end);
}

// Gives a replaced block back: carved blocks stay reserved; blocks taken from the allocator are freed (minus
// whatever another reservation still covers).
static void bk_release(mm_phys_allocator *a, phys_block block) {
  if (block.bytes == 0 || block.carved) {
    return;
  }
  phys_res_remove_bookkeeping(a, block.phys, block.phys + block.bytes);
  a->own_bytes -= block.bytes;
  phys_for_each_unreserved(a, block.phys, block.phys + block.bytes, release_piece, 0);
}

static void log_growth(const char *table, uint64_t cap, phys_addr_t phys, uint64_t bytes) {
  debug_structured(LOG_DEBUG, "mm.phys_grow", KV_S("table", table), KV_U("capacity", cap), KV_X("phys", phys),
                   KV_U("bytes", bytes));
}

static bool grow_runs(mm_phys_allocator *a) {
  uint64_t want = a->fs.run_cap * 2 > a->fs.run_cap + 2 * PHYS_RUN_SPARE ? a->fs.run_cap * 2 : a->fs.run_cap + 2 * PHYS_RUN_SPARE;
  uint64_t frames = frames_for(want * sizeof(phys_run));
  phys_addr_t phys;
  void *ptr;
  if (!phys_bk_take(a, frames, "phys.runs", &phys, &ptr)) {
    return false;
  }
  mm_memcpy(ptr, a->fs.runs, a->fs.run_count * sizeof(phys_run));
  phys_block old = a->fs.runs_block;
  a->fs.runs = (phys_run *)ptr;
  a->fs.run_cap = (frames << MM_FRAME_SHIFT) / sizeof(phys_run);
  a->fs.runs_block = (phys_block){phys, frames << MM_FRAME_SHIFT, false};
  log_growth("runs", a->fs.run_cap, phys, frames << MM_FRAME_SHIFT);
  bk_release(a, old);
  return true;
}

static bool grow_res(mm_phys_allocator *a) {
  uint64_t want = a->res.capacity * 2 > a->res.capacity + 2 * PHYS_RES_SPARE ? a->res.capacity * 2 : a->res.capacity + 2 * PHYS_RES_SPARE;
  uint64_t frames = frames_for(want * PHYS_RES_SLOT_BYTES);
  phys_addr_t phys;
  void *ptr;
  if (!phys_bk_grab(a, frames, &phys, &ptr)) {
    return false;
  }
  // The table moves into the new frames (entries, then maxima) and records them in itself.
  if (!mm_res_table_move(&a->res, ptr, frames << MM_FRAME_SHIFT)) {
    mm_panic("grow_res", "a doubled table holds fewer entries than the old one");
  }
  phys_block old = a->res_block;
  a->res_block = (phys_block){phys, frames << MM_FRAME_SHIFT, false};
  phys_res_insert(a, phys, phys + (frames << MM_FRAME_SHIFT), MM_RES_BOOKKEEPING, "phys.reserved");
  log_growth("reserved", a->res.capacity, phys, frames << MM_FRAME_SHIFT);
  bk_release(a, old);
  return true;
}

static bool grow_spans(mm_phys_allocator *a) {
  uint64_t want = a->fs.span_cap * 2 > MM_FRAME_SIZE / sizeof(phys_span) ? a->fs.span_cap * 2
                                                                        : MM_FRAME_SIZE / sizeof(phys_span);
  uint64_t frames = frames_for(want * sizeof(phys_span));
  phys_addr_t phys;
  void *ptr;
  if (!phys_bk_take(a, frames, "phys.spans", &phys, &ptr)) {
    return false;
  }
  mm_memcpy(ptr, a->fs.spans, a->fs.span_count * sizeof(phys_span));
  phys_block old = a->fs.spans_block;
  a->fs.spans = (phys_span *)ptr;
  a->fs.span_cap = (frames << MM_FRAME_SHIFT) / sizeof(phys_span);
  a->fs.spans_block = (phys_block){phys, frames << MM_FRAME_SHIFT, false};
  log_growth("spans", a->fs.span_cap, phys, frames << MM_FRAME_SHIFT);
  bk_release(a, old);
  return true;
}

bool phys_ensure_res_slot(mm_phys_allocator *a) { return a->res.count < a->res.capacity || grow_res(a); }

bool phys_ensure_span_slot(mm_phys_allocator *a) {
  if (a->fs.span_count < a->fs.span_cap) {
    return true;
  }
  // Growing records a reservation: make sure the table has room for it first.
  if (a->res.count + 1 >= a->res.capacity && !grow_res(a)) {
    return false;
  }
  return grow_spans(a);
}

// Tops the tables up to their spare slots and re-indexes parked ranges. Best effort: when memory is too
// exhausted to grow, the next operations use the remaining spares and, past those, parking.
void phys_maintain(mm_phys_allocator *a) {
  if (a->in_maintenance) {
    return;
  }
  a->in_maintenance = true;
  if (a->res.capacity - a->res.count < PHYS_RES_SPARE) {
    grow_res(a);
  }
  if (a->fs.run_cap - a->fs.run_count < PHYS_RUN_SPARE + a->fs.parked_ranges && a->res.count < a->res.capacity) {
    grow_runs(a);
  }
  if (a->res.capacity - a->res.count < PHYS_RES_SPARE) {
    grow_res(a);
  }
  if (a->fs.parked_ranges != 0) {
    phys_fs_drain_parked(a);
  }
  a->in_maintenance = false;
}

// Converts the queued spans to bitmap spans; conversion never nests inside growth or another conversion.
static void convert_pending(mm_phys_allocator *a) {
  if (a->in_maintenance) {
    return;
  }
  while (a->fs.pending_count != 0) {
    phys_addr_t w = a->fs.pending[--a->fs.pending_count];
    a->in_maintenance = true;
    phys_fs_convert_span(a, w);
    a->in_maintenance = false;
  }
}

void phys_finish_slow(mm_phys_allocator *a) {
  convert_pending(a);
  phys_maintain(a);
}

// The frame source the free set uses for bitmap frames (phys_state.h).
static bool source_span_slot(mm_phys_allocator *a) { return phys_ensure_span_slot(a) && phys_ensure_res_slot(a); }

const phys_frame_source phys_grow_source = {source_span_slot, phys_bk_take};
