// sim_physmem.h: the one simulated physical address space of the host tests, fuzzers, benchmark and mmreplay.
//
// Only the frames mm/ actually touches exist: each mm_phys_window map() request is backed lazily by a host
// buffer, kept in a table of disjoint frame-aligned chunks sorted by physical address, so simulating a 12 TiB
// machine costs host memory in proportion to the allocator's bookkeeping, never to the machine's RAM.
//
// A request is refused (NULL; mm/ must treat it as MM_ERR_NO_MEMORY) when it wraps 2^64,
// lies outside the ranges declared as RAM, touches a declared hole, would push the host bytes past
// the budget, or comes after the fail-after count ran out. Each refusal is counted by reason.
// New chunks are filled with the fill byte (SIM_PHYSMEM_POISON unless set), like uninitialized RAM, so code
// that reads memory it never wrote, or forgets to zero what it takes, is caught.
//
// A request that overlaps existing chunks only partly gets one new chunk covering all of them, with their
// contents copied; the old buffers are retired, not freed, so a pointer handed out earlier stays valid memory
// (stale, never dangling). Host buffers are frame aligned, so a physical address and the host address it maps
// to agree in their low 12 bits, as in the kernel: cache-line sharing in a host benchmark is the kernel's. Ranges are
// stored with inclusive last addresses, so the frame ending at 2^64 works.
//
// Host only (C11 + libc). C++ tests use the RAII wrapper mm_testing::SimPhys (mm/testing/sim_phys.h).
#ifndef TOOLS_HOSTLIB_SIM_PHYSMEM_H
#define TOOLS_HOSTLIB_SIM_PHYSMEM_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/mm_types.h"

#define SIM_PHYSMEM_POISON 0xa5u
#define SIM_PHYSMEM_NEVER_FAIL UINT64_MAX

typedef struct sim_chunk {
  phys_addr_t base;  // frame aligned
  phys_addr_t last;  // last byte, inclusive (base of the next frame - 1)
  uint8_t *host;
} sim_chunk;

typedef struct sim_span {  // [base, last], inclusive
  phys_addr_t base;
  phys_addr_t last;
} sim_span;

typedef struct sim_physmem {
  sim_chunk *chunks;  // sorted by base, disjoint
  uint64_t chunk_count, chunk_capacity;
  sim_span *ram;  // sorted, disjoint, merged
  uint64_t ram_count, ram_capacity;
  sim_span *holes;  // in the order declared
  uint64_t hole_count, hole_capacity;
  uint8_t **retired;  // buffers of merged chunks, kept until destroy
  uint64_t retired_count, retired_capacity;
  uint8_t fill;               // byte new chunks start as
  uint64_t fail_after;        // successful maps left before every map fails (SIM_PHYSMEM_NEVER_FAIL: never)
  uint64_t backed_bytes;      // sum of chunk sizes now
  uint64_t host_bytes;        // every buffer ever allocated (live + retired): what the budget limits
  uint64_t peak_backed_bytes;
  uint64_t budget_bytes;      // refuse requests that would push host_bytes past this
  uint64_t map_calls;         // every map() call
  uint64_t maps;              // successful map() calls
  uint64_t refused_not_ram;   // requests outside RAM or touching a hole
  uint64_t refused_budget;    // requests over the budget
  uint64_t refused_failing;   // requests after the fail-after count ran out
  uint64_t refused_bad_range; // requests that wrap 2^64
} sim_physmem;

// Starts an empty address space (no RAM, fill SIM_PHYSMEM_POISON, never failing) with a host-memory budget.
void sim_physmem_init(sim_physmem *sim, uint64_t budget_bytes);
// Frees every buffer, live and retired; pointers handed out become invalid.
void sim_physmem_destroy(sim_physmem *sim);

// The byte new chunks are filled with (chunks already backed keep their contents).
void sim_physmem_set_fill(sim_physmem *sim, uint8_t fill);
// Declares [base, end) as RAM that may be backed. Ranges may be added in any order and may touch or overlap;
// an empty or reversed range is ignored.
void sim_physmem_add_ram(sim_physmem *sim, phys_addr_t base, phys_addr_t end);
// Declares the whole 64-bit space, up to and including the byte at 2^64 - 1, as RAM.
void sim_physmem_add_all_ram(sim_physmem *sim);
// Refuses every later request that intersects [base, end), RAM or not, backed or not (an unbacked hole).
void sim_physmem_add_hole(sim_physmem *sim, phys_addr_t base, phys_addr_t end);
// After `n` more successful maps every request fails (SIM_PHYSMEM_NEVER_FAIL: never; 0: from now on).
void sim_physmem_fail_after(sim_physmem *sim, uint64_t n);

// The request itself: a host pointer to [phys, phys + bytes) (bytes 0 counts as 1) or NULL (see above).
void *sim_physmem_map(sim_physmem *sim, phys_addr_t phys, uint64_t bytes);
// The window mm/ reads and writes through: its map() is sim_physmem_map.
mm_phys_window sim_physmem_window(sim_physmem *sim);

// The host address of [phys, phys + bytes) if one chunk backs all of it, else NULL. Counts nothing, backs
// nothing, ignores holes and the fail-after count: for tests that look at what mm/ wrote.
uint8_t *sim_physmem_peek(const sim_physmem *sim, phys_addr_t phys, uint64_t bytes);
// True when [base, end) is backed right now by one chunk (for tests: what was touched).
bool sim_physmem_is_backed(const sim_physmem *sim, phys_addr_t base, phys_addr_t end);

#endif  // TOOLS_HOSTLIB_SIM_PHYSMEM_H
