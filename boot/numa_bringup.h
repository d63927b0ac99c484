// numa_bringup.h: the NUMA node table after the hand-off (issue 10 item 7).
#ifndef BOOT_NUMA_BRINGUP_H
#define BOOT_NUMA_BRINGUP_H

#include "mm/firmware_map.h"
#include "mm/numa.h"
#include "platform/discover.h"

// Reads the firmware's NUMA description (platform/numa.h) into a table sized to the real number of ranges, logs
// it, and allocates and frees one frame per node as a check. The table lives in `spare` (spare_bytes, 8-byte
// aligned: the unused tail of the early reservation storage, reserved for good and no longer written after the
// hand-off) when it fits, so the allocator's state is the same as without NUMA; else in frames from the runtime
// allocator. Never stops the boot: anything refused is one LOG_WARN line and the kernel runs as one node.
// Log lines (info level unless said):
//   mm.numa_refused reason=<token>                                 (warn; platform_numa_count.refused)
//   mm.numa_overlap a_id= a_base= a_end= b_id= b_base= b_end=      (warn; two nodes' ranges overlap)
//   mm.numa_storage status=<mm_status>                             (warn; no frames for the table)
//   mm.numa_storage frames=N phys=0x..                             (debug; the table did not fit in `spare`)
//   mm.numa nodes=N source=srat|devicetree|none ranges=R
//   mm.node id= pxm= base= end= usable_bytes=                      (one per range, sorted by base; usable_bytes is
//                                                                   the range clipped to the firmware map's usable
//                                                                   regions, for the log only)
//   mm.node_alloc id= phys=   or   mm.node_alloc id= status=<mm_status>   (one per node)
void numa_bringup(const platform_info *platform, const mm_firmware_map *map, void *spare, uint64_t spare_bytes);

// The table numa_bringup built (empty, one node, before it ran).
const mm_numa *kernel_numa(void);

#endif  // BOOT_NUMA_BRINGUP_H
