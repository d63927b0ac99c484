// firmware_map.h: the firmware memory map as delivered, and the normalized view every later stage reads.
//
// Stage 1 of the bring-up pipeline: firmware map -> reservations -> plan -> carve -> runtime allocator -> paging.
// The verbatim copy (descriptors exactly as GetMemoryMap returned them, at their own stride) is kept for
// provenance and diagnostics; the normalized regions are sorted, disjoint, typed and frame-trimmed.
#ifndef MM_FIRMWARE_MAP_H
#define MM_FIRMWARE_MAP_H

#include "mm/mm_types.h"

// EFI_MEMORY_DESCRIPTOR, UEFI Specification 2.10, section 7.2 (EFI_BOOT_SERVICES.GetMemoryMap()).
// Firmware may return descriptors larger than this struct (DescriptorSize); always step by that stride.
typedef struct mm_efi_descriptor {
  uint32_t type;  // EFI_MEMORY_TYPE
  uint32_t pad;
  uint64_t physical_start;  // 4 KiB aligned per the specification
  uint64_t virtual_start;
  uint64_t number_of_pages;  // 4 KiB pages (EFI_PAGE_SIZE), whatever the CPU's page size
  uint64_t attribute;
} mm_efi_descriptor;

// EFI_MEMORY_TYPE values, UEFI Specification 2.10, section 7.2, table 7-5.
enum {
  MM_EFI_RESERVED_MEMORY = 0,
  MM_EFI_LOADER_CODE = 1,
  MM_EFI_LOADER_DATA = 2,
  MM_EFI_BOOT_SERVICES_CODE = 3,
  MM_EFI_BOOT_SERVICES_DATA = 4,
  MM_EFI_RUNTIME_SERVICES_CODE = 5,
  MM_EFI_RUNTIME_SERVICES_DATA = 6,
  MM_EFI_CONVENTIONAL_MEMORY = 7,
  MM_EFI_UNUSABLE_MEMORY = 8,
  MM_EFI_ACPI_RECLAIM_MEMORY = 9,
  MM_EFI_ACPI_MEMORY_NVS = 10,
  MM_EFI_MEMORY_MAPPED_IO = 11,
  MM_EFI_MEMORY_MAPPED_IO_PORT_SPACE = 12,
  MM_EFI_PAL_CODE = 13,
  MM_EFI_PERSISTENT_MEMORY = 14,
  MM_EFI_UNACCEPTED_MEMORY = 15,
  MM_EFI_TYPE_COUNT = 16,  // 0x70000000.. (OEM) and 0x80000000.. (OS) values are "unknown" here
};

// EFI memory attribute bits (the descriptor's Attribute field), UEFI Specification 2.10, section 7.2,
// "Memory Attribute Definitions". They describe what the range is capable of, not how it is mapped now.
#define MM_EFI_MEMORY_UC 0x1ull                    // uncacheable
#define MM_EFI_MEMORY_WC 0x2ull                    // write-combining
#define MM_EFI_MEMORY_WT 0x4ull                    // write-through
#define MM_EFI_MEMORY_WB 0x8ull                    // write-back
#define MM_EFI_MEMORY_UCE 0x10ull                  // uncacheable, exported, "fetch and add" semaphores
#define MM_EFI_MEMORY_WP 0x1000ull                 // write-protect capable (a cacheability attribute on x86)
#define MM_EFI_MEMORY_RP 0x2000ull                 // read-protected: must not be accessed
#define MM_EFI_MEMORY_XP 0x4000ull                 // execute-protected
#define MM_EFI_MEMORY_NV 0x8000ull                 // non-volatile
#define MM_EFI_MEMORY_MORE_RELIABLE 0x10000ull     // higher reliability than the rest of the system
#define MM_EFI_MEMORY_RO 0x20000ull                // read-only
#define MM_EFI_MEMORY_SP 0x40000ull                // specific-purpose (HBM, CXL): not for general allocation
#define MM_EFI_MEMORY_CPU_CRYPTO 0x80000ull        // protectable by the CPU's memory encryption
#define MM_EFI_MEMORY_RUNTIME 0x8000000000000000ull  // needs a virtual mapping for runtime services

// What a normalized region is, from the kernel's point of view. Ordered by restrictiveness: when two
// descriptors overlap, the higher value wins (so anything beats USABLE, and RESERVED beats everything;
// SOFT_RESERVED beats every type the allocator may hand out, so specific-purpose memory never leaks into it).
typedef enum mm_region_type {
  MM_REGION_USABLE = 0,          // EfiConventionalMemory with EFI_MEMORY_WB: free at hand-off
  MM_REGION_BOOT_SERVICES = 1,   // boot services code/data: reclaimable once the kernel is done with it
  MM_REGION_LOADER = 2,          // loader code/data (this kernel's image, its pool): reclaimable
  MM_REGION_ACPI_RECLAIM = 3,    // reclaimable only after the OS has read the ACPI tables
  MM_REGION_SOFT_RESERVED = 4,   // EfiConventionalMemory with EFI_MEMORY_SP: reported, mapped, never allocated
  MM_REGION_PERSISTENT = 5,
  MM_REGION_UNUSABLE = 6,        // firmware-reported memory errors
  MM_REGION_ACPI_NVS = 7,
  MM_REGION_RUNTIME_SERVICES = 8,
  MM_REGION_MMIO = 9,            // MMIO and MMIO port space
  MM_REGION_RESERVED = 10,       // EfiReservedMemoryType, PAL code, unaccepted, unknown/OEM types, and
                            // allocatable memory (conventional, boot services, loader) without EFI_MEMORY_WB
  MM_REGION_TYPE_COUNT = 11,
} mm_region_type;

