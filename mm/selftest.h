// selftest.h: the allocator self-test the kernel runs after the hand-off, portable so tools/mmreplay runs the
// same one in simulated memory.
//
// Allocates a fixed mix (single frames, small contiguous runs, 2 MiB-aligned blocks, DMA-style runs below
// 4 GiB: MM_SELFTEST_ALLOCATIONS in all), checks each answer against its constraints, against the
// reservations and against the others, writes a pattern into every allocation through the memory accessor and
// verifies all of it (aliasing between allocations shows up), frees everything, runs the invariant checker and
// checks that the counts came back (only the allocator's own bookkeeping growth may move frames from free to
// reserved). Logs one mm.selftest_alloc line per allocation at debug level.
#ifndef MM_SELFTEST_H
#define MM_SELFTEST_H

#include "mm/phys_alloc.h"

#define MM_SELFTEST_ALLOCATIONS 17u

typedef struct mm_selftest_result {
  uint32_t allocations;  // made so far (all MM_SELFTEST_ALLOCATIONS on success)
  const char *failure;   // NULL on success, else one phrase naming the failed check (e.g. "pattern mismatch";
                         // "invariant_checker" when the invariant checker refused the state)
  const char *detail;    // the invariant checker's reason when failure is "invariant_checker", else NULL
} mm_selftest_result;

// Called once after everything was freed and before the invariant checker runs (the kernel's test builds use it
// to corrupt the state on purpose; see boot/test_hooks.c). NULL: none.
typedef void (*mm_selftest_hook)(mm_phys_allocator *alloc, void *ctx);

// Runs the self-test on `alloc`, reading and writing allocated memory through `window`. Returns MM_OK, the
// allocator's status when an allocation or a free failed, MM_ERR_NO_MEMORY when the window cannot map an
// allocation, MM_ERR_INVARIANT when a check failed; out->failure says which. On failure, allocations made so
// far stay allocated (the state is kept for diagnosis). MM_ERR_INVALID_ARGUMENT for NULL arguments.
mm_status mm_selftest_run(mm_phys_allocator *alloc, const mm_phys_window *window, mm_selftest_hook hook, void *hook_ctx,
                          mm_selftest_result *out);

#endif  // MM_SELFTEST_H
