// numa_bringup.c: the NUMA node table after the hand-off (numa_bringup.h).
#include "boot/numa_bringup.h"

#include "mm/log.h"
#include "mm/runtime.h"
#include "platform/numa.h"

static mm_numa numa;

const mm_numa *kernel_numa(void) { return &numa; }

typedef struct storage_req {
  uint64_t frames;
  phys_addr_t phys;
} storage_req;

static mm_status alloc_storage(mm_phys_allocator *a, void *ctx) {
  storage_req *r = ctx;
  mm_alloc_request req = {r->frames, 0, 0, 0};
  return mm_phys_alloc(a, &req, &r->phys);
}

typedef struct node_check {
  uint32_t node;
  phys_addr_t phys;
} node_check;

// One frame from the node, given back at once: proves the node's ranges reach the allocator.
static mm_status alloc_on_node(mm_phys_allocator *a, void *ctx) {
  node_check *c = ctx;
  mm_alloc_request req = {1, 0, 0, 0};
  mm_status s = mm_phys_alloc_node(a, &numa, c->node, &req, &c->phys);
  if (s == MM_OK) s = mm_phys_free(a, c->phys, 1);
  return s;
}

static uint64_t usable_bytes(const mm_firmware_map *map, phys_addr_t base, phys_addr_t end) {
  uint64_t bytes = 0;
  for (uint64_t i = 0; map && i < map->region_count; i++) {
    const mm_region *r = &map->regions[i];
    if (r->type != MM_REGION_USABLE) continue;
    phys_addr_t lo = r->base > base ? r->base : base, hi = r->end < end ? r->end : end;
    if (lo < hi) bytes += hi - lo;
  }
  return bytes;
}

void numa_bringup(const platform_info *platform, const mm_firmware_map *map, void *spare, uint64_t spare_bytes) {
  mm_numa_init(&numa, 0, 0, MM_NUMA_SOURCE_NONE);
  platform_numa_count count;
  platform_numa_scan(platform, &count);
  if (count.refused) debug_structured(LOG_WARN, "mm.numa_refused", KV_S("reason", count.refused));
  if (count.ranges > 0) {
    uint64_t bytes = (uint64_t)count.ranges * sizeof(mm_numa_range);
    mm_numa_range *storage = 0;
    mm_status s = MM_OK;
    if (spare != 0 && ((uintptr_t)spare & 7u) == 0 && bytes <= spare_bytes) {
      storage = spare;
    } else {
      storage_req st = {(bytes + MM_FRAME_SIZE - 1) >> MM_FRAME_SHIFT, 0};
      s = with_runtime_allocator(alloc_storage, &st);
      // The kernel runs identity mapped: the physical address is the pointer.
      if (s == MM_OK) {
        storage = (mm_numa_range *)(uintptr_t)st.phys;
        debug_structured(LOG_DEBUG, "mm.numa_storage", KV_U("frames", st.frames), KV_X("phys", st.phys));
      }
    }
    if (s != MM_OK) {
      debug_structured(LOG_WARN, "mm.numa_storage", KV_S("status", mm_status_name(s)));
    } else {
      mm_numa_init(&numa, storage, count.ranges, count.source);
      mm_numa_conflict c;
      s = platform_numa_fill(platform, &count, &numa, &c);
      if (s == MM_ERR_BAD_MAP) {
        debug_structured(LOG_WARN, "mm.numa_overlap", KV_U("a_id", c.a.node), KV_X("a_base", c.a.base),
                         KV_X("a_end", c.a.end), KV_U("b_id", c.b.node), KV_X("b_base", c.b.base),
                         KV_X("b_end", c.b.end));
      } else if (s != MM_OK) {
        debug_structured(LOG_WARN, "mm.numa_refused", KV_S("reason", mm_status_name(s)));
      }
    }
  }
  debug_structured(LOG_INFO, "mm.numa", KV_U("nodes", mm_numa_nodes(&numa)),
                   KV_S("source", mm_numa_source_name(numa.source)), KV_U("ranges", numa.count));
  for (uint32_t i = 0; i < numa.count; i++) {
    const mm_numa_range *r = &numa.ranges[i];
    debug_structured(LOG_INFO, "mm.node", KV_U("id", r->node), KV_U("pxm", r->pxm), KV_X("base", r->base),
                     KV_X("end", r->end), KV_U("usable_bytes", usable_bytes(map, r->base, r->end)));
  }
  for (uint32_t n = 0; n < mm_numa_nodes(&numa); n++) {
    node_check c = {n, 0};
    mm_status s = with_runtime_allocator(alloc_on_node, &c);
    if (s == MM_OK) {
      debug_structured(LOG_INFO, "mm.node_alloc", KV_U("id", n), KV_X("phys", c.phys));
    } else {
      debug_structured(LOG_WARN, "mm.node_alloc", KV_U("id", n), KV_S("status", mm_status_name(s)));
    }
  }
}
