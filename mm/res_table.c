// res_table.c: the one sorted reservation table (see res_table.h).
#include "mm/res_table.h"

// Declared in reservations.h; defined here, the lowest layer that writes labels. Copies `label` (NULL means
// "") truncated to MM_LABEL_MAX - 1 characters, NUL padding the rest so equal labels compare equal byte for byte.
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

uint64_t mm_res_table_upper_bound(const mm_res_table *t, phys_addr_t base, phys_addr_t end) {
  uint64_t lo = 0, hi = t->count;
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    const mm_reservation *e = &t->entries[mid];
    if (e->base < base || (e->base == base && e->end <= end)) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

void mm_res_table_recompute(mm_res_table *t, uint64_t from) {
  if (t->maxend == 0) {
    return;
  }
  uint64_t m = from == 0 ? 0 : t->maxend[from - 1];
  for (uint64_t i = from; i < t->count; i++) {
    if (t->entries[i].end > m) {
      m = t->entries[i].end;
    }
    t->maxend[i] = m;
  }
}

bool mm_res_table_insert(mm_res_table *t, phys_addr_t base, phys_addr_t end, mm_reservation_kind kind,
                         const char *label) {
  if (t->count >= t->capacity) {
    return false;
  }
  uint64_t at = mm_res_table_upper_bound(t, base, end);
  if (at < t->count) {
    mm_memmove(&t->entries[at + 1], &t->entries[at], (size_t)(t->count - at) * sizeof(mm_reservation));
  }
  mm_reservation *e = &t->entries[at];
  mm_memset(e, 0, sizeof(*e));
  e->base = base;
  e->end = end;
  e->kind = kind;
  mm_reservation_copy_label(e->label, label);
  t->count++;
  mm_res_table_recompute(t, at);
  return true;
}

void mm_res_table_remove_at(mm_res_table *t, uint64_t i) {
  if (i + 1 < t->count) {
    mm_memmove(&t->entries[i], &t->entries[i + 1], (size_t)(t->count - i - 1) * sizeof(mm_reservation));
  }
  t->count--;
  mm_res_table_recompute(t, i);
}

uint64_t mm_res_table_index_of(const mm_res_table *t, phys_addr_t base, phys_addr_t end, mm_reservation_kind kind,
                               const char *label) {
  char want[MM_LABEL_MAX];
  mm_reservation_copy_label(want, label);
  // Entries equal in (base, end) sit just before the upper bound; walk back over them.
  for (uint64_t i = mm_res_table_upper_bound(t, base, end); i > 0; i--) {
    const mm_reservation *e = &t->entries[i - 1];
    if (e->base != base || e->end != end) {
      break;
    }
    bool same = e->kind == kind;
    for (uint32_t k = 0; same && label != 0 && k < MM_LABEL_MAX; k++) {
      same = e->label[k] == want[k];
    }
    if (same) {
      return i - 1;
    }
  }
  return t->count;
}

// mm_res_table_find is static inline in res_table.h (the allocator's range check on every free and fixed
// allocation).

bool mm_res_table_move(mm_res_table *t, void *storage, uint64_t bytes) {
  uint64_t cap = bytes / MM_RES_TABLE_INDEXED_SLOT_BYTES;
  if (cap < t->count) {
    return false;
  }
  mm_reservation *entries = (mm_reservation *)storage;
  if (t->count != 0) {
    mm_memmove(entries, t->entries, (size_t)t->count * sizeof(mm_reservation));
  }
  t->entries = entries;
  t->maxend = (uint64_t *)((uint8_t *)storage + cap * sizeof(mm_reservation));
  t->capacity = cap;
  mm_res_table_recompute(t, 0);
  return true;
}
