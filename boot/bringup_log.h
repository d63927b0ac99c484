// bringup_log.h: the bring-up's report lines that are more than one call (boot/memory_bringup.c stays a table
// of contents).
#ifndef BOOT_BRINGUP_LOG_H
#define BOOT_BRINGUP_LOG_H

#include "mm/firmware_map.h"
#include "mm/phys_alloc.h"

// One mm.desc line per firmware descriptor, at debug level (nothing otherwise).
void bringup_log_descriptors(const mm_firmware_map *map);

// The allocator's state: one mm.reserve line per reservation (debug level) and mm.stats (debug level).
// An mm_runtime_fn for with_runtime_allocator; ctx unused; returns MM_OK.
mm_status bringup_log_allocator_state(mm_phys_allocator *a, void *ctx);

// The final summary: mm.summary, then one mm.reserved line per reservation kind that holds bytes (info level).
// mm.summary's last field, highest_free_end=, is the end of the highest free run (managed memory the allocator
// can hand out; 0 when nothing is free).
// An mm_runtime_fn; ctx unused; returns MM_OK.
mm_status bringup_log_summary(mm_phys_allocator *a, void *ctx);

#endif  // BOOT_BRINGUP_LOG_H
