// sweep.h: the highest-priority-wins boundary sweep over overlapping ranges, O(n log n).
//
// Callers turn each range into a start and an end event carrying a priority and two tags, sort the events
// (mm_sweep_sort) and sweep them (mm_sweep): every span where at least one range is active is reported once,
// owned by the highest active priority. Used by the firmware map's overlap resolution (priority = region type,
// the most restrictive wins) and by the kernel's identity-range policy (boot/identity_ranges.c).
#ifndef MM_SWEEP_H
#define MM_SWEEP_H

#include "mm/mm_types.h"

// Priorities are 0 .. MM_SWEEP_PRIORITIES - 1 (at most 32: mm_sweep keeps a 32-bit mask of active ones).
#define MM_SWEEP_PRIORITIES 16u

// One end of a range. Sorted by address with ends before starts, so ranges that merely touch never overlap.
typedef struct mm_sweep_event {
  uint64_t addr;
  uint64_t tag;       // caller data for the owner of a span (firmware map: the EFI attribute)
  uint32_t tag32;     // more caller data (firmware map: the EFI type)
  uint8_t priority;   // < MM_SWEEP_PRIORITIES
  uint8_t is_start;   // 1 = start, 0 = end
  uint8_t pad[2];
} mm_sweep_event;

// Sorts ev[0, count) by address, then end before start, then priority, tag32, tag; O(n) when already sorted,
// else an LSD radix sort on the address plus a merge sort of equal-address runs (O(n log n) worst case, no
// recursion, no allocation). `scratch` holds `count` events and must not overlap `ev`.
void mm_sweep_sort(mm_sweep_event *ev, mm_sweep_event *scratch, uint64_t count);

// Receives [base, end) and the event that owns it: the start event of the most recently started range of the
// highest active priority (possibly one that has ended while another range of that priority is still active:
// give ranges that may overlap one priority only when their tags may stand for each other).
typedef void (*mm_sweep_fn)(void *ctx, uint64_t base, uint64_t end, const mm_sweep_event *owner);

// Sweeps sorted events, calling emit for each maximal span between two consecutive boundaries that some range
// covers, in address order (neighbouring spans may have the same owner: merging is the caller's choice).
// Returns the number of overlapping pairs met (each start counts every range already active). Panics on an
// end without a start, a range left open or a priority out of range (a caller bug).
// Static inline so that a caller passing a known function (the firmware map's fw_emit_span) gets it inlined
// into the loop: as an extern function calling back through a pointer it cost ~25% of BM_Bringup/10000.
static inline uint64_t mm_sweep(const mm_sweep_event *ev, uint64_t count, mm_sweep_fn emit, void *ctx) {
  uint64_t active[MM_SWEEP_PRIORITIES] = {0};
  uint32_t live = 0;  // bit p set while active[p] > 0: the winner is its highest bit, no scan of the priorities
  const mm_sweep_event *owner[MM_SWEEP_PRIORITIES] = {0};
  uint64_t total_active = 0;
  uint64_t overlaps = 0;
  uint64_t prev = 0;
  uint64_t i = 0;
  while (i < count) {
    uint64_t addr = ev[i].addr;
    if (total_active > 0 && addr > prev) {
      uint32_t winner = 31u - (uint32_t)__builtin_clz(live);  // total_active > 0: live != 0
      emit(ctx, prev, addr, owner[winner]);
    }
    for (; i < count && ev[i].addr == addr; i++) {
      uint32_t p = ev[i].priority;
      if (p >= MM_SWEEP_PRIORITIES) {
        mm_panic("mm_sweep", "priority out of range");
      }
      if (ev[i].is_start) {
        overlaps += total_active;
        active[p]++;
        live |= (uint32_t)1 << p;
        owner[p] = &ev[i];
        total_active++;
      } else {
        if (active[p] == 0) {
          mm_panic("mm_sweep", "end event without a matching start");
        }
        if (--active[p] == 0) {
          live &= ~((uint32_t)1 << p);
        }
        total_active--;
      }
    }
    prev = addr;
  }
  if (total_active != 0) {
    mm_panic("mm_sweep", "events left a range open");
  }
  return overlaps;
}

#endif  // MM_SWEEP_H
