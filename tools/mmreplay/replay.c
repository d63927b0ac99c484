// replay.c: the replay engine (see replay.h): the kernel's mm/ pipeline on a parsed map, plus a self-test.
#include "tools/mmreplay/replay.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/handoff.h"
#include "mm/log.h"
#include "mm/selftest.h"

#define DEFAULT_PHYS_ADDR_BITS 52u
#define DEFAULT_DESCRIPTOR_SIZE 48u
#define DEFAULT_SIM_BUDGET (256ull << 20)
#define EXTRA_RESERVATION_SLOTS 8u  // the two carved buffers and headroom

void replay_default_options(replay_options *opt) {
  opt->phys_addr_bits = DEFAULT_PHYS_ADDR_BITS;
  opt->descriptor_size = DEFAULT_DESCRIPTOR_SIZE;
  opt->sim_budget_bytes = DEFAULT_SIM_BUDGET;
}

static void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (p == NULL) {
    fprintf(stderr, "mmreplay: out of host memory\n");
    abort();
  }
  return p;
}

static void set_failure(replay_result *r, replay_verdict v, const char *stage, mm_status st, const char *fmt, ...) {
  r->verdict = v;
  r->failed_stage = stage;
  r->status = st;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->message, sizeof r->message, fmt, ap);
  va_end(ap);
}

// ---- mm/'s log, captured ------------------------------------------------------------------------------

static void capture_log(void *ctx, const char *text, uint64_t len) {
  replay_result *r = ctx;
  char *n = realloc(r->log, (size_t)(r->log_len + len + 1));
  if (n == NULL) return;
  memcpy(n + r->log_len, text, (size_t)len);
  r->log = n;
  r->log_len += len;
  r->log[r->log_len] = '\0';
}

// ---- text entries -> EFI descriptors --------------------------------------------------------------------

static bool build_descriptors(const memmap *in, uint32_t stride, uint8_t *out, replay_result *r) {
  for (size_t i = 0; i < in->count; i++) {
    const memmap_entry *e = &in->entries[i];
    uint64_t base = e->base, end = e->end;
    if ((base | end) & MM_FRAME_MASK) {
      if (e->cls == MEMMAP_CLASS_CONVENTIONAL) {
        base = (base + MM_FRAME_MASK) & ~MM_FRAME_MASK;  // base <= end < 2^64: no wrap below
        if (base < e->base) base = UINT64_MAX & ~MM_FRAME_MASK;
        end &= ~MM_FRAME_MASK;
        if (end < base) end = base;
        r->repairs.trimmed++;
      } else {
        if (end > (UINT64_MAX & ~MM_FRAME_MASK)) {
          set_failure(r, REPLAY_BAD_INPUT, "convert", MM_ERR_OVERFLOW,
                      "line %u: range end 0x%llx cannot be rounded up to a frame below 2^64", e->line,
                      (unsigned long long)e->end);
          return false;
        }
        base &= ~MM_FRAME_MASK;
        end = (end + MM_FRAME_MASK) & ~MM_FRAME_MASK;
        r->repairs.rounded_out++;
      }
    }
    mm_efi_descriptor d = {0};
    d.type = e->efi_type;
    d.physical_start = base;
    d.virtual_start = 0;
    d.number_of_pages = (end - base) >> MM_FRAME_SHIFT;
    d.attribute = e->attribute;
    memcpy(out + i * stride, &d, sizeof d);
  }
  return true;
}

// ---- kernel-log reservations ----------------------------------------------------------------------------

static bool kind_from_name(const char *name, mm_reservation_kind *out) {
  for (int k = 0; k < MM_RES_KIND_COUNT; k++) {
    if (strcmp(name, mm_reservation_kind_name((mm_reservation_kind)k)) == 0) {
      *out = (mm_reservation_kind)k;
      return true;
    }
  }
  return false;
}

// Made during or after the hand-off, so the replay makes its own: the arrays carve_option_storage carved
// (MM_RES_BOOKKEEPING "free_runs" / "reserved", see mm/carve.c), the allocator's own growth
// (MM_RES_BOOKKEEPING "phys.*", see mm/phys_alloc.c) and page tables built with the runtime allocator. Other
// bookkeeping, such as the boot path's early reservation storage, existed before the plan and stays pending.
static bool made_by_handoff(mm_reservation_kind kind, const char *label) {
  if (kind == MM_RES_PAGE_TABLES) return true;
  if (kind != MM_RES_BOOKKEEPING) return false;
  return strcmp(label, "free_runs") == 0 || strcmp(label, "reserved") == 0 || strncmp(label, "phys.", 5) == 0;
}

