// memory_bringup.c: the memory bring-up after ExitBootServices, one stage after another in the order of the
// design note (docs/memory-handoff.md):
//   1 copy the firmware map   2 collect reservations   3 runtime_storage_plan   4 carve_option_storage
//   5 initialize_runtime_allocator   6 identity paging   7 self-test   8 reclaim   9 summary
// Every stage logs its duration in cycles of the architecture's counter; any failure is one `panic` line
// naming the stage and the reason, and the run ends with status 3.
#include "arch/arch.h"
#include "boot/kernel.h"
#include "mm/carve.h"
#include "mm/early_alloc.h"
#include "mm/firmware_map.h"
#include "mm/log.h"
#include "mm/plan.h"
#include "mm/runtime.h"

#define GIB ((uint64_t)1 << 30)

_Noreturn static void stage_panic(const char *stage, const char *reason) {
  debug_structured(LOG_ERROR, "panic", KV_S("stage", stage), KV_S("reason", reason));
  arch_exit(3);
}

static void check(const char *stage, mm_status s) {
  if (s != MM_OK) stage_panic(stage, mm_status_name(s));
}

// The kernel runs identity mapped (UEFI's tables, then its own): physical addresses are pointers.
static void *identity_map(void *ctx, phys_addr_t phys, uint64_t bytes) {
  (void)ctx;
  (void)bytes;
  return (void *)(uintptr_t)phys;
}
static const mm_phys_window g_window = {identity_map, 0};

// ---- 1-2: the firmware map copy and the reservation set -----------------------------------------------------

static void log_descriptors(const mm_firmware_map *map) {
  if (!log_enabled(LOG_DEBUG)) return;
  for (uint64_t i = 0; i < map->descriptor_count; i++) {
    mm_efi_descriptor d = mm_firmware_map_descriptor(map, i);
    debug_structured(LOG_DEBUG, "mm.desc", KV_U("idx", i), KV_U("type", d.type), KV_X("phys", d.physical_start),
                     KV_U("pages", d.number_of_pages), KV_X("attr", d.attribute));
  }
}

static void collect_reservations(const boot_handoff *h, mm_reservation_set *set) {
  mm_reservation_set_init(set, (mm_reservation *)(uintptr_t)h->reservation_storage,
                          h->reservation_storage_bytes / sizeof(mm_reservation));
  // Physical page 0 is never handed out, so a null physical address always means "none".
  check("reservations", mm_reservation_add(set, 0, MM_FRAME_SIZE, MM_RES_IDENTITY, "null_page"));
  check("reservations", mm_reservation_add(set, h->image_base, h->image_size, MM_RES_KERNEL_IMAGE, "kernel_image"));
  check("reservations", mm_reservation_add(set, h->stack_base, h->stack_size, MM_RES_STACK, "kernel_stack"));
  check("reservations", mm_reservation_add(set, h->map_storage, h->map_storage_bytes, MM_RES_FIRMWARE_MAP, "map_copy"));
  check("reservations", mm_reservation_add(set, h->reservation_storage, h->reservation_storage_bytes,
                                           MM_RES_BOOKKEEPING, "early_reservations"));
  if (h->framebuffer_size) {
    check("reservations", mm_reservation_add(set, h->framebuffer_base, h->framebuffer_size, MM_RES_FRAMEBUFFER, "gop"));
  }
  arch_map_range mmio[4];
  uint64_t n = arch_identity_mmio(mmio, 4);
  for (uint64_t i = 0; i < n && i < 4; i++) {
    check("reservations", mm_reservation_add(set, mmio[i].base, mmio[i].end - mmio[i].base, MM_RES_IDENTITY, "arch_mmio"));
  }
}

// ---- 5: what the runtime allocator holds, logged once after the hand-off ------------------------------------

static bool log_reservation(void *ctx, const mm_reservation *r) {
  (void)ctx;
  debug_structured(LOG_DEBUG, "mm.reserve", KV_X("phys", r->base), KV_X("end", r->end),
                   KV_S("kind", mm_reservation_kind_name(r->kind)), KV_S("label", r->label));
  return true;
}

