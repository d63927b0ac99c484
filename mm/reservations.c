// reservations.c: the reservation set, a sorted array of (range, kind, label) over caller storage.
//
// Entries are kept sorted by base, then end, and may overlap; the excluded memory is their union. Sorting,
// insertion, removal and queries are the shared table of res_table.c, here without prefix maxima (queries
// scan, O(count); the early stages hold tens of entries); the runtime allocator uses the same table with
// maxima.
#include "mm/reservations.h"

#include "mm/res_table.h"

static const char *const reservation_kind_names[] = {
    [MM_RES_FIRMWARE] = "firmware",
    [MM_RES_KERNEL_IMAGE] = "kernel_image",
    [MM_RES_IDENTITY] = "identity",
    [MM_RES_FRAMEBUFFER] = "framebuffer",
    [MM_RES_EARLY_ALLOC] = "early_alloc",
    [MM_RES_BOOKKEEPING] = "bookkeeping",
    [MM_RES_PAGE_TABLES] = "page_tables",
    [MM_RES_STACK] = "stack",
    [MM_RES_FIRMWARE_MAP] = "firmware_map",
    [MM_RES_FIRMWARE_RESERVED] = "firmware_reserved",
    [MM_RES_AP_TRAMPOLINE] = "ap_trampoline",
    [MM_RES_LATE] = "late",
    [MM_RES_TEST] = "test",
};
_Static_assert(sizeof(reservation_kind_names) / sizeof(reservation_kind_names[0]) == MM_RES_KIND_COUNT,
               "a reservation kind has no name");

// Returns the lowercase name of `kind`, or "unknown" for a value outside the enum. Never NULL.
const char *mm_reservation_kind_name(mm_reservation_kind kind) {
  if ((uint32_t)kind >= (uint32_t)MM_RES_KIND_COUNT) {
    return "unknown";
  }
  return reservation_kind_names[(uint32_t)kind];
}

// Transient kinds (reservations.h): only the AP trampoline, given back once the secondaries have started.
bool mm_reservation_kind_releasable(mm_reservation_kind kind) { return kind == MM_RES_AP_TRAMPOLINE; }

// Starts an empty set over `storage` (`capacity` entries; storage may be NULL when capacity is 0).
void mm_reservation_set_init(mm_reservation_set *set, mm_reservation *storage, uint64_t capacity) {
  if (set == 0) {
    mm_panic("mm_reservation_set_init", "set is NULL");
  }
  set->entries = storage;
  set->count = 0;
  set->capacity = storage != 0 ? capacity : 0;
}

// Rounds [base, base + bytes) outward to frames. Returns MM_ERR_OVERFLOW when the end (or its rounding)
// passes 2^64, which [base, end) with an exclusive 64-bit end cannot represent.
mm_status mm_reservation_round(phys_addr_t base, uint64_t bytes, phys_addr_t *out_base, phys_addr_t *out_end) {
  if (bytes > UINT64_MAX - base) {
    return MM_ERR_OVERFLOW;
  }
  phys_addr_t end = base + bytes;
  if (end > UINT64_MAX - MM_FRAME_MASK) {
    if ((end & MM_FRAME_MASK) != 0) {
      return MM_ERR_OVERFLOW;
    }
  } else {
    end = (end + MM_FRAME_MASK) & ~MM_FRAME_MASK;
  }
  *out_base = base & ~MM_FRAME_MASK;
  *out_end = end;
  return MM_OK;
}

// The set as the shared sorted table (res_table.c), without prefix maxima: the early stages hold tens of
// entries in caller arrays.
static mm_res_table set_table(const mm_reservation_set *set) {
  mm_res_table t = {set->entries, 0, set->count, set->capacity};
  return t;
}

// Records [base, base+bytes) rounded outward to frames, keeping the set sorted by base then end.
// Errors (set unchanged): MM_ERR_INVALID_ARGUMENT (NULL set, kind out of range), MM_ERR_ZERO_COUNT,
// MM_ERR_OVERFLOW, MM_ERR_STORAGE_TOO_SMALL (set full). O(count).
mm_status mm_reservation_add(mm_reservation_set *set, phys_addr_t base, uint64_t bytes, mm_reservation_kind kind,
                             const char *label) {
  if (set == 0) {
    return MM_ERR_INVALID_ARGUMENT;
  }
  if (bytes == 0) {
    return MM_ERR_ZERO_COUNT;
  }
  phys_addr_t rbase;
  phys_addr_t rend;
  mm_status status = mm_reservation_round(base, bytes, &rbase, &rend);
  if (status != MM_OK) {
    return status;
  }
  if ((uint32_t)kind >= (uint32_t)MM_RES_KIND_COUNT) {
    return MM_ERR_INVALID_ARGUMENT;
  }
  if (set->count >= set->capacity) {
    return MM_ERR_STORAGE_TOO_SMALL;
  }
  mm_res_table t = set_table(set);
  if (!mm_res_table_insert(&t, rbase, rend, kind, label)) {
    return MM_ERR_STORAGE_TOO_SMALL;
  }
  set->count = t.count;
  return MM_OK;
}

// Removes one entry equal to {base, end, kind, label}; returns false (set unchanged) when none matches.
bool mm_reservation_remove(mm_reservation_set *set, phys_addr_t base, phys_addr_t end, mm_reservation_kind kind,
                           const char *label) {
  if (set == 0) {
    return false;
  }
  mm_res_table t = set_table(set);
  uint64_t at = mm_res_table_index_of(&t, base, end, kind, label != 0 ? label : "");
  if (at == t.count) {
    return false;
  }
  mm_res_table_remove_at(&t, at);
  set->count = t.count;
  return true;
}

// The first entry (lowest base, then lowest end) intersecting [base, end), or NULL (also for an empty
// query range or a NULL set).
const mm_reservation *mm_reservation_set_find(const mm_reservation_set *set, phys_addr_t base, phys_addr_t end) {
  if (set == 0) {
    return 0;
  }
  mm_res_table t = set_table(set);
  return mm_res_table_find(&t, base, end);
}

// True when [base, end) intersects any entry.
bool mm_reservation_set_overlaps(const mm_reservation_set *set, phys_addr_t base, phys_addr_t end) {
  return mm_reservation_set_find(set, base, end) != 0;
}
