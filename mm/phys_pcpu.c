// phys_pcpu.c: the allocator's per-CPU front end (phys_pcpu.h): refill, drain, eviction and the hooks that keep
// cached frames consistent with the free set.
//
// Locks: the cell's global lock (held by every function here except the two fast paths), then cache locks in
// ascending CPU order. A fast path holds only its own cache's lock and never waits for the global lock, so
// there is no cycle. Frame states change only under the global lock or under the lock of the cache the frame
// enters or leaves, so a holder of the global lock and every cache lock (lock_all) sees them stand still.
#include "mm/phys_pcpu.h"

#include "mm/log.h"
#include "mm/phys_alloc_internal.h"

#define PAIR_LOW_BITS 0x5555555555555555ull  // the low bit of each 2-bit frame state

void phys_pcpu_lock_all(mm_phys_allocator *a) {
  for (uint32_t i = 0; i < phys_cache_cpus(&a->cache); i++) {
    phys_cpu_cache_lock(&a->cache.cpus[i]);
  }
}

void phys_pcpu_unlock_all(mm_phys_allocator *a) {
  for (uint32_t i = phys_cache_cpus(&a->cache); i > 0; i--) {
    phys_cpu_cache_unlock(&a->cache.cpus[i - 1]);
  }
}

mm_status phys_pcpu_alloc_fast(mm_phys_allocator *a, uint32_t cpu, phys_addr_t *out) {
  phys_cpu_cache *c = &a->cache.cpus[cpu];
  phys_cpu_cache_lock(c);
  phys_addr_t f = phys_cpu_cache_pop(c);
  if (f == PHYS_NONE) {
    phys_cpu_cache_unlock(c);
    return MM_ERR_NO_MEMORY;
  }
  uint32_t seen;
  if (!phys_cache_transition(&a->cache, f, PHYS_FRAME_CACHED, PHYS_FRAME_OUT, &seen)) {
    mm_panic("phys_pcpu_alloc_fast", "a frame in a CPU cache is not in state cached");
  }
  phys_cpu_cache_unlock(c);
  *out = f;
  return MM_OK;
}

mm_status phys_pcpu_free_fast(mm_phys_allocator *a, uint32_t cpu, phys_addr_t frame) {
  if ((frame & MM_FRAME_MASK) != 0 || !phys_cache_covers(&a->cache, frame)) {
    return MM_ERR_BUSY;
  }
  phys_cpu_cache *c = &a->cache.cpus[cpu];
  phys_cpu_cache_lock(c);
  if (c->count == PHYS_CACHE_CAPACITY) {
    phys_cpu_cache_unlock(c);
    return MM_ERR_BUSY;
  }
  uint32_t seen;
  if (!phys_cache_transition(&a->cache, frame, PHYS_FRAME_OUT, PHYS_FRAME_CACHED, &seen)) {
    phys_cpu_cache_unlock(c);
    return seen == PHYS_FRAME_CACHED ? MM_ERR_DOUBLE_FREE : MM_ERR_BUSY;
  }
  phys_cpu_cache_push(c, frame);
  phys_cpu_cache_unlock(c);
  return MM_OK;
}

// ---------------------------------------------------------------------------------------------------------
// Frames leaving a cache for the free set (drain, eviction; the locked free path in phys_pcpu_locked.c).

// A frame leaving a cache (its lock or lock_all held) for the free set.
void phys_pcpu_give_back(mm_phys_allocator *a, phys_addr_t f) {
  uint32_t seen;
  if (!phys_cache_transition(&a->cache, f, PHYS_FRAME_CACHED, PHYS_FRAME_PLAIN, &seen)) {
    mm_panic("phys_pcpu", "a cached frame could not go back to the free set");
  }
  phys_untake_frame(a, f);
}

// ---------------------------------------------------------------------------------------------------------
// Hooks for phys_alloc.c.

uint64_t phys_pcpu_drain_all(mm_phys_allocator *a) {
  uint32_t cpus = phys_cache_cpus(&a->cache);
  uint64_t moved = 0;
  for (uint32_t i = 0; i < cpus; i++) {
    phys_cpu_cache *c = &a->cache.cpus[i];
    phys_cpu_cache_lock(c);
    for (phys_addr_t f = phys_cpu_cache_pop(c); f != PHYS_NONE; f = phys_cpu_cache_pop(c)) {
      phys_pcpu_give_back(a, f);
      moved++;
    }
    phys_cpu_cache_unlock(c);
  }
  if (moved != 0) {
    debug_structured(LOG_DEBUG, "mm.cpu_caches_drained", KV_U("frames", moved));
  }
  return moved;
}