static mm_status log_allocator_state(mm_phys_allocator *a, void *ctx) {
  (void)ctx;
  if (log_enabled(LOG_DEBUG)) mm_phys_for_each_reservation(a, log_reservation, 0);
  mm_phys_stats st = mm_phys_get_stats(a);
  debug_structured(LOG_DEBUG, "mm.stats", KV_U("free_frames", st.free_frames), KV_U("reserved_frames", st.reserved_frames),
                   KV_U("free_runs", st.free_runs), KV_U("bookkeeping_bytes", st.bookkeeping_bytes));
  return MM_OK;
}

// ---- 6: identity paging ------------------------------------------------------------------------------------

// One candidate range with a priority; the sweep in build_ranges lets the highest priority win where they
// overlap (image text beats RAM, framebuffer beats MMIO).
typedef struct paging_piece {
  phys_addr_t base, end;
  arch_mem_type type;
  bool executable;
  uint32_t priority;
} paging_piece;

typedef struct paging_ctx {
  const boot_handoff *handoff;
  mm_phys_allocator *alloc;
  paging_piece *pieces;
  uint64_t piece_count, piece_capacity;
  arch_map_range *ranges;
  uint64_t range_count;
  arch_paging_info info;
  arch_paging_features features;
} paging_ctx;

static void add_piece(paging_ctx *p, phys_addr_t base, phys_addr_t end, arch_mem_type type, bool exec, uint32_t prio) {
  if (end <= base) return;
  if (p->piece_count >= p->piece_capacity) mm_panic("add_piece", "paging piece array sized too small");
  p->pieces[p->piece_count++] = (paging_piece){base & ~MM_FRAME_MASK, (end + MM_FRAME_MASK) & ~MM_FRAME_MASK, type, exec, prio};
}

// Turns the overlapping pieces into sorted, disjoint ranges. O(n^2) over a few hundred pieces at most (the
// map's regions plus a handful), bounded by the map size and run once per boot.
static void build_ranges(paging_ctx *p) {
  phys_addr_t cursor = 0;
  p->range_count = 0;
  for (;;) {
    // The next boundary >= cursor where coverage may start.
    phys_addr_t start = UINT64_MAX;
    for (uint64_t i = 0; i < p->piece_count; i++) {
      const paging_piece *q = &p->pieces[i];
      if (q->end > cursor) {
        phys_addr_t b = q->base > cursor ? q->base : cursor;
        if (b < start) start = b;
      }
    }
    if (start == UINT64_MAX) return;
    // The winning piece at `start` and where the answer can next change.
    const paging_piece *win = 0;
    phys_addr_t next = UINT64_MAX;
    for (uint64_t i = 0; i < p->piece_count; i++) {
      const paging_piece *q = &p->pieces[i];
      if (q->base <= start && q->end > start) {
        if (!win || q->priority > win->priority) win = q;
        if (q->end < next) next = q->end;
      } else if (q->base > start && q->base < next) {
        next = q->base;
      }
    }
    arch_map_range *last = p->range_count ? &p->ranges[p->range_count - 1] : 0;
    if (last && last->end == start && last->type == win->type && last->executable == win->executable) {
      last->end = next;
    } else {
      if (p->range_count >= p->piece_capacity * 2) mm_panic("build_ranges", "range array sized too small");
      p->ranges[p->range_count++] = (arch_map_range){start, next, win->type, win->executable};
    }
    cursor = next;
  }
}

static mm_status table_frame(void *ctx, phys_addr_t *out) {
  paging_ctx *p = ctx;
  mm_status s = mm_phys_alloc_frame(p->alloc, out);
  if (s != MM_OK) return s;
  // Page tables live as long as the kernel: they become a reservation with their own provenance.
  s = mm_phys_reserve(p->alloc, *out, MM_FRAME_SIZE, MM_RES_PAGE_TABLES, "page_tables");
  if (s != MM_OK) mm_phys_free(p->alloc, *out, 1);
  return s;
}

