// phys_alloc.h: the runtime physical frame allocator, the long-lived owner of physical memory.
//
// Initialized once at hand-off from the copied firmware map, the full reservation set and the carved backing
// (see runtime.h for the global cell). Keeps free memory as sorted, disjoint runs with overlapping and
// adjacent runs merged; 128 MiB spans of memory that fragment heavily switch to a bitmap so bookkeeping stays
// bounded (docs/memory-handoff.md explains the representation). Reservations are enforced on every path.
// When bookkeeping slots run out, it takes frames from itself, records them as MM_RES_BOOKKEEPING and
// carries on (no hard-coded limit; Linux's memblock_double_array is the precedent).
//
// Not thread safe by itself: the global cell in runtime.h serializes access.
#ifndef MM_PHYS_ALLOC_H
#define MM_PHYS_ALLOC_H

#include "mm/carve.h"
#include "mm/firmware_map.h"
#include "mm/reservations.h"

// The allocator's state: composed of its private layers (phys_state.h), each of which writes only its own
// fields. Read it only through the functions below.
typedef struct mm_phys_allocator mm_phys_allocator;

// Sizes and addresses of one allocator, for logs, benchmarks and tests.
typedef struct mm_phys_stats {
  uint64_t managed_frames;    // usable frames (+ reclaimed frames) the allocator owns
  uint64_t free_frames;
  uint64_t reserved_frames;   // frames of managed memory covered by reservations (union)
  uint64_t allocated_frames;  // handed out and not yet freed (cached frames not included)
  uint64_t cached_frames;     // sitting in per-CPU caches (runtime.h): free memory, not in the free set
  uint64_t free_runs;         // maximal free runs, whatever the representation
  uint64_t reservations;      // entries in the reservation table
  uint64_t bookkeeping_bytes; // every byte of memory the allocator's own structures occupy
} mm_phys_stats;

// Allocation constraints. align is in bytes, a power of two (0 means MM_FRAME_SIZE; below MM_FRAME_SIZE is
// accepted and means MM_FRAME_SIZE, since every frame satisfies it).
// The result lies inside [min_addr, max_addr); max_addr == 0 means no upper limit.
typedef struct mm_alloc_request {
  uint64_t count;  // frames
  uint64_t align;
  phys_addr_t min_addr;
  phys_addr_t max_addr;
} mm_alloc_request;

// Builds the allocator in `alloc` (caller storage, see mm_phys_allocator_size) from the normalized map, the
// complete reservation set (copied into the carved reserved array) and the carved backing, accessed through
// `window`. Free memory = usable regions minus every reservation. Errors: MM_ERR_INVALID_ARGUMENT (a NULL
// argument, or a reservation entry that is not frame aligned, is empty, ends below its base, has a kind out
// of range, or is out of (base, end) order; nothing is written to `alloc` then),
// MM_ERR_STORAGE_TOO_SMALL (carved arrays smaller than needed), MM_ERR_NO_USABLE_MEMORY, MM_ERR_NO_MEMORY
// (`window` cannot map the carved arrays). O(n log n).
mm_status mm_phys_init(mm_phys_allocator *alloc, const mm_firmware_map *map, const mm_reservation_set *reservations,
                       const mm_carved_storage *carved, const mm_phys_window *window);
uint64_t mm_phys_allocator_size(void);

// The allocator's own statement of the carved bookkeeping it needs for a topology (LLFree's
// llfree_metadata_size plays the same role): bytes per slot of the carved free-run array and of the carved
// reservation table, and the carved bytes (each array rounded up to whole frames) that index `free_slots` free
// runs and `reserved_slots` reservations without growing; UINT64_MAX when that passes 2^64. The storage plan
// (plan.c) and the carver size the carve with these and know nothing of the layout behind them.
uint64_t mm_phys_run_slot_bytes(void);
uint64_t mm_phys_reservation_slot_bytes(void);
uint64_t mm_phys_storage_bytes(uint64_t free_slots, uint64_t reserved_slots);

