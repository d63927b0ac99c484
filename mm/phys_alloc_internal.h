// phys_alloc_internal.h: the runtime allocator's private state, shared by mm/phys_alloc.c (public operations,
// reservations, growth), mm/phys_freeset.c (the free set: runs, bitmap spans, parked ranges) and
// mm/phys_check.c (the invariant checker). Nothing outside mm/phys_*.c includes this header.
//
// Representation (the "why" is in the header comment of phys_alloc.c):
//   runs      sorted array of disjoint, non-adjacent [base, end) free runs; never inside a bitmap span.
//   spans    sorted array of bitmap spans: PHYS_SPAN_FRAMES frames at an aligned base, one bit per frame
//             (1 = free) in one allocator-owned 4 KiB frame, plus a free counter and two 512-bit summaries.
//   parked    last-resort overflow: free ranges kept as a sorted singly linked list whose nodes live in the
//             first frame of each parked range itself, used only when an array is full and cannot grow.
//   res       the reservation table (sorted by base, then end) with a parallel prefix-maximum of ends, so
//             "does [b, e) touch a reservation" and "which reservation holds f" are binary searches.
#ifndef MM_PHYS_ALLOC_INTERNAL_H
#define MM_PHYS_ALLOC_INTERNAL_H

#include "mm/phys_alloc.h"

#define PHYS_SPAN_SHIFT 15u                                       // frames per span, log2
#define PHYS_SPAN_FRAMES ((uint64_t)1 << PHYS_SPAN_SHIFT)      // 32768 frames = 128 MiB
#define PHYS_SPAN_BYTES (PHYS_SPAN_FRAMES << MM_FRAME_SHIFT)
#define PHYS_SPAN_WORDS (PHYS_SPAN_FRAMES / 64u)               // 512 bitmap words = one 4 KiB frame
#define PHYS_SUMMARY_WORDS (PHYS_SPAN_WORDS / 64u)               // 8 summary words per summary
#define PHYS_SPAN_RUN_LIMIT 8u   // a span holding more runs than this becomes a bitmap span
#define PHYS_RUN_SPARE 4u          // spare run slots kept before every mutating operation
#define PHYS_RES_SPARE 4u          // spare reservation slots kept before every mutating operation
#define PHYS_NONE UINT64_MAX       // "no address" (never a valid frame address: not frame aligned)

// End of the span that starts at `base`, saturated: the top span of the 64-bit space ends at the last
// frame boundary instead of wrapping to 0 (an exclusive 64-bit end cannot express 2^64 anyway).
static inline phys_addr_t phys_span_end(phys_addr_t base) {
  return base > UINT64_MAX - PHYS_SPAN_BYTES ? (UINT64_MAX & ~MM_FRAME_MASK) : base + PHYS_SPAN_BYTES;
}

typedef struct phys_run {
  phys_addr_t base;
  phys_addr_t end;
} phys_run;

typedef struct phys_span {
  phys_addr_t base;                        // span base, PHYS_SPAN_BYTES aligned
  uint64_t free;                           // set bits in `bits`
  uint64_t *bits;                          // PHYS_SPAN_WORDS words, bit i = frame base + i * 4 KiB is free
  phys_addr_t bits_phys;                   // the bitmap frame (a MM_RES_BOOKKEEPING "phys.bitmap" entry)
  uint64_t nonzero[PHYS_SUMMARY_WORDS];    // bit w set iff bits[w] != 0
  uint64_t full[PHYS_SUMMARY_WORDS];       // bit w set iff bits[w] == ~0
} phys_span;

// One bookkeeping block: physically contiguous frames the allocator's tables live in.
typedef struct phys_block {
  phys_addr_t phys;
  uint64_t bytes;  // 0 when the block does not exist
  bool carved;     // carved at hand-off (stays reserved forever) rather than taken from the allocator itself
} phys_block;

// A parked range's node, stored in the range's own first frame.
typedef struct phys_parked_node {
  uint64_t magic;
  phys_addr_t next;  // PHYS_NONE ends the list
  phys_addr_t end;
} phys_parked_node;
#define PHYS_PARKED_MAGIC 0x6b72617064656b70ull