static mm_status build_paging(mm_phys_allocator *a, void *ctx) {
  paging_ctx *p = ctx;
  p->alloc = a;
  const mm_firmware_map *map = mm_phys_firmware_map(a);
  const boot_handoff *h = p->handoff;
  // Scratch for the pieces and the resulting ranges, sized to this machine's map, from the runtime allocator.
  p->piece_capacity = map->region_count + 8;
  uint64_t bytes = p->piece_capacity * (sizeof(paging_piece) + 2 * sizeof(arch_map_range));
  mm_alloc_request req = {(bytes + MM_FRAME_MASK) >> MM_FRAME_SHIFT, MM_FRAME_SIZE, 0, 0};
  phys_addr_t scratch;
  mm_status s = mm_phys_alloc(a, &req, &scratch);
  if (s != MM_OK) return s;
  p->pieces = (paging_piece *)(uintptr_t)scratch;
  p->ranges = (arch_map_range *)(p->pieces + p->piece_capacity);

  for (uint64_t i = 0; i < map->region_count; i++) {
    const mm_region *r = &map->regions[i];
    switch (r->type) {
      case MM_REGION_MMIO:
        add_piece(p, r->base, r->end, ARCH_MEM_DEVICE, false, 1);
        break;
      case MM_REGION_RESERVED:
      case MM_REGION_UNUSABLE:
        break;  // never touched by the kernel: left unmapped so a stray access faults
      default:
        add_piece(p, r->base, r->end, ARCH_MEM_NORMAL, false, 1);
        break;
    }
  }
  arch_map_range mmio[4];
  uint64_t n = arch_identity_mmio(mmio, 4);
  for (uint64_t i = 0; i < n && i < 4; i++) add_piece(p, mmio[i].base, mmio[i].end, ARCH_MEM_DEVICE, false, 2);
  if (h->framebuffer_size) {
    add_piece(p, h->framebuffer_base, h->framebuffer_base + h->framebuffer_size, ARCH_MEM_FRAMEBUFFER, false, 2);
  }
  // The image holds text and data together (one LoadedImage range); it is the only executable range.
  add_piece(p, h->image_base, h->image_base + h->image_size, ARCH_MEM_NORMAL, true, 3);
  // Page 0 stays unmapped so a null dereference faults.
  add_piece(p, 0, MM_FRAME_SIZE, ARCH_MEM_NORMAL, false, 0);
  build_ranges(p);
  if (p->range_count && p->ranges[0].base == 0) {
    p->ranges[0].base = MM_FRAME_SIZE;
    if (p->ranges[0].end == MM_FRAME_SIZE) {
      mm_memmove(&p->ranges[0], &p->ranges[1], (p->range_count - 1) * sizeof(arch_map_range));
      p->range_count--;
    }
  }
  arch_frame_source source = {table_frame, p};
  s = arch_paging_build(p->ranges, p->range_count, &p->features, &source, &g_window, &p->info);
  mm_status f = mm_phys_free(a, scratch, req.count);
  return s != MM_OK ? s : f;
}

// ---- 7: self-test ------------------------------------------------------------------------------------------

#define SELFTEST_MAX 64

typedef struct selftest_ctx {
  bool corrupt_reservation;
  mm_range got[SELFTEST_MAX];
  uint32_t count;
  const char *failure;  // one token: which check failed
  const char *detail;   // the invariant checker's description, when it was the checker
} selftest_ctx;

static uint64_t pattern(phys_addr_t addr) { return addr * 0x9e3779b97f4a7c15ull ^ 0x5a5a5a5a5a5a5a5aull; }

static bool range_hits_reservation(mm_phys_allocator *a, mm_range r) {
  for (phys_addr_t f = r.base; f < r.end; f += MM_FRAME_SIZE) {
    if (mm_phys_reservation_at(a, f, 0)) return true;
  }
  return false;
}

#ifdef KERNEL_TEST_HOOKS
typedef struct corrupt_ctx {
  phys_addr_t free_frame;
  mm_reservation *victim;
} corrupt_ctx;

static bool pick_victim(void *ctx, const mm_reservation *r) {
  corrupt_ctx *c = ctx;
  if (r->base <= c->free_frame) c->victim = (mm_reservation *)r;  // the table lives in kernel memory
  return r->base <= c->free_frame;
}

