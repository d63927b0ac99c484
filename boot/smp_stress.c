// smp_stress.c: the concurrent self-test (see smp_stress.h).
#include "boot/smp_stress.h"

#include "mm/runtime.h"

#define STAMP_MAGIC 0x5A17C0DE00000000ull
#define BLOCK_FRAMES (SMP_STRESS_BLOCK_BYTES >> MM_FRAME_SHIFT)

// ---- The runtime path ----

typedef struct alloc_args {
  const mm_alloc_request *req;
  phys_addr_t *out;
} alloc_args;

static mm_status cell_alloc(mm_phys_allocator *a, void *ctx) {
  alloc_args *args = ctx;
  return mm_phys_alloc(a, args->req, args->out);
}

typedef struct free_args {
  phys_addr_t base;
  uint64_t count;
} free_args;

static mm_status cell_free(mm_phys_allocator *a, void *ctx) {
  free_args *args = ctx;
  return mm_phys_free(a, args->base, args->count);
}

// Single frames go through the per-CPU caches (mm/runtime.h: no global lock on the hot path, once
// mm_runtime_enable_cpu_caches ran); runs and blocks through the cell's lock.
static mm_status runtime_alloc_frame(phys_addr_t *out) { return mm_runtime_alloc_frame(out); }
static mm_status runtime_free_frame(phys_addr_t frame) { return mm_runtime_free_frame(frame); }

static mm_status runtime_alloc(const mm_alloc_request *req, phys_addr_t *out) {
  alloc_args args = {req, out};
  return with_runtime_allocator(cell_alloc, &args);
}

static mm_status runtime_free(phys_addr_t base, uint64_t count) {
  free_args args = {base, count};
  return with_runtime_allocator(cell_free, &args);
}

static const smp_stress_ops kRuntimeOps = {runtime_alloc_frame, runtime_free_frame, runtime_alloc, runtime_free};

const smp_stress_ops *smp_stress_runtime_ops(void) { return &kRuntimeOps; }

// ---- Stamps ----

// Unique per allocation: CPU number, that CPU's sequence number, frame address.
static uint64_t stamp_value(uint32_t cpu, uint64_t seq, phys_addr_t frame) {
  return (STAMP_MAGIC ^ ((uint64_t)cpu << 48) ^ (seq << 20)) ^ frame;
}

static volatile uint64_t *frame_words(const smp_stress *s, phys_addr_t frame) {
  return s->cfg.window->map(s->cfg.window->ctx, frame, MM_FRAME_SIZE);
}

#define LAST_WORD (MM_FRAME_SIZE / sizeof(uint64_t) - 1u)

static bool stamp(const smp_stress *s, phys_addr_t base, uint64_t frames, uint64_t value) {
  for (uint64_t i = 0; i < frames; i++) {
    phys_addr_t f = base + (i << MM_FRAME_SHIFT);
    volatile uint64_t *w = frame_words(s, f);
    if (w == 0) return false;
    w[0] = value ^ f;
    w[LAST_WORD] = ~(value ^ f);
  }
  return true;
}

static bool stamp_intact(const smp_stress *s, phys_addr_t base, uint64_t frames, uint64_t value) {
  for (uint64_t i = 0; i < frames; i++) {
    phys_addr_t f = base + (i << MM_FRAME_SHIFT);
    volatile uint64_t *w = frame_words(s, f);
    if (w == 0 || w[0] != (value ^ f) || w[LAST_WORD] != ~(value ^ f)) return false;
  }
  return true;
}

// ---- The test ----

