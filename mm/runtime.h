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
// nonzero, and it is the CPU number plus one: owner id 1 is CPU 0, id N + 1 is CPU N, the index of the
// caller's per-CPU frame cache (mm_runtime_enable_cpu_caches). Without one (the default, and right for a single CPU)
// every caller is the same owner, so a held lock always means re-entry and with_runtime_allocator returns MM_ERR_BUSY
// instead of spinning; an SMP kernel installs its CPU-number function before starting other CPUs, host tests a thread
// id. NULL restores the default.
typedef uint64_t (*mm_runtime_owner_fn)(void);
void mm_runtime_set_owner_fn(mm_runtime_owner_fn owner);

// The spin-wait hint called once per iteration while waiting for the lock (the kernel installs arch_cpu_relax:
// x86 PAUSE, AArch64 YIELD). Host threads, unlike a kernel's CPUs, can be preempted while they hold the next
// ticket, so host tests and benchmarks install one that yields the host CPU. NULL (the default) spins without a hint.
// Install before other CPUs start.
typedef void (*mm_runtime_relax_fn)(void);
void mm_runtime_set_relax_fn(mm_runtime_relax_fn relax);

// Per-CPU frame caches in front of the lock. Sizes one cache per CPU for `cpu_count` CPUs (the real count;
// no limit is built in), with storage taken from the runtime allocator and reserved as MM_RES_BOOKKEEPING
// "phys.cpu_caches": 2 KiB plus cpu_count * 640 bytes, rounded up to a page, then 2 bits per 4 KiB frame from the
// 64 MiB boundary below the lowest to the highest usable or reclaimable address (64 KiB per GiB); see
// mm/phys_cache.h for why each CPU refills from a 64 MiB region of its own. Call once after the hand-off, before other
// CPUs run. Errors: MM_ERR_NOT_INITIALIZED, MM_ERR_INVALID_ARGUMENT (cpu_count 0), MM_ERR_ALREADY_INITIALIZED (called
// before), MM_ERR_NO_MEMORY, MM_ERR_BUSY (from inside a with_runtime_allocator callback). Logs
// `mm.cpu_caches cpus= phys= bytes= capacity= batch=` on success.
//
// Each cache holds at most 64 frames (256 KiB); a refill takes and a drain returns 32 frames under the lock.
// Cached frames are free memory to every other request: a request through with_runtime_allocator that finds
// no memory drains every cache and tries again before MM_ERR_NO_MEMORY, a fixed allocation takes cached
// frames out of their caches, a late reservation takes them out before reserving. mm_phys_get_stats reports
// them as cached_frames (free + cached + reserved + allocated == managed); the invariant checker verifies them.
mm_status mm_runtime_enable_cpu_caches(uint32_t cpu_count);

// One frame for the calling CPU: from its cache without the global lock when the caller's CPU index (owner id
// - 1) is below the enabled cpu_count and the cache is not empty, else under the lock (refilling the cache).
// Without caches, or from a CPU without one, it is with_runtime_allocator + mm_phys_alloc_frame (the same
// frames). Errors: MM_ERR_INVALID_ARGUMENT (out NULL), MM_ERR_NOT_INITIALIZED, MM_ERR_NO_MEMORY (after
// draining every cache), MM_ERR_BUSY (the locked path was needed from inside a callback on the same CPU).
mm_status mm_runtime_alloc_frame(phys_addr_t *out);

// Gives one frame back into the calling CPU's cache: without the global lock when a cache handed it out and
// the cache has room; otherwise under the lock (draining 32 frames when the cache is full, or mm_phys_free
// with all its checks for a frame no cache handed out). Errors as mm_phys_free (MM_ERR_MISALIGNED,
// MM_ERR_NOT_OWNED, MM_ERR_RESERVED, MM_ERR_DOUBLE_FREE, also for a frame that sits in any CPU's cache), plus
// MM_ERR_NOT_INITIALIZED and MM_ERR_BUSY as above.
mm_status mm_runtime_free_frame(phys_addr_t frame);

// True once initialize_runtime_allocator has succeeded.
bool runtime_allocator_ready(void);

// Host tests only: forgets the global allocator so a test can initialize again.
void mm_runtime_reset_for_tests(void);

#endif  // MM_RUNTIME_H
