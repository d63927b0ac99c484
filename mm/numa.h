// numa.h: the NUMA node table (issue 10 item 7) and node-aware allocation, a layer on top of the runtime
// allocator's public API (phys_alloc.h).
//
// The firmware says which physical ranges belong to which proximity domain (ACPI 6.5 section 5.2.16.2 SRAT
// Memory Affinity; Devicetree `numa-node-id` on /memory nodes, Linux Documentation/devicetree/bindings/numa.txt).
// The platform layer (platform/numa.h) reads those and fills an mm_numa: this file only models the result.
// Domains get dense node ids 0..N-1 in order of first appearance (mm_numa_add calls), the firmware's number is kept as
// `pxm`. The table is kept beside the firmware map for provenance: it never changes the map or what is managed.
//
// Storage is the caller's: count the ranges first, then pass storage for exactly that many (no fixed maximum).
// Portable C11, no libc.
#ifndef MM_NUMA_H
#define MM_NUMA_H

#include "mm/mm_types.h"
#include "mm/phys_alloc.h"

// "Any node": mm_phys_alloc_node behaves exactly like mm_phys_alloc.
#define MM_NODE_ANY UINT32_MAX

typedef enum mm_numa_source {
  MM_NUMA_SOURCE_NONE = 0,    // no affinity information: one node holding everything
  MM_NUMA_SOURCE_SRAT,        // ACPI SRAT memory affinity
  MM_NUMA_SOURCE_DEVICETREE,  // devicetree /memory nodes with numa-node-id
} mm_numa_source;

// One range [base, end) of node `node`; `pxm` is the firmware's proximity domain (SRAT) or numa-node-id (DT).
typedef struct mm_numa_range {
  uint32_t node;
  uint32_t pxm;
  phys_addr_t base;
  phys_addr_t end;
} mm_numa_range;

// Treat as read-only outside numa.c. After mm_numa_finish returned MM_OK, ranges[0..count) are sorted by base,
// disjoint (ranges of one node that touched or overlapped are merged) and every node id < node_count has at least
// one range. count == 0 means one node (id 0) holding all memory, source MM_NUMA_SOURCE_NONE.
typedef struct mm_numa {
  mm_numa_source source;
  mm_numa_range *ranges;
  uint32_t capacity;
  uint32_t count;
  uint32_t node_count;  // distinct domains seen; 0 while count == 0
} mm_numa;

// An empty table (one node, source none) over `storage[0..capacity)` (storage may be NULL when capacity is 0).
void mm_numa_init(mm_numa *numa, mm_numa_range *storage, uint32_t capacity, mm_numa_source source);

// Adds [base, base + length) for firmware domain `pxm` (a new domain gets the next node id). A zero length is
// ignored (MM_OK). Errors, with the table unchanged: MM_ERR_INVALID_ARGUMENT (numa NULL), MM_ERR_OVERFLOW (the
// end passes 2^64), MM_ERR_STORAGE_TOO_SMALL (capacity reached).
mm_status mm_numa_add(mm_numa *numa, uint32_t pxm, phys_addr_t base, uint64_t length);

// The two ranges of different nodes that overlap, as mm_numa_finish found them.
typedef struct mm_numa_conflict {
  mm_numa_range a, b;
} mm_numa_conflict;

// Sorts by base and merges touching or overlapping ranges of one node. Ranges of two nodes that overlap are
// MM_ERR_BAD_MAP: the NUMA information is dropped (the table becomes empty, source none: one node) and
// *conflict (may be NULL) names the pair, so the caller can log one line and go on. MM_ERR_INVALID_ARGUMENT for
// numa NULL.
mm_status mm_numa_finish(mm_numa *numa, mm_numa_conflict *conflict);

// The number of nodes the kernel runs with: node_count, or 1 when the table is empty.
uint32_t mm_numa_nodes(const mm_numa *numa);

// The node holding `phys`, or MM_NODE_ANY when no range does (or the table is empty).
uint32_t mm_numa_node_of(const mm_numa *numa, phys_addr_t phys);

// "none", "srat", "devicetree".
const char *mm_numa_source_name(mm_numa_source source);

// mm_phys_alloc restricted to node `node`: the frames lie inside one of the node's ranges and inside the
// request's [min_addr, max_addr); the node's ranges are tried lowest first. node == MM_NODE_ANY, or node 0 of an
// empty table, is plain mm_phys_alloc. Errors, with no change of state: MM_ERR_INVALID_ARGUMENT (a NULL pointer,
// a node id >= mm_numa_nodes, or a request mm_phys_alloc refuses as such), MM_ERR_ZERO_COUNT, MM_ERR_NO_MEMORY
// (the node has no free run satisfying the request).
mm_status mm_phys_alloc_node(mm_phys_allocator *alloc, const mm_numa *numa, uint32_t node, const mm_alloc_request *req,
                             phys_addr_t *out);

#endif  // MM_NUMA_H
