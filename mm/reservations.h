// reservations.h: the reservation set, every range the kernel keeps out of allocation, with provenance.
//
// Each entry says who owns a range and why (kind + short label), so the final table answers "who owns this
// frame and why". Entries may overlap one another (a kernel image inside an identity range); the excluded
// memory is their union. The early stages use a caller-supplied array; the runtime allocator takes the set
// over at hand-off and grows it from memory it manages.
#ifndef MM_RESERVATIONS_H
#define MM_RESERVATIONS_H

#include "mm/mm_types.h"

typedef enum mm_reservation_kind {
  MM_RES_FIRMWARE = 0,      // firmware-owned data the kernel must keep (ACPI tables found in usable memory, ...)
  MM_RES_KERNEL_IMAGE,      // the loaded kernel image (LoadedImage ImageBase/ImageSize)
  MM_RES_IDENTITY,          // identity ranges the kernel needs mapped and untouched
  MM_RES_FRAMEBUFFER,       // GOP framebuffer
  MM_RES_EARLY_ALLOC,       // frames handed out by the early frame allocator
  MM_RES_BOOKKEEPING,       // carved allocator bookkeeping (free runs, reserved regions, growth)
  MM_RES_PAGE_TABLES,       // page-table frames
  MM_RES_STACK,             // the stack the kernel runs on
  MM_RES_FIRMWARE_MAP,      // the kernel-owned copy of the firmware memory map
  MM_RES_FIRMWARE_RESERVED, // reserved by the platform description (devicetree /reserved-memory, /memreserve/)
  MM_RES_AP_TRAMPOLINE,     // the x86 real-mode start page of secondary CPUs, while they start (releasable)
  MM_RES_LATE,              // reserved after hand-off by a caller
  MM_RES_TEST,              // tests only
  MM_RES_KIND_COUNT,
} mm_reservation_kind;

// Stable lowercase name, e.g. "page_tables", for logs and JSON.
const char *mm_reservation_kind_name(mm_reservation_kind kind);

// True only for kinds that are transient by contract and may be ended with mm_phys_unreserve (phys_alloc.h):
// MM_RES_AP_TRAMPOLINE. Every other kind, and every kind out of range, is false: what bring-up reserved stays
// out of allocation forever.
bool mm_reservation_kind_releasable(mm_reservation_kind kind);

#define MM_LABEL_MAX 24  // including the terminating NUL; longer labels are truncated

typedef struct mm_reservation {
  phys_addr_t base;  // frame aligned (the set rounds outward)
  phys_addr_t end;   // exclusive
  mm_reservation_kind kind;
  char label[MM_LABEL_MAX];
} mm_reservation;

typedef struct mm_reservation_set {
  mm_reservation *entries;  // sorted by base, then end
  uint64_t count;
  uint64_t capacity;
} mm_reservation_set;

// Rounds [base, base + bytes) outward to whole frames into [*out_base, *out_end). Returns MM_ERR_OVERFLOW
// when the end (or its rounding) passes 2^64; outputs untouched then. Shared by every reservation path.
mm_status mm_reservation_round(phys_addr_t base, uint64_t bytes, phys_addr_t *out_base, phys_addr_t *out_end);

// Copies `label` (NULL means empty) into a reservation label, truncated to MM_LABEL_MAX - 1 characters and
// NUL padded.
void mm_reservation_copy_label(char out[MM_LABEL_MAX], const char *label);

// Starts an empty set over caller storage of `capacity` entries.
void mm_reservation_set_init(mm_reservation_set *set, mm_reservation *storage, uint64_t capacity);

// Records [base, base+bytes) rounded outward to frames. Errors: MM_ERR_ZERO_COUNT (bytes == 0),
// MM_ERR_OVERFLOW, MM_ERR_INVALID_ARGUMENT (kind out of range), MM_ERR_STORAGE_TOO_SMALL (set full);
// the set is unchanged on error. O(count).
mm_status mm_reservation_add(mm_reservation_set *set, phys_addr_t base, uint64_t bytes, mm_reservation_kind kind,
                             const char *label);

// Removes one entry equal to {base, end, kind, label} (label compared after truncation), keeping the set
// sorted. Rolls back an add made earlier in a multi-step operation (carve_option_storage). Returns false and
// changes nothing when no entry matches. O(count).
bool mm_reservation_remove(mm_reservation_set *set, phys_addr_t base, phys_addr_t end, mm_reservation_kind kind,
                           const char *label);

// True when [base, end) intersects any entry.
bool mm_reservation_set_overlaps(const mm_reservation_set *set, phys_addr_t base, phys_addr_t end);

// The first entry (lowest base) that intersects [base, end), or NULL.
const mm_reservation *mm_reservation_set_find(const mm_reservation_set *set, phys_addr_t base, phys_addr_t end);

#endif  // MM_RESERVATIONS_H
