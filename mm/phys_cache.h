// phys_cache.h: per-CPU frame caches and the frame-state map that goes with them (phys_cache.c). Private to //mm.
//
// A layer of its own: it knows frames, CPUs and locks, not the free set. The allocator composes it
// (phys_state.h) and phys_pcpu.c moves frames between it and the free set.
//
//   cpus[i]     one cache per CPU: a small stack of frames behind a lock of its own. The owner CPU takes the
//               lock on its fast path (uncontended: one atomic exchange); a drainer holding the cell's global
//               lock takes it rarely (refill of another CPU never happens; drain-all and eviction do).
//   states      two bits per frame over [base, end), the span of memory the map can ever make managed:
//                 PHYS_FRAME_PLAIN   the caches know nothing of the frame (free, reserved, or allocated by
//                                    the locked path): the free set decides
//                 PHYS_FRAME_CACHED  the frame sits in exactly one CPU cache (the free set holds it as
//                                    allocated; the allocator counts it as cached)
//                 PHYS_FRAME_OUT     a CPU cache handed the frame out and it has not come back yet
//               The states are what makes a double free of a cached frame detectable without the global
//               lock, and what lets the fast free path accept only frames a cache handed out.
//
// Bound: PHYS_CACHE_CAPACITY frames per CPU (refill and drain move PHYS_CACHE_BATCH at a time), so at most
// cpu_count * 256 KiB of memory sits in caches. Storage: PHYS_CACHE_SKEW + cpu_count * sizeof(phys_cpu_cache)
// (rounded up to a PHYS_CACHE_STATE_PAGE, where the state map starts) plus 2 bits per
// 4 KiB frame of [base, end) (64 KiB per GiB of span, 0.006%), taken from the allocator as bookkeeping.
#ifndef MM_PHYS_CACHE_H
#define MM_PHYS_CACHE_H

#include "mm/phys_types.h"

#define PHYS_CACHE_CAPACITY 64u
#define PHYS_CACHE_BATCH 32u
// Each CPU refills from a region of this size and alignment of its own (phys_pcpu_locked.c): its 16384 frames'
// 2-bit states fill one aligned 4 KiB page of the state map (which starts on a page), so two CPUs' fast paths
// never write the same line, pair of lines or page of states. Measured on the 2-thread random churn (each thread
// frees and takes back random frames of its own): with the regions' states interleaved within pages (1 MiB
// regions, one line each; 2 MiB, one 128-byte pair each; 8 MiB, 512 bytes each) the per-thread CPU time was
// 14-19 ns against 12 ns for one thread; with a page each, 12.0 ns, as the hot pair. The hardware prefetchers
// fetch neighbouring lines of a page on a miss (Intel 64 and IA-32 Architectures Optimization Reference Manual,
// L2 spatial and streamer prefetchers; AMD Software Optimization Guide for Family 19h, L1 region and L2 up/down
// prefetchers), so lines of another CPU's states in the same page come and go with its writes. LLFree (Wrenger
// et al., USENIX ATC '23) reserves per-CPU trees of the same size (32 huge frames = 64 MiB). When every region
// with free frames is another CPU's, a CPU shares one rather than fail (small machines, many CPUs).
#define PHYS_CACHE_STATE_PAGE 4096u
#define PHYS_CACHE_REFILL_ALIGN ((uint64_t)PHYS_CACHE_STATE_PAGE * 4u * MM_FRAME_SIZE)
// The caches start this far into their page. A CPU takes the lowest frames of its region first, whose states
// sit at the start of the region's state page; a cache's lock and count at the same offset of another page
// would look alike to the load/store unit, which compares address bits 11:0 before the whole address ("4K
// aliasing": Intel Optimization Reference Manual, memory disambiguation; AMD Family 19h SOG, store-to-load
// forwarding), and the 1-thread hot pair measured 12.1 ns instead of 11.3.
#define PHYS_CACHE_SKEW 2048u
#define PHYS_CACHE_LINE 64u
#define PHYS_CACHE_PAIR 128u

enum { PHYS_FRAME_PLAIN = 0u, PHYS_FRAME_CACHED = 1u, PHYS_FRAME_OUT = 2u };

// One CPU's cache, a whole number of 128-byte line pairs: the storage is frame aligned, so no two CPUs' caches
// share a line or a pair (the spatial prefetchers fetch aligned pairs; a cache's lines stay hot in its CPU's
// L1, so sharing a page with another CPU's cache costs nothing measurable, unlike the states). (Padded rather than
// _Alignas: where the storage lands is decided by its mapping, frame aligned in the kernel and in the host tests'
// simulated memory, tools/hostlib/sim_physmem.h, not by the C type.)
typedef struct phys_cpu_cache {
  uint32_t lock;                            // 0 free, 1 held; atomic
  uint32_t count;                           // frames held; written under the lock, read atomically by stats
  phys_addr_t frames[PHYS_CACHE_CAPACITY];  // [0, count) valid, most recently cached last
  // The PHYS_CACHE_REFILL_ALIGN region this CPU refills from (PHYS_NONE: none yet); written and read under the
  // global lock only (phys_pcpu.c: no two CPUs share one, so their frames' states never share a line).
  phys_addr_t region;
  uint8_t pad[PHYS_CACHE_PAIR - (16u + 8u * PHYS_CACHE_CAPACITY) % PHYS_CACHE_PAIR];
} phys_cpu_cache;
_Static_assert(sizeof(phys_cpu_cache) % PHYS_CACHE_PAIR == 0, "CPU caches must not share cache lines or pairs");

