// firmware_map.c: copies the UEFI memory map verbatim and builds the normalized view.
//
// Stage 1 of the bring-up pipeline. The firmware map is read at its own stride (UEFI 2.10, section 7.2,
// GetMemoryMap(): DescriptorSize may exceed sizeof(EFI_MEMORY_DESCRIPTOR), so never index an array of the
// struct). Normalization, in this order, per descriptor:
//   1. zero-length descriptors are dropped;
//   2. the type and attribute are mapped to mm_region_type (unknown/OEM values become MM_REGION_RESERVED;
//      conventional memory with EFI_MEMORY_SP becomes MM_REGION_SOFT_RESERVED; conventional, boot services
//      and loader memory without EFI_MEMORY_WB becomes MM_REGION_RESERVED; both counted);
//   3. anything at or above 2^phys_addr_bits is clipped away;
//   4. usable (conventional) ranges are trimmed inward to whole 4 KiB frames, every other type is rounded
//      outward (a reserved partial frame must stay reserved);
// then the boundary sweep (mm/sweep.h) over the sorted start/end events resolves overlaps: at every address the most
// restrictive active type (highest mm_region_type) wins. Among overlapping descriptors of the same winning
// type, the one that started last supplies efi_type and attribute. Adjacent regions of the same type and
// attribute are merged. Sorting, after a sorted-already check, is an LSD radix sort on the address with
// equal-address runs finished by a bottom-up merge sort, using the (not yet written) region array as
// scratch: O(n) passes in practice, O(n log n) worst case, no recursion, no allocation. Every repair is counted and
// reported once as mm.map_repairs.
#include "mm/firmware_map.h"

#include "mm/log.h"
#include "mm/sweep.h"

#define FW_DESCRIPTOR_MIN ((uint32_t)sizeof(mm_efi_descriptor))

_Static_assert(sizeof(mm_efi_descriptor) == 40, "EFI_MEMORY_DESCRIPTOR is 40 bytes (UEFI 2.10, 7.2)");

#define FW_ALIGN 8u
_Static_assert(_Alignof(mm_region) <= FW_ALIGN && _Alignof(mm_sweep_event) <= FW_ALIGN,
               "storage carving assumes 8-byte alignment is enough");
_Static_assert(sizeof(mm_sweep_event) <= sizeof(mm_region), "the 2n-region array must hold 2n events as sort scratch");
_Static_assert(MM_REGION_TYPE_COUNT <= MM_SWEEP_PRIORITIES, "region types are the sweep's priorities");

static const char *const region_type_names[] = {
    [MM_REGION_USABLE] = "usable",
    [MM_REGION_BOOT_SERVICES] = "boot_services",
    [MM_REGION_LOADER] = "loader",
    [MM_REGION_ACPI_RECLAIM] = "acpi_reclaim",
    [MM_REGION_SOFT_RESERVED] = "soft_reserved",
    [MM_REGION_PERSISTENT] = "persistent",
    [MM_REGION_UNUSABLE] = "unusable",
    [MM_REGION_ACPI_NVS] = "acpi_nvs",
    [MM_REGION_RUNTIME_SERVICES] = "runtime_services",
    [MM_REGION_MMIO] = "mmio",
    [MM_REGION_RESERVED] = "reserved",
};
_Static_assert(sizeof(region_type_names) / sizeof(region_type_names[0]) == MM_REGION_TYPE_COUNT,
               "a region type has no name");

// Returns the lowercase name of `type`, or "unknown" outside the enum. Never NULL.
const char *mm_region_type_name(mm_region_type type) {
  if ((uint32_t)type >= (uint32_t)MM_REGION_TYPE_COUNT) {
    return "unknown";
  }
  return region_type_names[(uint32_t)type];
}

