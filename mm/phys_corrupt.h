// phys_corrupt.h: deliberate corruption of a runtime allocator's private state, for proving that
// mm_phys_check_invariants notices each kind of damage (mm/phys_check_test.cc) and for the boot self-test hook
// (KERNEL_TEST_HOOKS builds). Test-only: never linked into a production kernel. Portable C11, no gtest.
//
// Every function writes the allocator's structures directly, bypassing its operations, and corrupts exactly
// one thing. Each returns false and changes nothing when the allocator has no structure of the needed shape
// (for example no bitmap span, or no parked range).
#ifndef MM_PHYS_CORRUPT_H
#define MM_PHYS_CORRUPT_H

#include "mm/phys_alloc.h"

// Stretches the reservation-table entry just below the lowest free frame so that it covers that frame,
// keeping the table's private derived data (prefix maxima) consistent, so that mm_phys_check_invariants
// reports the free/reserved overlap itself. Returns false (nothing changed) when there is no free frame or no
// entry below it. *frame receives the covered frame; *label (may be NULL) the stretched entry's label, which
// stays valid until the table next changes.
bool mm_phys_corrupt_reservation_over_free(mm_phys_allocator *a, phys_addr_t *frame, const char **label);

// One corruption per structural invariant. The names say what is damaged.
typedef enum mm_phys_corruption {
  MM_CORRUPT_RES_COUNT_OVER_CAPACITY = 0,
  MM_CORRUPT_RES_EMPTY_ENTRY,          // first entry made empty
  MM_CORRUPT_RES_UNSORTED,             // first two entries (of different base) swapped, maxima recomputed
  MM_CORRUPT_RES_PREFIX_MAX_STALE,     // the last prefix maximum moved up a frame
  MM_CORRUPT_RUN_COUNT_OVER_CAPACITY,
  MM_CORRUPT_RUN_EMPTY,                // first run made empty
  MM_CORRUPT_RUN_OVERLAPPING,          // second run starts a frame before the first ends
  MM_CORRUPT_RUN_NOT_MERGED,           // second run starts where the first ends
  MM_CORRUPT_RUN_INTO_BITMAP,          // the only bitmap span moved over the first run's span
  MM_CORRUPT_RUN_OUTSIDE_MANAGED,      // first run extended one frame below the lowest map region
  MM_CORRUPT_BITMAP_COUNT_OVER_CAPACITY,
  MM_CORRUPT_BITMAP_MISALIGNED,        // first span's base moved by one frame
  MM_CORRUPT_BITMAP_DUPLICATED,        // first span copied into the next slot
  MM_CORRUPT_BITMAP_HINT_SKIPS_FREE,   // hint moved past the first span, which has free frames
  MM_CORRUPT_BITMAP_FREE_COUNTER,      // first span's free counter off by one
  MM_CORRUPT_BITMAP_SUMMARY,           // first span's non-zero summary bit 0 flipped
  MM_CORRUPT_BITMAP_RECORD_RELABELLED, // the first span's "phys.bitmap" entry relabelled
  MM_CORRUPT_BITMAP_FREE_UNMANAGED,    // a bit set for a frame outside managed memory (counters kept)
  MM_CORRUPT_BITMAP_FREE_RESERVED,     // a bit set for a reserved managed frame (counters kept)
  MM_CORRUPT_BITMAP_HINT_AT_FULL,      // the span at the hint emptied (bits, counter and summaries agree)
  MM_CORRUPT_PARK_LAST_RUN,            // NOT a corruption: moves the last run to the parked list (valid)
  MM_CORRUPT_PARKED_MAGIC,
  MM_CORRUPT_PARKED_EMPTY,             // first parked range made empty
  MM_CORRUPT_PARKED_OUTSIDE_MANAGED,   // first parked range extended past the top map region
  MM_CORRUPT_PARKED_RESERVED,          // the entry below the first parked range stretched over it
  MM_CORRUPT_PARKED_INTO_BITMAP,       // first parked range (just below a span) extended into the span
  MM_CORRUPT_PARKED_OVER_RUN,          // a one-frame run added at the first parked frame
  MM_CORRUPT_PARKED_COUNT_LOW,         // parked range counter set to 0
  MM_CORRUPT_PARKED_FRAMES,            // parked frame counter off by one
  MM_CORRUPT_FREE_COUNTER,
  MM_CORRUPT_MANAGED_COUNTER,
  MM_CORRUPT_RESERVED_COUNTER,
  MM_CORRUPT_ALLOCATED_COUNTER,
  MM_CORRUPT_RUNS_RECORD_RELABELLED,   // the grown run array's "phys.runs" entry relabelled
  MM_CORRUPT_RES_RECORD_KIND_LATE,     // the grown table's "phys.reserved" entry made MM_RES_LATE
  MM_CORRUPT_BITMAP_TABLE_SHIFTED,     // the span table's block moved by one frame
  MM_CORRUPT_OWN_BYTES,                // own bookkeeping byte counter off by one frame
  MM_CORRUPT_CARVED_BLOCK_MOVED,       // the carved run array's address moved to the lowest free frame
  MM_CORRUPT_HUGE_MARK_FLIPPED,        // the first span's 2 MiB block mark flipped
  MM_CORRUPT_HUGE_MARK_PAST_END,       // the mark of the first unused span slot set
  MM_CORRUPT_HUGE_BROKEN_MARK_FLIPPED, // the first span's broken-block mark cleared (it has a broken block)
  MM_CORRUPT_COUNT,
} mm_phys_corruption;

// Applies `what`. Returns false (nothing changed) when `a` lacks the structure it damages.
bool mm_phys_corrupt(mm_phys_allocator *a, mm_phys_corruption what);

// One corruption per invariant of the per-CPU caches (mm_runtime_enable_cpu_caches; phys_cache.h). Each needs
// the caches enabled and, where it names CPU 0's top frame, a frame in CPU 0's cache.
typedef enum mm_phys_cache_corruption {
  MM_CORRUPT_CACHE_OVER_CAPACITY = 0,  // CPU 0's frame count set one past the capacity
  MM_CORRUPT_CACHE_STATE_PLAIN,        // CPU 0's top frame's state set to plain
  MM_CORRUPT_CACHE_FRAME_FREE,         // CPU 0's top frame also added to the free set
  MM_CORRUPT_CACHE_FRAME_RESERVED,     // a reservation inserted over CPU 0's top frame
  MM_CORRUPT_CACHE_FRAME_DROPPED,      // CPU 0's top frame dropped from the cache, its state left cached
  MM_CORRUPT_CACHE_ALLOCATED_LOW,      // the allocated counter set below the cached frames
  MM_CORRUPT_CACHE_OUT_FREE,           // the lowest free frame's state set to handed out
  MM_CORRUPT_CACHE_RECORD_RELABELLED,  // the "phys.cpu_caches" reservation relabelled
  MM_CORRUPT_CACHE_COUNT,
} mm_phys_cache_corruption;

// Applies `what`. Returns false (nothing changed) when the caches are disabled or CPU 0's cache is empty.
bool mm_phys_corrupt_cache(mm_phys_allocator *a, mm_phys_cache_corruption what);

#endif  // MM_PHYS_CORRUPT_H
