// carve.c: carve_option_storage, the runtime allocator's bookkeeping carved out of early memory.
//
// Two physically contiguous, zeroed blocks come from the early allocator: one for the free-run array, one
// for the reserved-region array. Because the early allocator records every allocation as a reservation
// (MM_RES_BOOKKEEPING, labels "free_runs" and "reserved"), both spans are excluded from allocation forever.
// All or nothing: if any step fails, every reservation this call recorded is removed again.
#include "mm/carve.h"

#include "mm/log.h"
#include "mm/phys_alloc.h"

#define CARVE_LABEL_FREE_RUNS "free_runs"
#define CARVE_LABEL_RESERVED "reserved"

// Frames needed for `slots` entries of `entry_size` bytes; false when the byte count passes 2^64.
static bool carve_frames(uint64_t slots, uint64_t entry_size, uint64_t *frames) {
  if (slots > (UINT64_MAX - MM_FRAME_MASK) / entry_size) {
    return false;
  }
  *frames = (slots * entry_size + MM_FRAME_MASK) >> MM_FRAME_SHIFT;
  return true;
}

// Removes the reservation recorded by a successful mm_early_alloc of `frames` at `phys` and gives the
// frames back to the early allocator's count. Panics if the entry is gone: nobody else removes entries.
static void carve_undo(mm_early_allocator *early, phys_addr_t phys, uint64_t frames, const char *label) {
  if (!mm_reservation_remove(early->reservations, phys, phys + (frames << MM_FRAME_SHIFT), MM_RES_BOOKKEEPING, label)) {
    mm_panic("carve_option_storage", "carved reservation vanished before rollback");
  }
  early->frames_allocated -= frames;
}

// Allocates `frames` frames labelled `label` and zeroes them through `window`. On failure nothing stays
// recorded. Errors: those of mm_early_alloc, MM_ERR_NO_MEMORY when the window cannot map the span.
static mm_status carve_one(mm_early_allocator *early, uint64_t frames, const char *label, const mm_phys_window *window,
                           phys_addr_t *out) {
  phys_addr_t phys;
  mm_status status = mm_early_alloc(early, frames, MM_FRAME_SIZE, MM_RES_BOOKKEEPING, label, &phys);
  if (status != MM_OK) {
    return status;
  }
  uint64_t bytes = frames << MM_FRAME_SHIFT;
  void *mapped = window->map(window->ctx, phys, bytes);
  if (mapped == 0) {
    carve_undo(early, phys, frames, label);
    return MM_ERR_NO_MEMORY;
  }
  mm_memset(mapped, 0, (size_t)bytes);
  *out = phys;
  return MM_OK;
}

// Carves zeroed backing for plan->free_slots free runs and plan->reserved_slots reservations (see
// carve.h). Errors: MM_ERR_INVALID_ARGUMENT (NULL argument or window without map), MM_ERR_ZERO_COUNT
// (a plan with zero slots), MM_ERR_NO_MEMORY (no fit, unmappable span, or sizes past 2^64), the other
// errors of mm_early_alloc; on error *out is untouched and the reservation set and early allocator are as
// they were.
mm_status carve_option_storage(mm_early_allocator *early, const mm_storage_plan *plan, const mm_phys_window *window,
                               mm_carved_storage *out) {
  if (early == 0 || plan == 0 || window == 0 || window->map == 0 || out == 0 || early->reservations == 0) {
    return MM_ERR_INVALID_ARGUMENT;
  }
  uint64_t free_frames;
  uint64_t reserved_frames;
  if (!carve_frames(plan->free_slots, mm_phys_run_slot_bytes(), &free_frames) ||
      !carve_frames(plan->reserved_slots, mm_phys_reservation_slot_bytes(), &reserved_frames)) {
    return MM_ERR_NO_MEMORY;
  }
  phys_addr_t free_phys;
  mm_status status = carve_one(early, free_frames, CARVE_LABEL_FREE_RUNS, window, &free_phys);
  if (status != MM_OK) {
    return status;
  }
  phys_addr_t reserved_phys;
  status = carve_one(early, reserved_frames, CARVE_LABEL_RESERVED, window, &reserved_phys);
  if (status != MM_OK) {
    carve_undo(early, free_phys, free_frames, CARVE_LABEL_FREE_RUNS);
    return status;
  }
  out->free_runs_phys = free_phys;
  out->free_runs_bytes = free_frames << MM_FRAME_SHIFT;
  out->reserved_phys = reserved_phys;
  out->reserved_bytes = reserved_frames << MM_FRAME_SHIFT;
  debug_structured(LOG_DEBUG, "mm.carve", KV_S("kind", CARVE_LABEL_FREE_RUNS), KV_X("phys", free_phys),
                   KV_U("bytes", out->free_runs_bytes));
  debug_structured(LOG_DEBUG, "mm.carve", KV_S("kind", CARVE_LABEL_RESERVED), KV_X("phys", reserved_phys),
                   KV_U("bytes", out->reserved_bytes));
  return MM_OK;
}