// Maps an EFI_MEMORY_TYPE (UEFI 2.10, table 7-5) to the kernel's view. Unknown, OEM (0x70000000..) and
// OS (0x80000000..) values are MM_REGION_RESERVED: memory nobody has described is never handed out.
mm_region_type mm_region_type_from_efi(uint32_t efi_type) {
  switch (efi_type) {
    case MM_EFI_CONVENTIONAL_MEMORY:
      return MM_REGION_USABLE;
    case MM_EFI_BOOT_SERVICES_CODE:
    case MM_EFI_BOOT_SERVICES_DATA:
      return MM_REGION_BOOT_SERVICES;
    case MM_EFI_LOADER_CODE:
    case MM_EFI_LOADER_DATA:
      return MM_REGION_LOADER;
    case MM_EFI_ACPI_RECLAIM_MEMORY:
      return MM_REGION_ACPI_RECLAIM;
    case MM_EFI_PERSISTENT_MEMORY:
      return MM_REGION_PERSISTENT;
    case MM_EFI_UNUSABLE_MEMORY:
      return MM_REGION_UNUSABLE;
    case MM_EFI_ACPI_MEMORY_NVS:
      return MM_REGION_ACPI_NVS;
    case MM_EFI_RUNTIME_SERVICES_CODE:
    case MM_EFI_RUNTIME_SERVICES_DATA:
      return MM_REGION_RUNTIME_SERVICES;
    case MM_EFI_MEMORY_MAPPED_IO:
    case MM_EFI_MEMORY_MAPPED_IO_PORT_SPACE:
      return MM_REGION_MMIO;
    default:  // reserved, PAL code, unaccepted, unknown
      return MM_REGION_RESERVED;
  }
}

// Attributes first (UEFI 2.10, 7.2): EFI_MEMORY_SP marks conventional memory meant for a specific purpose (Linux
// soft-reserves it, arch/x86/platform/efi/efi.c do_add_efi_memmap), and memory the allocator may hand out must
// be mappable write-back, so allocatable types without EFI_MEMORY_WB are reserved (as Linux makes them
// E820_TYPE_RESERVED). SP without WB is still soft reserved: it is the more specific statement.
mm_region_type mm_region_type_from_descriptor(uint32_t efi_type, uint64_t attribute) {
  mm_region_type type = mm_region_type_from_efi(efi_type);
  if (type == MM_REGION_USABLE && (attribute & MM_EFI_MEMORY_SP) != 0) {
    return MM_REGION_SOFT_RESERVED;
  }
  if ((type == MM_REGION_USABLE || mm_region_type_reclaimable(type)) && (attribute & MM_EFI_MEMORY_WB) == 0) {
    return MM_REGION_RESERVED;
  }
  return type;
}

// True for boot services and loader regions, which the runtime allocator may reclaim.
bool mm_region_type_reclaimable(mm_region_type type) {
  return type == MM_REGION_BOOT_SERVICES || type == MM_REGION_LOADER;
}

// Layout of the caller's storage: [align slack][verbatim copy, padded to 8][2n regions][2n events].
// The region array is also the event sort's scratch (it is written only after the sort).
typedef struct fw_layout {
  uint64_t raw_bytes_padded;
  uint64_t region_bytes;
  uint64_t event_bytes;
  uint64_t total;  // including FW_ALIGN - 1 bytes of slack for an unaligned storage pointer
} fw_layout;

static bool fw_stride_valid(uint32_t descriptor_size) {
  return descriptor_size >= FW_DESCRIPTOR_MIN && descriptor_size % 8u == 0;
}

// Computes the storage layout for `count` descriptors; false when the sizes overflow 64 bits.
static bool fw_layout_for(uint64_t map_bytes, uint64_t count, fw_layout *layout) {
  if (map_bytes > UINT64_MAX - FW_ALIGN) {
    return false;
  }
  uint64_t slots = count * 2;  // count <= map_bytes / 40, so this cannot wrap
  if (slots > UINT64_MAX / sizeof(mm_region) || slots > UINT64_MAX / sizeof(mm_sweep_event)) {
    return false;
  }
  layout->raw_bytes_padded = (map_bytes + FW_ALIGN - 1) & ~(uint64_t)(FW_ALIGN - 1);
  layout->region_bytes = slots * sizeof(mm_region);
  layout->event_bytes = slots * sizeof(mm_sweep_event);
  uint64_t total = FW_ALIGN - 1;
  const uint64_t parts[3] = {layout->raw_bytes_padded, layout->region_bytes, layout->event_bytes};
  for (uint32_t i = 0; i < 3; i++) {
    if (parts[i] > UINT64_MAX - total) {
      return false;
    }
    total += parts[i];
  }
  layout->total = total;
  return true;
}

// Bytes of storage mm_firmware_map_init needs: verbatim copy + 2n regions + 2n sweep events + alignment
// slack. Returns 0 for an invalid stride or when the size does not fit in 64 bits.
uint64_t mm_firmware_map_storage_bytes(uint64_t map_bytes, uint32_t descriptor_size) {
  if (!fw_stride_valid(descriptor_size)) {
    return 0;
  }
  fw_layout layout;
  if (!fw_layout_for(map_bytes, map_bytes / descriptor_size, &layout)) {
    return 0;
  }
  return layout.total;
}

