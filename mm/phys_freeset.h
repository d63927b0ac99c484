// phys_freeset.h: the runtime allocator's free set (phys_freeset.c, phys_fs_iter.c): runs, bitmap spans and
// parked ranges behind one interface. Private to //mm. Every function keeps free_frames, the parked counters and
// the span summaries exact; callers keep the allocated/reserved counters. The free set's fields are written by
// its own files only (the span table and the parked list through their own helpers). It never sees the
// allocator: bookkeeping frames come from the phys_frame_source passed to the two functions that need them.
#ifndef MM_PHYS_FREESET_H
#define MM_PHYS_FREESET_H

#include "mm/phys_huge.h"
#include "mm/phys_parked.h"
#include "mm/phys_span.h"

typedef struct phys_run {
  phys_addr_t base;
  phys_addr_t end;
} phys_run;

typedef struct phys_free_set {
  phys_run *runs;  // sorted, disjoint, non-adjacent [base, end) free runs; never inside a bitmap span
  uint64_t run_count;
  uint64_t run_cap;
  phys_block runs_block;

  phys_span_table spans;    // bitmap spans (phys_span.h)
  phys_parked_list parked;  // last-resort overflow (phys_parked.h)

  uint64_t free_frames;  // kept exact by every free-set function

  // Spans whose run count passed PHYS_SPAN_RUN_LIMIT during the current operation; converted to bitmap
  // spans at the end of it (phys_fs_convert_span, driven from above), never in the middle of a range update.
  phys_addr_t pending[4];
  uint32_t pending_count;
} phys_free_set;

// An empty free set over the run array `runs` (`run_cap` slots, stored in `runs_block`), no span table yet,
// parked nodes reached through `window`.
void phys_fs_init(phys_free_set *self, phys_run *runs, uint64_t run_cap, phys_block runs_block,
                  const mm_phys_window *window);

bool phys_fs_is_free(const phys_free_set *self, phys_addr_t frame);
uint64_t phys_fs_count_free(const phys_free_set *self, phys_addr_t base, phys_addr_t end);
phys_addr_t phys_fs_next_free(const phys_free_set *self, phys_addr_t from);
phys_addr_t phys_fs_extent(const phys_free_set *self, phys_addr_t from, phys_addr_t limit);
phys_addr_t phys_fs_lowest(const phys_free_set *self);
// Single-frame fast paths: add_one returns false (nothing changed) when the frame is already free;
// take_lowest removes and returns the lowest free frame, PHYS_NONE when there is none.
bool phys_fs_add_one(phys_free_set *self, phys_addr_t frame);
// take_one removes one free frame; false (nothing changed) when it is not free.
bool phys_fs_take_one(phys_free_set *self, phys_addr_t frame);
phys_addr_t phys_fs_take_lowest(phys_free_set *self);
// Removes and returns the frame mm_phys_alloc_frame hands out: the lowest free frame of a broken 2 MiB block
// (one with free frames that is not fully free), else the lowest free frame; PHYS_NONE when there is none.
phys_addr_t phys_fs_take_frame(phys_free_set *self);
// Adds [base, end) (no frame of it free) to the free set. Never fails: parks what it cannot index.
void phys_fs_add(phys_free_set *self, phys_addr_t base, phys_addr_t end);
// Removes every free frame of [base, end) from the free set; returns how many were free. Never fails.
uint64_t phys_fs_remove(phys_free_set *self, phys_addr_t base, phys_addr_t end);
// Finds the lowest [x, x + frames) free, aligned to `align` bytes, inside [lo, hi). PHYS_NONE if none.
phys_addr_t phys_fs_find(const phys_free_set *self, uint64_t frames, uint64_t align, phys_addr_t lo, phys_addr_t hi);
// Converts the span at `w` to a bitmap span when it holds more than PHYS_SPAN_RUN_LIMIT runs and `src` can
// supply a span slot and a bitmap frame (conversion is an optimisation: a span that cannot be converted keeps
// its runs). The caller (phys_grow.c) drains the queue in `pending` with phys_fs_pop_pending.
void phys_fs_convert_span(phys_free_set *self, phys_addr_t w, const phys_frame_source *src);
// Removes one queued span base into *w; false when the queue is empty.
bool phys_fs_pop_pending(phys_free_set *self, phys_addr_t *w);
// Moves the run array into storage twice as large (plus spare), taken from `src` as "phys.runs"; the old
// block goes back to `src`. False, nothing changed, when `src` has no frames.
bool phys_fs_grow_runs(phys_free_set *self, uint64_t spare, const phys_frame_source *src);
// Moves parked ranges into the run array while it has spare slots.
void phys_fs_drain_parked(phys_free_set *self);
// Visits maximal free runs in ascending order (runs, bitmap bit-runs and parked ranges merged;
// phys_fs_iter.c).
void phys_fs_for_each(const phys_free_set *self, mm_range_fn fn, void *ctx);
uint64_t phys_run_lower(const phys_free_set *self, phys_addr_t x);    // first run with end > x

// Initialization only (no span, no parked range yet): appends [b, e), above every run, merging it with the
// last run when they touch. False (nothing changed) when the run array is full. Does not count free frames.
static inline bool phys_fs_append_run(phys_free_set *self, phys_addr_t b, phys_addr_t e) {
  if (self->run_count != 0 && self->runs[self->run_count - 1].end == b) {
    self->runs[self->run_count - 1].end = e;
    return true;
  }
  if (self->run_count >= self->run_cap) {
    return false;
  }
  self->runs[self->run_count].base = b;
  self->runs[self->run_count].end = e;
  self->run_count++;
  return true;
}

// Initialization only: sets free_frames to the frames of the runs appended so far.
void phys_fs_count_initial(phys_free_set *self);

// phys_fs_take_frame with the hot path inline: when no bitmap span has a free frame, nothing is parked and the
// first run starts inside a 2 MiB block (so that block is broken), the frame is the first run's base.
static inline phys_addr_t phys_fs_take_frame_fast(phys_free_set *self) {
  if (self->run_count == 0 || self->spans.hint < self->spans.count || self->parked.ranges != 0 ||
      (self->runs[0].base & ((MM_FRAME_SIZE << PHYS_HUGE_SHIFT) - 1)) == 0) {
    return phys_fs_take_frame(self);
  }
  phys_run *r = &self->runs[0];
  phys_addr_t f = r->base;
  r->base += MM_FRAME_SIZE;
  if (r->base == r->end) {
    mm_memmove(&self->runs[0], &self->runs[1], (self->run_count - 1) * sizeof(phys_run));
    self->run_count--;
  }
  self->free_frames--;
  return f;
}

#endif  // MM_PHYS_FREESET_H