// Stable lowercase name, e.g. "boot_services", for logs and JSON.
const char *mm_region_type_name(mm_region_type type);
// The normalized type of an EFI_MEMORY_TYPE value; unknown and OEM values map to MM_REGION_RESERVED.
// Attributes are not considered (see mm_region_type_from_descriptor).
mm_region_type mm_region_type_from_efi(uint32_t efi_type);
// The normalized type of a descriptor, type and attribute together (what normalization uses), as x86 Linux's
// do_add_efi_memmap does: conventional memory with EFI_MEMORY_SP is MM_REGION_SOFT_RESERVED; conventional,
// boot services and loader memory without EFI_MEMORY_WB is MM_REGION_RESERVED (the allocator hands out only
// memory it may map write-back); everything else is mm_region_type_from_efi(efi_type).
mm_region_type mm_region_type_from_descriptor(uint32_t efi_type, uint64_t attribute);
// True for the types the runtime allocator may hand out after reclaim (boot services, loader).
bool mm_region_type_reclaimable(mm_region_type type);

typedef struct mm_region {
  phys_addr_t base;  // frame aligned
  phys_addr_t end;  // exclusive, frame aligned, > base
  mm_region_type type;
  uint32_t efi_type;  // the winning descriptor's original type (for diagnostics)
  uint64_t attribute;
} mm_region;

// Every repair normalization made, counted so it is reported once, never silent: the first six on
// mm.map_repairs, the attribute decisions (soft_reserved, not_write_back) on their own mm.map_attributes line.
typedef struct mm_map_repairs {
  uint64_t unsorted;  // descriptors that were out of order (count of descents seen)
  uint64_t overlaps;  // pairs of descriptors whose ranges overlapped
  uint64_t trimmed;  // usable descriptors whose ends were trimmed inward to whole frames
  uint64_t unknown_types;  // descriptors with a type outside the specification (treated as reserved)
  uint64_t zero_length;  // descriptors with number_of_pages == 0 (dropped)
  uint64_t beyond_phys_width;  // descriptors (partly) above the CPU's physical address width (clipped or dropped)
  uint64_t soft_reserved;  // conventional descriptors with EFI_MEMORY_SP (typed MM_REGION_SOFT_RESERVED)
  uint64_t not_write_back;  // conventional/boot services/loader descriptors without EFI_MEMORY_WB (reserved)
} mm_map_repairs;

typedef struct mm_firmware_map {
  // Verbatim copy, in storage the caller owns (kernel-owned memory after ExitBootServices).
  const uint8_t *raw;
  uint64_t raw_bytes;
  uint32_t descriptor_size;
  uint32_t descriptor_version;
  uint64_t descriptor_count;
  // Normalized view: sorted by base, disjoint, adjacent regions of the same type and attribute merged.
  const mm_region *regions;
  uint64_t region_count;
  mm_map_repairs repairs;
  unsigned phys_addr_bits;
} mm_firmware_map;

// Bytes of storage mm_firmware_map_init needs for `map_bytes` of descriptors at `descriptor_size`
// stride (verbatim copy + normalized regions + sort scratch). Returns 0 for an invalid stride.
uint64_t mm_firmware_map_storage_bytes(uint64_t map_bytes, uint32_t descriptor_size);

// Copies and normalizes a firmware map. `descriptors` is read only during the call; afterwards the map
// lives entirely in `storage`. `phys_addr_bits` is the CPU's physical address width (e.g. 39..52);
// ranges above it are ignored with a warning. Errors: MM_ERR_INVALID_ARGUMENT, MM_ERR_BAD_STRIDE,
// MM_ERR_BAD_MAP, MM_ERR_STORAGE_TOO_SMALL, MM_ERR_NO_USABLE_MEMORY; on error *out is untouched.
// O(n log n) in the number of descriptors. Logs mm.firmware_map and, if anything was repaired,
// mm.map_repairs once; if any descriptor was soft reserved or lacked write-back, mm.map_attributes once
// (soft_reserved= descriptors, soft_reserved_frames= frames after overlap resolution, not_write_back=).
mm_status mm_firmware_map_init(mm_firmware_map *out, const void *descriptors, uint64_t map_bytes,
                               uint32_t descriptor_size, uint32_t descriptor_version, unsigned phys_addr_bits,
                               void *storage, uint64_t storage_bytes);

// The i-th verbatim descriptor (i < descriptor_count), read at the map's stride.
mm_efi_descriptor mm_firmware_map_descriptor(const mm_firmware_map *map, uint64_t i);

// Number of soft-reserved (specific-purpose) frames in the normalized view (0 for NULL).
uint64_t mm_firmware_map_soft_reserved_frames(const mm_firmware_map *map);

// Number of usable regions and their total frames in the normalized view.
uint64_t mm_firmware_map_usable_regions(const mm_firmware_map *map);
uint64_t mm_firmware_map_usable_frames(const mm_firmware_map *map);

#endif  // MM_FIRMWARE_MAP_H