static mm_efi_descriptor fw_read(const uint8_t *base, uint64_t i, uint32_t stride) {
  mm_efi_descriptor d;
  mm_memcpy(&d, base + i * stride, sizeof(d));
  return d;
}

// Where the descriptor's end, physical_start + pages * 4 KiB, lies relative to 2^64. Ending exactly at 2^64 is a
// real range (the top of the 64-bit space) that an exclusive 64-bit end cannot express: it is clipped to the last
// frame boundary as a counted repair, like any other part beyond what the map can represent. Only an end
// strictly past 2^64 (a corrupt descriptor) rejects the map.
typedef enum fw_end { FW_END_FITS, FW_END_AT_TOP, FW_END_WRAPS } fw_end;
static fw_end fw_descriptor_end(const mm_efi_descriptor *d) {
  const uint64_t max_pages = (uint64_t)1 << (64 - MM_FRAME_SHIFT);  // 2^52 pages = 2^64 bytes
  // The common case first, with one add and compare: a nonzero length below 2^64 bytes that does not carry.
  if (d->number_of_pages < max_pages &&
      d->physical_start + (d->number_of_pages << MM_FRAME_SHIFT) > d->physical_start) {
    return FW_END_FITS;
  }
  if (d->number_of_pages > max_pages) {
    return FW_END_WRAPS;
  }
  if (d->number_of_pages == max_pages) {
    return d->physical_start == 0 ? FW_END_AT_TOP : FW_END_WRAPS;
  }
  uint64_t len = d->number_of_pages << MM_FRAME_SHIFT;  // below 2^64
  uint64_t room = 0 - d->physical_start;                 // 2^64 - start (start == 0: any len fits)
  if (d->physical_start == 0 || len < room) {
    return FW_END_FITS;
  }
  return len == room ? FW_END_AT_TOP : FW_END_WRAPS;
}

// Turns the verbatim descriptors into start/end events, applying steps 1-4 of the file comment and counting
// repairs. Returns the number of events written (2 per surviving descriptor).
static uint64_t fw_build_events(const uint8_t *raw, uint64_t count, uint32_t stride, unsigned phys_addr_bits,
                                mm_sweep_event *events, mm_map_repairs *repairs) {
  // 2^bits, or 0 meaning "no limit" for a 64-bit width.
  const uint64_t limit = phys_addr_bits >= 64 ? 0 : ((uint64_t)1 << phys_addr_bits);
  uint64_t n = 0;
  bool have_prev = false;
  uint64_t prev_start = 0;
  for (uint64_t i = 0; i < count; i++) {
    mm_efi_descriptor d = fw_read(raw, i, stride);
    if (d.number_of_pages == 0) {
      repairs->zero_length++;
      continue;
    }
    if (have_prev && d.physical_start < prev_start) {
      repairs->unsorted++;
    }
    have_prev = true;
    prev_start = d.physical_start;
    if (d.type >= MM_EFI_TYPE_COUNT) {
      repairs->unknown_types++;
    }
    mm_region_type type = mm_region_type_from_descriptor(d.type, d.attribute);
    if (type == MM_REGION_SOFT_RESERVED) {
      repairs->soft_reserved++;
    } else if (type == MM_REGION_RESERVED && mm_region_type_from_efi(d.type) != MM_REGION_RESERVED) {
      repairs->not_write_back++;
    }
    uint64_t base = d.physical_start;
    uint64_t end;
    if (fw_descriptor_end(&d) == FW_END_AT_TOP) {
      // Ends at 2^64 (checked not to wrap past it): above any width limit, and for a 64-bit width the last
      // frame is unrepresentable; either way it is clipped as one beyond_phys_width repair.
      repairs->beyond_phys_width++;
      end = limit != 0 ? limit : (UINT64_MAX & ~MM_FRAME_MASK);
      if (base >= end) {
        continue;  // entirely above the limit, or only the last frame of the address space
      }
    } else {
      end = base + (d.number_of_pages << MM_FRAME_SHIFT);  // checked not to wrap
      if (limit != 0 && end > limit) {
        repairs->beyond_phys_width++;
        if (base >= limit) {
          continue;
        }
        end = limit;
      }
    }
    if (type == MM_REGION_USABLE) {
      uint64_t tbase = (base + MM_FRAME_MASK) & ~MM_FRAME_MASK;  // base < end <= 2^64 - 1: no wrap
      uint64_t tend = end & ~MM_FRAME_MASK;
      if (tbase != base || tend != end) {
        repairs->trimmed++;
      }
      if (tbase >= tend) {
        continue;
      }
      base = tbase;
      end = tend;
    } else {
      base &= ~MM_FRAME_MASK;
      end = end > (UINT64_MAX & ~MM_FRAME_MASK) ? (UINT64_MAX & ~MM_FRAME_MASK)
                                                : (end + MM_FRAME_MASK) & ~MM_FRAME_MASK;
      if (base >= end) {
        continue;  // only the unrepresentable last frame of the address space
      }
    }
    mm_sweep_event start = {base, d.attribute, d.type, (uint8_t)type, 1, {0, 0}};
    mm_sweep_event stop = {end, d.attribute, d.type, (uint8_t)type, 0, {0, 0}};
    events[n++] = start;
    events[n++] = stop;
  }
  return n;
}

