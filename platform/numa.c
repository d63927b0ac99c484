// numa.c: SRAT memory affinity or devicetree numa-node-id into the node table (numa.h).
#include "platform/numa.h"

typedef struct fill_ctx {
  mm_numa *numa;  // NULL while counting
  uint32_t count;
  uint32_t with_id;  // devicetree: ranges whose node has numa-node-id
  mm_status status;
} fill_ctx;

static void add(fill_ctx *c, uint32_t pxm, phys_addr_t base, uint64_t length) {
  if (length == 0) return;  // carries no memory
  c->count++;
  if (c->numa && c->status == MM_OK) c->status = mm_numa_add(c->numa, pxm, base, length);
}

// ACPI 6.5 5.2.16.2: a disabled entry (flags bit 0 clear) must be ignored.
static void srat_memory(void *arg, const acpi_srat_entry *e) {
  if (e->kind == ACPI_SRAT_MEMORY && e->enabled) add(arg, e->domain, e->base, e->length);
}

static void dt_memory(void *arg, const fdt_memory_range *m) {
  fill_ctx *c = arg;
  if (m->range.size != 0) c->with_id += m->has_node_id;
  add(c, m->node_id, m->range.base, m->range.size);
}

// Devicetree ranges are added in ascending numa-node-id order (one walk per id), so dense ids equal the tree's
// ids whenever those are already 0..N-1, as Linux numbers its nodes (of_numa uses numa-node-id as the node id);
// blobs often list memory nodes in reverse (QEMU's virt does).
typedef struct dt_pick {
  fill_ctx *c;
  uint32_t want;
  bool have_next;
  uint32_t next;
} dt_pick;

static void dt_pick_fn(void *arg, const fdt_memory_range *m) {
  dt_pick *p = arg;
  if (m->node_id == p->want) {
    add(p->c, m->node_id, m->range.base, m->range.size);
  } else if (m->node_id > p->want && (!p->have_next || m->node_id < p->next)) {
    p->have_next = true;
    p->next = m->node_id;
  }
}

static fdt_status dt_fill(const fdt_blob *blob, fill_ctx *c) {
  dt_pick p = {c, 0, false, 0};
  for (;;) {
    fdt_status st = fdt_memory_numa(blob, dt_pick_fn, &p);
    if (st != FDT_OK || !p.have_next) return st;
    p.want = p.next;  // strictly increasing: ends after one walk per distinct id
    p.have_next = false;
  }
}

static const char *srat_refusal(acpi_status s) {
  switch (s) {
    case ACPI_ERR_BAD_ENTRY_LENGTH:
      return "srat_bad_entry_length";
    case ACPI_ERR_RANGE_OVERFLOW:
      return "srat_range_wraps";
    case ACPI_ERR_TRUNCATED:
      return "srat_truncated";
    default:
      return "srat_unreadable";
  }
}

void platform_numa_scan(const platform_info *info, platform_numa_count *out) {
  out->source = MM_NUMA_SOURCE_NONE;
  out->ranges = 0;
  out->refused = 0;
  if (info == 0) return;
  if (platform_has_acpi(info)) {
    acpi_table srat;
    if (acpi_root_find(&info->acpi, "SRAT", 0, &srat, 0) == ACPI_OK) {
      fill_ctx c = {0, 0, 0, MM_OK};
      acpi_status s = acpi_srat_walk(&srat, srat_memory, &c);
      if (s != ACPI_OK) {
        out->refused = srat_refusal(s);
      } else if (c.count > 0) {
        out->source = MM_NUMA_SOURCE_SRAT;
        out->ranges = c.count;
      }
      return;
    }
  }
  if (platform_has_devicetree(info)) {
    fill_ctx c = {0, 0, 0, MM_OK};
    if (fdt_memory_numa(&info->dt, dt_memory, &c) != FDT_OK) {
      out->refused = "devicetree_bad_memory_node";
    } else if (c.with_id != 0 && c.with_id != c.count) {
      // Linux refuses such a tree too (of_numa: every memory node needs the property once one has it).
      out->refused = "devicetree_memory_node_without_numa_node_id";
    } else if (c.with_id != 0) {
      out->source = MM_NUMA_SOURCE_DEVICETREE;
      out->ranges = c.count;
    }
  }
}

static mm_status fail(mm_numa *numa, mm_status s) {
  mm_numa_init(numa, numa->ranges, numa->capacity, MM_NUMA_SOURCE_NONE);
  return s;
}

mm_status platform_numa_fill(const platform_info *info, const platform_numa_count *count, mm_numa *numa,
                             mm_numa_conflict *conflict) {
  if (info == 0 || count == 0 || numa == 0) return MM_ERR_INVALID_ARGUMENT;
  fill_ctx c = {numa, 0, 0, MM_OK};
  if (count->source == MM_NUMA_SOURCE_SRAT) {
    acpi_table srat;
    if (!platform_has_acpi(info) || acpi_root_find(&info->acpi, "SRAT", 0, &srat, 0) != ACPI_OK ||
        acpi_srat_walk(&srat, srat_memory, &c) != ACPI_OK)
      return fail(numa, MM_ERR_INVALID_ARGUMENT);
  } else if (count->source == MM_NUMA_SOURCE_DEVICETREE) {
    if (!platform_has_devicetree(info) || dt_fill(&info->dt, &c) != FDT_OK) return fail(numa, MM_ERR_INVALID_ARGUMENT);
  }
  if (c.status != MM_OK) return fail(numa, c.status);
  return mm_numa_finish(numa, conflict);
}