// ---- the self-test ------------------------------------------------------------------------------------

typedef struct range_list {
  mm_range *items;
  uint64_t count, cap;
} range_list;

static void range_push(range_list *l, phys_addr_t base, phys_addr_t end) {
  if (l->count > 0 && l->items[l->count - 1].end == base) {  // keep runs maximal
    l->items[l->count - 1].end = end;
    return;
  }
  if (l->count == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 64;
    mm_range *n = realloc(l->items, l->cap * sizeof(mm_range));
    if (n == NULL) abort();
    l->items = n;
  }
  l->items[l->count++] = (mm_range){base, end};
}

static bool collect_run(void *ctx, mm_range range) {
  range_list *l = ctx;
  if (l->count == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 64;
    mm_range *n = realloc(l->items, l->cap * sizeof(mm_range));
    if (n == NULL) abort();
    l->items = n;
  }
  l->items[l->count++] = range;
  return true;
}

typedef struct res_list {
  mm_reservation *items;
  uint64_t count, cap;
} res_list;

static bool collect_reservation(void *ctx, const mm_reservation *res) {
  res_list *l = ctx;
  if (l->count == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 64;
    mm_reservation *n = realloc(l->items, l->cap * sizeof(mm_reservation));
    if (n == NULL) abort();
    l->items = n;
  }
  l->items[l->count++] = *res;
  return true;
}

// [base, end) of every region of the normalized map whose type satisfies `want`, minus the union of `res`,
// as maximal sorted runs. Reservations are sorted by base (the set's order).
static void subtract_reservations(const mm_firmware_map *map, bool (*want)(mm_region_type), const mm_reservation *res,
                                  uint64_t res_count, range_list *out) {
  for (uint64_t i = 0; i < map->region_count; i++) {
    const mm_region *g = &map->regions[i];
    if (!want(g->type)) continue;
    phys_addr_t cur = g->base;
    for (uint64_t k = 0; k < res_count && cur < g->end; k++) {
      if (res[k].end <= cur || res[k].base >= g->end) continue;
      if (res[k].base > cur) range_push(out, cur, res[k].base);
      if (res[k].end > cur) cur = res[k].end;
    }
    if (cur < g->end) range_push(out, cur, g->end);
  }
}

static bool is_usable(mm_region_type t) { return t == MM_REGION_USABLE; }
static bool is_reclaimable(mm_region_type t) { return mm_region_type_reclaimable(t); }

static uint64_t frames_of(const range_list *l) {
  uint64_t n = 0;
  for (uint64_t i = 0; i < l->count; i++) n += (l->items[i].end - l->items[i].base) >> MM_FRAME_SHIFT;
  return n;
}

#define SELFTEST_FAIL(...)                                          \
  do {                                                              \
    snprintf(r->selftest_why, sizeof r->selftest_why, __VA_ARGS__); \
    goto done;                                                      \
  } while (0)

static bool runs_equal(const range_list *a, const range_list *b) {
  if (a->count != b->count) return false;
  for (uint64_t i = 0; i < a->count; i++) {
    if (a->items[i].base != b->items[i].base || a->items[i].end != b->items[i].end) return false;
  }
  return true;
}

