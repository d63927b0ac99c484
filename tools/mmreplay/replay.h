// replay.h: runs the kernel's own mm/ hand-off on a parsed memory map, in simulated physical memory.
//
// The pipeline is the kernel's: the entries become EFI descriptors -> mm_firmware_map_init (normalize) ->
// mm_handoff_into (runtime_storage_plan -> carve_option_storage -> mm_phys_init, mm/handoff.h) into an
// allocator the replay owns (the global cell is never touched), then the invariant checker and the checks:
// what the allocator holds is recomputed from the normalized map and compared, the kernel's own self-test
// (mm/selftest.h) runs in the simulated memory, and reclaim is checked against the map. Nothing here
// re-implements mm/.
//
// Conversion of text entries to descriptors (what a firmware would have handed over):
//   - page-aligned entries become one descriptor each, in input order (so mm/ sees and counts the disorder);
//   - an unaligned usable entry (2.6-era e820) is trimmed inward to whole frames and counted as "trimmed";
//     if nothing is left it becomes a zero-page descriptor, which mm/ drops and counts as "zero_length";
//   - an unaligned entry of any other type is rounded outward (a reserved partial frame stays reserved) and
//     counted as "rounded_out"; neighbours that now share a frame show up as mm/'s "overlaps".
// Linux logs: the only pending reservation is the null page [0, 4 KiB), which the kernel's boot path always
// reserves. Kernel logs: the logged mm.reserve entries, minus the carved bookkeeping and page tables (made during and
// after the hand-off), are the pending reservations; the replay carves afresh and compares its plan and stats
// with the logged mm.plan / mm.stats.
#ifndef TOOLS_MMREPLAY_REPLAY_H
#define TOOLS_MMREPLAY_REPLAY_H

#include "mm/phys_alloc.h"
#include "mm/plan.h"
#include "tools/hostlib/memmap_text.h"
#include "tools/hostlib/sim_physmem.h"
#include "tools/mmreplay/numa_text.h"

typedef struct replay_options {
  unsigned phys_addr_bits;   // CPU physical address width given to mm/ (default 52)
  uint32_t descriptor_size;  // stride of the synthesized map (default 48, as OVMF and most firmware)
  uint64_t sim_budget_bytes; // host memory the simulated RAM may use (default 256 MiB)
} replay_options;

void replay_default_options(replay_options *opt);

// Exit-status classes of a replay.
typedef enum replay_verdict {
  REPLAY_OK = 0,
  REPLAY_FAILED = 1,    // an invariant or the self-test failed, or a stage failed on a usable map
  REPLAY_BAD_INPUT = 2, // the map cannot be replayed (no usable memory, too small to carve, bad descriptors)
} replay_verdict;

typedef struct replay_repairs {
  mm_map_repairs mm;     // what mm_firmware_map_init counted
  uint64_t trimmed;      // total usable entries trimmed: the conversion's plus mm/'s
  uint64_t rounded_out;  // unaligned non-usable entries rounded outward by the conversion
} replay_repairs;

typedef struct replay_kernel_check {
  bool has_plan, plan_matches;
  bool has_stats, stats_matches;
  uint64_t pending_from_log;   // logged reservations used as pending
  uint64_t skipped_from_log;   // logged bookkeeping / page_tables entries left out
} replay_kernel_check;

typedef struct replay_result {
  replay_verdict verdict;
  const char *failed_stage;  // NULL when every stage ran: "convert", "normalize", "reserve", "carve", ...
  mm_status status;          // of the failed stage
  char message[240];         // human-readable reason when verdict != REPLAY_OK

  // Input
  memmap_format format;
  uint64_t descriptors;
  uint64_t class_bytes[MEMMAP_CLASS_COUNT];

  // Stage results (valid as far as the pipeline got)
  mm_firmware_map map;  // points into owned storage
  replay_repairs repairs;
  uint64_t pending_reservations;
  uint64_t assumed_reservations;  // added by the replay for a Linux log (the kernel's null page)
  mm_storage_plan plan;
  mm_carved_storage carved;
  mm_phys_stats stats;  // right after the hand-off
  mm_range *free_runs;  // right after the hand-off
  uint64_t free_run_count;
  mm_reservation *reservations;  // the allocator's table right after the hand-off
  uint64_t reservation_count;
  uint64_t reclaimable_frames;   // what mm_phys_reclaim then added (self-test, after the snapshot above)

  bool invariants_ok;
  const char *invariant_why;
  bool selftest_ok;
  char selftest_why[200];
  replay_kernel_check kernel;

  // The simulated memory right after the hand-off (what the hand-off touched; the self-test's own writes come
  // later and are not counted), or at the end when the pipeline stopped earlier.
  uint64_t sim_backed_bytes, sim_peak_bytes, sim_chunks, sim_map_calls, sim_refused;  // peak: host bytes allocated
  bool sim_measured_;

  // mm/'s own log lines during the replay (every level), one per line, NUL-terminated.
  char *log;
  uint64_t log_len;

  // NUMA nodes read from the same log (numa_text.h), set by the caller after replay_run; NULL or an empty table
  // when the log has none. Not owned.
  const replay_numa *numa;

  // Owned storage
  void *map_storage_;
} replay_result;

// Replays `in`. Always fills *out (free it with replay_result_free); out->verdict says how it went.
void replay_run(const memmap *in, const replay_options *opt, replay_result *out);
void replay_result_free(replay_result *r);

// Per normalized region type: bytes in the normalized map (for the report).
void replay_region_bytes(const replay_result *r, uint64_t bytes[MM_REGION_TYPE_COUNT]);

#endif  // TOOLS_MMREPLAY_REPLAY_H
