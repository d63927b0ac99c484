// numa.c: the NUMA node table and node-aware allocation (numa.h).
#include "mm/numa.h"

void mm_numa_init(mm_numa *numa, mm_numa_range *storage, uint32_t capacity, mm_numa_source source) {
  if (numa == 0) return;
  numa->source = source;
  numa->ranges = storage;
  numa->capacity = storage ? capacity : 0;
  numa->count = 0;
  numa->node_count = 0;
}

// The node id already given to `pxm`, or MM_NODE_ANY.
static uint32_t node_of_pxm(const mm_numa *numa, uint32_t pxm) {
  for (uint32_t i = 0; i < numa->count; i++) {
    if (numa->ranges[i].pxm == pxm) return numa->ranges[i].node;
  }
  return MM_NODE_ANY;
}

mm_status mm_numa_add(mm_numa *numa, uint32_t pxm, phys_addr_t base, uint64_t length) {
  if (numa == 0) return MM_ERR_INVALID_ARGUMENT;
  if (length == 0) return MM_OK;
  if (base + length < base || base + length == 0) return MM_ERR_OVERFLOW;
  if (numa->count >= numa->capacity) return MM_ERR_STORAGE_TOO_SMALL;
  uint32_t node = node_of_pxm(numa, pxm);
  if (node == MM_NODE_ANY) node = numa->node_count++;
  numa->ranges[numa->count++] = (mm_numa_range){node, pxm, base, base + length};
  return MM_OK;
}

static void drop(mm_numa *numa) {
  numa->count = 0;
  numa->node_count = 0;
  numa->source = MM_NUMA_SOURCE_NONE;
}

mm_status mm_numa_finish(mm_numa *numa, mm_numa_conflict *conflict) {
  if (numa == 0) return MM_ERR_INVALID_ARGUMENT;
  mm_numa_range *r = numa->ranges;
  // Insertion sort by base: the tables are small (a few ranges per node) and this needs no scratch.
  for (uint32_t i = 1; i < numa->count; i++) {
    mm_numa_range x = r[i];
    uint32_t j = i;
    while (j > 0 && r[j - 1].base > x.base) {
      r[j] = r[j - 1];
      j--;
    }
    r[j] = x;
  }
  uint32_t out = 0;
  for (uint32_t i = 0; i < numa->count; i++) {
    if (out > 0 && r[i].base <= r[out - 1].end) {
      if (r[i].node != r[out - 1].node && r[i].base < r[out - 1].end) {
        if (conflict) {
          conflict->a = r[out - 1];
          conflict->b = r[i];
        }
        drop(numa);
        return MM_ERR_BAD_MAP;
      }
      if (r[i].node == r[out - 1].node) {
        if (r[i].end > r[out - 1].end) r[out - 1].end = r[i].end;
        continue;
      }
    }
    r[out++] = r[i];
  }
  numa->count = out;
  if (out == 0) drop(numa);
  return MM_OK;
}

uint32_t mm_numa_nodes(const mm_numa *numa) { return (numa == 0 || numa->count == 0) ? 1 : numa->node_count; }

uint32_t mm_numa_node_of(const mm_numa *numa, phys_addr_t phys) {
  if (numa == 0) return MM_NODE_ANY;
  for (uint32_t i = 0; i < numa->count; i++) {
    if (phys >= numa->ranges[i].base && phys < numa->ranges[i].end) return numa->ranges[i].node;
  }
  return MM_NODE_ANY;
}

const char *mm_numa_source_name(mm_numa_source source) {
  switch (source) {
    case MM_NUMA_SOURCE_SRAT:
      return "srat";
    case MM_NUMA_SOURCE_DEVICETREE:
      return "devicetree";
    case MM_NUMA_SOURCE_NONE:
      break;
  }
  return "none";
}

mm_status mm_phys_alloc_node(mm_phys_allocator *alloc, const mm_numa *numa, uint32_t node, const mm_alloc_request *req,
                             phys_addr_t *out) {
  if (alloc == 0 || numa == 0 || req == 0 || out == 0) return MM_ERR_INVALID_ARGUMENT;
  if (node == MM_NODE_ANY || (numa->count == 0 && node == 0)) return mm_phys_alloc(alloc, req, out);
  if (node >= mm_numa_nodes(numa)) return MM_ERR_INVALID_ARGUMENT;
  // The request's own errors come first, as mm_phys_alloc would give them, whether or not the node intersects it.
  if (req->count == 0) return MM_ERR_ZERO_COUNT;
  if (req->align != 0 && (req->align & (req->align - 1)) != 0) return MM_ERR_INVALID_ARGUMENT;
  phys_addr_t lo = req->min_addr, hi = req->max_addr == 0 ? UINT64_MAX : req->max_addr;
  if (lo >= hi) return MM_ERR_INVALID_ARGUMENT;
  for (uint32_t i = 0; i < numa->count; i++) {
    const mm_numa_range *r = &numa->ranges[i];
    if (r->node != node) continue;
    mm_alloc_request sub = *req;
    sub.min_addr = r->base > lo ? r->base : lo;
    sub.max_addr = r->end < hi ? r->end : hi;
    if (sub.min_addr >= sub.max_addr) continue;
    mm_status s = mm_phys_alloc(alloc, &sub, out);
    if (s != MM_ERR_NO_MEMORY) return s;
  }
  return MM_ERR_NO_MEMORY;
}
