// identity_ranges.h: the identity-mapping policy, what the kernel maps and how (portable, host-tested).
//
// Inputs are the normalized firmware map (with its verbatim descriptors), the EFI Memory Attributes table when
// the firmware gave one, and the few ranges the kernel knows itself; output is sorted, disjoint, frame-aligned
// arch_map_range entries for arch_paging_build. Policy, where candidates overlap the highest priority wins (one
// O(n log n) sweep, mm/sweep.h):
//   priority 1  every map region but unusable ones, reserved ones without EFI_MEMORY_RUNTIME (reserved memory the
//               runtime services use is mapped: UEFI 2.10 7.2) and those with EFI_MEMORY_RP (read-protected), which
//               stay unmapped so a stray access faults. The memory type comes from the EFI attributes
//               (identity_region_mapping): MMIO is device memory; otherwise EFI_MEMORY_WB -> normal write-back,
//               else EFI_MEMORY_WC -> write-combining (ARCH_MEM_FRAMEBUFFER), else device (uncached). No map
//               region is executable at this priority. EFI_MEMORY_RO maps the region read-only
//               (arch_map_range.read_only; identity_region_read_only), except memory the allocator hands out
//               (usable, boot services, loader, ACPI reclaim), which stays writable. Runtime data
//               (EfiRuntimeServicesData), MMIO with EFI_MEMORY_RUNTIME (the PL031 RTC on AArch64 virt) and every
//               other runtime region are mapped here like the rest, writable and never executable;
//   priority 2  runtime code: the parts of EfiRuntimeServicesCode descriptors (read from the verbatim map, since
//               normalization merges runtime code and data that share attributes) that lie in mapped
//               runtime-services regions, with that region's memory type and read-only flag, executable unless the
//               descriptor says EFI_MEMORY_XP. So without a Memory Attributes table runtime code is read-write-
//               execute: an EDK2 runtime driver is one PE/COFF image whose .data lies inside the code descriptor
//               and is written by the code (UEFI 2.10 4.6.4 introduces the table precisely to tell the sections
//               apart; Linux's x86 __map_region maps EfiRuntimeServicesCode executable and writable for the same
//               reason and only efi_runtime_update_mappings tightens it from the table);
//   priority 3  Memory Attributes table entries (UEFI 2.10 4.6.4), clipped to mapped runtime-services regions
//               and typed by them: read-only with EFI_MEMORY_RO, executable only for EfiRuntimeServicesCode
//               entries without EFI_MEMORY_XP (runtime data is never executable); entries of any other type are
//               ignored. Runtime code the table does not cover keeps priority 2's read-write-execute;
//   priority 4  the framebuffer (write-combining, writable);
//   priority 5  the architecture's MMIO (device, writable);
//   priority 6  the kernel image, normal, writable and executable (text and data share one range); it outranks
//               an RO map region it overlaps.
// Page 0 is never mapped, so a null dereference faults. Neighbours with the same type, executability and
// read-only flag are merged.
#ifndef BOOT_IDENTITY_RANGES_H
#define BOOT_IDENTITY_RANGES_H

#include "arch/arch.h"
#include "boot/efi/mat.h"
#include "mm/firmware_map.h"

typedef struct identity_inputs {
  const mm_firmware_map *map;  // normalized; its verbatim descriptors (raw, descriptor_count) name runtime code
  const arch_map_range *mmio;  // kernel_device_ranges' MMIO (type ignored: always device)
  uint64_t mmio_count;
  phys_addr_t framebuffer_base;  // framebuffer_size 0: none
  uint64_t framebuffer_size;
  phys_addr_t image_base;
  uint64_t image_size;
  const efi_mat_view *mat;  // the checked Memory Attributes table (efi_mat_parse), or NULL: none
} identity_inputs;

// How map region `r` is mapped (the priority-1 rule above): true and *type set, or false when it is not mapped.
bool identity_region_mapping(const mm_region *r, arch_mem_type *type);

// Whether a mapped map region `r` is mapped read-only: it carries EFI_MEMORY_RO and is not memory the allocator
// hands out (usable, boot services, loader, ACPI reclaim).
bool identity_region_read_only(const mm_region *r);

// Scratch bytes identity_ranges_build needs for these inputs, and the most ranges it can produce (the size of
// the output array to pass). 0 when the counts overflow.
uint64_t identity_ranges_scratch_bytes(const identity_inputs *in);
uint64_t identity_ranges_max(const identity_inputs *in);

// Builds the ranges into out[0, *count). `scratch` (8-byte aligned) holds identity_ranges_scratch_bytes(in)
// bytes. Errors, with *count and out untouched: MM_ERR_INVALID_ARGUMENT (a NULL argument, a NULL map, mmio
// NULL with mmio_count > 0), MM_ERR_STORAGE_TOO_SMALL (scratch or capacity below what the functions above
// give). O(n log n) in the number of candidate ranges (map regions, plus the pieces runtime-code descriptors and
// table entries make where they cross map regions: one each on a well-formed map).
mm_status identity_ranges_build(const identity_inputs *in, void *scratch, uint64_t scratch_bytes, arch_map_range *out,
                                uint64_t capacity, uint64_t *count);

#endif  // BOOT_IDENTITY_RANGES_H