// Appends [base, end) to regions, merging with the previous region when they touch and agree on type and
// attribute. Returns the new region count.
static uint64_t fw_emit(mm_region *regions, uint64_t count, uint64_t capacity, uint64_t base, uint64_t end,
                        mm_region_type type, uint32_t efi_type, uint64_t attribute) {
  if (count > 0) {
    mm_region *last = &regions[count - 1];
    if (last->end == base && last->type == type && last->attribute == attribute) {
      last->end = end;
      return count;
    }
  }
  if (count >= capacity) {
    mm_panic("fw_emit", "more regions than sweep events");
  }
  mm_region r = {base, end, type, efi_type, attribute};
  regions[count] = r;
  return count + 1;
}

// Receives the sweep's spans (mm/sweep.h): the owner's priority is the region type, its tags the EFI type and
// attribute of the descriptor of that type that started last.
typedef struct fw_regions {
  mm_region *regions;
  uint64_t count, capacity;
} fw_regions;

static void fw_emit_span(void *ctx, uint64_t base, uint64_t end, const mm_sweep_event *owner) {
  fw_regions *out = ctx;
  out->count = fw_emit(out->regions, out->count, out->capacity, base, end, (mm_region_type)owner->priority,
                       owner->tag32, owner->tag);
}

static bool fw_repairs_any(const mm_map_repairs *r) {
  return (r->unsorted | r->overlaps | r->trimmed | r->unknown_types | r->zero_length | r->beyond_phys_width) != 0;
}

