// phys_freeset.h: the runtime allocator's free set (phys_freeset.c, phys_fs_iter.c): runs, bitmap spans and
// parked ranges behind one interface. Private to //mm. Every function keeps a->fs.free_frames, the parked
// counters and the span summaries exact; callers keep the allocated/reserved counters.
#ifndef MM_PHYS_FREESET_H
#define MM_PHYS_FREESET_H

#include "mm/phys_state.h"

bool phys_fs_is_free(const mm_phys_allocator *a, phys_addr_t frame);
uint64_t phys_fs_count_free(const mm_phys_allocator *a, phys_addr_t base, phys_addr_t end);
phys_addr_t phys_fs_next_free(const mm_phys_allocator *a, phys_addr_t from);
phys_addr_t phys_fs_extent(const mm_phys_allocator *a, phys_addr_t from, phys_addr_t limit);
phys_addr_t phys_fs_lowest(const mm_phys_allocator *a);
// Single-frame fast paths: add_one returns false (nothing changed) when the frame is already free;
// take_lowest removes and returns the lowest free frame, PHYS_NONE when there is none.
bool phys_fs_add_one(mm_phys_allocator *a, phys_addr_t frame);
// take_one removes one free frame; false (nothing changed) when it is not free.
bool phys_fs_take_one(mm_phys_allocator *a, phys_addr_t frame);
phys_addr_t phys_fs_take_lowest(mm_phys_allocator *a);
// Adds [base, end) (no frame of it free) to the free set. Never fails: parks what it cannot index.
void phys_fs_add(mm_phys_allocator *a, phys_addr_t base, phys_addr_t end);
// Removes every free frame of [base, end) from the free set; returns how many were free. Never fails.
uint64_t phys_fs_remove(mm_phys_allocator *a, phys_addr_t base, phys_addr_t end);
// Finds the lowest [x, x + frames) free, aligned to `align` bytes, inside [lo, hi). PHYS_NONE if none.
phys_addr_t phys_fs_find(const mm_phys_allocator *a, uint64_t frames, uint64_t align, phys_addr_t lo,
                         phys_addr_t hi);
// Converts the span at `w` to a bitmap span when it holds more than PHYS_SPAN_RUN_LIMIT runs and the frame
// source can supply a bitmap frame (conversion is an optimisation: a span that cannot be converted keeps its
// runs). The caller (phys_grow.c) drains the queue in a->fs.pending that the free set fills.
void phys_fs_convert_span(mm_phys_allocator *a, phys_addr_t w);
// Moves parked ranges into the run array while it has spare slots.
void phys_fs_drain_parked(mm_phys_allocator *a);
// Visits maximal free runs in ascending order (runs, bitmap bit-runs and parked ranges merged;
// phys_fs_iter.c).
void phys_fs_for_each(const mm_phys_allocator *a, mm_range_fn fn, void *ctx);
uint64_t phys_run_lower(const mm_phys_allocator *a, phys_addr_t x);    // first run with end > x

// Initialization only (no span, no parked range yet): appends [b, e), above every run, merging it with the
// last run when they touch. False (nothing changed) when the run array is full. Does not count free frames.
static inline bool phys_fs_append_run(mm_phys_allocator *a, phys_addr_t b, phys_addr_t e) {
  if (a->fs.run_count != 0 && a->fs.runs[a->fs.run_count - 1].end == b) {
    a->fs.runs[a->fs.run_count - 1].end = e;
    return true;
  }
  if (a->fs.run_count >= a->fs.run_cap) {
    return false;
  }
  a->fs.runs[a->fs.run_count].base = b;
  a->fs.runs[a->fs.run_count].end = e;
  a->fs.run_count++;
  return true;
}

// phys_fs_take_lowest with the hot path inline: when no bitmap span has a free frame and nothing is parked,
// the lowest free frame is the first run's.
static inline phys_addr_t phys_fs_take_lowest_fast(mm_phys_allocator *a) {
  if (a->fs.run_count == 0 || a->fs.span_hint < a->fs.span_count || a->fs.parked_ranges != 0) {
    return phys_fs_take_lowest(a);
  }
  phys_run *r = &a->fs.runs[0];
  phys_addr_t f = r->base;
  r->base += MM_FRAME_SIZE;
  if (r->base == r->end) {
    mm_memmove(&a->fs.runs[0], &a->fs.runs[1], (a->fs.run_count - 1) * sizeof(phys_run));
    a->fs.run_count--;
  }
  a->fs.free_frames--;
  return f;
}

#endif  // MM_PHYS_FREESET_H
