// no_test_hooks.c: the kernel users boot has no test hooks (see test_hooks.h); the words are ignored.
#include "boot/test_hooks.h"

#include "mm/log.h"

void test_hooks_before_bringup(const kernel_options *opt) {
  if (opt->raise_paging_levels) {
    debug_structured(LOG_WARN, "boot.cmdline", KV_S("ignored", "selftest.paging_levels"),
                     KV_S("why", "test_builds_only"));
  }
}

void test_hooks_after_paging(const kernel_options *opt) { (void)opt; }

void test_hooks_after_smp_online(const kernel_options *opt, uint32_t online) {
  (void)online;
  if (opt->fault_secondary) {
    debug_structured(LOG_WARN, "boot.cmdline", KV_S("ignored", "selftest.fault_secondary"),
                     KV_S("why", "test_builds_only"));
  }
}

void test_hooks_secondary_waiting(uint32_t cpu) { (void)cpu; }

uint64_t test_hooks_start_hw_id(const kernel_options *opt, uint32_t cpu, uint64_t hw_id) {
  if (opt->ap_absent && cpu == 1) {
    debug_structured(LOG_WARN, "boot.cmdline", KV_S("ignored", "selftest.ap_absent"), KV_S("why", "test_builds_only"));
  }
  return hw_id;
}

mm_selftest_hook test_hooks_selftest_hook(const kernel_options *opt) {
  if (opt->corrupt_reservation) {
    debug_structured(LOG_WARN, "boot.cmdline", KV_S("ignored", "selftest.corrupt_reservation"),
                     KV_S("why", "test_builds_only"));
  }
  return 0;
}

void test_hooks_before_exit(const kernel_options *opt) {
  if (opt->hold_screen) {
    debug_structured(LOG_WARN, "boot.cmdline", KV_S("ignored", "selftest.hold_screen"),
                     KV_S("why", "test_builds_only"));
  }
}
