// smp.c: the generic SMP bring-up (see smp.h). Architecture work goes through arch.h only.
#include "boot/smp.h"

#include "arch/arch.h"
#include "boot/kernel.h"
#include "boot/smp_stress.h"
#include "boot/test_hooks.h"
#include "mm/log.h"
#include "mm/runtime.h"
#include "platform/cpus.h"

#define SMP_STACK_FRAMES 4u  // 16 KiB per secondary, like the boot CPU's trap stack
#define SMP_TRAMPOLINE_LIMIT 0x100000u  // x86 Start-Up IPI: the start page lies below 1 MiB (SDM Vol. 3A 8.4.4.1)

typedef struct smp_cpu {
  platform_cpu hw;
  uint32_t number;
  phys_addr_t stack_base;  // SMP_STACK_FRAMES frames, reserved as kind stack
  uint32_t entered;        // atomic: set by the CPU itself in secondary_main
  uint32_t abandoned;      // atomic: arch_cpu_start gave up on it; should it arrive late, it parks at once
  char label[MM_LABEL_MAX];
} smp_cpu;

static struct {
  smp_cpu *cpus;
  uint32_t count;
  uint32_t stress_ready;  // atomic: the self-test is prepared, secondaries may join it
  smp_stress stress;
} g_smp;

_Noreturn static void smp_panic(const char *reason) {
  debug_structured(LOG_ERROR, "panic", KV_S("stage", "smp"), KV_S("reason", reason), KV_U("cpu", arch_cpu_number()));
  arch_exit(3);
}

// The allocator cell's owner ids: nonzero and different per CPU, cheap to read (arch.h).
static uint64_t cpu_owner(void) { return (uint64_t)arch_cpu_number() + 1u; }

// ---- Memory from the runtime allocator ----

typedef struct kept_alloc {
  uint64_t frames;
  mm_reservation_kind kind;
  const char *label;
  phys_addr_t min_addr, max_addr;  // the request's address window ([min, max); 0, 0: anywhere)
  phys_addr_t out;
} kept_alloc;

// Frames recorded as a reservation with their provenance right after they are allocated (as
// boot/identity_paging.c does for page tables): for good, or (MM_RES_AP_TRAMPOLINE) until mm_phys_unreserve.
static mm_status alloc_kept(mm_phys_allocator *a, void *ctx) {
  kept_alloc *k = ctx;
  mm_alloc_request req = {k->frames, MM_FRAME_SIZE, k->min_addr, k->max_addr};
  mm_status s = mm_phys_alloc(a, &req, &k->out);
  if (s != MM_OK) return s;
  s = mm_phys_reserve(a, k->out, k->frames << MM_FRAME_SHIFT, k->kind, k->label);
  if (s != MM_OK) mm_phys_free(a, k->out, k->frames);
  return s;
}

static phys_addr_t take_frames(uint64_t frames, mm_reservation_kind kind, const char *label) {
  kept_alloc k = {frames, kind, label, 0, 0, 0};
  mm_status s = with_runtime_allocator(alloc_kept, &k);
  if (s != MM_OK) smp_panic(mm_status_name(s));
  return k.out;
}

// "cpu<N>_stack" without a formatting library.
static void stack_label(char out[MM_LABEL_MAX], uint32_t n) {
  char digits[10];
  uint32_t d = 0;
  do {
    digits[d++] = (char)('0' + n % 10u);
    n /= 10u;
  } while (n != 0);
  uint32_t i = 0;
  for (const char *p = "cpu"; *p; p++) out[i++] = *p;
  while (d > 0) out[i++] = digits[--d];
  for (const char *p = "_stack"; *p; p++) out[i++] = *p;
  out[i] = 0;
}

// ---- The CPU list ----

static void log_skip(void *ctx, const platform_cpu *cpu, const char *reason) {
  (void)ctx;
  debug_structured(LOG_INFO, "smp.cpu_skipped", KV_X("hwid", cpu->hw_id), KV_U("uid", cpu->uid),
                   KV_S("reason", reason));
}