// Copies the map into `storage` and builds the normalized view in `out` (see firmware_map.h).
// Errors, checked in this order: MM_ERR_INVALID_ARGUMENT (NULL out/storage/descriptors, phys_addr_bits
// outside 12..64, so the width limit is frame aligned), MM_ERR_BAD_STRIDE, MM_ERR_BAD_MAP (partial
// descriptor, end past 2^64), MM_ERR_STORAGE_TOO_SMALL, MM_ERR_NO_USABLE_MEMORY. On error *out is untouched; storage is
// untouched for every error but MM_ERR_NO_USABLE_MEMORY. `descriptors` must not overlap `storage`.
mm_status mm_firmware_map_init(mm_firmware_map *out, const void *descriptors, uint64_t map_bytes,
                               uint32_t descriptor_size, uint32_t descriptor_version, unsigned phys_addr_bits,
                               void *storage, uint64_t storage_bytes) {
  if (out == 0 || storage == 0 || (descriptors == 0 && map_bytes != 0) || phys_addr_bits < MM_FRAME_SHIFT ||
      phys_addr_bits > 64) {
    return MM_ERR_INVALID_ARGUMENT;
  }
  if (!fw_stride_valid(descriptor_size)) {
    return MM_ERR_BAD_STRIDE;
  }
  if (map_bytes % descriptor_size != 0) {
    return MM_ERR_BAD_MAP;
  }
  const uint64_t count = map_bytes / descriptor_size;
  fw_layout layout;
  if (!fw_layout_for(map_bytes, count, &layout) || storage_bytes < layout.total) {
    return MM_ERR_STORAGE_TOO_SMALL;
  }
  const uint8_t *input = (const uint8_t *)descriptors;
  for (uint64_t i = 0; i < count; i++) {
    mm_efi_descriptor d = fw_read(input, i, descriptor_size);
    if (d.number_of_pages != 0 && fw_descriptor_end(&d) == FW_END_WRAPS) {
      return MM_ERR_BAD_MAP;
    }
  }

  uintptr_t at = ((uintptr_t)storage + (FW_ALIGN - 1)) & ~(uintptr_t)(FW_ALIGN - 1);
  uint8_t *raw = (uint8_t *)at;
  mm_region *regions = (mm_region *)(raw + layout.raw_bytes_padded);
  mm_sweep_event *events = (mm_sweep_event *)((uint8_t *)regions + layout.region_bytes);
  if (map_bytes != 0) {
    mm_memcpy(raw, input, (size_t)map_bytes);
  }

  mm_map_repairs repairs = {0, 0, 0, 0, 0, 0, 0, 0};
  uint64_t n_events = fw_build_events(raw, count, descriptor_size, phys_addr_bits, events, &repairs);
  // The region array is not written until the sweep, so it doubles as the sort's scratch.
  mm_sweep_sort(events, (mm_sweep_event *)(void *)regions, n_events);
  fw_regions swept = {regions, 0, count * 2};
  repairs.overlaps += mm_sweep(events, n_events, fw_emit_span, &swept);
  uint64_t region_count = swept.count;

  uint64_t usable_frames = 0;
  for (uint64_t i = 0; i < region_count; i++) {
    if (regions[i].type == MM_REGION_USABLE) {
      usable_frames += (regions[i].end - regions[i].base) >> MM_FRAME_SHIFT;
    }
  }
  if (usable_frames == 0) {
    return MM_ERR_NO_USABLE_MEMORY;
  }

  out->raw = raw;
  out->raw_bytes = map_bytes;
  out->descriptor_size = descriptor_size;
  out->descriptor_version = descriptor_version;
  out->descriptor_count = count;
  out->regions = regions;
  out->region_count = region_count;
  out->repairs = repairs;
  out->phys_addr_bits = phys_addr_bits;

  if (fw_repairs_any(&repairs)) {
    debug_structured(LOG_WARN, "mm.map_repairs", KV_U("unsorted", repairs.unsorted), KV_U("overlaps", repairs.overlaps),
                     KV_U("trimmed", repairs.trimmed), KV_U("unknown_types", repairs.unknown_types),
                     KV_U("zero_length", repairs.zero_length), KV_U("beyond_phys_width", repairs.beyond_phys_width));
  }
  if ((repairs.soft_reserved | repairs.not_write_back) != 0) {
    uint64_t soft_frames = 0;
    for (uint64_t i = 0; i < region_count; i++) {
      if (regions[i].type == MM_REGION_SOFT_RESERVED) {
        soft_frames += (regions[i].end - regions[i].base) >> MM_FRAME_SHIFT;
      }
    }
    debug_structured(LOG_WARN, "mm.map_attributes", KV_U("soft_reserved", repairs.soft_reserved),
                     KV_U("soft_reserved_frames", soft_frames), KV_U("not_write_back", repairs.not_write_back));
  }
  debug_structured(LOG_INFO, "mm.firmware_map", KV_U("descriptors", count), KV_U("descriptor_size", descriptor_size),
                   KV_U("regions", region_count), KV_U("usable_frames", usable_frames));
  return MM_OK;
}

// The i-th verbatim descriptor at the map's stride. Panics when i is out of range (a caller bug).
mm_efi_descriptor mm_firmware_map_descriptor(const mm_firmware_map *map, uint64_t i) {
  if (map == 0 || i >= map->descriptor_count) {
    mm_panic("mm_firmware_map_descriptor", "index out of range");
  }
  return fw_read(map->raw, i, map->descriptor_size);
}

// Number of usable regions in the normalized view (0 for NULL).
uint64_t mm_firmware_map_usable_regions(const mm_firmware_map *map) {
  uint64_t n = 0;
  if (map == 0) {
    return 0;
  }
  for (uint64_t i = 0; i < map->region_count; i++) {
    n += map->regions[i].type == MM_REGION_USABLE;
  }
  return n;
}

// Total frames of the usable regions in the normalized view (0 for NULL).
uint64_t mm_firmware_map_usable_frames(const mm_firmware_map *map) {
  uint64_t frames = 0;
  if (map == 0) {
    return 0;
  }
  for (uint64_t i = 0; i < map->region_count; i++) {
    if (map->regions[i].type == MM_REGION_USABLE) {
      frames += (map->regions[i].end - map->regions[i].base) >> MM_FRAME_SHIFT;
    }
  }
  return frames;
}

// Total frames of the soft-reserved regions in the normalized view (0 for NULL).
uint64_t mm_firmware_map_soft_reserved_frames(const mm_firmware_map *map) {
  uint64_t frames = 0;
  if (map == 0) {
    return 0;
  }
  for (uint64_t i = 0; i < map->region_count; i++) {
    if (map->regions[i].type == MM_REGION_SOFT_RESERVED) {
      frames += (map->regions[i].end - map->regions[i].base) >> MM_FRAME_SHIFT;
    }
  }
  return frames;
}
