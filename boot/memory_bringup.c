// memory_bringup.c: the memory bring-up after ExitBootServices, in the design note's order
// (docs/memory-handoff.md): copy the firmware map -> collect reservations -> plan -> carve -> hand off to
// the runtime allocator -> identity paging -> self-test -> reclaim.
#include "arch/arch.h"
#include "boot/kernel.h"
#include "mm/firmware_map.h"
#include "mm/log.h"

_Noreturn static void stage_panic(const char *stage, mm_status status) {
  debug_structured(LOG_ERROR, "panic", KV_S("stage", stage), KV_S("reason", mm_status_name(status)));
  arch_exit(3);
}

static void log_descriptors(const mm_firmware_map *map) {
  if (!log_enabled(LOG_DEBUG)) return;
  for (uint64_t i = 0; i < map->descriptor_count; i++) {
    mm_efi_descriptor d = mm_firmware_map_descriptor(map, i);
    debug_structured(LOG_DEBUG, "mm.desc", KV_U("idx", i), KV_U("type", d.type), KV_X("phys", d.physical_start),
                     KV_U("pages", d.number_of_pages), KV_X("attr", d.attribute));
  }
}

uint32_t memory_bringup(const boot_handoff *handoff, const kernel_options *opt) {
  (void)opt;
  // 1. Copy the firmware map into kernel-owned memory: after this nothing reads the firmware's buffer.
  static mm_firmware_map map;
  uint64_t t0 = arch_cycles();
  mm_status s = mm_firmware_map_init(&map, handoff->memory_map, handoff->memory_map_bytes, handoff->descriptor_size,
                                     handoff->descriptor_version, arch_phys_addr_bits(),
                                     (void *)(uintptr_t)handoff->map_storage, handoff->map_storage_bytes);
  if (s != MM_OK) stage_panic("firmware_map", s);
  debug_structured(LOG_INFO, "mm.map_copied", KV_X("phys", handoff->map_storage), KV_U("bytes", map.raw_bytes),
                   KV_U("cycles", arch_cycles() - t0));
  log_descriptors(&map);
  return 0;
}
