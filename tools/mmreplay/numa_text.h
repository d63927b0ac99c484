// numa_text.h: NUMA node ranges read from a log, modelled with the kernel's own node table (mm/numa.h).
//
// Lines (anywhere in a line, after a timestamp or other prefix):
//   Linux:  `ACPI: SRAT: Node N PXM P [mem 0x<first>-0x<last>]` (inclusive end; ` hotplug` / ` non-volatile`
//           may follow), as arch/x86 and drivers/acpi/numa print each enabled SRAT memory affinity entry;
//   kernel: `mm.node id=N pxm=P base=0x.. end=0x..` (boot/numa_bringup.h; end exclusive).
// When a log has both, the kernel's lines win. Entries are added to the table in ascending logged node id
// (stable), so the dense ids mm/numa gives equal the logged ones.
#ifndef TOOLS_MMREPLAY_NUMA_TEXT_H
#define TOOLS_MMREPLAY_NUMA_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "mm/numa.h"

typedef struct replay_numa {
  const char *source;  // "linux-srat", "kernel" or "none"
  mm_numa table;       // sorted, merged; empty when the log has no NUMA lines
  mm_status finish;    // mm_numa_finish's status (MM_ERR_BAD_MAP: nodes overlap, table dropped)
  mm_numa_conflict conflict;
  mm_numa_range *storage_;
} replay_numa;

// Parses the NUMA lines of `text`. Returns false for a malformed NUMA line (*line set, message in msg); the
// table is then empty. Without NUMA lines it returns true with an empty table and source "none".
bool numa_text_parse(const char *text, size_t len, replay_numa *out, unsigned *line, char *msg, size_t msg_len);
void numa_text_free(replay_numa *n);

#endif  // TOOLS_MMREPLAY_NUMA_TEXT_H
