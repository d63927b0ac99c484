// runtime_check.c: the runtime services table's checks (see runtime_check.h).
#include "boot/efi/runtime_check.h"

#include "boot/efi/efi.h"

// Whether [base, end) lies inside one normalized runtime-services region that the kernel maps (no
// EFI_MEMORY_RP). Regions are sorted and disjoint: a binary search.
static bool in_runtime_region(const mm_firmware_map *map, uint64_t base, uint64_t end) {
  uint64_t lo = 0, hi = map->region_count;
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    if (map->regions[mid].end <= base) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (lo == map->region_count) return false;
  const mm_region *r = &map->regions[lo];
  return r->type == MM_REGION_RUNTIME_SERVICES && (r->attribute & MM_EFI_MEMORY_RP) == 0 && r->base <= base &&
         end <= r->end;
}

static bool in_runtime_code(const mm_firmware_map *map, uint64_t addr) {
  for (uint64_t i = 0; map->raw != 0 && i < map->descriptor_count; i++) {
    mm_efi_descriptor d = mm_firmware_map_descriptor(map, i);
    if (d.type != MM_EFI_RUNTIME_SERVICES_CODE || addr < d.physical_start) continue;
    if ((addr - d.physical_start) >> MM_FRAME_SHIFT < d.number_of_pages) return in_runtime_region(map, addr, addr + 1);
  }
  return false;
}

const char *efi_runtime_check(const mm_firmware_map *map, phys_addr_t table) {
  if (table == 0 || map == 0) return "none";
  if (table > UINT64_MAX - sizeof(efi_runtime_services) ||
      !in_runtime_region(map, table, table + sizeof(efi_runtime_services))) {
    return "table_outside_runtime_memory";
  }
  const efi_runtime_services *rt = (const efi_runtime_services *)(uintptr_t)table;
  if (rt->hdr.signature != EFI_RUNTIME_SERVICES_SIGNATURE) return "bad_signature";
  uint64_t need = (uint64_t)((const uint8_t *)&rt->reset_system - (const uint8_t *)rt) + sizeof(rt->reset_system);
  if (rt->hdr.header_size < need) return "header_too_small";
  if (!in_runtime_code(map, (uint64_t)(uintptr_t)rt->get_time)) return "get_time_outside_runtime_code";
  if (!in_runtime_code(map, (uint64_t)(uintptr_t)rt->reset_system)) return "reset_system_outside_runtime_code";
  return 0;
}