// Checks the allocator right after the hand-off against what the normalized map and the reservations say it
// must hold, runs the kernel's self-test on it, then reclaims and checks what reclaim added. Leaves the
// allocator as it found it, except for the reclaim. Sets r->selftest_ok / selftest_why.
static void selftest(mm_phys_allocator *a, const mm_phys_window *window, replay_result *r,
                     const mm_reservation_set *given) {
  range_list expect = {0}, after = {0}, reclaim_expect = {0};
  const mm_phys_stats before = r->stats;
  const mm_firmware_map *map = &r->map;
  const char *why = NULL;

  // 1. Free memory is exactly usable minus reservations.
  subtract_reservations(map, is_usable, r->reservations, r->reservation_count, &expect);
  range_list actual = {r->free_runs, r->free_run_count, r->free_run_count};
  if (!runs_equal(&expect, &actual))
    SELFTEST_FAIL("free runs differ from usable memory minus reservations (%llu runs expected, %llu found)",
                  (unsigned long long)expect.count, (unsigned long long)actual.count);
  if (before.free_frames != frames_of(&expect))
    SELFTEST_FAIL("free_frames %llu, expected %llu", (unsigned long long)before.free_frames,
                  (unsigned long long)frames_of(&expect));
  if (before.managed_frames != mm_firmware_map_usable_frames(map))
    SELFTEST_FAIL("managed_frames %llu, usable frames %llu", (unsigned long long)before.managed_frames,
                  (unsigned long long)mm_firmware_map_usable_frames(map));
  if (before.free_frames + before.reserved_frames + before.allocated_frames != before.managed_frames)
    SELFTEST_FAIL("free + reserved + allocated != managed");

  // 2. Every reservation handed over is in the table and blocks its frames.
  for (uint64_t i = 0; i < given->count; i++) {
    const mm_reservation *g = &given->entries[i];
    bool found = false;
    for (uint64_t k = 0; k < r->reservation_count && !found; k++) {
      found = r->reservations[k].base == g->base && r->reservations[k].end == g->end &&
              r->reservations[k].kind == g->kind;
    }
    if (!found)
      SELFTEST_FAIL("reservation %s [0x%llx, 0x%llx) missing from the allocator's table", g->label,
                    (unsigned long long)g->base, (unsigned long long)g->end);
    if (mm_phys_is_free(a, g->base) || mm_phys_is_free(a, g->end - MM_FRAME_SIZE))
      SELFTEST_FAIL("reserved frame of %s is free", g->label);
    if (!mm_phys_reservation_at(a, g->base, NULL))
      SELFTEST_FAIL("no reservation found at 0x%llx", (unsigned long long)g->base);
  }

  // 3. The kernel's own self-test (mm/selftest.c), through the simulated memory: allocations of every shape,
  // a pattern written and verified, everything freed, the invariant checker, the counts back where they were.
  mm_selftest_result kernel_test;
  mm_status st = mm_selftest_run(a, window, NULL, NULL, &kernel_test);
  if (st != MM_OK)
    SELFTEST_FAIL("%s%s%s (%s, after %u allocations)", kernel_test.failure ? kernel_test.failure : "failed",
                  kernel_test.detail ? ": " : "", kernel_test.detail ? kernel_test.detail : "", mm_status_name(st),
                  kernel_test.allocations);
  // Unless the allocator grew its bookkeeping from itself meanwhile, the free runs are exactly as before.
  mm_phys_for_each_free_run(a, collect_run, &after);
  if (mm_phys_get_stats(a).reserved_frames == before.reserved_frames && !runs_equal(&after, &expect))
    SELFTEST_FAIL("free runs not restored after the self-test freed everything");

  // 4. Reclaim adds exactly the reclaimable regions minus reservations, once.
  subtract_reservations(map, is_reclaimable, r->reservations, r->reservation_count, &reclaim_expect);
  uint64_t got = 0;
  if ((st = mm_phys_reclaim(a, &got)) != MM_OK) SELFTEST_FAIL("reclaim: %s", mm_status_name(st));
  r->reclaimable_frames = got;
  if (got != frames_of(&reclaim_expect))
    SELFTEST_FAIL("reclaim gave %llu frames, expected %llu", (unsigned long long)got,
                  (unsigned long long)frames_of(&reclaim_expect));
  uint64_t again = 1;
  if ((st = mm_phys_reclaim(a, &again)) != MM_OK || again != 0)
    SELFTEST_FAIL("second reclaim: %s, %llu frames", mm_status_name(st), (unsigned long long)again);
  if (mm_phys_check_invariants(a, &why) != MM_OK) SELFTEST_FAIL("invariants after reclaim: %s", why);

  r->selftest_ok = true;
done:
  free(expect.items);
  free(after.items);
  free(reclaim_expect.items);
}

// Snapshots the allocator right after the hand-off into r, runs the invariant checker, then the self-test.
static void inspect_handoff(mm_phys_allocator *a, const mm_phys_window *window, replay_result *r,
                            const mm_reservation_set *given) {
  r->stats = mm_phys_get_stats(a);
  range_list runs = {0};
  mm_phys_for_each_free_run(a, collect_run, &runs);
  r->free_runs = runs.items;
  r->free_run_count = runs.count;
  res_list res = {0};
  mm_phys_for_each_reservation(a, collect_reservation, &res);
  r->reservations = res.items;
  r->reservation_count = res.count;
  const char *why = NULL;
  r->invariants_ok = mm_phys_check_invariants(a, &why) == MM_OK;
  r->invariant_why = r->invariants_ok ? NULL : why;
  if (r->invariants_ok) {
    selftest(a, window, r, given);
  } else {
    snprintf(r->selftest_why, sizeof r->selftest_why, "not run: invariants broken");
  }
}

