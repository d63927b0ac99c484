// handoff.c: plan -> early allocator -> carve -> initialize, once for every caller (see handoff.h).
#include "mm/handoff.h"

#include "mm/early_alloc.h"
#include "mm/log.h"
#include "mm/runtime.h"

const char *mm_handoff_stage_name(mm_handoff_stage stage) {
  switch (stage) {
    case MM_HANDOFF_DONE:
      return "done";
    case MM_HANDOFF_PLAN:
      return "runtime_storage_plan";
    case MM_HANDOFF_CARVE:
      return "carve_option_storage";
    case MM_HANDOFF_INITIALIZE:
      return "initialize_runtime_allocator";
  }
  return "unknown";
}

// The last stage: builds the allocator from the carved arrays, in caller storage or in the global cell.
typedef mm_status (*handoff_init_fn)(void *target, const mm_firmware_map *map, const mm_reservation_set *set,
                                     const mm_carved_storage *carved, const mm_phys_window *window);

static mm_status init_into_storage(void *target, const mm_firmware_map *map, const mm_reservation_set *set,
                                   const mm_carved_storage *carved, const mm_phys_window *window) {
  return mm_phys_init((mm_phys_allocator *)target, map, set, carved, window);
}

static mm_status init_runtime_cell(void *target, const mm_firmware_map *map, const mm_reservation_set *set,
                                   const mm_carved_storage *carved, const mm_phys_window *window) {
  (void)target;
  return initialize_runtime_allocator(map, set, carved, window);
}

static uint64_t handoff_now(const mm_handoff_options *options) {
  return options && options->cycles ? options->cycles() : 0;
}

static void handoff_timing(const mm_handoff_options *options, log_level level, const char *event, uint64_t start) {
  if (options && options->cycles) debug_structured(level, event, KV_U("cycles", options->cycles() - start));
}

static mm_status handoff_fail(mm_handoff_result *out, mm_handoff_stage stage, mm_status status) {
  out->failed_stage = stage;
  return status;
}

#define HANDOFF_LABEL_FREE_RUNS "free_runs"
#define HANDOFF_LABEL_RESERVED "reserved"

// Removes a span recorded by this hand-off (carved or given); nothing for an empty span. Panics if the entry is
// gone: nobody else removes entries while the hand-off runs.
static void handoff_unrecord(mm_reservation_set *set, phys_addr_t phys, uint64_t bytes, const char *label) {
  phys_addr_t base, end;
  if (bytes == 0) return;
  if (mm_reservation_round(phys, bytes, &base, &end) != MM_OK ||
      !mm_reservation_remove(set, base, end, MM_RES_BOOKKEEPING, label)) {
    mm_panic("mm_handoff", "recorded bookkeeping reservation vanished before rollback");
  }
}

// Records the non-empty spans of caller-placed backing, as carve_option_storage records what it carves. All or
// nothing.
static mm_status handoff_record_given(mm_reservation_set *set, const mm_carved_storage *given) {
  mm_status status = MM_OK;
  if (given->free_runs_bytes != 0) {
    status = mm_reservation_add(set, given->free_runs_phys, given->free_runs_bytes, MM_RES_BOOKKEEPING,
                                HANDOFF_LABEL_FREE_RUNS);
    if (status != MM_OK) return status;
  }
  if (given->reserved_bytes != 0) {
    status = mm_reservation_add(set, given->reserved_phys, given->reserved_bytes, MM_RES_BOOKKEEPING,
                                HANDOFF_LABEL_RESERVED);
    if (status != MM_OK) handoff_unrecord(set, given->free_runs_phys, given->free_runs_bytes, HANDOFF_LABEL_FREE_RUNS);
  }
  return status;
}

static mm_status handoff_run(handoff_init_fn init, void *target, const mm_firmware_map *map,
                             mm_reservation_set *reservations, const mm_phys_window *window,
                             const mm_handoff_options *options, mm_handoff_result *out) {
  if (out == 0) return MM_ERR_INVALID_ARGUMENT;
  mm_memset(out, 0, sizeof(*out));
  if (map == 0 || reservations == 0 || window == 0 || window->map == 0) {
    return handoff_fail(out, MM_HANDOFF_PLAN, MM_ERR_INVALID_ARGUMENT);
  }

  // 3. runtime_storage_plan: sized to this topology; the plan adds the two carved arrays itself.
  uint64_t t = handoff_now(options);
  out->plan = runtime_storage_plan(map, reservations->count);
  handoff_timing(options, LOG_DEBUG, "mm.plan_done", t);

  // 4. carve_option_storage from the early allocator; both spans join the reservations (all or nothing).
  t = handoff_now(options);
  mm_carved_storage carved;
  mm_status status;
  if (options && options->carved) {
    carved = *options->carved;
    status = handoff_record_given(reservations, &carved);
  } else {
    mm_early_allocator early;
    mm_early_init(&early, map, reservations);
    status = carve_option_storage(&early, &out->plan, window, &carved);
  }
  if (status != MM_OK) return handoff_fail(out, MM_HANDOFF_CARVE, status);
  handoff_timing(options, LOG_DEBUG, "mm.carve_done", t);

  // 5. initialize_runtime_allocator: from here on memory comes only from the runtime allocator.
  t = handoff_now(options);
  status = init(target, map, reservations, &carved, window);
  if (status != MM_OK) {
    // Undo the carve so the set is as the caller gave it: the carved frames are simply unused again.
    handoff_unrecord(reservations, carved.free_runs_phys, carved.free_runs_bytes, HANDOFF_LABEL_FREE_RUNS);
    handoff_unrecord(reservations, carved.reserved_phys, carved.reserved_bytes, HANDOFF_LABEL_RESERVED);
    return handoff_fail(out, MM_HANDOFF_INITIALIZE, status);
  }
  handoff_timing(options, LOG_INFO, "mm.handoff", t);
  out->carved = carved;
  out->failed_stage = MM_HANDOFF_DONE;
  return MM_OK;
}

mm_status mm_handoff_into(mm_phys_allocator *alloc, const mm_firmware_map *map, mm_reservation_set *reservations,
                          const mm_phys_window *window, const mm_handoff_options *options, mm_handoff_result *out) {
  if (alloc == 0) {
    if (out == 0) return MM_ERR_INVALID_ARGUMENT;
    mm_memset(out, 0, sizeof(*out));
    return handoff_fail(out, MM_HANDOFF_PLAN, MM_ERR_INVALID_ARGUMENT);
  }
  return handoff_run(init_into_storage, alloc, map, reservations, window, options, out);
}

mm_status mm_handoff_to_runtime(const mm_firmware_map *map, mm_reservation_set *reservations,
                                const mm_phys_window *window, const mm_handoff_options *options,
                                mm_handoff_result *out) {
  return handoff_run(init_runtime_cell, 0, map, reservations, window, options, out);
}
