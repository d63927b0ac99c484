// handoff.h: the one entry that hands memory over from the early stages to a runtime allocator.
//
// Runs the design note's stages 3-5 in order (docs/memory-handoff.md):
//   runtime_storage_plan -> mm_early_init -> carve_option_storage -> mm_phys_init
// into the caller's storage (tools, benchmarks, fuzzers, test harnesses), or, for the kernel, into the global
// cell through initialize_runtime_allocator (which logs `runtime allocator initialized`). Every caller that
// builds an allocator from a normalized map and a reservation set goes through here, so the sequence and the
// bookkeeping sizing exist once.
#ifndef MM_HANDOFF_H
#define MM_HANDOFF_H

#include "mm/carve.h"
#include "mm/phys_alloc.h"
#include "mm/plan.h"

// The stage an mm_handoff call stopped at (MM_HANDOFF_DONE when it did not stop).
typedef enum mm_handoff_stage {
  MM_HANDOFF_DONE = 0,
  MM_HANDOFF_PLAN,        // runtime_storage_plan: arguments refused before anything ran
  MM_HANDOFF_CARVE,       // carve_option_storage
  MM_HANDOFF_INITIALIZE,  // mm_phys_init / initialize_runtime_allocator
} mm_handoff_stage;

// Stage name as the design note spells it ("runtime_storage_plan", "carve_option_storage",
// "initialize_runtime_allocator"; "done").
const char *mm_handoff_stage_name(mm_handoff_stage stage);

typedef struct mm_handoff_options {
  // Counter read before and after each stage for the timing lines (mm.plan_done, mm.carve_done at debug level,
  // mm.handoff at info level, each with cycles=). NULL: no timing lines (host tools, whose logs are compared).
  uint64_t (*cycles)(void);
  // Backing the caller has already placed and sized (test harnesses that choose tiny arrays to exercise growth),
  // or NULL to carve. When set, the carve stage only records its non-empty spans as MM_RES_BOOKKEEPING
  // "free_runs" / "reserved" (rounded outward to frames), as carve_option_storage would; the allocator
  // indexes as many slots as the given bytes hold.
  const mm_carved_storage *carved;
} mm_handoff_options;

typedef struct mm_handoff_result {
  mm_handoff_stage failed_stage;  // MM_HANDOFF_DONE on success
  mm_storage_plan plan;           // valid from the plan stage on
  mm_carved_storage carved;       // valid when the carve stage succeeded (and kept only on success)
} mm_handoff_result;

// Builds an allocator in `alloc` (caller storage of mm_phys_allocator_size() bytes, suitably aligned) from the
// normalized `map` and the pending `reservations`, carving its bookkeeping through `window`. The plan counts
// the two carved arrays itself: pass the set as it is. On success the set holds the two carved spans
// (MM_RES_BOOKKEEPING "free_runs" / "reserved") and the allocator owns its copy of them. `options` may be NULL.
// Logs what the stages log (mm.plan, mm.carve; timing lines when options->cycles is set).
// Errors (out->failed_stage names the stage): MM_ERR_INVALID_ARGUMENT (a NULL argument or a window without
// map; stage plan), those of carve_option_storage or, with options->carved, of mm_reservation_add (stage
// carve), those of mm_phys_init (stage initialize).
// On any error the reservation set is exactly as it was and no allocator exists.
mm_status mm_handoff_into(mm_phys_allocator *alloc, const mm_firmware_map *map, mm_reservation_set *reservations,
                          const mm_phys_window *window, const mm_handoff_options *options, mm_handoff_result *out);

// The same hand-off into the global cell (mm/runtime.h): the last stage is initialize_runtime_allocator, which
// logs `runtime allocator initialized`. The kernel's entry. Errors as mm_handoff_into, plus
// MM_ERR_ALREADY_INITIALIZED (stage initialize) when the cell already holds an allocator.
mm_status mm_handoff_to_runtime(const mm_firmware_map *map, mm_reservation_set *reservations,
                                const mm_phys_window *window, const mm_handoff_options *options,
                                mm_handoff_result *out);

#endif  // MM_HANDOFF_H
