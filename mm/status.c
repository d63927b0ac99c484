// status.c: stable names for mm_status values, used in logs and test messages.
#include "mm/mm_types.h"

static const char *const status_names[] = {
    [MM_OK] = "ok",
    [MM_ERR_INVALID_ARGUMENT] = "invalid_argument",
    [MM_ERR_BAD_STRIDE] = "bad_stride",
    [MM_ERR_BAD_MAP] = "bad_map",
    [MM_ERR_NO_USABLE_MEMORY] = "no_usable_memory",
    [MM_ERR_STORAGE_TOO_SMALL] = "storage_too_small",
    [MM_ERR_NO_MEMORY] = "no_memory",
    [MM_ERR_MISALIGNED] = "misaligned",
    [MM_ERR_ZERO_COUNT] = "zero_count",
    [MM_ERR_OVERFLOW] = "overflow",
    [MM_ERR_NOT_OWNED] = "not_owned",
    [MM_ERR_DOUBLE_FREE] = "double_free",
    [MM_ERR_RESERVED] = "reserved",
    [MM_ERR_NOT_FREE] = "not_free",
    [MM_ERR_ALREADY_INITIALIZED] = "already_initialized",
    [MM_ERR_NOT_INITIALIZED] = "not_initialized",
    [MM_ERR_BUSY] = "busy",
    [MM_ERR_INVARIANT] = "invariant",
    [MM_ERR_NOT_RESERVED] = "not_reserved",
};

// Returns the lowercase name of `status`, or "unknown" for a value outside the enum. Never NULL.
const char *mm_status_name(mm_status status) {
  uint32_t index = (uint32_t)status;
  if (index >= sizeof(status_names) / sizeof(status_names[0]) || status_names[index] == 0) {
    return "unknown";
  }
  return status_names[index];
}