// Allocates one frame. Anti-fragmentation policy (LLFree keeps whole trees for huge frames the same way): the
// lowest free frame inside a broken 2 MiB block, i.e. a 2 MiB-aligned block holding both free frames and
// frames that are not free (allocated, reserved or unmanaged); only when every free frame lies in a fully
// free block, the lowest free frame. So a single frame never breaks a whole 2 MiB block while a broken one has
// room, and 2 MiB requests keep finding whole blocks. Errors: MM_ERR_NO_MEMORY.
mm_status mm_phys_alloc_frame(mm_phys_allocator *alloc, phys_addr_t *out);

// Allocates req->count contiguous frames honouring alignment and address window: lowest fit, i.e. the lowest
// suitably aligned base inside [min_addr, max_addr) whose frames are all free. Requests of whole 2 MiB blocks
// (count >= 512, align >= 2 MiB, e.g. a 2 MiB or 1 GiB frame) get the same lowest fit from an index of fully
// free 2 MiB blocks, without scanning fragmented memory. Errors: MM_ERR_ZERO_COUNT,
// MM_ERR_INVALID_ARGUMENT (NULL, alignment not a power of two, min_addr >= max_addr), MM_ERR_NO_MEMORY.
// State unchanged on error.
mm_status mm_phys_alloc(mm_phys_allocator *alloc, const mm_alloc_request *req, phys_addr_t *out);

// Range arguments of mm_phys_alloc_fixed and mm_phys_free are checked in this one order, each failure with its
// own error and no change of state: MM_ERR_INVALID_ARGUMENT (alloc NULL), MM_ERR_ZERO_COUNT (count == 0),
// MM_ERR_MISALIGNED (base not frame aligned), MM_ERR_OVERFLOW (base + count frames passes 2^64),
// MM_ERR_NOT_OWNED (a frame outside managed memory), MM_ERR_RESERVED (a frame inside a reservation), then the
// operation's own check: MM_ERR_NOT_FREE (fixed: a frame not free) or MM_ERR_DOUBLE_FREE (free: a frame free).

// Allocates exactly [base, base + count frames) if every frame is free. Errors in the order above.
mm_status mm_phys_alloc_fixed(mm_phys_allocator *alloc, phys_addr_t base, uint64_t count);

// Returns `count` frames at `base` to the free set. Errors in the order above. Never fails for lack of
// bookkeeping space.
mm_status mm_phys_free(mm_phys_allocator *alloc, phys_addr_t base, uint64_t count);

// Late reservation of [base, base+bytes) (rounded outward to frames): the frames leave the free set (if free)
// or the allocated count (if allocated) and stay out of allocation forever. Errors: MM_ERR_ZERO_COUNT,
// MM_ERR_OVERFLOW, MM_ERR_INVALID_ARGUMENT (kind), MM_ERR_NO_MEMORY (the reservation table is full and memory
// is too exhausted to grow it); state unchanged on error.
mm_status mm_phys_reserve(mm_phys_allocator *alloc, phys_addr_t base, uint64_t bytes, mm_reservation_kind kind,
                          const char *label);

// Ends a reservation of a transient kind (mm_reservation_kind_releasable: only MM_RES_AP_TRAMPOLINE), the one
// exception to "reserved stays out of allocation forever". [base, base+bytes) is rounded outward to frames as
// mm_phys_reserve does and must equal a table entry of `kind` (same rounded base and end; the label is not
// compared; of several equal ones, the most recently made). That entry leaves the table; its frames that are managed
// and that no OTHER reservation covers go to the FREE set (not back to "allocated": whoever reserved them gives them
// up, even if they were allocated before the reservation), and reserved_frames drops by exactly those. Frames another
// reservation covers stay reserved. The free set's 2 MiB index and the per-CPU caches stay consistent (the same path
// mm_phys_free takes). Errors, checked in this order, state unchanged: MM_ERR_INVALID_ARGUMENT (alloc NULL, kind out of
// range, or kind not releasable), MM_ERR_ZERO_COUNT (bytes == 0), MM_ERR_OVERFLOW (the rounded end passes 2^64),
// MM_ERR_NOT_RESERVED (no entry of `kind` at exactly that range: partial, larger, shifted, another kind, or
// already ended). Logs `mm.phys_unreserve base= end= kind= label= frames=` at debug level. O(count + pieces).
mm_status mm_phys_unreserve(mm_phys_allocator *alloc, phys_addr_t base, uint64_t bytes, mm_reservation_kind kind);

