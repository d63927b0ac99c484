// mat.h: the EFI Memory Attributes table (UEFI 2.10 section 4.6.4), read from the kernel-owned copy the loader
// made before ExitBootServices (efi_main.c). Portable C, host-tested (boot/efi/mat_test.cc).
//
// The table lists the runtime images' sections as EFI_MEMORY_DESCRIPTORs (section 7.2) of type
// EfiRuntimeServicesCode or EfiRuntimeServicesData, with EFI_MEMORY_RO on code that must not be written and
// EFI_MEMORY_XP on data that must not be executed. The identity-mapping policy applies them
// (boot/identity_ranges.h); this file only checks the table's shape.
#ifndef BOOT_EFI_MAT_H
#define BOOT_EFI_MAT_H

#include "mm/firmware_map.h"

// A checked table: `count` descriptors at `stride` bytes from `entries`.
typedef struct efi_mat_view {
  const uint8_t *entries;
  uint32_t stride;
  uint32_t count;
  uint32_t version;
} efi_mat_view;

typedef enum efi_mat_status {
  EFI_MAT_OK = 0,
  EFI_MAT_TRUNCATED,    // fewer than 16 header bytes, or the entries run past the copied bytes
  EFI_MAT_BAD_VERSION,  // version outside 1..2 (2 is UEFI 2.10's, which defines the flags)
  EFI_MAT_BAD_STRIDE,   // descriptor_size below 40 (sizeof EFI_MEMORY_DESCRIPTOR) or not a multiple of 8
} efi_mat_status;

// Stable lowercase name for logs, e.g. "truncated".
const char *efi_mat_status_name(efi_mat_status s);

// The bytes the table at `header` (16 readable bytes) says it spans, header included; 0 when its stride or
// version is invalid or the size overflows. What the loader copies.
uint64_t efi_mat_table_bytes(const void *header);

// Checks the `bytes` bytes at `table` and describes them in *out. Errors above; on error *out is untouched.
efi_mat_status efi_mat_parse(const void *table, uint64_t bytes, efi_mat_view *out);

// The i-th descriptor (i < view->count), read at the table's stride.
mm_efi_descriptor efi_mat_entry(const efi_mat_view *view, uint32_t i);

#endif  // BOOT_EFI_MAT_H
