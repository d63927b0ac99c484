// runtime.c: the global cell holding the runtime allocator after the hand-off.
//
// The allocator lives in static storage here (its size comes from mm_phys_allocator_size and is checked
// against the buffer at initialization). The cell moves UNINITIALIZED -> INITIALIZING -> READY with
// __atomic compare-exchange, so two racing initializers cannot both build it. with_runtime_allocator takes
// a test-and-set spinlock around the callback; an owner id (see mm_runtime_set_owner_fn) tells re-entry,
// which returns MM_ERR_BUSY, from another CPU holding the lock, which is waited for.
#include "mm/runtime.h"

#include "mm/log.h"

#define RUNTIME_STORAGE_BYTES 1024u
#define RUNTIME_DEFAULT_OWNER 1u

enum { RUNTIME_UNINITIALIZED = 0, RUNTIME_INITIALIZING = 1, RUNTIME_READY = 2 };

static _Alignas(16) uint8_t runtime_storage[RUNTIME_STORAGE_BYTES];
static uint32_t runtime_state;        // RUNTIME_*; atomic
static uint32_t runtime_lock;         // 0 free, 1 held; atomic
static uint64_t runtime_owner;        // id of the lock holder, 0 while free; atomic
static mm_runtime_owner_fn runtime_owner_fn;  // set before other CPUs run

static mm_phys_allocator *runtime_allocator(void) { return (mm_phys_allocator *)(void *)runtime_storage; }

// Installs the owner-id function (NULL: every caller is one owner). Call before other CPUs start.
void mm_runtime_set_owner_fn(mm_runtime_owner_fn owner) { runtime_owner_fn = owner; }

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
  const uint64_t me = runtime_current_owner();
  while (__atomic_exchange_n(&runtime_lock, 1u, __ATOMIC_ACQUIRE) != 0) {
    // Only this caller ever stores its own id, and it clears it before releasing: seeing it means re-entry.
    if (__atomic_load_n(&runtime_owner, __ATOMIC_RELAXED) == me) {
      return MM_ERR_BUSY;
    }
    while (__atomic_load_n(&runtime_lock, __ATOMIC_RELAXED) != 0) {
      if (__atomic_load_n(&runtime_owner, __ATOMIC_RELAXED) == me) {
        return MM_ERR_BUSY;
      }
    }
  }
  __atomic_store_n(&runtime_owner, me, __ATOMIC_RELAXED);
  mm_status status = fn(runtime_allocator(), ctx);
  __atomic_store_n(&runtime_owner, 0, __ATOMIC_RELAXED);
  __atomic_store_n(&runtime_lock, 0u, __ATOMIC_RELEASE);
  return status;
}

// True once initialize_runtime_allocator has succeeded.
bool runtime_allocator_ready(void) { return __atomic_load_n(&runtime_state, __ATOMIC_ACQUIRE) == RUNTIME_READY; }

// Host tests only: forgets the allocator and the owner-id function so a test can initialize again. Panics
// if called while the lock is held (from inside a callback).
void mm_runtime_reset_for_tests(void) {
  if (__atomic_load_n(&runtime_lock, __ATOMIC_ACQUIRE) != 0) {
    mm_panic("mm_runtime_reset_for_tests", "called while the runtime allocator is borrowed");
  }
  __atomic_store_n(&runtime_state, RUNTIME_UNINITIALIZED, __ATOMIC_RELEASE);
  mm_memset(runtime_storage, 0, sizeof(runtime_storage));
  runtime_owner_fn = 0;
}