// Fills g_smp.cpus/count. Without a usable list the boot CPU runs alone (count 1), which the log says.
static void discover_cpus(const platform_info *platform) {
  uint64_t boot_hw_id = arch_cpu_hw_id();
  uint32_t entries = 0;
  platform_cpus_status st = platform_cpus_count(platform, &entries);
  platform_cpus_census census = {0};
  if (st == PLATFORM_CPUS_OK && entries == 0) st = PLATFORM_CPUS_BOOT_CPU_NOT_LISTED;
  uint64_t slots = st == PLATFORM_CPUS_OK ? entries : 1u;
  uint64_t bytes = slots * sizeof(smp_cpu);
  g_smp.cpus = (smp_cpu *)(uintptr_t)take_frames((bytes + MM_FRAME_MASK) >> MM_FRAME_SHIFT, MM_RES_LATE, "smp.cpus");
  // One allocation serves both: platform_cpu is smaller than smp_cpu, so the list is written to the start of the
  // frames as platform_cpu[] and spread out into smp_cpu[] below.
  platform_cpu *list = (platform_cpu *)g_smp.cpus;
  if (st == PLATFORM_CPUS_OK) st = platform_cpus_list(platform, boot_hw_id, list, entries, &census, log_skip, 0);
  if (st != PLATFORM_CPUS_OK) {
    debug_structured(LOG_WARN, "smp.cpus", KV_S("source", "none"), KV_U("entries", 0), KV_U("usable", 1),
                     KV_S("reason", platform_cpus_status_name(st)));
    g_smp.count = 1;
    g_smp.cpus[0] = (smp_cpu){{boot_hw_id, 0}, 0, 0, 1, 0, {0}};
    return;
  }
  debug_structured(LOG_INFO, "smp.cpus", KV_S("source", census.source), KV_U("entries", census.entries),
                   KV_U("usable", census.usable), KV_U("disabled", census.disabled),
                   KV_U("online_capable", census.online_capable), KV_U("duplicates", census.duplicates));
  g_smp.count = census.usable;
  // Spread in place from the last entry down: smp_cpu i never overlaps platform_cpu j > i still to be read.
  for (uint32_t i = census.usable; i-- > 0;) {
    platform_cpu hw = list[i];
    g_smp.cpus[i] = (smp_cpu){hw, i, 0, i == 0, 0, {0}};
  }
}

// ---- The secondaries ----

// First C code on a secondary CPU, on its own stack, with the kernel's tables and vectors.
static void secondary_main(void *arg) {
  smp_cpu *c = arg;
  __atomic_store_n(&c->entered, 1u, __ATOMIC_RELEASE);
  // Wait until the boot CPU has started every CPU and prepared the self-test (or given up on this one).
  while (__atomic_load_n(&g_smp.stress_ready, __ATOMIC_ACQUIRE) == 0) {
    if (__atomic_load_n(&c->abandoned, __ATOMIC_ACQUIRE)) arch_cpu_park();
    test_hooks_secondary_waiting(c->number);
    arch_cpu_relax();
  }
  if (!__atomic_load_n(&c->abandoned, __ATOMIC_ACQUIRE)) smp_stress_cpu(&g_smp.stress, c->number);
  arch_cpu_park();
}

// The page a secondary starts at on x86 (arch.h: arch_secondary_start.trampoline: real mode, so below 1 MiB,
// 4 KiB aligned; never page 0). Taken from the runtime allocator with an address window and, while CPUs start,
// held as a reservation of its own kind (MM_RES_AP_TRAMPOLINE, label "ap_trampoline": the one kind the
// allocator lets end, mm_reservation_kind_releasable), so the table says who owns it and nothing hands it out;
// given back with mm_phys_unreserve after the starts. Freeing it then is safe: arch_cpu_start returns only once
// the new CPU has left the page for the kernel image (x86 "arrived" flag), and sends a CPU it gave up on an INIT,
// back to wait-for-SIPI (SDM Vol. 3A 8.4.1, arch/x86_64/smp.c), so no CPU runs from the page later. 0 where there
// is no free RAM below 1 MiB, which arch_cpu_start then refuses; AArch64 takes none
// (arch_secondary_needs_trampoline).

static mm_status release_trampoline(mm_phys_allocator *a, void *ctx) {
  return mm_phys_unreserve(a, *(phys_addr_t *)ctx, MM_FRAME_SIZE, MM_RES_AP_TRAMPOLINE);
}

