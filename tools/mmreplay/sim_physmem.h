// sim_physmem.h: a simulated physical address space for replaying mm/ on the host.
//
// Only the frames mm/ actually touches exist: each mm_phys_window map() request is backed lazily by a host
// buffer, kept in a table of disjoint frame-aligned chunks sorted by physical address, so replaying a 12 TiB
// machine costs host memory in proportion to the allocator's bookkeeping, never to the machine's RAM.
//
// Requests outside the ranges declared as RAM (sim_physmem_add_ram) are refused (NULL), as are requests that
// would push the backed total past the budget: mm/ must treat both as MM_ERR_NO_MEMORY, and the replay reports
// them. New chunks are filled with a poison byte, like uninitialized RAM, so code that reads memory it never
// wrote is caught.
#ifndef TOOLS_MMREPLAY_SIM_PHYSMEM_H
#define TOOLS_MMREPLAY_SIM_PHYSMEM_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/mm_types.h"

#define SIM_PHYSMEM_POISON 0xa5u

typedef struct sim_chunk {
  phys_addr_t base;  // frame aligned
  phys_addr_t end;   // frame aligned, exclusive
  uint8_t *host;
} sim_chunk;

typedef struct sim_physmem {
  sim_chunk *chunks;  // sorted by base, disjoint
  uint64_t chunk_count, chunk_capacity;
  mm_range *ram;  // sorted, disjoint, merged
  uint64_t ram_count, ram_capacity;
  uint8_t **retired;  // buffers of merged chunks, kept until destroy
  uint64_t retired_count, retired_capacity;
  uint64_t backed_bytes;      // sum of chunk sizes now
  uint64_t host_bytes;        // every buffer ever allocated (live + retired): what the budget limits
  uint64_t peak_backed_bytes;
  uint64_t budget_bytes;      // refuse requests that would exceed this
  uint64_t map_calls;
  uint64_t refused_not_ram;   // requests outside RAM
  uint64_t refused_budget;    // requests over the budget
} sim_physmem;

// Starts an empty address space with a host-memory budget (bytes).
void sim_physmem_init(sim_physmem *sim, uint64_t budget_bytes);
void sim_physmem_destroy(sim_physmem *sim);

// Declares [base, end) as RAM that may be backed. Ranges may be added in any order and may touch or overlap.
void sim_physmem_add_ram(sim_physmem *sim, phys_addr_t base, phys_addr_t end);

// The window mm/ reads and writes through: map(ctx, phys, bytes) returns a host pointer to [phys, phys+bytes)
// or NULL (not RAM, over budget, or wrapping 2^64). A request that overlaps existing chunks only partly gets
// one new chunk covering all of them, with their contents copied; the old buffers are retired, not freed, so
// a pointer handed out earlier stays valid memory (like mm/testing/sim_phys.h, which the C++ tests use).
mm_phys_window sim_physmem_window(sim_physmem *sim);

// True when [base, end) is backed right now (for tests: what was touched).
bool sim_physmem_is_backed(const sim_physmem *sim, phys_addr_t base, phys_addr_t end);

#endif  // TOOLS_MMREPLAY_SIM_PHYSMEM_H
