// memory_bringup.c: the memory bring-up after ExitBootServices, one stage after another in the order of the
// design note (docs/memory-handoff.md):
//   1 copy the firmware map   2 collect reservations   3-5 the hand-off (mm/handoff.h: runtime_storage_plan,
//   carve_option_storage, initialize_runtime_allocator)   5b (after the hand-off) the NUMA node table
//   (boot/numa_bringup.c)   6 identity paging (with the EFI Memory Attributes table, when the firmware gave one)
//   7 self-test   8 reclaim   9 summary
// Every stage logs its duration in cycles of the architecture's counter; any failure is one `panic` line
// naming the stage and the reason, and the run ends with status 3. The work of each stage lives in its own
// file: mm/ for the pipeline and the self-test, boot/identity_paging.c (policy: boot/identity_ranges.c) for
// the page tables, boot/bringup_log.c for the reports, boot/test_hooks.c for the test builds' deliberate
// breakage.
#include "arch/arch.h"
#include "boot/bringup_log.h"
#include "boot/efi/mat.h"
#include "boot/identity_paging.h"
#include "boot/kernel.h"
#include "boot/numa_bringup.h"
#include "boot/test_hooks.h"
#include "mm/handoff.h"
#include "mm/log.h"
#include "mm/runtime.h"
#include "mm/selftest.h"
#include "platform/platform_memory.h"

#define MMIO_MAX 4u

