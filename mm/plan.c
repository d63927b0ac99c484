// plan.c: runtime_storage_plan, sizing the runtime allocator's bookkeeping from the real topology.
//
// Policy (pinned by plan_test.cc; docs/memory-handoff.md explains why):
//   reservations   = pending_reservations + 2            (the two carved buffers are reservations too)
//   free base      = conventional_regions + reservations (each reservation can split one usable region in
//                                                         two, adding one free run)
//   reserved base  = reservations
//   headroom(base) = max(16, base / 4)                   (slack for late reservations, per array)
//   slots          = base + headroom(base), then rounded up so the array fills whole 4 KiB frames:
//                    frames = ceil(slots * entry_size / 4096), slots = frames * 4096 / entry_size,
//                    with entry_size the runtime allocator's own slot sizes (mm_phys_run_slot_bytes,
//                    mm_phys_reservation_slot_bytes in phys_alloc.h): the plan never assumes its layout.
// Inputs are clamped to 2^40 so the arithmetic can never wrap; no bring-up has that many entries, and the
// carve of such a plan fails cleanly with MM_ERR_NO_MEMORY.
#include "mm/plan.h"

#include "mm/log.h"
#include "mm/phys_alloc.h"
#include "mm/reservations.h"

#define PLAN_INPUT_MAX ((uint64_t)1 << 40)
#define PLAN_MIN_HEADROOM 16u
#define PLAN_CARVED_BUFFERS 2u

static uint64_t plan_clamp(uint64_t v) { return v > PLAN_INPUT_MAX ? PLAN_INPUT_MAX : v; }

// base + headroom, rounded up to fill whole frames of `entry_size`-byte entries.
static uint64_t plan_slots(uint64_t base, uint64_t entry_size) {
  uint64_t headroom = base / 4;
  if (headroom < PLAN_MIN_HEADROOM) {
    headroom = PLAN_MIN_HEADROOM;
  }
  uint64_t slots = base + headroom;
  uint64_t frames = (slots * entry_size + MM_FRAME_SIZE - 1) / MM_FRAME_SIZE;
  return frames * MM_FRAME_SIZE / entry_size;
}

// Sizes both bookkeeping arrays for `map` (NULL counts as no usable regions) and `pending_reservations`
// (the reservations known now, not counting the two buffers carve_option_storage will add). Never fails;
// logs mm.plan at LOG_DEBUG. Pure: no allocation, no state.
mm_storage_plan runtime_storage_plan(const mm_firmware_map *map, uint64_t pending_reservations) {
  mm_storage_plan plan;
  plan.conventional_regions = mm_firmware_map_usable_regions(map);
  plan.reservations = plan_clamp(pending_reservations) + PLAN_CARVED_BUFFERS;
  uint64_t free_base = plan_clamp(plan.conventional_regions) + plan.reservations;
  plan.free_slots = plan_slots(free_base, mm_phys_run_slot_bytes());
  plan.reserved_slots = plan_slots(plan.reservations, mm_phys_reservation_slot_bytes());
  debug_structured(LOG_DEBUG, "mm.plan", KV_U("free_slots", plan.free_slots),
                   KV_U("reserved_slots", plan.reserved_slots), KV_U("conventional_regions", plan.conventional_regions),
                   KV_U("reservations", plan.reservations));
  return plan;
}