// What the simulated memory holds: measured once the hand-off is done, before the checks and the self-test
// write their own patterns, so the figures are the hand-off's footprint.
static void measure_sim(replay_result *r, const sim_physmem *sim) {
  r->sim_backed_bytes = sim->backed_bytes;
  r->sim_peak_bytes = sim->host_bytes;
  r->sim_chunks = sim->chunk_count;
  r->sim_map_calls = sim->map_calls;
  r->sim_refused = sim->refused_not_ram + sim->refused_budget;
  r->sim_measured_ = true;
}

// ---- the pipeline -------------------------------------------------------------------------------------

static void run_pipeline(const memmap *in, const replay_options *opt, replay_result *r, sim_physmem *sim) {
  uint32_t stride = opt->descriptor_size;
  unsigned bits = opt->phys_addr_bits;
  if (in->format == MEMMAP_FORMAT_KERNEL && in->kernel.has_firmware_map && in->kernel.fw_descriptor_size >= 40 &&
      in->kernel.fw_descriptor_size % 8 == 0 && in->kernel.fw_descriptor_size <= 4096)
    stride = (uint32_t)in->kernel.fw_descriptor_size;

  // Normalize.
  uint64_t raw_bytes = (uint64_t)in->count * stride;
  uint8_t *raw = xcalloc((size_t)raw_bytes, 1);
  if (!build_descriptors(in, stride, raw, r)) {
    free(raw);
    return;
  }
  uint64_t storage_bytes = mm_firmware_map_storage_bytes(raw_bytes, stride);
  r->map_storage_ = xcalloc((size_t)storage_bytes, 1);
  mm_status st = mm_firmware_map_init(&r->map, raw, raw_bytes, stride, 1, bits, r->map_storage_, storage_bytes);
  free(raw);
  if (st == MM_ERR_NO_USABLE_MEMORY) {
    set_failure(r, REPLAY_BAD_INPUT, "normalize", st, "the map leaves no usable (conventional) memory");
    return;
  }
  if (st != MM_OK) {
    set_failure(r, REPLAY_BAD_INPUT, "normalize", st, "mm_firmware_map_init: %s", mm_status_name(st));
    return;
  }
  r->repairs.mm = r->map.repairs;
  r->repairs.trimmed += r->map.repairs.trimmed;

  // The simulated RAM: memory mm/ may write (usable now, reclaimable later).
  for (uint64_t i = 0; i < r->map.region_count; i++) {
    const mm_region *g = &r->map.regions[i];
    if (g->type == MM_REGION_USABLE || mm_region_type_reclaimable(g->type)) sim_physmem_add_ram(sim, g->base, g->end);
  }

  // Pending reservations (kernel logs only; a Linux log says nothing about this kernel's own).
  void *alloc_storage = NULL;
  uint64_t capacity = in->reservation_count + EXTRA_RESERVATION_SLOTS;
  mm_reservation *res_storage = xcalloc((size_t)capacity, sizeof(mm_reservation));
  mm_reservation_set set;
  mm_reservation_set_init(&set, res_storage, capacity);
  for (size_t i = 0; i < in->reservation_count; i++) {
    const memmap_reservation *lr = &in->reservations[i];
    mm_reservation_kind kind;
    if (!kind_from_name(lr->kind, &kind)) {
      set_failure(r, REPLAY_BAD_INPUT, "reserve", MM_ERR_INVALID_ARGUMENT, "line %u: unknown reservation kind '%s'",
                  lr->line, lr->kind);
      goto out;
    }
    if (made_by_handoff(kind, lr->label)) {
      r->kernel.skipped_from_log++;
      continue;
    }
    if (lr->end == lr->base) continue;
    st = mm_reservation_add(&set, lr->base, lr->end - lr->base, kind, lr->label);
    if (st != MM_OK) {
      set_failure(r, REPLAY_BAD_INPUT, "reserve", st, "line %u: mm_reservation_add: %s", lr->line, mm_status_name(st));
      goto out;
    }
    r->kernel.pending_from_log++;
  }

  // A Linux log says nothing about this kernel's own reservations. The one it always makes, whatever the
  // machine, is the null page (boot/memory_bringup.c: physical page 0 is never handed out, so a null physical
  // address means "none"); without it the carve could land at 0, which the kernel's identity window maps to
  // NULL. Where the firmware loads the image, stack and map copy is unknown, so nothing else is assumed.
  if (in->format != MEMMAP_FORMAT_KERNEL) {
    st = mm_reservation_add(&set, 0, MM_FRAME_SIZE, MM_RES_IDENTITY, "null_page");
    if (st != MM_OK) {
      set_failure(r, REPLAY_FAILED, "reserve", st, "mm_reservation_add(null_page): %s", mm_status_name(st));
      goto out;
    }
    r->assumed_reservations++;
  }

  // Plan, carve, hand over: the kernel's own entry, into an allocator this replay owns (never the global cell).
  r->pending_reservations = set.count;
  mm_phys_window window = sim_physmem_window(sim);
  alloc_storage = xcalloc(1, (size_t)mm_phys_allocator_size());
  mm_phys_allocator *alloc = alloc_storage;
  mm_handoff_result handed;
  st = mm_handoff_into(alloc, &r->map, &set, &window, NULL, &handed);
  r->plan = handed.plan;
  if (st != MM_OK && handed.failed_stage == MM_HANDOFF_CARVE) {
    set_failure(r, st == MM_ERR_NO_MEMORY ? REPLAY_BAD_INPUT : REPLAY_FAILED, "carve", st, "carve_option_storage: %s%s",
                mm_status_name(st),
                st == MM_ERR_NO_MEMORY ? " (usable memory too small or too fragmented for the bookkeeping)" : "");
    goto out;
  }
  if (st != MM_OK) {
    set_failure(r, REPLAY_FAILED, "initialize", st, "%s: %s", mm_handoff_stage_name(handed.failed_stage),
                mm_status_name(st));
    goto out;
  }
  r->carved = handed.carved;
  measure_sim(r, sim);
  inspect_handoff(alloc, &window, r, &set);

  if (!r->invariants_ok) {
    set_failure(r, REPLAY_FAILED, "invariants", MM_ERR_INVARIANT, "invariant broken: %s",
                r->invariant_why ? r->invariant_why : "?");
  } else if (!r->selftest_ok) {
    set_failure(r, REPLAY_FAILED, "selftest", MM_ERR_INVARIANT, "self-test failed: %s", r->selftest_why);
  }

  // Kernel log: the same numbers as the kernel printed?
  if (in->format == MEMMAP_FORMAT_KERNEL) {
    const memmap_kernel_summary *k = &in->kernel;
    r->kernel.has_plan = k->has_plan;
    r->kernel.plan_matches = k->has_plan && k->plan_free_slots == r->plan.free_slots &&
                             k->plan_reserved_slots == r->plan.reserved_slots &&
                             k->plan_conventional_regions == r->plan.conventional_regions &&
                             k->plan_reservations == r->plan.reservations;
    r->kernel.has_stats = k->has_stats;
    r->kernel.stats_matches = k->has_stats && k->stats_free_frames == r->stats.free_frames &&
                              k->stats_reserved_frames == r->stats.reserved_frames &&
                              k->stats_free_runs == r->stats.free_runs &&
                              (!k->has_stats_bookkeeping_bytes ||
                               k->stats_bookkeeping_bytes == r->stats.bookkeeping_bytes);
  }
out:
  free(alloc_storage);
  free(res_storage);
}

