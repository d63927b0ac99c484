// runtime.c: the global cell holding the runtime allocator after the hand-off.
//
// The allocator lives in static storage here (its size comes from mm_phys_allocator_size and is checked
// against the buffer at initialization). The cell moves UNINITIALIZED -> INITIALIZING -> READY with
// __atomic compare-exchange, so two racing initializers cannot both build it. with_runtime_allocator takes
// a fair ticket lock around the callback (first come, first served: no CPU starves); an owner id (see
// mm_runtime_set_owner_fn) tells re-entry, which returns MM_ERR_BUSY, from another CPU holding the lock,
// which is waited for. The lock words and the owner share one 64-byte line of their own, so neither the
// allocator's data nor unrelated globals false-share with the spinning CPUs.
#include "mm/runtime.h"

#include "mm/log.h"
#include "mm/phys_pcpu.h"

#define RUNTIME_STORAGE_BYTES 1024u
#define RUNTIME_DEFAULT_OWNER 1u

enum { RUNTIME_UNINITIALIZED = 0, RUNTIME_INITIALIZING = 1, RUNTIME_READY = 2 };

static _Alignas(16) uint8_t runtime_storage[RUNTIME_STORAGE_BYTES];
static uint32_t runtime_state;        // RUNTIME_*; atomic
static mm_runtime_owner_fn runtime_owner_fn;  // set before other CPUs run
static mm_runtime_relax_fn runtime_relax_fn;  // set before other CPUs run

#define RUNTIME_CACHE_LINE 64u

// The ticket lock (Mellor-Crummey and Scott, "Algorithms for scalable synchronization", 1991, sec. 2.2):
// a caller takes the next ticket and waits until `serving` reaches it; the holder's unlock serves the next.
typedef struct runtime_lock_line {
  _Alignas(RUNTIME_CACHE_LINE) uint32_t next;  // next ticket to hand out; atomic
  uint32_t serving;                            // ticket that holds the lock; atomic
  uint64_t owner;                              // id of the lock holder, 0 while free; atomic
  uint8_t pad[RUNTIME_CACHE_LINE - 16];
} runtime_lock_line;
_Static_assert(sizeof(runtime_lock_line) == RUNTIME_CACHE_LINE, "the lock owns exactly one cache line");

static runtime_lock_line runtime_lock;

static mm_phys_allocator *runtime_allocator(void) { return (mm_phys_allocator *)(void *)runtime_storage; }

// Installs the owner-id function (NULL: every caller is one owner). Call before other CPUs start.
void mm_runtime_set_owner_fn(mm_runtime_owner_fn owner) { runtime_owner_fn = owner; }

// Installs the spin-wait hint (NULL: none). Call before other CPUs start.
void mm_runtime_set_relax_fn(mm_runtime_relax_fn relax) { runtime_relax_fn = relax; }

// Takes the lock for `me`. False (nothing taken) when `me` holds it already: re-entry.
static bool runtime_lock_acquire(uint64_t me) {
  // Only this caller ever stores its own id, and it clears it before releasing: seeing it means re-entry.
  if (__atomic_load_n(&runtime_lock.owner, __ATOMIC_RELAXED) == me) {
    return false;
  }
  const uint32_t ticket = __atomic_fetch_add(&runtime_lock.next, 1u, __ATOMIC_RELAXED);
  while (__atomic_load_n(&runtime_lock.serving, __ATOMIC_ACQUIRE) != ticket) {
    if (runtime_relax_fn != 0) {
      runtime_relax_fn();
    }
  }
  __atomic_store_n(&runtime_lock.owner, me, __ATOMIC_RELAXED);
  return true;
}

static void runtime_lock_release(void) {
  __atomic_store_n(&runtime_lock.owner, 0, __ATOMIC_RELAXED);
  const uint32_t serving = __atomic_load_n(&runtime_lock.serving, __ATOMIC_RELAXED);
  __atomic_store_n(&runtime_lock.serving, serving + 1u, __ATOMIC_RELEASE);
}

static bool runtime_lock_held(void) {
  return __atomic_load_n(&runtime_lock.next, __ATOMIC_ACQUIRE) !=
         __atomic_load_n(&runtime_lock.serving, __ATOMIC_ACQUIRE);
}

static uint64_t runtime_current_owner(void) {
  if (runtime_owner_fn == 0) {
    return RUNTIME_DEFAULT_OWNER;
  }
  uint64_t id = runtime_owner_fn();
  if (id == 0) {
    mm_panic("with_runtime_allocator", "owner id 0 is reserved for a free lock");
  }
  return id;
}

