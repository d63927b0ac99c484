// phys_pcpu.h: the allocator's per-CPU front end (phys_pcpu.c), moving frames between the per-CPU caches
// (phys_cache.h) and the free set. Private to //mm: the runtime cell (runtime.c) composes it with its global
// lock into mm_runtime_alloc_frame / mm_runtime_free_frame, and phys_alloc.c calls the hooks at the end.
// phys_pcpu.c (fast paths, hooks) sits below phys_alloc.c; phys_pcpu_locked.c (enable and the locked paths,
// which fall back on the public mm_phys_* calls) sits above it, beside runtime.c.
//
// Accounting: a cached frame is out of the free set and inside allocator->allocated_frames; the stats report
// it as cached_frames and subtract it from allocated_frames, so free + cached + reserved + allocated ==
// managed. Every frame in a cache has state PHYS_FRAME_CACHED, every frame a cache handed out (until it comes
// back or the locked path frees or reserves it) PHYS_FRAME_OUT.
//
// Rules for frames in caches, seen from the rest of the allocator (the hooks below keep them):
//   - any request that finds no memory drains every cache into the free set and tries again before it
//     returns MM_ERR_NO_MEMORY (no frame is stranded in a cache);
//   - a fixed allocation over cached frames takes them out of their caches (a cached frame is free memory);
//   - a late reservation over a cached frame takes it out of its cache first (it is never handed out again);
//   - freeing a cached frame, by either path, is MM_ERR_DOUBLE_FREE.
#ifndef MM_PHYS_PCPU_H
#define MM_PHYS_PCPU_H

#include "mm/phys_state.h"

// Enables caches for `cpu_count` CPUs (CPU indexes 0 .. cpu_count - 1), with storage from the allocator
// itself recorded as MM_RES_BOOKKEEPING "phys.cpu_caches". Global lock held. Errors (nothing changed):
// MM_ERR_INVALID_ARGUMENT (cpu_count 0), MM_ERR_ALREADY_INITIALIZED (enabled before), MM_ERR_NO_MEMORY.
mm_status phys_pcpu_enable(mm_phys_allocator *a, uint32_t cpu_count);

// True when CPU `cpu` has a cache.
static inline bool phys_pcpu_has(const mm_phys_allocator *a, uint32_t cpu) { return cpu < phys_cache_cpus(&a->cache); }

// Fast paths, without the global lock, by CPU `cpu` itself (phys_pcpu_has true). Alloc: MM_OK, or
// MM_ERR_NO_MEMORY when the cache is empty (take the locked path). Free: MM_OK; MM_ERR_DOUBLE_FREE (the frame
// sits in a cache; nothing changed); MM_ERR_BUSY when the locked path must decide (the cache is full, or no
// cache handed this frame out, or it is misaligned or outside the state map).
mm_status phys_pcpu_alloc_fast(mm_phys_allocator *a, uint32_t cpu, phys_addr_t *out);
mm_status phys_pcpu_free_fast(mm_phys_allocator *a, uint32_t cpu, phys_addr_t frame);

// Locked paths (global lock held). Alloc: refills the cache with up to PHYS_CACHE_BATCH frames and hands one
// out; when the free set is empty, drains every cache and takes one frame directly; MM_ERR_NO_MEMORY only when
// there is none anywhere. Free: a frame a cache handed out goes back into `cpu`'s cache (draining
// PHYS_CACHE_BATCH frames to the free set first if it is full); any other frame goes through mm_phys_free with
// all its checks. A cpu without a cache uses mm_phys_alloc_frame / mm_phys_free.
mm_status phys_pcpu_alloc_locked(mm_phys_allocator *a, uint32_t cpu, phys_addr_t *out);
mm_status phys_pcpu_free_locked(mm_phys_allocator *a, uint32_t cpu, phys_addr_t frame);

// ---- Hooks for phys_alloc.c (global lock held; all cheap no-ops while the caches are disabled) ----

// Empties every cache into the free set. Returns the frames moved.
uint64_t phys_pcpu_drain_all(mm_phys_allocator *a);
// Frames of [base, end) in state `state`.
uint64_t phys_pcpu_count_state(const mm_phys_allocator *a, phys_addr_t base, phys_addr_t end, uint32_t state);
// Takes every cached frame of [base, end) out of its cache (state PLAIN, still counted allocated).
void phys_pcpu_evict(mm_phys_allocator *a, phys_addr_t base, phys_addr_t end);
// Forgets that caches handed out the frames of [base, end) (OUT -> PLAIN): the locked path freed or reserved them.
void phys_pcpu_forget_out(mm_phys_allocator *a, phys_addr_t base, phys_addr_t end);
// Every cache's lock in ascending CPU order (and back): with the global lock, no frame state or cache changes
// meanwhile (the checker and eviction).
void phys_pcpu_lock_all(mm_phys_allocator *a);
void phys_pcpu_unlock_all(mm_phys_allocator *a);
// Frames in all caches (atomic reads; exact while no CPU runs a fast path).
uint64_t phys_pcpu_cached_frames(const mm_phys_allocator *a);

// ---- Frames leaving and re-entering the free set with the accounting (phys_take.c; global lock held) ----

// One free frame by the single-frame policy, counted allocated, without draining caches.
phys_addr_t phys_take_frame(mm_phys_allocator *a);

// The lowest `count` contiguous free frames aligned to `align` bytes inside [lo, hi), counted allocated, without
// draining caches; PHYS_NONE when there is no such run.
phys_addr_t phys_take_run(mm_phys_allocator *a, uint64_t count, uint64_t align, phys_addr_t lo, phys_addr_t hi);
// Puts back one frame taken above (allocated, in state PLAIN, under no reservation); panics if it is free.
void phys_untake_frame(mm_phys_allocator *a, phys_addr_t frame);
// A cached frame (its cache's lock or lock_all held) back into the free set: CACHED -> PLAIN, then untaken.
void phys_pcpu_give_back(mm_phys_allocator *a, phys_addr_t frame);

#endif  // MM_PHYS_PCPU_H
