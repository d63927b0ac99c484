// smp_x86_tmp.c: TEMPORARY driver for arch_cpu_start on x86_64 until the generic SMP layer (branch `smp`) is
// merged; removed then. Tries APIC IDs 1..7 and logs one `smptmp.cpu` line each.
#include "arch/arch.h"
#include "boot/kernel.h"
#include "mm/log.h"
#include "mm/runtime.h"

#define TMP_MAX 8u
#define TMP_STACK_FRAMES 4u

static volatile uint64_t g_seen_number[TMP_MAX];
static volatile uint64_t g_seen_hw[TMP_MAX];

typedef struct tmp_alloc {
  mm_alloc_request req;
  phys_addr_t out;
} tmp_alloc;

static mm_status tmp_alloc_fn(mm_phys_allocator *a, void *ctx) {
  tmp_alloc *t = ctx;
  return mm_phys_alloc(a, &t->req, &t->out);
}

static void tmp_entry(void *arg) {
  uint64_t slot = (uint64_t)(uintptr_t)arg;
  g_seen_hw[slot] = arch_cpu_hw_id();
  __atomic_store_n(&g_seen_number[slot], (uint64_t)arch_cpu_number() + 1, __ATOMIC_RELEASE);
  for (;;) arch_cpu_relax();
}

void smp_x86_tmp_run(void) {
  tmp_alloc tramp = {{1, 4096, 0x1000, 0x100000}, 0};
  mm_status s = with_runtime_allocator(tmp_alloc_fn, &tramp);
  debug_structured(LOG_INFO, "smptmp.trampoline", KV_X("phys", tramp.out), KV_S("status", mm_status_name(s)),
                   KV_X("boot_hwid", arch_cpu_hw_id()), KV_U("boot_number", arch_cpu_number()));
  if (s != MM_OK) return;
  for (uint32_t hw = 1; hw < TMP_MAX; hw++) {
    tmp_alloc stack = {{TMP_STACK_FRAMES, 4096, 0, 0}, 0};
    if (with_runtime_allocator(tmp_alloc_fn, &stack) != MM_OK) return;
    arch_secondary_start st = {hw, hw, stack.out + TMP_STACK_FRAMES * 4096u, tramp.out, tmp_entry,
                               (void *)(uintptr_t)hw};
    uint64_t t = arch_cycles();
    const char *why = arch_cpu_start(&st);
    uint64_t cyc = arch_cycles() - t;
    for (uint32_t spin = 0; !why && spin < 100000000u && __atomic_load_n(&g_seen_number[hw], __ATOMIC_ACQUIRE) == 0;
         spin++) {
      arch_cpu_relax();
    }
    debug_structured(LOG_INFO, "smptmp.cpu", KV_U("hw", hw), KV_S("result", why ? why : "ok"),
                     KV_U("number", g_seen_number[hw] ? g_seen_number[hw] - 1 : 999), KV_X("seen_hw", g_seen_hw[hw]),
                     KV_U("cycles", cyc));
    if (why) return;
  }
}