_Noreturn static void stage_panic(const char *stage, const char *reason) {
  debug_structured(LOG_ERROR, "panic", KV_S("stage", stage), KV_S("reason", reason), KV_U("cpu", arch_cpu_number()));
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
const mm_phys_window kernel_window = {identity_map, 0};

// Stage 2: every range the kernel keeps, with its provenance.
static void collect_reservations(const boot_handoff *h, const platform_info *platform, mm_reservation_set *set) {
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
  // The devicetree is read after reclaim too (it may sit in boot-services memory, which reclaim hands out): it
  // stays reserved for good once it opened cleanly. A blob that failed its checks is never read again.
  if (platform_has_devicetree(platform)) {
    check("reservations",
          mm_reservation_add(set, platform->tables.devicetree, platform->dt.total_size, MM_RES_FIRMWARE, "devicetree"));
  }
  if (h->memory_attributes_storage_bytes) {
    check("reservations", mm_reservation_add(set, h->memory_attributes, h->memory_attributes_storage_bytes,
                                             MM_RES_FIRMWARE, "efi_mat"));
  }
  // Devicetree /memreserve/ and /reserved-memory (platform_memory.h): kept whatever the EFI map says there.
  check("reservations", platform_reserve_firmware(platform, set, 0));
  // The devices the kernel drives (the console's page, from its description) stay untouched and mapped.
  arch_map_range mmio[MMIO_MAX];
  uint64_t n = kernel_device_ranges(mmio, MMIO_MAX);
  for (uint64_t i = 0; i < n && i < MMIO_MAX; i++) {
    check("reservations",
          mm_reservation_add(set, mmio[i].base, mmio[i].end - mmio[i].base, MM_RES_IDENTITY, "device_mmio"));
  }
}

// Stage 6's input from the firmware: the copied Memory Attributes table, checked; NULL when there is none or it
// is malformed (then runtime code is mapped read-write-execute, boot/identity_ranges.h). One line either way:
// `efi.mat result=ok version= entries= descriptor_size=`, `efi.mat result=none`, or (warn)
// `efi.mat result=ignored reason=truncated|bad_version|bad_stride`.
static const efi_mat_view *memory_attributes(const boot_handoff *h) {
  static efi_mat_view view;
  if (h->memory_attributes_bytes == 0) {
    debug_structured(LOG_INFO, "efi.mat", KV_S("result", "none"));
    return 0;
  }
  efi_mat_status s = efi_mat_parse((const void *)(uintptr_t)h->memory_attributes, h->memory_attributes_bytes, &view);
  if (s != EFI_MAT_OK) {
    debug_structured(LOG_WARN, "efi.mat", KV_S("result", "ignored"), KV_S("reason", efi_mat_status_name(s)));
    return 0;
  }
  debug_structured(LOG_INFO, "efi.mat", KV_S("result", "ok"), KV_U("version", view.version),
                   KV_U("entries", view.count), KV_U("descriptor_size", view.stride));
  return &view;
}

// Stage 7: the portable self-test (mm/selftest.h) through the new mappings.
typedef struct selftest_ctx {
  mm_selftest_hook hook;
  mm_selftest_result result;
} selftest_ctx;

static mm_status run_selftest(mm_phys_allocator *a, void *ctx) {
  selftest_ctx *t = ctx;
  return mm_selftest_run(a, &kernel_window, t->hook, 0, &t->result);
}

// Stage 8: boot-services and loader memory that nothing kernel-owned still uses goes back to the free pool.
static mm_status reclaim(mm_phys_allocator *a, void *ctx) {
  mm_status s = mm_phys_reclaim(a, (uint64_t *)ctx);
  const char *why = 0;
  if (s == MM_OK && mm_phys_check_invariants(a, &why) != MM_OK)
    mm_panic("reclaim", why ? why : "invariant checker failed");
  return s;
}

uint32_t memory_bringup(const boot_handoff *handoff, const platform_info *platform, const kernel_options *opt) {
  static mm_firmware_map map;
  static mm_reservation_set reservations;

  // 1. Copy the firmware map into kernel-owned memory: after this nothing reads the firmware's buffer.
  uint64_t t = arch_cycles();
  check("firmware_map",
        mm_firmware_map_init(&map, handoff->memory_map, handoff->memory_map_bytes, handoff->descriptor_size,
                             handoff->descriptor_version, arch_phys_addr_bits(),
                             (void *)(uintptr_t)handoff->map_storage, handoff->map_storage_bytes));
  debug_structured(LOG_INFO, "mm.map_copied", KV_X("phys", handoff->map_storage), KV_U("bytes", map.raw_bytes),
                   KV_U("regions", map.region_count), KV_U("cycles", arch_cycles() - t));
  bringup_log_descriptors(&map);

  // 2. Every range the kernel keeps, with its provenance.
  t = arch_cycles();
  collect_reservations(handoff, platform, &reservations);
  // The devicetree's /memory against the EFI map, which wins either way (platform_memory.h).
  platform_check_dt_memory(platform, &map);
  debug_structured(LOG_INFO, "mm.reservations", KV_U("count", reservations.count), KV_U("cycles", arch_cycles() - t));

  // 3-5. Plan, carve, hand over to the global cell: from here on memory comes only from the runtime allocator.
  // The cell's lock spins with the CPU's wait hint; the owner id stays the default (one CPU runs) until SMP
  // bring-up installs the CPU-number owner function (mm/runtime.h).
  mm_runtime_set_relax_fn(arch_cpu_relax);
  mm_handoff_options options = {arch_cycles, 0};
  mm_handoff_result handed;
  mm_status s = mm_handoff_to_runtime(&map, &reservations, &kernel_window, &options, &handed);
  if (s != MM_OK) stage_panic(mm_handoff_stage_name(handed.failed_stage), mm_status_name(s));
  // 5b. The NUMA node table beside the firmware map (never stops the boot), in the unused tail of the early
  // reservation storage (the set is not used after the hand-off; the storage stays reserved), so the allocator's
  // state is what it would be without NUMA. Before the first mm.stats line and the self-test all the same, so a
  // table too large for that tail takes its frames before the allocator's state is reported and checked.
  numa_bringup(platform, &map, reservations.entries + reservations.count,
               (reservations.capacity - reservations.count) * sizeof(mm_reservation));
  check("stats", with_runtime_allocator(bringup_log_allocator_state, 0));

  // 6. Identity paging with tables from the runtime allocator, then switch to it.
  t = arch_cycles();
  identity_paging paging = {handoff, &kernel_window, arch_paging_probe(), 0, {0}, memory_attributes(handoff)};
  check("paging", with_runtime_allocator(identity_paging_build, &paging));
  arch_paging_activate(&paging.info, &paging.features);
  // levels= (x86: 4 or 5) only where the builder reports it; the boot tests assert it on x86.
  if (paging.info.levels != 0) {
    debug_structured(LOG_INFO, "paging.installed", KV_S("arch", arch_name()), KV_X("root", paging.info.root),
                     KV_U("mapped_bytes", paging.info.mapped_bytes), KV_U("tables", paging.info.tables),
                     KV_U("ranges", paging.range_count), KV_U("nx", paging.features.nx),
                     KV_U("levels", paging.info.levels), KV_U("cycles", arch_cycles() - t));
  } else {
    debug_structured(LOG_INFO, "paging.installed", KV_S("arch", arch_name()), KV_X("root", paging.info.root),
                     KV_U("mapped_bytes", paging.info.mapped_bytes), KV_U("tables", paging.info.tables),
                     KV_U("ranges", paging.range_count), KV_U("nx", paging.features.nx),
                     KV_U("cycles", arch_cycles() - t));
  }
  test_hooks_after_paging(opt);

  // 7. Self-test through the new mappings.
  t = arch_cycles();
  static selftest_ctx selftest;
  selftest.hook = test_hooks_selftest_hook(opt);
  s = with_runtime_allocator(run_selftest, &selftest);
  if (s != MM_OK && selftest.result.detail) {
    debug_structured(LOG_ERROR, "panic", KV_S("stage", "selftest"), KV_S("reason", selftest.result.failure),
                     KV_S("detail", selftest.result.detail), KV_U("cpu", arch_cpu_number()));
    arch_exit(3);
  }
  if (s != MM_OK) stage_panic("selftest", selftest.result.failure ? selftest.result.failure : mm_status_name(s));
  debug_structured(LOG_INFO, "mm.selftest", KV_S("result", "ok"), KV_U("allocations", selftest.result.allocations),
                   KV_U("cycles", arch_cycles() - t));

  // 8. Reclaim, then the invariant checker again.
  t = arch_cycles();
  uint64_t reclaimed = 0;
  check("reclaim", with_runtime_allocator(reclaim, &reclaimed));
  debug_structured(LOG_INFO, "mm.reclaim", KV_U("frames", reclaimed), KV_U("bytes", reclaimed << MM_FRAME_SHIFT),
                   KV_U("cycles", arch_cycles() - t));
  check("stats", with_runtime_allocator(bringup_log_allocator_state, 0));

  // 9. Summary.
  check("summary", with_runtime_allocator(bringup_log_summary, 0));
  return 0;
}