typedef struct phys_cache {
  phys_cpu_cache *cpus;   // cpu_count caches; NULL while disabled
  uint64_t *states;       // 2 bits per frame of [base, end), 32 frames per word; atomic words
  phys_addr_t base, end;  // frame aligned
  uint32_t cpu_count;     // 0 while disabled; stored last (release) when enabled
  phys_block block;       // where cpus and states live
} phys_cache;

// Bytes of storage phys_cache_init needs for `cpu_count` caches and the state map of [base, end) (frame
// aligned, base < end), rounded up to whole frames; 0 when that would pass 2^63.
uint64_t phys_cache_storage_bytes(uint32_t cpu_count, phys_addr_t base, phys_addr_t end);

// Enables the caches in `storage` (block.bytes >= phys_cache_storage_bytes, mapped; zeroed here): every frame
// PLAIN, every cache empty. Publishes cpu_count last, so a CPU that reads it nonzero sees the rest.
void phys_cache_init(phys_cache *self, void *storage, phys_block block, uint32_t cpu_count, phys_addr_t base,
                     phys_addr_t end);

// cpu_count with acquire ordering (0: disabled).
static inline uint32_t phys_cache_cpus(const phys_cache *self) {
  return __atomic_load_n(&self->cpu_count, __ATOMIC_ACQUIRE);
}

// True when `frame` (frame aligned) has a state slot.
static inline bool phys_cache_covers(const phys_cache *self, phys_addr_t frame) {
  return frame >= self->base && frame < self->end;
}

// The state of a covered frame (atomic load).
static inline uint32_t phys_cache_state(const phys_cache *self, phys_addr_t frame) {
  uint64_t i = (frame - self->base) >> MM_FRAME_SHIFT;
  uint64_t w = __atomic_load_n(&self->states[i >> 5], __ATOMIC_RELAXED);
  return (uint32_t)(w >> ((i & 31u) * 2u)) & 3u;
}

// Moves a covered frame from state `from` to `to` atomically (a compare-exchange loop: other frames of the
// word may change meanwhile). False, nothing changed, when its state is not `from` (*seen receives it).
static inline bool phys_cache_transition(phys_cache *self, phys_addr_t frame, uint32_t from, uint32_t to,
                                         uint32_t *seen) {
  uint64_t i = (frame - self->base) >> MM_FRAME_SHIFT;
  uint64_t *word = &self->states[i >> 5];
  unsigned shift = (unsigned)(i & 31u) * 2u;
  uint64_t w = __atomic_load_n(word, __ATOMIC_RELAXED);
  for (;;) {
    uint32_t state = (uint32_t)(w >> shift) & 3u;
    if (state != from) {
      *seen = state;
      return false;
    }
    uint64_t next = (w & ~((uint64_t)3u << shift)) | ((uint64_t)to << shift);
    if (__atomic_compare_exchange_n(word, &w, next, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
      return true;
    }
  }
}

// The per-cache lock (test-and-set). Taken by the owner on its fast path and by drainers that hold the global
// lock; a cache lock holder never waits for the global lock, so there is no lock cycle.
static inline void phys_cpu_cache_lock(phys_cpu_cache *c) {
  while (__atomic_exchange_n(&c->lock, 1u, __ATOMIC_ACQUIRE) != 0) {
    while (__atomic_load_n(&c->lock, __ATOMIC_RELAXED) != 0) {
    }
  }
}
static inline void phys_cpu_cache_unlock(phys_cpu_cache *c) { __atomic_store_n(&c->lock, 0u, __ATOMIC_RELEASE); }

// Frames held, readable without the lock (stats).
static inline uint32_t phys_cpu_cache_count(const phys_cpu_cache *c) {
  return __atomic_load_n(&c->count, __ATOMIC_RELAXED);
}

// With the cache's lock held: push (false when full) and pop (PHYS_NONE when empty).
static inline bool phys_cpu_cache_push(phys_cpu_cache *c, phys_addr_t frame) {
  uint32_t n = c->count;
  if (n == PHYS_CACHE_CAPACITY) {
    return false;
  }
  c->frames[n] = frame;
  __atomic_store_n(&c->count, n + 1u, __ATOMIC_RELAXED);
  return true;
}
static inline phys_addr_t phys_cpu_cache_pop(phys_cpu_cache *c) {
  uint32_t n = c->count;
  if (n == 0) {
    return PHYS_NONE;
  }
  __atomic_store_n(&c->count, n - 1u, __ATOMIC_RELAXED);
  return c->frames[n - 1u];
}

// With the cache's lock held: removes `frame` wherever it sits (false when it is not there).
bool phys_cpu_cache_remove(phys_cpu_cache *c, phys_addr_t frame);

#endif  // MM_PHYS_CACHE_H
