// selftest.c: the post-hand-off allocator self-test (see selftest.h).
#include "mm/selftest.h"

#include "mm/log.h"

#define SELFTEST_GIB ((uint64_t)1 << 30)
#define SELFTEST_PATTERN_STRIDE 512u  // bytes between two pattern words

// A mix: single frames, small contiguous runs, 2 MiB-aligned blocks, and DMA-style runs below 4 GiB.
static const mm_alloc_request selftest_plan[MM_SELFTEST_ALLOCATIONS] = {
    {1, 0, 0, 0},
    {1, 0, 0, 0},
    {1, 0, 0, 0},
    {1, 0, 0, 0},
    {1, 0, 0, 0},
    {1, 0, 0, 0},
    {1, 0, 0, 0},
    {1, 0, 0, 0},
    {3, 0, 0, 0},
    {16, 0, 0, 0},
    {7, 0, 0, 0},
    {64, 0, 0, 0},
    {512, 2u << 20, 0, 0},
    {512, 2u << 20, 0, 0},
    {16, 64u << 10, 0, 0},
    {8, 0, 0, 4 * SELFTEST_GIB},
    {32, 1u << 20, 1u << 20, 4 * SELFTEST_GIB},
};

typedef struct selftest_state {
  mm_phys_allocator *alloc;
  const mm_phys_window *window;
  mm_range got[MM_SELFTEST_ALLOCATIONS];
  mm_selftest_result *out;
} selftest_state;

static uint64_t selftest_pattern(phys_addr_t addr) { return addr * 0x9e3779b97f4a7c15ull ^ 0x5a5a5a5a5a5a5a5aull; }

static mm_status selftest_fail(selftest_state *t, const char *failure, mm_status status) {
  t->out->failure = failure;
  return status;
}

static bool selftest_hits_reservation(mm_phys_allocator *a, mm_range r) {
  for (phys_addr_t f = r.base; f < r.end; f += MM_FRAME_SIZE) {
    if (mm_phys_reservation_at(a, f, 0)) return true;
  }
  return false;
}

// Allocates the plan, checking each answer as it comes.
static mm_status selftest_allocate(selftest_state *t) {
  for (uint32_t i = 0; i < MM_SELFTEST_ALLOCATIONS; i++) {
    const mm_alloc_request *req = &selftest_plan[i];
    phys_addr_t base;
    mm_status s = req->count == 1 ? mm_phys_alloc_frame(t->alloc, &base) : mm_phys_alloc(t->alloc, req, &base);
    if (s != MM_OK) return selftest_fail(t, "allocation failed", s);
    mm_range r = {base, base + req->count * MM_FRAME_SIZE};
    t->got[t->out->allocations++] = r;
    debug_structured(LOG_DEBUG, "mm.selftest_alloc", KV_X("phys", r.base), KV_X("end", r.end));
    uint64_t align = req->align ? req->align : MM_FRAME_SIZE;
    if ((base & (align - 1)) || (req->max_addr && r.end > req->max_addr) || base < req->min_addr) {
      return selftest_fail(t, "allocation ignores its constraints", MM_ERR_INVARIANT);
    }
    if (selftest_hits_reservation(t->alloc, r)) {
      return selftest_fail(t, "allocation intersects a reservation", MM_ERR_INVARIANT);
    }
    for (uint32_t j = 0; j < i; j++) {
      if (r.base < t->got[j].end && t->got[j].base < r.end)
        return selftest_fail(t, "allocations overlap", MM_ERR_INVARIANT);
    }
  }
  return MM_OK;
}

// Writes a pattern into every allocation, then verifies all of it. Each range is mapped again for the second
// pass: an accessor may move its backing between calls (simulated memory merges its chunks).
static mm_status selftest_patterns(selftest_state *t) {
  for (int verify = 0; verify < 2; verify++) {
    for (uint32_t i = 0; i < MM_SELFTEST_ALLOCATIONS; i++) {
      mm_range r = t->got[i];
      volatile uint8_t *bytes = t->window->map(t->window->ctx, r.base, r.end - r.base);
      if (bytes == 0) return selftest_fail(t, "memory not accessible", MM_ERR_NO_MEMORY);
      for (uint64_t off = 0; off < r.end - r.base; off += SELFTEST_PATTERN_STRIDE) {
        volatile uint64_t *word = (volatile uint64_t *)(bytes + off);
        if (!verify) {
          *word = selftest_pattern(r.base + off);
        } else if (*word != selftest_pattern(r.base + off)) {
          return selftest_fail(t, "pattern mismatch", MM_ERR_INVARIANT);
        }
      }
    }
  }
  return MM_OK;
}

mm_status mm_selftest_run(mm_phys_allocator *alloc, const mm_phys_window *window, mm_selftest_hook hook, void *hook_ctx,
                          mm_selftest_result *out) {
  if (alloc == 0 || window == 0 || window->map == 0 || out == 0) return MM_ERR_INVALID_ARGUMENT;
  mm_memset(out, 0, sizeof(*out));
  selftest_state t = {alloc, window, {{0, 0}}, out};
  mm_phys_stats before = mm_phys_get_stats(alloc);

  mm_status s = selftest_allocate(&t);
  if (s == MM_OK) s = selftest_patterns(&t);
  if (s != MM_OK) return s;
  for (uint32_t i = 0; i < MM_SELFTEST_ALLOCATIONS; i++) {
    s = mm_phys_free(alloc, t.got[i].base, (t.got[i].end - t.got[i].base) >> MM_FRAME_SHIFT);
    if (s != MM_OK) return selftest_fail(&t, "free failed", s);
  }
  if (hook) hook(alloc, hook_ctx);
  const char *why = 0;
  if (mm_phys_check_invariants(alloc, &why) != MM_OK) {
    out->detail = why;
    return selftest_fail(&t, "invariant_checker", MM_ERR_INVARIANT);
  }
  mm_phys_stats after = mm_phys_get_stats(alloc);
  debug_structured(LOG_DEBUG, "mm.selftest_counts", KV_U("free_before", before.free_frames),
                   KV_U("free_after", after.free_frames), KV_U("reserved_before", before.reserved_frames),
                   KV_U("reserved_after", after.reserved_frames), KV_U("allocated_after", after.allocated_frames),
                   KV_U("bookkeeping_before", before.bookkeeping_bytes),
                   KV_U("bookkeeping_after", after.bookkeeping_bytes));
  // Everything was freed, so frames are conserved; the only frames allowed to move from free to reserved are
  // the allocator's own bookkeeping growth (it takes frames from itself when a window fragments).
  uint64_t grown = after.reserved_frames - before.reserved_frames;
  if (after.allocated_frames != before.allocated_frames ||
      after.free_frames + after.reserved_frames != before.free_frames + before.reserved_frames ||
      after.reserved_frames < before.reserved_frames || after.bookkeeping_bytes < before.bookkeeping_bytes ||
      grown * MM_FRAME_SIZE > after.bookkeeping_bytes - before.bookkeeping_bytes) {
    return selftest_fail(&t, "counts did not return to where they started", MM_ERR_INVARIANT);
  }
  return MM_OK;
}
