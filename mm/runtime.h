// runtime.h: the global cell that makes the runtime allocator reachable, and only after the hand-off.
#ifndef MM_RUNTIME_H
#define MM_RUNTIME_H

#include "mm/phys_alloc.h"

// Hands the allocator to the global cell: builds it from the copied map, the full reservation list and the
// carved backing (mm_phys_init). Succeeds once; a second call returns MM_ERR_ALREADY_INITIALIZED. Logs the
// exact line `runtime allocator initialized` at the normal level on success.
mm_status initialize_runtime_allocator(const mm_firmware_map *map, const mm_reservation_set *reservations,
                                       const mm_carved_storage *carved, const mm_phys_window *window);

// Runs fn(allocator, ctx) with exclusive access and returns what fn returns. Before initialization it does not
// call fn and returns MM_ERR_NOT_INITIALIZED: callers that can run before the hand-off handle that case.
// Access is serialized by a fair ticket lock (first come, first served) on a cache line of its own. The rule
// for a held lock, decided by the owner id (mm_runtime_set_owner_fn): the same owner (re-entry from inside fn)
// gets MM_ERR_BUSY at once; a different owner waits its turn, calling the relax function
// (mm_runtime_set_relax_fn) while it spins. With the default owner function every caller is the same owner,
// so a second CPU would get MM_ERR_BUSY: an SMP kernel installs its CPU-number owner first.
typedef mm_status (*mm_runtime_fn)(mm_phys_allocator *alloc, void *ctx);
mm_status with_runtime_allocator(mm_runtime_fn fn, void *ctx);

// Identifies the caller (CPU or thread) to the lock so re-entry can be told from contention. The id must be
// nonzero. Without one (the default, and right for a single CPU) every caller is the same owner, so a held
// lock always means re-entry and with_runtime_allocator returns MM_ERR_BUSY instead of spinning; an SMP
// kernel installs its CPU-number function before starting other CPUs, host tests a thread id. NULL restores
// the default.
typedef uint64_t (*mm_runtime_owner_fn)(void);
void mm_runtime_set_owner_fn(mm_runtime_owner_fn owner);

// The spin-wait hint called once per iteration while waiting for the lock (the kernel installs arch_cpu_relax:
// x86 PAUSE, AArch64 YIELD; host tests may install a thread yield). NULL (the default) spins without a hint.
// Install before other CPUs start.
typedef void (*mm_runtime_relax_fn)(void);
void mm_runtime_set_relax_fn(mm_runtime_relax_fn relax);

// True once initialize_runtime_allocator has succeeded.
bool runtime_allocator_ready(void);

// Host tests only: forgets the global allocator so a test can initialize again.
void mm_runtime_reset_for_tests(void);

#endif  // MM_RUNTIME_H
