// sim_physmem.c: lazily backed simulated physical memory (see sim_physmem.h).
#include "tools/hostlib/sim_physmem.h"

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

// Makes room for one more item in a growable array of `size`-byte items.
static void reserve_one(void **items, uint64_t count, uint64_t *capacity, size_t size) {
  if (count < *capacity) return;
  *capacity = *capacity ? *capacity * 2 : 16;
  *items = xrealloc(*items, (size_t)*capacity * size);
}

void sim_physmem_init(sim_physmem *sim, uint64_t budget_bytes) {
  memset(sim, 0, sizeof *sim);
  sim->budget_bytes = budget_bytes;
  sim->fill = SIM_PHYSMEM_POISON;
  sim->fail_after = SIM_PHYSMEM_NEVER_FAIL;
}

void sim_physmem_destroy(sim_physmem *sim) {
  for (uint64_t i = 0; i < sim->chunk_count; i++) free(sim->chunks[i].host);
  for (uint64_t i = 0; i < sim->retired_count; i++) free(sim->retired[i]);
  free(sim->chunks);
  free(sim->retired);
  free(sim->ram);
  free(sim->holes);
  memset(sim, 0, sizeof *sim);
}

void sim_physmem_set_fill(sim_physmem *sim, uint8_t fill) { sim->fill = fill; }

void sim_physmem_fail_after(sim_physmem *sim, uint64_t n) { sim->fail_after = n; }

static void add_ram_span(sim_physmem *sim, phys_addr_t base, phys_addr_t last) {
  // Insert sorted, then merge neighbours that touch or overlap.
  reserve_one((void **)&sim->ram, sim->ram_count, &sim->ram_capacity, sizeof(sim_span));
  uint64_t i = sim->ram_count;
  while (i > 0 && sim->ram[i - 1].base > base) {
    sim->ram[i] = sim->ram[i - 1];
    i--;
  }
  sim->ram[i] = (sim_span){base, last};
  sim->ram_count++;
  uint64_t out = 0;
  for (uint64_t k = 0; k < sim->ram_count; k++) {
    sim_span *prev = out > 0 ? &sim->ram[out - 1] : NULL;
    // Touching: prev ends at the byte before k begins (prev->last + 1 cannot wrap unless prev reaches 2^64).
    if (prev != NULL && (prev->last == UINT64_MAX || sim->ram[k].base <= prev->last + 1)) {
      if (sim->ram[k].last > prev->last) prev->last = sim->ram[k].last;
    } else {
      sim->ram[out++] = sim->ram[k];
    }
  }
  sim->ram_count = out;
}

void sim_physmem_add_ram(sim_physmem *sim, phys_addr_t base, phys_addr_t end) {
  if (end <= base) return;
  add_ram_span(sim, base, end - 1);
}

void sim_physmem_add_all_ram(sim_physmem *sim) { add_ram_span(sim, 0, UINT64_MAX); }

void sim_physmem_add_hole(sim_physmem *sim, phys_addr_t base, phys_addr_t end) {
  if (end <= base) return;
  reserve_one((void **)&sim->holes, sim->hole_count, &sim->hole_capacity, sizeof(sim_span));
  sim->holes[sim->hole_count++] = (sim_span){base, end - 1};
}

static bool is_ram(const sim_physmem *sim, phys_addr_t base, phys_addr_t last) {
  for (uint64_t i = 0; i < sim->ram_count; i++) {
    if (sim->ram[i].base <= base && last <= sim->ram[i].last) return true;
  }
  return false;
}

static bool touches_hole(const sim_physmem *sim, phys_addr_t base, phys_addr_t last) {
  for (uint64_t i = 0; i < sim->hole_count; i++) {
    if (base <= sim->holes[i].last && sim->holes[i].base <= last) return true;
  }
  return false;
}

// The chunk that backs all of [base, last], or NULL.
static const sim_chunk *covering_chunk(const sim_physmem *sim, phys_addr_t base, phys_addr_t last) {
  // Binary search for the last chunk starting at or below base.
  uint64_t lo = 0, hi = sim->chunk_count;
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    if (sim->chunks[mid].base <= base) lo = mid + 1;
    else hi = mid;
  }
  if (lo == 0) return NULL;
  const sim_chunk *c = &sim->chunks[lo - 1];
  return last <= c->last ? c : NULL;
}

uint8_t *sim_physmem_peek(const sim_physmem *sim, phys_addr_t phys, uint64_t bytes) {
  if (bytes == 0) bytes = 1;
  if (phys > UINT64_MAX - (bytes - 1)) return NULL;
  const sim_chunk *c = covering_chunk(sim, phys, phys + (bytes - 1));
  return c ? c->host + (phys - c->base) : NULL;
}

