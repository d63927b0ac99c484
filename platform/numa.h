// numa.h: the firmware's NUMA description read into the node table of mm/numa.h (issue 10 item 7).
//
// Sources, in this order: the ACPI SRAT's Memory Affinity entries (ACPI 6.5 section 5.2.16.2) when ACPI is usable
// and has an SRAT: enabled entries only (flags bit 0), hot-pluggable ones kept; else the devicetree's /memory
// nodes when every one carries `numa-node-id` (Linux Documentation/devicetree/bindings/numa.txt section 2); else
// none (one node). SRAT domains get dense node ids in table order of first appearance; devicetree ids in
// ascending numa-node-id order (so a tree numbering its nodes 0..N-1 keeps its numbers, as in Linux). Counting and
// filling are two calls so the caller sizes the storage to the real number of ranges. Portable C11 like the readers.
#ifndef PLATFORM_NUMA_H
#define PLATFORM_NUMA_H

#include "mm/numa.h"
#include "platform/discover.h"

typedef struct platform_numa_count {
  mm_numa_source source;  // MM_NUMA_SOURCE_NONE when there is no usable information
  uint32_t ranges;        // ranges platform_numa_fill will add (0 for none)
  // Why a source that was present was not used, one log token (srat_bad_entry_length, srat_range_wraps,
  // srat_truncated, srat_unreadable, devicetree_bad_memory_node, devicetree_memory_node_without_numa_node_id);
  // NULL when nothing was refused. The caller logs it as one line.
  const char *refused;
} platform_numa_count;

// Finds the source and counts its ranges. Never fails: a broken source is reported in `refused` and none is used.
void platform_numa_scan(const platform_info *info, platform_numa_count *out);

// Adds the ranges of `count->source` to `numa` (mm_numa_init'ed with storage for count->ranges and that source)
// and finishes it (mm_numa_finish). Returns mm_numa_add's or mm_numa_finish's error; MM_ERR_BAD_MAP (overlap
// between nodes, *conflict set) and any other error leave `numa` empty with source none.
mm_status platform_numa_fill(const platform_info *info, const platform_numa_count *count, mm_numa *numa,
                             mm_numa_conflict *conflict);

#endif  // PLATFORM_NUMA_H