// Stretches the reservation below the lowest free frame so that it covers that frame, writing the table
// directly: the free set now overlaps a reservation, which mm_phys_check_invariants must report.
static void corrupt_a_reservation(mm_phys_allocator *a) {
  corrupt_ctx c = {0, 0};
  if (mm_phys_alloc_frame(a, &c.free_frame) != MM_OK || mm_phys_free(a, c.free_frame, 1) != MM_OK) return;
  mm_phys_for_each_reservation(a, pick_victim, &c);
  if (!c.victim) return;
  debug_structured(LOG_WARN, "selftest.corrupt_reservation", KV_S("label", c.victim->label),
                   KV_X("end", c.victim->end), KV_X("new_end", c.free_frame + MM_FRAME_SIZE));
  c.victim->end = c.free_frame + MM_FRAME_SIZE;
}
#endif

static mm_status run_selftest(mm_phys_allocator *a, void *ctx) {
  selftest_ctx *t = ctx;
  mm_phys_stats before = mm_phys_get_stats(a);
  // A mix: single frames, small contiguous runs, 2 MiB-aligned blocks, and DMA-style runs below 4 GiB.
  static const mm_alloc_request plan[] = {
      {1, 0, 0, 0}, {1, 0, 0, 0}, {1, 0, 0, 0}, {1, 0, 0, 0}, {1, 0, 0, 0}, {1, 0, 0, 0}, {1, 0, 0, 0}, {1, 0, 0, 0},
      {3, 0, 0, 0}, {16, 0, 0, 0}, {7, 0, 0, 0}, {64, 0, 0, 0},
      {512, 2u << 20, 0, 0}, {512, 2u << 20, 0, 0}, {16, 64u << 10, 0, 0},
      {8, 0, 0, 4 * GIB}, {32, 1u << 20, 1u << 20, 4 * GIB},
  };
  for (uint32_t i = 0; i < sizeof(plan) / sizeof(plan[0]); i++) {
    phys_addr_t base;
    mm_status s = plan[i].count == 1 ? mm_phys_alloc_frame(a, &base) : mm_phys_alloc(a, &plan[i], &base);
    if (s != MM_OK) {
      t->failure = "allocation failed";
      return s;
    }
    mm_range r = {base, base + plan[i].count * MM_FRAME_SIZE};
    t->got[t->count++] = r;
    debug_structured(LOG_DEBUG, "mm.selftest_alloc", KV_X("phys", r.base), KV_X("end", r.end));
    uint64_t align = plan[i].align ? plan[i].align : MM_FRAME_SIZE;
    if ((base & (align - 1)) || (plan[i].max_addr && r.end > plan[i].max_addr) || base < plan[i].min_addr) {
      t->failure = "allocation ignores its constraints";
      return MM_ERR_INVARIANT;
    }
    if (range_hits_reservation(a, r)) {
      t->failure = "allocation intersects a reservation";
      return MM_ERR_INVARIANT;
    }
    for (uint32_t j = 0; j + 1 < t->count; j++) {
      if (r.base < t->got[j].end && t->got[j].base < r.end) {
        t->failure = "allocations overlap";
        return MM_ERR_INVARIANT;
      }
    }
  }
  // Write a pattern through the new mappings, then verify all of it (catches aliasing between allocations).
  for (uint32_t i = 0; i < t->count; i++) {
    for (phys_addr_t p = t->got[i].base; p < t->got[i].end; p += 512) *(volatile uint64_t *)(uintptr_t)p = pattern(p);
  }
  for (uint32_t i = 0; i < t->count; i++) {
    for (phys_addr_t p = t->got[i].base; p < t->got[i].end; p += 512) {
      if (*(volatile uint64_t *)(uintptr_t)p != pattern(p)) {
        t->failure = "pattern mismatch";
        return MM_ERR_INVARIANT;
      }
    }
  }
  for (uint32_t i = 0; i < t->count; i++) {
    mm_status s = mm_phys_free(a, t->got[i].base, (t->got[i].end - t->got[i].base) >> MM_FRAME_SHIFT);
    if (s != MM_OK) {
      t->failure = "free failed";
      return s;
    }
  }
#ifdef KERNEL_TEST_HOOKS
  // Test builds only (//:esp_*_testhooks): corrupt a reservation behind the allocator's back so the boot test
  // can prove that the invariant checker stops the boot.
  if (t->corrupt_reservation) corrupt_a_reservation(a);
#endif
  const char *why = 0;
  if (mm_phys_check_invariants(a, &why) != MM_OK) {
    t->failure = "invariant_checker";
    t->detail = why;
    return MM_ERR_INVARIANT;
  }
  mm_phys_stats after = mm_phys_get_stats(a);
  debug_structured(LOG_DEBUG, "mm.selftest_counts", KV_U("free_before", before.free_frames),
                   KV_U("free_after", after.free_frames), KV_U("reserved_before", before.reserved_frames),
                   KV_U("reserved_after", after.reserved_frames), KV_U("allocated_after", after.allocated_frames),
                   KV_U("bookkeeping_before", before.bookkeeping_bytes), KV_U("bookkeeping_after", after.bookkeeping_bytes));
  // Everything was freed, so frames are conserved; the only frames allowed to move from free to reserved are
  // the allocator's own bookkeeping growth (it takes frames from itself when a window fragments).
  uint64_t grown = after.reserved_frames - before.reserved_frames;
  if (after.allocated_frames != before.allocated_frames ||
      after.free_frames + after.reserved_frames != before.free_frames + before.reserved_frames ||
      after.reserved_frames < before.reserved_frames || after.bookkeeping_bytes < before.bookkeeping_bytes ||
      grown * MM_FRAME_SIZE > after.bookkeeping_bytes - before.bookkeeping_bytes) {
    t->failure = "counts did not return to where they started";
    return MM_ERR_INVARIANT;
  }
  return MM_OK;
}

