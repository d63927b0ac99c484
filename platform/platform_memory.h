// platform_memory.h: what the platform description says about memory, turned into the kernel's terms
// (issue 10 item 3). Portable C11 like the readers; host-tested (platform_memory_test.cc).
//
// Devicetree reservations (Devicetree Specification v0.4 3.5.2 /reserved-memory, 5.3 the /memreserve/ block)
// become reservations of kind MM_RES_FIRMWARE_RESERVED, labelled with the node name ("memreserve" for the
// block), whatever the EFI map says there: a range outside the map or overlapping another reservation is still
// recorded (the set allows overlap), so nothing the firmware asked to keep is ever handed out.
//
// /memory is only cross-checked: under UEFI the EFI memory map is the authority and the devicetree's memory
// nodes are ignored, as Linux does (drivers/firmware/efi/efi-init.c, efi_init() with the EFI map in use makes
// early_init_dt_add_memory_arch skip /memory; EBBR 2.1 section 4.3 / UEFI 2.10 7.2: the OS uses GetMemoryMap).
#ifndef PLATFORM_PLATFORM_MEMORY_H
#define PLATFORM_PLATFORM_MEMORY_H

#include "mm/firmware_map.h"
#include "mm/reservations.h"
#include "platform/discover.h"

// Adds every /memreserve/ entry (label "memreserve") and every /reserved-memory child's `reg` range (label: the
// node name, e.g. "secmon@5e000000") to `set` as MM_RES_FIRMWARE_RESERVED, logging one LOG_DEBUG line each:
//   dt.reserve base=0x.. end=0x.. label=NAME no_map=0|1 status=ok|<mm status>
// An entry of size 0 or running past 2^64 is not added (its line says status=zero_count / overflow). Without a
// usable devicetree nothing happens (MM_OK, *added = 0). When the lists do not decode (a malformed `reg`) nothing
// is added and one LOG_WARN line `dt.reserve status=<fdt reason>` is written; MM_OK still (the blob is input).
// The only error is MM_ERR_STORAGE_TOO_SMALL from a full set (entries added before it stay). `added` may be NULL.
mm_status platform_reserve_firmware(const platform_info *platform, mm_reservation_set *set, uint32_t *added);

// True when [base, end) is covered, without a gap, by regions of `map` that are not MMIO.
bool platform_range_in_efi_map(const mm_firmware_map *map, phys_addr_t base, phys_addr_t end);

// The devicetree's /memory ranges against the EFI map: one LOG_DEBUG line per range
//   dt.memory base=0x.. end=0x.. in_efi_map=0|1
// and one LOG_INFO summary `dt.memory ranges=N agree=0|1` (agree: every range is in the map). The EFI map is used
// either way. Nothing is logged without a usable devicetree; a /memory that does not decode gives
// `dt.memory ranges=0 agree=0 status=<reason>`. Returns agree (false without a devicetree).
bool platform_check_dt_memory(const platform_info *platform, const mm_firmware_map *map);

#endif  // PLATFORM_PLATFORM_MEMORY_H
