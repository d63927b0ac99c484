// platform_memory.c: devicetree reservations and the /memory cross-check (platform_memory.h).
#include "platform/platform_memory.h"

#include "mm/log.h"

#define DT_LIST_MAX 32u  // entries taken from one list; QEMU's have none, real boards a handful

static mm_status reserve_one(mm_reservation_set *set, uint64_t base, uint64_t size, const char *label, bool no_map,
                             uint32_t *added) {
  mm_status s = mm_reservation_add(set, base, size, MM_RES_FIRMWARE_RESERVED, label);
  uint64_t end = base + size < base ? ~(uint64_t)0 : base + size;
  debug_structured(LOG_DEBUG, "dt.reserve", KV_X("base", base), KV_X("end", end), KV_S("label", label),
                   KV_U("no_map", no_map), KV_S("status", s == MM_OK ? "ok" : mm_status_name(s)));
  if (s == MM_OK) (*added)++;
  return s == MM_ERR_STORAGE_TOO_SMALL ? s : MM_OK;
}

mm_status platform_reserve_firmware(const platform_info *p, mm_reservation_set *set, uint32_t *added) {
  uint32_t n = 0;
  if (added) *added = 0;
  if (!platform_has_devicetree(p)) return MM_OK;
  fdt_range memreserve[DT_LIST_MAX];
  fdt_reserved reserved[DT_LIST_MAX];
  size_t memreserve_count = 0, reserved_count = 0;
  fdt_status st = fdt_memreserve(&p->dt, memreserve, DT_LIST_MAX, &memreserve_count);
  if (st == FDT_OK) st = fdt_reserved_memory(&p->dt, reserved, DT_LIST_MAX, &reserved_count);
  if (st != FDT_OK) {
    debug_structured(LOG_WARN, "dt.reserve", KV_S("status", fdt_status_name(st)));
    return MM_OK;
  }
  mm_status s = MM_OK;
  for (size_t i = 0; i < memreserve_count && s == MM_OK; i++) {
    s = reserve_one(set, memreserve[i].base, memreserve[i].size, "memreserve", false, &n);
  }
  for (size_t i = 0; i < reserved_count && s == MM_OK; i++) {
    s = reserve_one(set, reserved[i].range.base, reserved[i].range.size, reserved[i].name, reserved[i].no_map, &n);
  }
  if (added) *added = n;
  return s;
}

bool platform_range_in_efi_map(const mm_firmware_map *map, phys_addr_t base, phys_addr_t end) {
  phys_addr_t at = base;
  for (uint64_t i = 0; i < map->region_count && at < end; i++) {
    const mm_region *r = &map->regions[i];
    if (r->end <= at) continue;
    if (r->base > at || r->type == MM_REGION_MMIO) return false;  // a gap, or not memory
    at = r->end;
  }
  return at >= end;
}

bool platform_check_dt_memory(const platform_info *p, const mm_firmware_map *map) {
  if (!platform_has_devicetree(p)) return false;
  fdt_range ranges[DT_LIST_MAX];
  size_t count = 0;
  fdt_status st = fdt_memory(&p->dt, ranges, DT_LIST_MAX, &count);
  if (st != FDT_OK) {
    debug_structured(LOG_INFO, "dt.memory", KV_U("ranges", 0), KV_U("agree", 0), KV_S("status", fdt_status_name(st)));
    return false;
  }
  bool agree = count > 0;
  for (size_t i = 0; i < count; i++) {
    uint64_t base = ranges[i].base, end = base + ranges[i].size;
    bool in = ranges[i].size != 0 && end > base && platform_range_in_efi_map(map, base, end);
    agree = agree && in;
    debug_structured(LOG_DEBUG, "dt.memory", KV_X("base", base), KV_X("end", end), KV_U("in_efi_map", in));
  }
  debug_structured(LOG_INFO, "dt.memory", KV_U("ranges", count), KV_U("agree", agree));
  return agree;
}