static void fail(smp_stress *s, uint32_t cpu, const char *why) {
  uint32_t expected = 0;
  if (__atomic_compare_exchange_n(&s->failed, &expected, 1u, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
    s->failure = why;
    s->failed_cpu = cpu;
  }
}

static bool failed(smp_stress *s) { return __atomic_load_n(&s->failed, __ATOMIC_ACQUIRE) != 0; }

static void count_ops(smp_stress *s, uint64_t n) { __atomic_fetch_add(&s->ops, n, __ATOMIC_RELAXED); }

static mm_status read_stats(mm_phys_allocator *a, void *ctx) {
  *(mm_phys_stats *)ctx = mm_phys_get_stats(a);
  return MM_OK;
}

mm_status smp_stress_prepare(smp_stress *s, const smp_stress_config *cfg) {
  if (s == 0 || cfg == 0 || cfg->cpus == 0 || cfg->hold > SMP_STRESS_HOLD_MAX || cfg->run_frames == 0 ||
      cfg->window == 0 || cfg->window->map == 0) {
    return MM_ERR_INVALID_ARGUMENT;
  }
  mm_phys_stats before;
  mm_status st = with_runtime_allocator(read_stats, &before);
  if (st != MM_OK) return st;
  *s = (smp_stress){0};
  s->cfg = *cfg;
  if (s->cfg.ops == 0) s->cfg.ops = smp_stress_runtime_ops();
  s->before = before;
  __atomic_store_n(&s->go, 0u, __ATOMIC_RELEASE);
  return MM_OK;
}

void smp_stress_release(smp_stress *s) { __atomic_store_n(&s->go, 1u, __ATOMIC_RELEASE); }

static void relax(const smp_stress *s) {
  if (s->cfg.relax) s->cfg.relax();
}

// One round: take, stamp, check, give back. Returns false after recording a failure.
static bool round_once(smp_stress *s, uint32_t cpu, uint64_t *seq) {
  const smp_stress_ops *ops = s->cfg.ops;
  phys_addr_t held[SMP_STRESS_HOLD_MAX];
  uint64_t value[SMP_STRESS_HOLD_MAX + 2];
  uint32_t n = 0;
  mm_status st = MM_OK;
  bool ok = true;
  for (; n < s->cfg.hold; n++) {
    st = ops->alloc_frame(&held[n]);
    if (st != MM_OK) break;
    value[n] = stamp_value(cpu, (*seq)++, held[n]);
    if (!stamp(s, held[n], 1, value[n])) ok = false;
  }
  count_ops(s, n + (st != MM_OK));
  if (st != MM_OK) {
    fail(s, cpu, "alloc_frame_failed");
    ok = false;
  }
  mm_alloc_request run_req = {s->cfg.run_frames, MM_FRAME_SIZE, 0, 0};
  phys_addr_t run = 0, block = 0;
  bool have_run = false, have_block = false;
  if (ok) {
    count_ops(s, 1);
    if (ops->alloc(&run_req, &run) == MM_OK) {
      have_run = true;
      value[SMP_STRESS_HOLD_MAX] = stamp_value(cpu, (*seq)++, run);
      if (!stamp(s, run, run_req.count, value[SMP_STRESS_HOLD_MAX])) ok = false;
    } else {
      fail(s, cpu, "alloc_run_failed");
      ok = false;
    }
  }
  mm_alloc_request block_req = {BLOCK_FRAMES, SMP_STRESS_BLOCK_BYTES, 0, 0};
  if (ok) {
    count_ops(s, 1);
    st = ops->alloc(&block_req, &block);
    if (st == MM_OK) {
      have_block = true;
      value[SMP_STRESS_HOLD_MAX + 1] = stamp_value(cpu, (*seq)++, block);
      if (!stamp(s, block, BLOCK_FRAMES, value[SMP_STRESS_HOLD_MAX + 1])) ok = false;
    } else if (st == MM_ERR_NO_MEMORY) {
      __atomic_fetch_add(&s->block_misses, 1, __ATOMIC_RELAXED);
    } else {
      fail(s, cpu, "alloc_block_failed");
      ok = false;
    }
  }
  if (!ok && !failed(s)) fail(s, cpu, "unmapped_frame");
  // Check every stamp before giving anything back: a frame someone else also holds has the other's stamp.
  for (uint32_t i = 0; i < n; i++) {
    if (!stamp_intact(s, held[i], 1, value[i])) {
      fail(s, cpu, "stamp_overwritten");
      return false;
    }
  }
  if (have_run && !stamp_intact(s, run, run_req.count, value[SMP_STRESS_HOLD_MAX])) {
    fail(s, cpu, "stamp_overwritten");
    return false;
  }
  if (have_block && !stamp_intact(s, block, BLOCK_FRAMES, value[SMP_STRESS_HOLD_MAX + 1])) {
    fail(s, cpu, "stamp_overwritten");
    return false;
  }
  for (uint32_t i = 0; i < n; i++) {
    if (ops->free_frame(held[i]) != MM_OK) ok = false;
  }
  if (have_run && ops->free(run, run_req.count) != MM_OK) ok = false;
  if (have_block && ops->free(block, BLOCK_FRAMES) != MM_OK) ok = false;
  count_ops(s, n + have_run + have_block);
  if (!ok) fail(s, cpu, "free_failed");
  return ok && !failed(s);
}

void smp_stress_cpu(smp_stress *s, uint32_t cpu) {
  while (__atomic_load_n(&s->go, __ATOMIC_ACQUIRE) == 0) relax(s);
  uint64_t seq = 0;
  for (uint32_t r = 0; r < s->cfg.rounds && !failed(s); r++) {
    if (!round_once(s, cpu, &seq)) break;
  }
  __atomic_fetch_add(&s->arrived, 1u, __ATOMIC_ACQ_REL);
}

typedef struct final_check {
  mm_phys_stats after;
  const char *why;
} final_check;

static mm_status check_after(mm_phys_allocator *a, void *ctx) {
  final_check *c = ctx;
  c->after = mm_phys_get_stats(a);
  return mm_phys_check_invariants(a, &c->why);
}

static mm_status finish_fail(smp_stress *s, smp_stress_result *out, const char *failure, const char *detail) {
  out->failure = failure;
  out->detail = detail;
  out->failed_cpu = s->failed_cpu;
  return MM_ERR_INVARIANT;
}

mm_status smp_stress_finish(smp_stress *s, smp_stress_result *out) {
  *out = (smp_stress_result){0};
  uint64_t start = s->cfg.now ? s->cfg.now() : 0;
  while (__atomic_load_n(&s->arrived, __ATOMIC_ACQUIRE) < s->cfg.cpus) {
    if (s->cfg.now && s->cfg.timeout && s->cfg.now() - start > s->cfg.timeout) {
      out->ops = __atomic_load_n(&s->ops, __ATOMIC_RELAXED);
      return finish_fail(s, out, "barrier_timeout", 0);
    }
    relax(s);
  }
  out->ops = __atomic_load_n(&s->ops, __ATOMIC_RELAXED);
  out->block_misses = __atomic_load_n(&s->block_misses, __ATOMIC_RELAXED);
  if (failed(s)) return finish_fail(s, out, s->failure, 0);
  final_check c = {{0}, 0};
  mm_status st = with_runtime_allocator(check_after, &c);
  if (st == MM_ERR_INVARIANT) return finish_fail(s, out, "invariant", c.why);
  if (st != MM_OK) return finish_fail(s, out, "stats_unavailable", mm_status_name(st));
  const mm_phys_stats *b = &s->before, *a = &c.after;
  // Bookkeeping may have grown (a free frame became reserved) and frames the CPUs gave back may sit in their
  // caches (cached, neither free nor allocated), so free + cached + reserved is what must be unchanged.
  if (a->allocated_frames != b->allocated_frames) return finish_fail(s, out, "allocated_total_changed", 0);
  if (a->managed_frames != b->managed_frames || a->free_frames + a->cached_frames + a->reserved_frames !=
                                                    b->free_frames + b->cached_frames + b->reserved_frames) {
    return finish_fail(s, out, "free_total_changed", 0);
  }
  return MM_OK;
}
