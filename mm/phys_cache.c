// phys_cache.c: per-CPU frame caches and their frame-state map (phys_cache.h).
#include "mm/phys_cache.h"

static uint64_t state_words(phys_addr_t base, phys_addr_t end) {
  return (((end - base) >> MM_FRAME_SHIFT) + 31u) / 32u;
}

// Caches first, from PHYS_CACHE_SKEW into the (frame-aligned) storage, then the state words from the next
// PHYS_CACHE_STATE_PAGE boundary, so each refill region's states fill one page of their own.
static uint64_t states_offset(uint32_t cpu_count) {
  uint64_t b = PHYS_CACHE_SKEW + (uint64_t)cpu_count * sizeof(phys_cpu_cache);
  return (b + PHYS_CACHE_STATE_PAGE - 1u) & ~(uint64_t)(PHYS_CACHE_STATE_PAGE - 1u);
}

uint64_t phys_cache_storage_bytes(uint32_t cpu_count, phys_addr_t base, phys_addr_t end) {
  if (base >= end) {
    return 0;
  }
  uint64_t bytes = states_offset(cpu_count) + state_words(base, end) * sizeof(uint64_t);
  if (bytes > (UINT64_MAX >> 1)) {
    return 0;
  }
  return (bytes + MM_FRAME_MASK) & ~(uint64_t)MM_FRAME_MASK;
}

void phys_cache_init(phys_cache *self, void *storage, phys_block block, uint32_t cpu_count, phys_addr_t base,
                     phys_addr_t end) {
  mm_memset(storage, 0, block.bytes);
  self->cpus = (phys_cpu_cache *)(void *)((uint8_t *)storage + PHYS_CACHE_SKEW);
  for (uint32_t i = 0; i < cpu_count; i++) {
    self->cpus[i].region = PHYS_NONE;
  }
  self->states = (uint64_t *)(void *)((uint8_t *)storage + states_offset(cpu_count));
  self->base = base;
  self->end = end;
  self->block = block;
  __atomic_store_n(&self->cpu_count, cpu_count, __ATOMIC_RELEASE);
}

// Keeps the order of the others (the most recently cached stay on top).
bool phys_cpu_cache_remove(phys_cpu_cache *c, phys_addr_t frame) {
  for (uint32_t i = 0; i < c->count; i++) {
    if (c->frames[i] == frame) {
      for (uint32_t j = i + 1; j < c->count; j++) {
        c->frames[j - 1] = c->frames[j];
      }
      __atomic_store_n(&c->count, c->count - 1u, __ATOMIC_RELAXED);
      return true;
    }
  }
  return false;
}
