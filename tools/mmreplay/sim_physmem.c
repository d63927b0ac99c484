// sim_physmem.c: lazily backed simulated physical memory (see sim_physmem.h).
#include "tools/mmreplay/sim_physmem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n);
  if (q == NULL) {
    fprintf(stderr, "sim_physmem: out of host memory\n");
    abort();
  }
  return q;
}

void sim_physmem_init(sim_physmem *sim, uint64_t budget_bytes) {
  memset(sim, 0, sizeof *sim);
  sim->budget_bytes = budget_bytes;
}

void sim_physmem_destroy(sim_physmem *sim) {
  for (uint64_t i = 0; i < sim->chunk_count; i++) free(sim->chunks[i].host);
  for (uint64_t i = 0; i < sim->retired_count; i++) free(sim->retired[i]);
  free(sim->chunks);
  free(sim->retired);
  free(sim->ram);
  memset(sim, 0, sizeof *sim);
}

void sim_physmem_add_ram(sim_physmem *sim, phys_addr_t base, phys_addr_t end) {
  if (end <= base) return;
  // Insert sorted, then merge neighbours that touch or overlap.
  if (sim->ram_count == sim->ram_capacity) {
    sim->ram_capacity = sim->ram_capacity ? sim->ram_capacity * 2 : 16;
    sim->ram = xrealloc(sim->ram, sim->ram_capacity * sizeof(mm_range));
  }
  uint64_t i = sim->ram_count;
  while (i > 0 && sim->ram[i - 1].base > base) {
    sim->ram[i] = sim->ram[i - 1];
    i--;
  }
  sim->ram[i] = (mm_range){base, end};
  sim->ram_count++;
  uint64_t out = 0;
  for (uint64_t k = 0; k < sim->ram_count; k++) {
    if (out > 0 && sim->ram[k].base <= sim->ram[out - 1].end) {
      if (sim->ram[k].end > sim->ram[out - 1].end) sim->ram[out - 1].end = sim->ram[k].end;
    } else {
      sim->ram[out++] = sim->ram[k];
    }
  }
  sim->ram_count = out;
}

static bool is_ram(const sim_physmem *sim, phys_addr_t base, phys_addr_t end) {
  for (uint64_t i = 0; i < sim->ram_count; i++) {
    if (sim->ram[i].base <= base && end <= sim->ram[i].end) return true;
  }
  return false;
}

bool sim_physmem_is_backed(const sim_physmem *sim, phys_addr_t base, phys_addr_t end) {
  for (uint64_t i = 0; i < sim->chunk_count; i++) {
    if (sim->chunks[i].base <= base && end <= sim->chunks[i].end) return true;
  }
  return false;
}

static void *sim_map(void *ctx, phys_addr_t phys, uint64_t bytes) {
  sim_physmem *sim = ctx;
  sim->map_calls++;
  if (bytes == 0) bytes = 1;
  if (phys > UINT64_MAX - bytes) return NULL;
  phys_addr_t last = phys + bytes - 1;
  if (last > UINT64_MAX - MM_FRAME_MASK) return NULL;
  phys_addr_t fb = phys & ~MM_FRAME_MASK;
  phys_addr_t fe = (last + 1 + MM_FRAME_MASK) & ~MM_FRAME_MASK;
  if (!is_ram(sim, fb, fe)) {
    sim->refused_not_ram++;
    return NULL;
  }
  // Chunks overlapping [fb, fe): a contiguous index range [lo, hi) of the sorted table.
  uint64_t lo = 0;
  while (lo < sim->chunk_count && sim->chunks[lo].end <= fb) lo++;
  uint64_t hi = lo;
  while (hi < sim->chunk_count && sim->chunks[hi].base < fe) hi++;
  if (hi == lo + 1 && sim->chunks[lo].base <= fb && fe <= sim->chunks[lo].end) {
    return sim->chunks[lo].host + (phys - sim->chunks[lo].base);
  }
  // A new chunk covering the request and every chunk it overlaps.
  phys_addr_t nb = fb, ne = fe;
  uint64_t old_bytes = 0;
  for (uint64_t k = lo; k < hi; k++) {
    if (sim->chunks[k].base < nb) nb = sim->chunks[k].base;
    if (sim->chunks[k].end > ne) ne = sim->chunks[k].end;
    old_bytes += sim->chunks[k].end - sim->chunks[k].base;
  }
  uint64_t size = ne - nb;
  if (size > sim->budget_bytes || sim->host_bytes > sim->budget_bytes - size || size > SIZE_MAX) {
    sim->refused_budget++;
    return NULL;
  }
  uint8_t *host = malloc((size_t)size);
  if (host == NULL) {
    sim->refused_budget++;
    return NULL;
  }
  memset(host, SIM_PHYSMEM_POISON, (size_t)size);
  for (uint64_t k = lo; k < hi; k++) {
    memcpy(host + (sim->chunks[k].base - nb), sim->chunks[k].host, (size_t)(sim->chunks[k].end - sim->chunks[k].base));
    // Retired, not freed: a pointer mm/ still holds into it stays valid memory (stale, never dangling).
    if (sim->retired_count == sim->retired_capacity) {
      sim->retired_capacity = sim->retired_capacity ? sim->retired_capacity * 2 : 16;
      sim->retired = xrealloc(sim->retired, sim->retired_capacity * sizeof(uint8_t *));
    }
    sim->retired[sim->retired_count++] = sim->chunks[k].host;
  }
  sim->host_bytes += size;
  // Replace chunks [lo, hi) by the one new chunk.
  uint64_t removed = hi - lo;
  if (removed == 0) {
    if (sim->chunk_count == sim->chunk_capacity) {
      sim->chunk_capacity = sim->chunk_capacity ? sim->chunk_capacity * 2 : 16;
      sim->chunks = xrealloc(sim->chunks, sim->chunk_capacity * sizeof(sim_chunk));
    }
    memmove(&sim->chunks[lo + 1], &sim->chunks[lo], (sim->chunk_count - lo) * sizeof(sim_chunk));
    sim->chunk_count++;
  } else if (removed > 1) {
    memmove(&sim->chunks[lo + 1], &sim->chunks[hi], (sim->chunk_count - hi) * sizeof(sim_chunk));
    sim->chunk_count -= removed - 1;
  }
  sim->chunks[lo] = (sim_chunk){nb, ne, host};
  sim->backed_bytes = sim->backed_bytes - old_bytes + size;
  if (sim->backed_bytes > sim->peak_backed_bytes) sim->peak_backed_bytes = sim->backed_bytes;
  return host + (phys - nb);
}

mm_phys_window sim_physmem_window(sim_physmem *sim) {
  mm_phys_window w = {sim_map, sim};
  return w;
}
