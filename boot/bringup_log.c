// bringup_log.c: the bring-up's multi-line reports (see bringup_log.h).
#include "boot/bringup_log.h"

#include "mm/log.h"

void bringup_log_descriptors(const mm_firmware_map *map) {
  if (!log_enabled(LOG_DEBUG)) return;
  for (uint64_t i = 0; i < map->descriptor_count; i++) {
    mm_efi_descriptor d = mm_firmware_map_descriptor(map, i);
    debug_structured(LOG_DEBUG, "mm.desc", KV_U("idx", i), KV_U("type", d.type), KV_X("phys", d.physical_start),
                     KV_U("pages", d.number_of_pages), KV_X("attr", d.attribute));
  }
}

static bool log_reservation(void *ctx, const mm_reservation *r) {
  (void)ctx;
  debug_structured(LOG_DEBUG, "mm.reserve", KV_X("phys", r->base), KV_X("end", r->end),
                   KV_S("kind", mm_reservation_kind_name(r->kind)), KV_S("label", r->label));
  return true;
}

mm_status bringup_log_allocator_state(mm_phys_allocator *a, void *ctx) {
  (void)ctx;
  if (log_enabled(LOG_DEBUG)) mm_phys_for_each_reservation(a, log_reservation, 0);
  mm_phys_stats st = mm_phys_get_stats(a);
  debug_structured(LOG_DEBUG, "mm.stats", KV_U("free_frames", st.free_frames),
                   KV_U("reserved_frames", st.reserved_frames), KV_U("free_runs", st.free_runs),
                   KV_U("bookkeeping_bytes", st.bookkeeping_bytes));
  return MM_OK;
}

typedef struct summary_ctx {
  uint64_t bytes[MM_RES_KIND_COUNT];
} summary_ctx;

static bool sum_reservation(void *ctx, const mm_reservation *r) {
  summary_ctx *s = ctx;
  s->bytes[r->kind] += r->end - r->base;
  return true;
}

static bool highest_free_end(void *ctx, mm_range range) {
  phys_addr_t *top = ctx;
  if (range.end > *top) *top = range.end;
  return true;
}

mm_status bringup_log_summary(mm_phys_allocator *a, void *ctx) {
  (void)ctx;
  summary_ctx s = {{0}};
  mm_phys_for_each_reservation(a, sum_reservation, &s);
  phys_addr_t top_free = 0;  // end of the highest free run: managed memory the allocator can hand out
  mm_phys_for_each_free_run(a, highest_free_end, &top_free);
  mm_phys_stats st = mm_phys_get_stats(a);
  debug_structured(LOG_INFO, "mm.summary", KV_U("total_bytes", st.managed_frames << MM_FRAME_SHIFT),
                   KV_U("free_bytes", st.free_frames << MM_FRAME_SHIFT),
                   KV_U("reserved_bytes", st.reserved_frames << MM_FRAME_SHIFT),
                   KV_U("allocated_bytes", st.allocated_frames << MM_FRAME_SHIFT), KV_U("free_runs", st.free_runs),
                   KV_U("bookkeeping_bytes", st.bookkeeping_bytes), KV_X("highest_free_end", top_free));
  for (uint32_t k = 0; k < MM_RES_KIND_COUNT; k++) {
    if (s.bytes[k]) {
      debug_structured(LOG_INFO, "mm.reserved", KV_S("kind", mm_reservation_kind_name((mm_reservation_kind)k)),
                       KV_U("bytes", s.bytes[k]));
    }
  }
  return MM_OK;
}