bool sim_physmem_is_backed(const sim_physmem *sim, phys_addr_t base, phys_addr_t end) {
  return end > base && covering_chunk(sim, base, end - 1) != NULL;
}

static void retire(sim_physmem *sim, uint8_t *host) {
  reserve_one((void **)&sim->retired, sim->retired_count, &sim->retired_capacity, sizeof(uint8_t *));
  sim->retired[sim->retired_count++] = host;
}

static void *granted(sim_physmem *sim, void *p) {
  sim->maps++;
  if (sim->fail_after != SIM_PHYSMEM_NEVER_FAIL) sim->fail_after--;
  return p;
}

void *sim_physmem_map(sim_physmem *sim, phys_addr_t phys, uint64_t bytes) {
  sim->map_calls++;
  if (sim->fail_after == 0) {
    sim->refused_failing++;
    return NULL;
  }
  if (bytes == 0) bytes = 1;  // the kernel's identity window answers any size; so does this one
  if (phys > UINT64_MAX - (bytes - 1)) {
    sim->refused_bad_range++;
    return NULL;
  }
  phys_addr_t last = phys + (bytes - 1);
  phys_addr_t fb = phys & ~MM_FRAME_MASK;  // first byte of the first frame
  phys_addr_t fl = last | MM_FRAME_MASK;   // last byte of the last frame (never wraps)
  if (!is_ram(sim, fb, fl) || touches_hole(sim, phys, last)) {
    sim->refused_not_ram++;
    return NULL;
  }
  const sim_chunk *hit = covering_chunk(sim, fb, fl);
  if (hit != NULL) return granted(sim, hit->host + (phys - hit->base));

  // Chunks overlapping [fb, fl]: a contiguous index range [lo, hi) of the sorted table.
  uint64_t lo = 0;
  while (lo < sim->chunk_count && sim->chunks[lo].last < fb) lo++;
  uint64_t hi = lo;
  while (hi < sim->chunk_count && sim->chunks[hi].base <= fl) hi++;
  // A new chunk covering the request and every chunk it overlaps.
  phys_addr_t nb = fb, nl = fl;
  uint64_t old_bytes = 0;
  for (uint64_t k = lo; k < hi; k++) {
    if (sim->chunks[k].base < nb) nb = sim->chunks[k].base;
    if (sim->chunks[k].last > nl) nl = sim->chunks[k].last;
    old_bytes += sim->chunks[k].last - sim->chunks[k].base + 1;
  }
  uint64_t size = nl - nb + 1;  // 0 only for the whole 2^64 space
  if (size == 0 || size > sim->budget_bytes || sim->host_bytes > sim->budget_bytes - size || size > SIZE_MAX) {
    sim->refused_budget++;
    return NULL;
  }
  // Frame aligned, like the kernel's mapping of real frames: a physical address and its host address share
  // their low 12 bits, so which data shares a 64-byte cache line is the same here as in the kernel (malloc's
  // 16-byte alignment made neighbouring CPUs' frame states share lines that never share one in the kernel).
  uint8_t *host = aligned_alloc(MM_FRAME_SIZE, (size_t)size);
  if (host == NULL) {
    sim->refused_budget++;
    return NULL;
  }
  memset(host, sim->fill, (size_t)size);
  for (uint64_t k = lo; k < hi; k++) {
    const sim_chunk *old = &sim->chunks[k];
    memcpy(host + (old->base - nb), old->host, (size_t)(old->last - old->base + 1));
    retire(sim, old->host);  // a pointer mm/ still holds into it stays valid memory
  }
  sim->host_bytes += size;
  // Replace chunks [lo, hi) by the one new chunk.
  uint64_t removed = hi - lo;
  if (removed == 0) {
    reserve_one((void **)&sim->chunks, sim->chunk_count, &sim->chunk_capacity, sizeof(sim_chunk));
    memmove(&sim->chunks[lo + 1], &sim->chunks[lo], (size_t)(sim->chunk_count - lo) * sizeof(sim_chunk));
    sim->chunk_count++;
  } else if (removed > 1) {
    memmove(&sim->chunks[lo + 1], &sim->chunks[hi], (size_t)(sim->chunk_count - hi) * sizeof(sim_chunk));
    sim->chunk_count -= removed - 1;
  }
  sim->chunks[lo] = (sim_chunk){nb, nl, host};
  sim->backed_bytes = sim->backed_bytes - old_bytes + size;
  if (sim->backed_bytes > sim->peak_backed_bytes) sim->peak_backed_bytes = sim->backed_bytes;
  return granted(sim, host + (phys - nb));
}

static void *window_map(void *ctx, phys_addr_t phys, uint64_t bytes) { return sim_physmem_map(ctx, phys, bytes); }

mm_phys_window sim_physmem_window(sim_physmem *sim) {
  mm_phys_window w = {window_map, sim};
  return w;
}
