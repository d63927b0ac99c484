// sweep.c: the highest-priority-wins boundary sweep and its event sort (see sweep.h).
#include "mm/sweep.h"

static bool sweep_event_less(const mm_sweep_event *a, const mm_sweep_event *b) {
  if (a->addr != b->addr) return a->addr < b->addr;
  if (a->is_start != b->is_start) return a->is_start < b->is_start;
  if (a->priority != b->priority) return a->priority < b->priority;
  if (a->tag32 != b->tag32) return a->tag32 < b->tag32;
  return a->tag < b->tag;
}

// Runs this long are insertion-sorted before the merge passes start (cheap on short, cache-resident runs).
#define SWEEP_SORT_RUN 16u

// Insertion-sorts src[0, n) into dst[0, n); src == dst sorts in place (src[i] is read before dst[i] is
// written, and only dst[0, i] is written while inserting element i).
static void sweep_insertion_sort_into(const mm_sweep_event *src, mm_sweep_event *dst, uint64_t n) {
  for (uint64_t i = 0; i < n; i++) {
    mm_sweep_event x = src[i];
    uint64_t j = i;
    while (j > 0 && sweep_event_less(&x, &dst[j - 1])) {
      dst[j] = dst[j - 1];
      j--;
    }
    dst[j] = x;
  }
}

// Merges the sorted runs src[lo, mid) and src[mid, hi) into dst[lo, hi). Takes from the left run on ties
// (stable), and copies both runs through unchanged when they are already in order.
static void sweep_merge(const mm_sweep_event *src, mm_sweep_event *dst, uint64_t lo, uint64_t mid, uint64_t hi) {
  if (mid >= hi || !sweep_event_less(&src[mid], &src[mid - 1])) {
    mm_memcpy(&dst[lo], &src[lo], (size_t)((hi - lo) * sizeof(mm_sweep_event)));
    return;
  }
  uint64_t i = lo;
  uint64_t j = mid;
  uint64_t k = lo;
  while (i < mid && j < hi) {
    if (sweep_event_less(&src[j], &src[i])) {
      dst[k++] = src[j++];
    } else {
      dst[k++] = src[i++];
    }
  }
  if (i < mid) {
    mm_memcpy(&dst[k], &src[i], (size_t)((mid - i) * sizeof(mm_sweep_event)));
  } else if (j < hi) {
    mm_memcpy(&dst[k], &src[j], (size_t)((hi - j) * sizeof(mm_sweep_event)));
  }
}

// Stable bottom-up merge sort of ev[0, count), O(n log n), no recursion, ping-ponging between `ev` and
// `scratch` (room for `count` events, not overlapping `ev`). The runs start in whichever buffer makes the
// last merge pass land in `ev`, so there is no copy back.
static void sweep_merge_sort(mm_sweep_event *ev, mm_sweep_event *scratch, uint64_t count) {
  uint64_t passes = 0;
  for (uint64_t width = SWEEP_SORT_RUN; width < count; width *= 2) {  // count < 2^61: width never wraps
    passes++;
  }
  mm_sweep_event *src = (passes & 1u) ? scratch : ev;
  mm_sweep_event *dst = (passes & 1u) ? ev : scratch;
  for (uint64_t lo = 0; lo < count; lo += SWEEP_SORT_RUN) {
    uint64_t n = count - lo < SWEEP_SORT_RUN ? count - lo : SWEEP_SORT_RUN;
    sweep_insertion_sort_into(&ev[lo], &src[lo], n);
  }
  for (uint64_t width = SWEEP_SORT_RUN; width < count; width *= 2) {
    for (uint64_t lo = 0; lo < count; lo += 2 * width) {
      uint64_t mid = count - lo < width ? count : lo + width;
      uint64_t hi = count - lo < 2 * width ? count : lo + 2 * width;
      sweep_merge(src, dst, lo, mid, hi);
    }
    mm_sweep_event *t = src;
    src = dst;
    dst = t;
  }
}

// Sorts events in place: O(n) when already sorted (the usual firmware case). Otherwise a stable LSD radix
// sort on addr, one byte per pass and only over the bytes that differ between events (typically 3-5
// passes), ping-ponging with `scratch`; then each run of equal addresses is ordered by the rest of
// sweep_event_less with the merge sort (runs are short in practice; one huge run is still O(n log n)).
void mm_sweep_sort(mm_sweep_event *ev, mm_sweep_event *scratch, uint64_t count) {
  bool sorted = true;
  for (uint64_t i = 1; i < count && sorted; i++) {
    sorted = !sweep_event_less(&ev[i], &ev[i - 1]);
  }
  if (sorted) {
    return;
  }
  uint64_t any = 0;
  uint64_t all = UINT64_MAX;
  for (uint64_t i = 0; i < count; i++) {
    any |= ev[i].addr;
    all &= ev[i].addr;
  }
  const uint64_t varying = any ^ all;
  mm_sweep_event *src = ev;
  mm_sweep_event *dst = scratch;
  uint64_t bucket[256];
  for (unsigned shift = 0; shift < 64; shift += 8) {
    if (((varying >> shift) & 0xffu) == 0) {
      continue;  // every event has the same byte here: the pass would not move anything
    }
    mm_memset(bucket, 0, sizeof(bucket));
    for (uint64_t i = 0; i < count; i++) {
      bucket[(src[i].addr >> shift) & 0xffu]++;
    }
    uint64_t at = 0;
    for (uint32_t b = 0; b < 256; b++) {
      uint64_t n = bucket[b];
      bucket[b] = at;
      at += n;
    }
    for (uint64_t i = 0; i < count; i++) {
      dst[bucket[(src[i].addr >> shift) & 0xffu]++] = src[i];
    }
    mm_sweep_event *t = src;
    src = dst;
    dst = t;
  }
  if (src != ev) {
    mm_memcpy(ev, src, (size_t)(count * sizeof(mm_sweep_event)));
  }
  for (uint64_t i = 0; i < count;) {
    uint64_t j = i + 1;
    while (j < count && ev[j].addr == ev[i].addr) {
      j++;
    }
    if (j - i > 1) {
      sweep_merge_sort(&ev[i], scratch, j - i);
    }
    i = j;
  }
}

// mm_sweep is static inline in sweep.h, so the caller's emit callback is inlined into the loop.