static uint32_t start_secondaries(const kernel_options *opt) {
  uint32_t online = 1;
  phys_addr_t trampoline = 0;
  if (g_smp.count > 1 && !arch_secondary_needs_trampoline()) {
    debug_structured(LOG_INFO, "smp.trampoline", KV_U("none", 1), KV_S("reason", "not_needed"));
  } else if (g_smp.count > 1) {
    kept_alloc k = {1, MM_RES_AP_TRAMPOLINE, "ap_trampoline", MM_FRAME_SIZE, SMP_TRAMPOLINE_LIMIT, 0};  // not page 0
    mm_status s = with_runtime_allocator(alloc_kept, &k);
    trampoline = k.out;
    if (s == MM_OK) {
      debug_structured(LOG_INFO, "smp.trampoline", KV_X("base", trampoline),
                       KV_S("kind", mm_reservation_kind_name(MM_RES_AP_TRAMPOLINE)));
    } else {
      trampoline = 0;
      debug_structured(LOG_INFO, "smp.trampoline", KV_U("none", 1), KV_S("reason", mm_status_name(s)));
    }
  }
  debug_structured(LOG_INFO, "smp.cpu", KV_U("id", 0), KV_X("hwid", g_smp.cpus[0].hw.hw_id), KV_U("online", 1),
                   KV_S("boot", "yes"));
  for (uint32_t i = 1; i < g_smp.count; i++) {
    smp_cpu *c = &g_smp.cpus[i];
    stack_label(c->label, i);
    c->stack_base = take_frames(SMP_STACK_FRAMES, MM_RES_STACK, c->label);
    arch_secondary_start start = {.hw_id = test_hooks_start_hw_id(opt, i, c->hw.hw_id),
                                  .cpu_number = i,
                                  .stack_top = c->stack_base + ((uint64_t)SMP_STACK_FRAMES << MM_FRAME_SHIFT),
                                  .trampoline = trampoline,
                                  .entry = secondary_main,
                                  .arg = c};
    const char *why = arch_cpu_start(&start);
    if (why == 0) {
      online++;
      debug_structured(LOG_INFO, "smp.cpu", KV_U("id", i), KV_X("hwid", c->hw.hw_id), KV_U("online", 1),
                       KV_X("stack", c->stack_base));
    } else {
      // Its stack stays reserved: a CPU that answers after the timeout still runs on it (and parks).
      __atomic_store_n(&c->abandoned, 1u, __ATOMIC_RELEASE);
      debug_structured(LOG_WARN, "smp.cpu", KV_U("id", i), KV_X("hwid", c->hw.hw_id), KV_U("online", 0),
                       KV_S("reason", why));
    }
  }
  if (trampoline != 0) {
    mm_status s = with_runtime_allocator(release_trampoline, &trampoline);
    if (s != MM_OK) smp_panic(mm_status_name(s));
    debug_structured(LOG_INFO, "smp.trampoline", KV_U("released", 1), KV_X("base", trampoline));
  }
  return online;
}

// ---- The concurrent self-test ----

static void stress(uint32_t online) {
  uint64_t t = arch_cycles();
  // Unbounded barrier wait: every CPU taking part has reached the kernel (arch_cpu_start said so), so a CPU
  // that never arrives is a kernel bug the runner's timeout reports; the counters' units differ per architecture.
  smp_stress_config cfg = {online, SMP_STRESS_ROUNDS, 4, 3, &kernel_window, 0, 0, 0, arch_cpu_relax};
  mm_status s = smp_stress_prepare(&g_smp.stress, &cfg);
  if (s != MM_OK) smp_panic(mm_status_name(s));
  __atomic_store_n(&g_smp.stress_ready, 1u, __ATOMIC_RELEASE);
  smp_stress_release(&g_smp.stress);
  smp_stress_cpu(&g_smp.stress, 0);
  smp_stress_result r;
  s = smp_stress_finish(&g_smp.stress, &r);
  if (s != MM_OK) {
    debug_structured(LOG_ERROR, "smp.stress", KV_U("cpus", online), KV_U("ops", r.ops), KV_S("result", "fail"),
                     KV_S("reason", r.failure), KV_S("detail", r.detail ? r.detail : "none"),
                     KV_U("cpu", r.failed_cpu));
    smp_panic(r.failure);
  }
  debug_structured(LOG_INFO, "smp.stress", KV_U("cpus", online), KV_U("ops", r.ops), KV_S("result", "ok"),
                   KV_U("rounds", SMP_STRESS_ROUNDS), KV_U("block_misses", r.block_misses),
                   KV_U("cycles", arch_cycles() - t));
}

void smp_bringup(const platform_info *platform, const kernel_options *opt) {
  uint64_t t = arch_cycles();
  discover_cpus(platform);
  // Before the first secondary runs: from here a held lock is another CPU's, to be waited for (mm/runtime.h).
  // The owner id is the CPU number + 1, which is also each CPU's frame-cache index (mm/runtime.h); the caches are
  // sized to the CPUs found, before any of them runs. Without them (no memory for their storage) single frames
  // take the locked path: slower, same results.
  mm_runtime_set_owner_fn(cpu_owner);
  mm_status caches = mm_runtime_enable_cpu_caches(g_smp.count);
  if (caches != MM_OK) debug_structured(LOG_WARN, "smp.cpu_caches", KV_S("status", mm_status_name(caches)));
  uint32_t online = start_secondaries(opt);
  debug_structured(LOG_INFO, "smp.online", KV_U("cpus", online), KV_U("expected", g_smp.count),
                   KV_U("cycles", arch_cycles() - t));
  test_hooks_after_smp_online(opt, online);
  stress(online);
}