struct mm_phys_allocator {
  const mm_firmware_map *map;
  mm_phys_window window;
  bool reclaimed;
  bool in_maintenance;  // growth and conversion never nest

  phys_run *runs;
  uint64_t run_count;
  uint64_t run_cap;
  phys_block runs_block;

  mm_reservation *res;
  uint64_t *res_maxend;  // res_maxend[i] = max(res[0..i].end)
  uint64_t res_count;
  uint64_t res_cap;
  phys_block res_block;     // entries (and, unless maxend_block exists, the prefix maxima after them)
  phys_block maxend_block;  // prefix maxima, when the carved array had no room for them

  phys_span *spans;
  uint64_t span_count;
  uint64_t span_cap;
  uint64_t span_hint;  // every span below this index has no free frame
  phys_block spans_block;

  phys_addr_t parked_head;
  uint64_t parked_ranges;
  uint64_t parked_frames;

  uint64_t managed_frames;
  uint64_t free_frames;
  uint64_t reserved_frames;
  uint64_t allocated_frames;
  uint64_t carved_bytes;  // both carved arrays, reserved forever
  uint64_t own_bytes;     // live blocks and bitmap frames taken from the allocator itself

  // Spans whose run count passed PHYS_SPAN_RUN_LIMIT during the current operation; converted to bitmap
  // spans at the end of it (phys_finish), never in the middle of a range update.
  phys_addr_t pending[4];
  uint32_t pending_count;
};

// ---- phys_alloc.c: reservations, managed memory, bookkeeping storage ----
bool phys_managed_covers(const mm_phys_allocator *a, phys_addr_t base, phys_addr_t end);
bool phys_res_touches(const mm_phys_allocator *a, phys_addr_t base, phys_addr_t end);
const mm_reservation *phys_res_find(const mm_phys_allocator *a, phys_addr_t base, phys_addr_t end);
uint64_t phys_count_managed(const mm_phys_allocator *a);
uint64_t phys_count_reserved_managed(const mm_phys_allocator *a);
void *phys_map(const mm_phys_allocator *a, phys_addr_t phys, uint64_t bytes);
// Takes `frames` contiguous free frames for bookkeeping and records them as MM_RES_BOOKKEEPING `label`.
// Returns false (nothing changed) when no run is long enough or the window (mm_phys_window) cannot map them.
bool phys_bk_take(mm_phys_allocator *a, uint64_t frames, const char *label, phys_addr_t *phys, void **ptr);
// Ensures a free span slot and a reservation slot exist (growing the tables); false if they cannot.
bool phys_ensure_span_slot(mm_phys_allocator *a);
bool phys_ensure_res_slot(mm_phys_allocator *a);
void phys_res_insert(mm_phys_allocator *a, phys_addr_t base, phys_addr_t end, mm_reservation_kind kind,
                     const char *label);

// ---- phys_freeset.c: the free set ----
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
// Converts the queued spans to bitmap spans where storage allows (conversion is an optimisation: a
// span that cannot be converted keeps its runs).
void phys_fs_convert_pending(mm_phys_allocator *a);
// Moves parked ranges into the run array while it has spare slots.
void phys_fs_drain_parked(mm_phys_allocator *a);
// Visits maximal free runs in ascending order (runs, bitmap bit-runs and parked ranges merged).
void phys_fs_for_each(const mm_phys_allocator *a, mm_range_fn fn, void *ctx);
uint64_t phys_run_lower(const mm_phys_allocator *a, phys_addr_t x);    // first run with end > x
uint64_t phys_span_lower(const mm_phys_allocator *a, phys_addr_t x);  // first span with span end > x
uint64_t phys_span_recount(const phys_span *c);

static inline phys_addr_t phys_span_base(phys_addr_t x) { return x & ~(PHYS_SPAN_BYTES - 1); }

#endif  // MM_PHYS_ALLOC_INTERNAL_H