// Reclaims every normalized map region of a reclaimable type (boot services, loader) into the free set,
// minus every reservation. Idempotent. *reclaimed_frames (may be NULL) receives the frames gained.
mm_status mm_phys_reclaim(mm_phys_allocator *alloc, uint64_t *reclaimed_frames);

// Queries.
bool mm_phys_is_free(const mm_phys_allocator *alloc, phys_addr_t frame);
// The reservation holding `frame` (rounded down to its frame; the lowest-based one if several overlap): copied
// into *out (may be NULL to ask only whether there is one). Returns false, *out untouched, when none holds it
// or alloc is NULL. A copy because the table moves when it grows.
bool mm_phys_reservation_at(const mm_phys_allocator *alloc, phys_addr_t frame, mm_reservation *out);
mm_phys_stats mm_phys_get_stats(const mm_phys_allocator *alloc);

// Bound on stats.bookkeeping_bytes, for every map. Bitmap spans (a 128 MiB span whose free memory fragmented
// into more than 8 runs) never turn back into runs, so the bookkeeping is bounded per bitmap span, not by the
// size of managed memory. With S bitmap spans (at most one per 128 MiB span that holds managed memory):
//   bookkeeping_bytes == mm_phys_allocator_size() + carved bytes (both arrays, reserved forever)
//                        + S * MM_FRAME_SIZE                  one bitmap frame per span
//                        + span table bytes                   <= max(MM_FRAME_SIZE, round_up_to_frames(2 * S *
//                                                                MM_PHYS_SPAN_DESCRIPTOR_BYTES + S / 2 + 16))
//                                                                (doubling; 2 mark bits per slot in whole words)
//                        + run array and reservation table, when outgrown: the doubled array that holds the
//                          current entries plus spare slots, rounded up to whole frames.
// The worst case per managed byte is therefore a map whose 128 MiB spans hold only a few usable frames each:
// 64 spans of 64 usable frames (16 MiB managed) cost 64 bitmap frames plus the span table, about 1.6% of
// managed memory; a span fully backed by memory costs 4 KiB per 128 MiB (0.003%).
#define MM_PHYS_SPAN_DESCRIPTOR_BYTES 160u
const mm_firmware_map *mm_phys_firmware_map(const mm_phys_allocator *alloc);

// Iteration: the callback returns false to stop early. Free runs are maximal and in ascending order;
// reservations in table order (sorted by base).
typedef bool (*mm_range_fn)(void *ctx, mm_range range);
typedef bool (*mm_reservation_fn)(void *ctx, const mm_reservation *reservation);
void mm_phys_for_each_free_run(const mm_phys_allocator *alloc, mm_range_fn fn, void *ctx);
void mm_phys_for_each_reservation(const mm_phys_allocator *alloc, mm_reservation_fn fn, void *ctx);

// The invariant checker: verifies every structural invariant (runs sorted, disjoint, merged, inside managed
// memory, never overlapping a reservation; bitmap spans consistent with their counters; free + reserved +
// allocated == managed; with per-CPU caches, cached frames lie in the caches' state map as cached, in no
// reservation, not free, and free + cached + reserved + allocated == managed). Returns MM_OK, or MM_ERR_INVARIANT with
// a static description in *why (may be NULL). O(size of the bookkeeping).
mm_status mm_phys_check_invariants(const mm_phys_allocator *alloc, const char **why);

#endif  // MM_PHYS_ALLOC_H