// Builds the allocator in the cell's static storage (mm_phys_init) and publishes it. Returns
// MM_ERR_ALREADY_INITIALIZED if it has already succeeded (or is running on another CPU), otherwise
// mm_phys_init's errors, after which the cell stays uninitialized and a later call may try again. Panics if
// the allocator no longer fits the static storage (a build-time sizing bug). Logs
// `runtime allocator initialized` at LOG_INFO on success.
mm_status initialize_runtime_allocator(const mm_firmware_map *map, const mm_reservation_set *reservations,
                                       const mm_carved_storage *carved, const mm_phys_window *window) {
  uint32_t expected = RUNTIME_UNINITIALIZED;
  if (!__atomic_compare_exchange_n(&runtime_state, &expected, RUNTIME_INITIALIZING, false, __ATOMIC_ACQUIRE,
                                   __ATOMIC_ACQUIRE)) {
    return MM_ERR_ALREADY_INITIALIZED;
  }
  if (mm_phys_allocator_size() > sizeof(runtime_storage)) {
    mm_panic("initialize_runtime_allocator", "mm_phys_allocator_size exceeds the static storage");
  }
  mm_status status = mm_phys_init(runtime_allocator(), map, reservations, carved, window);
  if (status != MM_OK) {
    __atomic_store_n(&runtime_state, RUNTIME_UNINITIALIZED, __ATOMIC_RELEASE);
    return status;
  }
  __atomic_store_n(&runtime_state, RUNTIME_READY, __ATOMIC_RELEASE);
  log_line(LOG_INFO, "runtime allocator initialized");
  return MM_OK;
}

// Runs fn(allocator, ctx) under the cell's spinlock and returns its result. Errors (fn not called):
// MM_ERR_INVALID_ARGUMENT (fn NULL), MM_ERR_NOT_INITIALIZED (before the hand-off), MM_ERR_BUSY (the caller
// already holds the lock, i.e. re-entry from inside fn).
mm_status with_runtime_allocator(mm_runtime_fn fn, void *ctx) {
  if (fn == 0) {
    return MM_ERR_INVALID_ARGUMENT;
  }
  if (__atomic_load_n(&runtime_state, __ATOMIC_ACQUIRE) != RUNTIME_READY) {
    return MM_ERR_NOT_INITIALIZED;
  }
  if (!runtime_lock_acquire(runtime_current_owner())) {
    return MM_ERR_BUSY;
  }
  mm_status status = fn(runtime_allocator(), ctx);
  runtime_lock_release();
  return status;
}

// ---------------------------------------------------------------------------------------------------------
// Per-CPU frame caches (mm/phys_pcpu.h does the work; this composes it with the lock).

typedef struct enable_ctx {
  uint32_t cpu_count;
} enable_ctx;

static mm_status enable_caches(mm_phys_allocator *a, void *ctx) {
  return phys_pcpu_enable(a, ((enable_ctx *)ctx)->cpu_count);
}

mm_status mm_runtime_enable_cpu_caches(uint32_t cpu_count) {
  enable_ctx ctx = {cpu_count};
  return with_runtime_allocator(enable_caches, &ctx);
}

typedef struct frame_ctx {
  uint32_t cpu;
  phys_addr_t frame;
} frame_ctx;

static mm_status alloc_locked(mm_phys_allocator *a, void *ctx) {
  frame_ctx *f = ctx;
  return phys_pcpu_alloc_locked(a, f->cpu, &f->frame);
}

static mm_status free_locked(mm_phys_allocator *a, void *ctx) {
  frame_ctx *f = ctx;
  return phys_pcpu_free_locked(a, f->cpu, f->frame);
}

mm_status mm_runtime_alloc_frame(phys_addr_t *out) {
  if (out == 0) {
    return MM_ERR_INVALID_ARGUMENT;
  }
  if (__atomic_load_n(&runtime_state, __ATOMIC_ACQUIRE) != RUNTIME_READY) {
    return MM_ERR_NOT_INITIALIZED;
  }
  frame_ctx f = {(uint32_t)(runtime_current_owner() - 1u), 0};
  mm_phys_allocator *a = runtime_allocator();
  if (!phys_pcpu_has(a, f.cpu) || phys_pcpu_alloc_fast(a, f.cpu, out) != MM_OK) {
    mm_status s = with_runtime_allocator(alloc_locked, &f);
    if (s != MM_OK) {
      return s;
    }
    *out = f.frame;
  }
  return MM_OK;
}

mm_status mm_runtime_free_frame(phys_addr_t frame) {
  if (__atomic_load_n(&runtime_state, __ATOMIC_ACQUIRE) != RUNTIME_READY) {
    return MM_ERR_NOT_INITIALIZED;
  }
  frame_ctx f = {(uint32_t)(runtime_current_owner() - 1u), frame};
  mm_phys_allocator *a = runtime_allocator();
  if (phys_pcpu_has(a, f.cpu)) {
    mm_status s = phys_pcpu_free_fast(a, f.cpu, frame);
    if (s != MM_ERR_BUSY) {
      return s;
    }
  }
  return with_runtime_allocator(free_locked, &f);
}

// True once initialize_runtime_allocator has succeeded.
bool runtime_allocator_ready(void) { return __atomic_load_n(&runtime_state, __ATOMIC_ACQUIRE) == RUNTIME_READY; }

// Host tests only: forgets the allocator and the owner-id function so a test can initialize again. Panics
// if called while the lock is held (from inside a callback).
void mm_runtime_reset_for_tests(void) {
  if (runtime_lock_held()) {
    mm_panic("mm_runtime_reset_for_tests", "called while the runtime allocator is borrowed");
  }
  __atomic_store_n(&runtime_state, RUNTIME_UNINITIALIZED, __ATOMIC_RELEASE);
  mm_memset(runtime_storage, 0, sizeof(runtime_storage));
  runtime_owner_fn = 0;
  runtime_relax_fn = 0;
}