// ---- 8-9: reclaim and summary ------------------------------------------------------------------------------

static mm_status reclaim(mm_phys_allocator *a, void *ctx) {
  uint64_t *frames = ctx;
  mm_status s = mm_phys_reclaim(a, frames);
  if (s != MM_OK) return s;
  const char *why = 0;
  if (mm_phys_check_invariants(a, &why) != MM_OK) mm_panic("reclaim", why ? why : "invariant checker failed");
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

static mm_status summarize(mm_phys_allocator *a, void *ctx) {
  (void)ctx;
  summary_ctx s = {{0}};
  mm_phys_for_each_reservation(a, sum_reservation, &s);
  mm_phys_stats st = mm_phys_get_stats(a);
  debug_structured(LOG_INFO, "mm.summary", KV_U("total_bytes", st.managed_frames << MM_FRAME_SHIFT),
                   KV_U("free_bytes", st.free_frames << MM_FRAME_SHIFT),
                   KV_U("reserved_bytes", st.reserved_frames << MM_FRAME_SHIFT),
                   KV_U("allocated_bytes", st.allocated_frames << MM_FRAME_SHIFT), KV_U("free_runs", st.free_runs),
                   KV_U("bookkeeping_bytes", st.bookkeeping_bytes));
  for (uint32_t k = 0; k < MM_RES_KIND_COUNT; k++) {
    if (s.bytes[k]) {
      debug_structured(LOG_INFO, "mm.reserved", KV_S("kind", mm_reservation_kind_name((mm_reservation_kind)k)),
                       KV_U("bytes", s.bytes[k]));
    }
  }
  return MM_OK;
}

// ---- the pipeline ------------------------------------------------------------------------------------------

uint32_t memory_bringup(const boot_handoff *handoff, const kernel_options *opt) {
  static mm_firmware_map map;
  static mm_reservation_set reservations;
  mm_status s;

  // 1. Copy the firmware map into kernel-owned memory: after this nothing reads the firmware's buffer.
  uint64_t t = arch_cycles();
  check("firmware_map", mm_firmware_map_init(&map, handoff->memory_map, handoff->memory_map_bytes,
                                             handoff->descriptor_size, handoff->descriptor_version,
                                             arch_phys_addr_bits(), (void *)(uintptr_t)handoff->map_storage,
                                             handoff->map_storage_bytes));
  debug_structured(LOG_INFO, "mm.map_copied", KV_X("phys", handoff->map_storage), KV_U("bytes", map.raw_bytes),
                   KV_U("regions", map.region_count), KV_U("cycles", arch_cycles() - t));
  log_descriptors(&map);

  // 2. Every range the kernel keeps, with its provenance.
  t = arch_cycles();
  collect_reservations(handoff, &reservations);
  debug_structured(LOG_INFO, "mm.reservations", KV_U("count", reservations.count), KV_U("cycles", arch_cycles() - t));

  // 3. Size the runtime allocator's bookkeeping to this machine (logs mm.plan).
  t = arch_cycles();
  mm_storage_plan plan = runtime_storage_plan(&map, reservations.count);
  debug_structured(LOG_DEBUG, "mm.plan_done", KV_U("cycles", arch_cycles() - t));

  // 4. Carve its backing from the early allocator; both spans join the reservations (logs mm.carve).
  t = arch_cycles();
  mm_early_allocator early;
  mm_early_init(&early, &map, &reservations);
  mm_carved_storage carved;
  check("carve", carve_option_storage(&early, &plan, &g_window, &carved));
  debug_structured(LOG_DEBUG, "mm.carve_done", KV_U("cycles", arch_cycles() - t));

  // 5. The hand-off: from here on memory comes only from the runtime allocator.
  t = arch_cycles();
  check("initialize_runtime_allocator", initialize_runtime_allocator(&map, &reservations, &carved, &g_window));
  debug_structured(LOG_INFO, "mm.handoff", KV_U("cycles", arch_cycles() - t));
  check("stats", with_runtime_allocator(log_allocator_state, 0));

  // 6. Identity paging with tables from the runtime allocator, then switch to it.
  t = arch_cycles();
  paging_ctx paging = {0};
  paging.handoff = handoff;
  paging.features = arch_paging_probe();
  s = with_runtime_allocator(build_paging, &paging);
  if (s != MM_OK) stage_panic("paging", mm_status_name(s));
  arch_paging_activate(&paging.info, &paging.features);
  debug_structured(LOG_INFO, "paging.installed", KV_S("arch", arch_name()), KV_X("root", paging.info.root),
                   KV_U("mapped_bytes", paging.info.mapped_bytes), KV_U("tables", paging.info.tables),
                   KV_U("ranges", paging.range_count), KV_U("nx", paging.features.nx),
                   KV_U("cycles", arch_cycles() - t));
#ifdef KERNEL_TEST_HOOKS
  // Test builds only (//:esp_*_testhooks): page 0 is deliberately unmapped, so this read must end in the
  // kernel's own exception vectors (arch_trap_init) as one `panic stage=exception` line, not a reset.
  if (opt->fault_null) {
    uintptr_t null_addr = 0;
    __asm__ volatile("" : "+r"(null_addr));  // hide the constant: the compiler may not treat it as UB
    (void)*(volatile uint64_t *)null_addr;
    stage_panic("selftest", "read_of_page_0_did_not_fault");
  }
#endif

  // 7. Self-test through the new mappings.
  t = arch_cycles();
  static selftest_ctx selftest;
  selftest.corrupt_reservation = opt->corrupt_reservation;
#ifndef KERNEL_TEST_HOOKS
  if (opt->corrupt_reservation) {
    debug_structured(LOG_WARN, "boot.cmdline", KV_S("ignored", "selftest.corrupt_reservation"),
                     KV_S("why", "test_builds_only"));
  }
#endif
  s = with_runtime_allocator(run_selftest, &selftest);
  if (s != MM_OK && selftest.detail) {
    debug_structured(LOG_ERROR, "panic", KV_S("stage", "selftest"), KV_S("reason", selftest.failure),
                     KV_S("detail", selftest.detail));
    arch_exit(3);
  }
  if (s != MM_OK) stage_panic("selftest", selftest.failure ? selftest.failure : mm_status_name(s));
  debug_structured(LOG_INFO, "mm.selftest", KV_S("result", "ok"), KV_U("allocations", selftest.count),
                   KV_U("cycles", arch_cycles() - t));

  // 8. Boot-services and loader memory that nothing kernel-owned still uses goes back to the free pool.
  t = arch_cycles();
  uint64_t reclaimed = 0;
  check("reclaim", with_runtime_allocator(reclaim, &reclaimed));
  debug_structured(LOG_INFO, "mm.reclaim", KV_U("frames", reclaimed), KV_U("bytes", reclaimed << MM_FRAME_SHIFT),
                   KV_U("cycles", arch_cycles() - t));
  check("stats", with_runtime_allocator(log_allocator_state, 0));

  // 9. Summary.
  check("summary", with_runtime_allocator(summarize, 0));
  return 0;
}