// One bit (the low bit of the frame's pair) per frame of word `w` in `state`.
static uint64_t bits_in_state(uint64_t w, uint32_t state) {
  uint64_t lo = w & PAIR_LOW_BITS, hi = (w >> 1) & PAIR_LOW_BITS;
  if (state == PHYS_FRAME_CACHED) {
    return lo & ~hi;
  }
  if (state == PHYS_FRAME_OUT) {
    return hi & ~lo;
  }
  return ~(lo | hi) & PAIR_LOW_BITS;
}

// Frame indexes [*first, *last) of [base, end) inside the state map; false when none.
static bool state_range(const phys_cache *c, phys_addr_t base, phys_addr_t end, uint64_t *first, uint64_t *last) {
  if (phys_cache_cpus(c) == 0 || end <= c->base || base >= c->end) {
    return false;
  }
  phys_addr_t b = base > c->base ? base : c->base, e = end < c->end ? end : c->end;
  *first = (b - c->base) >> MM_FRAME_SHIFT;
  *last = (e - c->base + MM_FRAME_MASK) >> MM_FRAME_SHIFT;
  return *first < *last;
}

// The low-bit mask of the frames of word `wi` inside [first, last).
static uint64_t word_mask(uint64_t wi, uint64_t first, uint64_t last) {
  uint64_t lo = wi * 32u, hi = lo + 32u;
  uint64_t f = first > lo ? first - lo : 0, l = last < hi ? last - lo : 32u;
  uint64_t pairs = l - f;
  uint64_t m = pairs == 32u ? UINT64_MAX : (((uint64_t)1 << (2u * pairs)) - 1u) << (2u * f);
  return m & PAIR_LOW_BITS;
}

uint64_t phys_pcpu_count_state(const mm_phys_allocator *a, phys_addr_t base, phys_addr_t end, uint32_t state) {
  uint64_t first, last, n = 0;
  if (!state_range(&a->cache, base, end, &first, &last)) {
    return 0;
  }
  for (uint64_t wi = first >> 5; wi <= (last - 1u) >> 5; wi++) {
    uint64_t w = __atomic_load_n(&a->cache.states[wi], __ATOMIC_RELAXED);
    n += (uint64_t)__builtin_popcountll(bits_in_state(w, state) & word_mask(wi, first, last));
  }
  return n;
}

void phys_pcpu_evict(mm_phys_allocator *a, phys_addr_t base, phys_addr_t end) {
  if (phys_pcpu_count_state(a, base, end, PHYS_FRAME_CACHED) == 0) {
    return;
  }
  phys_pcpu_lock_all(a);
  for (uint32_t i = 0; i < phys_cache_cpus(&a->cache); i++) {
    phys_cpu_cache *c = &a->cache.cpus[i];
    for (uint32_t k = c->count; k > 0; k--) {
      phys_addr_t f = c->frames[k - 1];
      if (f >= base && f < end) {
        phys_cpu_cache_remove(c, f);
        phys_pcpu_give_back(a, f);
      }
    }
  }
  phys_pcpu_unlock_all(a);
}

void phys_pcpu_forget_out(mm_phys_allocator *a, phys_addr_t base, phys_addr_t end) {
  uint64_t first, last;
  if (!state_range(&a->cache, base, end, &first, &last)) {
    return;
  }
  for (uint64_t wi = first >> 5; wi <= (last - 1u) >> 5; wi++) {
    uint64_t *word = &a->cache.states[wi];
    uint64_t w = __atomic_load_n(word, __ATOMIC_RELAXED);
    for (;;) {
      uint64_t out = bits_in_state(w, PHYS_FRAME_OUT) & word_mask(wi, first, last);
      if (out == 0 ||
          __atomic_compare_exchange_n(word, &w, w & ~(out << 1), true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
        break;
      }
    }
  }
}

uint64_t phys_pcpu_cached_frames(const mm_phys_allocator *a) {
  uint32_t cpus = phys_cache_cpus(&a->cache);
  uint64_t n = 0;
  for (uint32_t i = 0; i < cpus; i++) {
    n += phys_cpu_cache_count(&a->cache.cpus[i]);
  }
  return n;
}
