// test_hooks.c: the test builds' hooks (see test_hooks.h). Compiled only into //boot:kernel_testhooks.
#include "boot/test_hooks.h"

#include "arch/arch.h"
#include "mm/log.h"
#include "mm/phys_corrupt.h"

void test_hooks_before_bringup(const kernel_options *opt) {
  if (!opt->raise_paging_levels) return;
  const char *why = arch_test_raise_paging_levels();
  if (why != 0) {
    debug_structured(LOG_ERROR, "panic", KV_S("stage", "selftest"), KV_S("reason", "paging_levels_not_raised"),
                     KV_U("cpu", arch_cpu_number()), KV_S("detail", why));
    arch_exit(3);
  }
  debug_structured(LOG_INFO, "selftest.paging_levels", KV_S("result", "raised"));
}

void test_hooks_after_paging(const kernel_options *opt) {
  if (!opt->fault_null) return;
  // Page 0 is deliberately unmapped, so this read must end in the kernel's own exception vectors
  // (arch_trap_init) as one `panic stage=exception` line, not a reset.
  uintptr_t null_addr = 0;
  __asm__ volatile("" : "+r"(null_addr));  // hide the constant: the compiler may not treat it as UB
  (void)*(volatile uint64_t *)null_addr;
  debug_structured(LOG_ERROR, "panic", KV_S("stage", "selftest"), KV_S("reason", "read_of_page_0_did_not_fault"),
                   KV_U("cpu", arch_cpu_number()));
  arch_exit(3);
}

static uint32_t g_fault_cpu1;  // atomic: 1 once the boot CPU has parked and CPU 1 may fault

void test_hooks_after_smp_online(const kernel_options *opt, uint32_t online) {
  if (!opt->fault_secondary || online < 2) return;
  __atomic_store_n(&g_fault_cpu1, 1u, __ATOMIC_RELEASE);
  arch_cpu_park();
}

void test_hooks_secondary_waiting(uint32_t cpu) {
  if (cpu != 1 || __atomic_load_n(&g_fault_cpu1, __ATOMIC_ACQUIRE) == 0) return;
  uintptr_t null_addr = 0;
  __asm__ volatile("" : "+r"(null_addr));
  (void)*(volatile uint64_t *)null_addr;
  debug_structured(LOG_ERROR, "panic", KV_S("stage", "selftest"), KV_S("reason", "read_of_page_0_did_not_fault"),
                   KV_U("cpu", arch_cpu_number()));
  arch_exit(3);
}

uint64_t test_hooks_start_hw_id(const kernel_options *opt, uint32_t cpu, uint64_t hw_id) {
  if (!opt->ap_absent || cpu != 1) return hw_id;
  debug_structured(LOG_INFO, "selftest.ap_absent", KV_U("cpu", cpu), KV_X("hwid", TEST_HOOKS_ABSENT_HW_ID),
                   KV_X("listed", hw_id));
  return TEST_HOOKS_ABSENT_HW_ID;
}

// Corrupts a reservation behind the allocator's back (through the helper made for it) so the boot test can
// prove that the invariant checker stops the boot.
static void corrupt_a_reservation(mm_phys_allocator *a, void *ctx) {
  (void)ctx;
  phys_addr_t frame;
  const char *label;
  if (!mm_phys_corrupt_reservation_over_free(a, &frame, &label)) return;
  debug_structured(LOG_WARN, "selftest.corrupt_reservation", KV_S("label", label), KV_X("frame", frame),
                   KV_X("new_end", frame + MM_FRAME_SIZE));
}

mm_selftest_hook test_hooks_selftest_hook(const kernel_options *opt) {
  return opt->corrupt_reservation ? corrupt_a_reservation : 0;
}

// How the screenshot is taken (tools/qemu/run_qemu.sh --screenshot): the runner watches the serial log for this
// hook's line, then sends `screendump` and `quit` through QEMU's monitor, so the kernel never has to know when
// the picture was taken. The wait only has to outlast the runner's poll of the log (0.2 s) and the screendump:
// 2^32 turns of an empty loop is seconds under TCG and about a second on hardware; it is bounded so the word
// typed by hand, without the runner, still ends the run. No timer is needed (the counters' rates differ per
// architecture and arch.h gives none).
void test_hooks_before_exit(const kernel_options *opt) {
  if (!opt->hold_screen) return;
  debug_structured(LOG_INFO, "selftest.hold_screen", KV_U("spins", 1ull << 32));
  for (uint64_t i = 0; i < (1ull << 32); i++) __asm__ volatile("" ::: "memory");
}
