// phys_pcpu_locked.c: enabling the per-CPU caches and their locked paths (phys_pcpu.h), above the public API:
// their fallbacks are mm_phys_alloc_frame / mm_phys_free with every check, and the caches' storage comes from
// mm_phys_alloc + mm_phys_reserve. Global lock held throughout (runtime.c).
#include "mm/log.h"
#include "mm/phys_alloc_internal.h"
#include "mm/phys_pcpu.h"

// The span of memory the map can ever make managed: lowest to highest usable or reclaimable region.
static bool managed_span(const mm_phys_allocator *a, phys_addr_t *base, phys_addr_t *end) {
  const mm_firmware_map *map = a->managed.map;
  *base = PHYS_NONE;
  *end = 0;
  for (uint64_t i = 0; i < map->region_count; i++) {
    const mm_region *r = &map->regions[i];
    if (r->type != MM_REGION_USABLE && !mm_region_type_reclaimable(r->type)) {
      continue;
    }
    if (r->base < *base) {
      *base = r->base;
    }
    if (r->end > *end) {
      *end = r->end;
    }
  }
  return *base < *end;
}

mm_status phys_pcpu_enable(mm_phys_allocator *a, uint32_t cpu_count) {
  if (cpu_count == 0) {
    return MM_ERR_INVALID_ARGUMENT;
  }
  if (phys_cache_cpus(&a->cache) != 0) {
    return MM_ERR_ALREADY_INITIALIZED;
  }
  phys_addr_t base, end;
  if (!managed_span(a, &base, &end)) {
    return MM_ERR_NO_MEMORY;
  }
  // The state map starts on a refill-region boundary, so each region's 2-bit states fill exactly one page
  // (phys_cache.c starts the map on a page boundary of the frame-aligned storage).
  base &= ~(PHYS_CACHE_REFILL_ALIGN - 1);
  uint64_t bytes = phys_cache_storage_bytes(cpu_count, base, end);
  if (bytes == 0) {
    return MM_ERR_NO_MEMORY;
  }
  mm_alloc_request req = {bytes >> MM_FRAME_SHIFT, MM_FRAME_SIZE, 0, 0};
  phys_addr_t phys;
  mm_status s = mm_phys_alloc(a, &req, &phys);
  if (s != MM_OK) {
    return s;
  }
  void *storage = phys_map(a, phys, bytes);
  if (storage == 0 || mm_phys_reserve(a, phys, bytes, MM_RES_BOOKKEEPING, "phys.cpu_caches") != MM_OK) {
    mm_phys_free(a, phys, req.count);
    return MM_ERR_NO_MEMORY;
  }
  phys_block block = {phys, bytes, false};
  phys_cache_init(&a->cache, storage, block, cpu_count, base, end);
  debug_structured(LOG_INFO, "mm.cpu_caches", KV_U("cpus", cpu_count), KV_X("phys", phys), KV_U("bytes", bytes),
                   KV_U("capacity", PHYS_CACHE_CAPACITY), KV_U("batch", PHYS_CACHE_BATCH));
  return MM_OK;
}

// ---------------------------------------------------------------------------------------------------------
// Fast paths (no global lock).

// True when `region` is the refill region of a CPU other than `cpu`.
static bool region_taken(const mm_phys_allocator *a, uint32_t cpu, phys_addr_t region) {
  for (uint32_t i = 0; i < phys_cache_cpus(&a->cache); i++) {
    if (i != cpu && a->cache.cpus[i].region == region) {
      return true;
    }
  }
  return false;
}

// One free frame for `cpu`'s refill (counted allocated), from its region when that has one, else from a region
// it claims (see phys_pcpu_alloc_locked). PHYS_NONE when the free set is empty.
static phys_addr_t refill_one(mm_phys_allocator *a, uint32_t cpu, phys_cpu_cache *c, uint32_t wanted) {
  const uint64_t size = PHYS_CACHE_REFILL_ALIGN;
  if (c->region != PHYS_NONE) {
    phys_addr_t hi = c->region + size < c->region ? UINT64_MAX : c->region + size;
    phys_addr_t f = phys_take_run(a, 1, MM_FRAME_SIZE, c->region, hi);
    if (f != PHYS_NONE) {
      return f;
    }
  }
  // A fresh region: a whole aligned batch when there is one (nothing else of the region is free then).
  if (wanted == PHYS_CACHE_BATCH) {
    phys_addr_t lo = 0;
    for (uint32_t tries = 0; tries <= phys_cache_cpus(&a->cache); tries++) {
      phys_addr_t at = phys_fs_find(&a->fs, PHYS_CACHE_BATCH, size, lo, UINT64_MAX);
      if (at == PHYS_NONE) {
        break;
      }
      if (!region_taken(a, cpu, at)) {
        c->region = at;
        return phys_take_run(a, 1, MM_FRAME_SIZE, at, at + MM_FRAME_SIZE);
      }
      lo = at + size;
    }
  }
  phys_addr_t f = phys_take_frame(a);
  for (uint32_t tries = 0; f != PHYS_NONE && tries < phys_cache_cpus(&a->cache); tries++) {
    phys_addr_t region = f & ~(size - 1);
    if (!region_taken(a, cpu, region)) {
      c->region = region;
      return f;
    }
    // Another CPU refills from there: give the frame back and look above that region.
    phys_untake_frame(a, f);
    f = region + size < region ? PHYS_NONE : phys_take_run(a, 1, MM_FRAME_SIZE, region + size, UINT64_MAX);
  }
  if (f == PHYS_NONE) {
    // Every free frame lies in other CPUs' regions (or there is none): share the region of the frame the
    // single-frame policy gives, rather than report the free set empty (which would drain every cache).
    f = phys_take_frame(a);
  }
  if (f != PHYS_NONE) {
    c->region = f & ~(size - 1);
  }
  return f;
}