void replay_run(const memmap *in, const replay_options *opt, replay_result *r) {
  memset(r, 0, sizeof *r);
  r->format = in->format;
  r->descriptors = in->count;
  memmap_class_bytes(in, r->class_bytes);

  log_level saved = log_get_level();
  log_set_level(LOG_DEBUG);
  log_set_sink(capture_log, r);
  sim_physmem sim;
  sim_physmem_init(&sim, opt->sim_budget_bytes);
  run_pipeline(in, opt, r, &sim);
  if (!r->sim_measured_) measure_sim(r, &sim);  // the pipeline stopped before the hand-off finished
  sim_physmem_destroy(&sim);
  log_set_sink(NULL, NULL);
  log_set_level(saved);
}

void replay_result_free(replay_result *r) {
  free(r->free_runs);
  free(r->reservations);
  free(r->log);
  free(r->map_storage_);
  memset(r, 0, sizeof *r);
}

void replay_region_bytes(const replay_result *r, uint64_t bytes[MM_REGION_TYPE_COUNT]) {
  memset(bytes, 0, sizeof(uint64_t) * MM_REGION_TYPE_COUNT);
  if (r->map_storage_ == NULL || r->map.regions == NULL) return;
  for (uint64_t i = 0; i < r->map.region_count; i++) {
    bytes[r->map.regions[i].type] += r->map.regions[i].end - r->map.regions[i].base;
  }
}
