// mat.c: the EFI Memory Attributes table's shape (see mat.h).
#include "boot/efi/mat.h"

#include "boot/efi/efi.h"

#define MAT_HEADER_BYTES ((uint64_t)sizeof(efi_memory_attributes_table))
#define MAT_VERSION_MAX 2u

const char *efi_mat_status_name(efi_mat_status s) {
  switch (s) {
    case EFI_MAT_OK:
      return "ok";
    case EFI_MAT_TRUNCATED:
      return "truncated";
    case EFI_MAT_BAD_VERSION:
      return "bad_version";
    case EFI_MAT_BAD_STRIDE:
      return "bad_stride";
  }
  return "unknown";
}

static efi_memory_attributes_table mat_header(const void *p) {
  efi_memory_attributes_table h;
  const uint8_t *src = p;
  uint8_t *dst = (uint8_t *)&h;
  for (uint64_t i = 0; i < sizeof h; i++) dst[i] = src[i];  // the copy may be unaligned
  return h;
}

static efi_mat_status mat_check_header(const efi_memory_attributes_table *h) {
  if (h->version == 0 || h->version > MAT_VERSION_MAX) return EFI_MAT_BAD_VERSION;
  if (h->descriptor_size < sizeof(mm_efi_descriptor) || h->descriptor_size % 8 != 0) return EFI_MAT_BAD_STRIDE;
  return EFI_MAT_OK;
}

uint64_t efi_mat_table_bytes(const void *header) {
  if (header == 0) return 0;
  efi_memory_attributes_table h = mat_header(header);
  if (mat_check_header(&h) != EFI_MAT_OK) return 0;
  // 32-bit count times 32-bit stride fits in 64 bits; the header adds 16.
  return MAT_HEADER_BYTES + (uint64_t)h.number_of_entries * h.descriptor_size;
}

efi_mat_status efi_mat_parse(const void *table, uint64_t bytes, efi_mat_view *out) {
  if (table == 0 || out == 0 || bytes < MAT_HEADER_BYTES) return EFI_MAT_TRUNCATED;
  efi_memory_attributes_table h = mat_header(table);
  efi_mat_status s = mat_check_header(&h);
  if (s != EFI_MAT_OK) return s;
  if ((uint64_t)h.number_of_entries * h.descriptor_size > bytes - MAT_HEADER_BYTES) return EFI_MAT_TRUNCATED;
  out->entries = (const uint8_t *)table + MAT_HEADER_BYTES;
  out->stride = h.descriptor_size;
  out->count = h.number_of_entries;
  out->version = h.version;
  return EFI_MAT_OK;
}

mm_efi_descriptor efi_mat_entry(const efi_mat_view *view, uint32_t i) {
  mm_efi_descriptor d;
  const uint8_t *src = view->entries + (uint64_t)i * view->stride;
  uint8_t *dst = (uint8_t *)&d;
  for (uint64_t k = 0; k < sizeof d; k++) dst[k] = src[k];
  return d;
}
