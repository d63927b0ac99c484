// reservations.c: the reservation set, a sorted array of (range, kind, label) over caller storage.
//
// Entries are kept sorted by base, then end, and may overlap; the excluded memory is their union. Insertion
// is a binary search plus one memmove, O(count). Queries scan from the front and stop at the first entry
// whose base is past the query, so they are O(count) worst case; the early stages hold tens of entries and
// the runtime allocator keeps its own indexed copy.
#include "mm/reservations.h"

static const char *const reservation_kind_names[] = {
    [MM_RES_FIRMWARE] = "firmware",         [MM_RES_KERNEL_IMAGE] = "kernel_image",
    [MM_RES_IDENTITY] = "identity",         [MM_RES_FRAMEBUFFER] = "framebuffer",
    [MM_RES_EARLY_ALLOC] = "early_alloc",   [MM_RES_BOOKKEEPING] = "bookkeeping",
    [MM_RES_PAGE_TABLES] = "page_tables",   [MM_RES_STACK] = "stack",
    [MM_RES_FIRMWARE_MAP] = "firmware_map", [MM_RES_LATE] = "late",
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

// Starts an empty set over `storage` (`capacity` entries; storage may be NULL when capacity is 0).
void mm_reservation_set_init(mm_reservation_set *set, mm_reservation *storage, uint64_t capacity) {
  if (set == 0) {
    mm_panic("mm_reservation_set_init", "set is NULL");
  }
  set->entries = storage;
  set->count = 0;
  set->capacity = storage != 0 ? capacity : 0;
}

// Copies `label` (NULL means "") truncated to MM_LABEL_MAX - 1 characters, NUL padding the rest so equal
// labels compare equal byte for byte.
void mm_reservation_copy_label(char out[MM_LABEL_MAX], const char *label) {
  uint32_t i = 0;
  if (label != 0) {
    for (; i < MM_LABEL_MAX - 1 && label[i] != '\0'; i++) {
      out[i] = label[i];
    }
  }
  for (; i < MM_LABEL_MAX; i++) {
    out[i] = '\0';
  }
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

// Index of the first entry ordered strictly after (base, end): equal entries stay in insertion order.
static uint64_t reservation_upper_bound(const mm_reservation_set *set, phys_addr_t base, phys_addr_t end) {
  uint64_t lo = 0;
  uint64_t hi = set->count;
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    const mm_reservation *e = &set->entries[mid];
    if (e->base < base || (e->base == base && e->end <= end)) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

// Records [base, base+bytes) rounded outward to frames, keeping the set sorted by base then end.
// Errors (set unchanged): MM_ERR_INVALID_ARGUMENT (NULL set, kind out of range), MM_ERR_ZERO_COUNT,
// MM_ERR_OVERFLOW, MM_ERR_STORAGE_TOO_SMALL (set full). O(count).
mm_status mm_reservation_add(mm_reservation_set *set, phys_addr_t base, uint64_t bytes,
                             mm_reservation_kind kind, const char *label) {
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
  uint64_t at = reservation_upper_bound(set, rbase, rend);
  if (at < set->count) {
    mm_memmove(&set->entries[at + 1], &set->entries[at], (size_t)(set->count - at) * sizeof(mm_reservation));
  }
  mm_reservation *e = &set->entries[at];
  e->base = rbase;
  e->end = rend;
  e->kind = kind;
  mm_reservation_copy_label(e->label, label);
  set->count++;
  return MM_OK;
}

// Removes one entry equal to {base, end, kind, label}; returns false (set unchanged) when none matches.
bool mm_reservation_remove(mm_reservation_set *set, phys_addr_t base, phys_addr_t end,
                           mm_reservation_kind kind, const char *label) {
  if (set == 0) {
    return false;
  }
  char want[MM_LABEL_MAX];
  mm_reservation_copy_label(want, label);
  // Entries equal in (base, end) sit just before the upper bound; walk back over them.
  uint64_t i = reservation_upper_bound(set, base, end);
  while (i > 0) {
    const mm_reservation *e = &set->entries[i - 1];
    if (e->base != base || e->end != end) {
      break;
    }
    bool same_label = true;
    for (uint32_t k = 0; k < MM_LABEL_MAX; k++) {
      if (e->label[k] != want[k]) {
        same_label = false;
        break;
      }
    }
    if (e->kind == kind && same_label) {
      uint64_t at = i - 1;
      if (at + 1 < set->count) {
        mm_memmove(&set->entries[at], &set->entries[at + 1],
                   (size_t)(set->count - at - 1) * sizeof(mm_reservation));
      }
      set->count--;
      return true;
    }
    i--;
  }
  return false;
}

// The first entry (lowest base, then lowest end) intersecting [base, end), or NULL (also for an empty
// query range or a NULL set).
const mm_reservation *mm_reservation_set_find(const mm_reservation_set *set, phys_addr_t base,
                                              phys_addr_t end) {
  if (set == 0 || base >= end) {
    return 0;
  }
  for (uint64_t i = 0; i < set->count; i++) {
    const mm_reservation *e = &set->entries[i];
    if (e->base >= end) {
      break;  // sorted by base: nothing later can start before `end`
    }
    if (e->end > base) {
      return e;
    }
  }
  return 0;
}

// True when [base, end) intersects any entry.
bool mm_reservation_set_overlaps(const mm_reservation_set *set, phys_addr_t base, phys_addr_t end) {
  return mm_reservation_set_find(set, base, end) != 0;
}