mm_status phys_pcpu_alloc_locked(mm_phys_allocator *a, uint32_t cpu, phys_addr_t *out) {
  if (!phys_pcpu_has(a, cpu)) {
    return mm_phys_alloc_frame(a, out);
  }
  phys_cpu_cache *c = &a->cache.cpus[cpu];
  phys_cpu_cache_lock(c);
  // Refills keep each CPU's frames apart from every other CPU's: the 2-bit state map puts 256 frames on one
  // 64-byte line, so two CPUs holding neighbouring frames would write the same line on every fast-path operation
  // (measured: the 2-thread hot pair cost 4x the 1-thread CPU time, the 2-thread random churn 5x; phys_cache.h
  // says why a region is a whole page of states). Each CPU
  // refills from a PHYS_CACHE_REFILL_ALIGN region of its own (cache->region): first a whole aligned batch, then
  // single frames inside its region, and when the region has no free frame left it claims another: the region
  // of the frame the single-frame policy (phys_alloc.h) would give, unless another CPU holds that region, then the
  // next free frame above it; when all of those are other CPUs', it shares one. Regions are read and written under
  // the global lock only.
  for (uint32_t i = c->count; i < PHYS_CACHE_BATCH; i++) {
    phys_addr_t f = refill_one(a, cpu, c, PHYS_CACHE_BATCH - i);
    if (f == PHYS_NONE) {
      break;
    }
    uint32_t seen;
    if (!phys_cache_transition(&a->cache, f, PHYS_FRAME_PLAIN, PHYS_FRAME_CACHED, &seen)) {
      mm_panic("phys_pcpu_alloc_locked", "a frame from the free set is not in state plain");
    }
    phys_cpu_cache_push(c, f);
  }
  phys_addr_t f = phys_cpu_cache_pop(c);
  if (f != PHYS_NONE) {
    uint32_t seen;
    if (!phys_cache_transition(&a->cache, f, PHYS_FRAME_CACHED, PHYS_FRAME_OUT, &seen)) {
      mm_panic("phys_pcpu_alloc_locked", "a frame in a CPU cache is not in state cached");
    }
    phys_cpu_cache_unlock(c);
    *out = f;
    return MM_OK;
  }
  phys_cpu_cache_unlock(c);
  return mm_phys_alloc_frame(a, out);  // the free set is empty: drains the other caches, then tries again
}

mm_status phys_pcpu_free_locked(mm_phys_allocator *a, uint32_t cpu, phys_addr_t frame) {
  if (!phys_pcpu_has(a, cpu) || (frame & MM_FRAME_MASK) != 0 || !phys_cache_covers(&a->cache, frame)) {
    return mm_phys_free(a, frame, 1);
  }
  phys_cpu_cache *c = &a->cache.cpus[cpu];
  phys_cpu_cache_lock(c);
  uint32_t state = phys_cache_state(&a->cache, frame);
  if (state != PHYS_FRAME_OUT) {
    phys_cpu_cache_unlock(c);
    return state == PHYS_FRAME_CACHED ? MM_ERR_DOUBLE_FREE : mm_phys_free(a, frame, 1);
  }
  if (c->count == PHYS_CACHE_CAPACITY) {
    for (uint32_t i = 0; i < PHYS_CACHE_BATCH; i++) {
      phys_pcpu_give_back(a, phys_cpu_cache_pop(c));
    }
  }
  uint32_t seen;
  if (!phys_cache_transition(&a->cache, frame, PHYS_FRAME_OUT, PHYS_FRAME_CACHED, &seen)) {
    phys_cpu_cache_unlock(c);  // another CPU freed the same frame meanwhile
    return MM_ERR_DOUBLE_FREE;
  }
  phys_cpu_cache_push(c, frame);
  phys_cpu_cache_unlock(c);
  return MM_OK;
}
