// identity_paging.c: the kernel's identity page tables from the runtime allocator (see identity_paging.h).
#include "boot/identity_paging.h"

#include "boot/identity_ranges.h"
#include "boot/kernel.h"
#include "mm/log.h"

#define IDENTITY_MMIO_MAX 4u

typedef struct table_source_ctx {
  mm_phys_allocator *alloc;
} table_source_ctx;

// Page tables live as long as the kernel: each frame becomes a reservation with its own provenance.
static mm_status table_frame(void *ctx, phys_addr_t *out) {
  mm_phys_allocator *a = ((table_source_ctx *)ctx)->alloc;
  mm_status s = mm_phys_alloc_frame(a, out);
  if (s != MM_OK) return s;
  s = mm_phys_reserve(a, *out, MM_FRAME_SIZE, MM_RES_PAGE_TABLES, "page_tables");
  if (s != MM_OK) mm_phys_free(a, *out, 1);
  return s;
}

static const char *mem_type_name(arch_mem_type type) {
  switch (type) {
    case ARCH_MEM_NORMAL:
      return "normal";
    case ARCH_MEM_DEVICE:
      return "device";
    case ARCH_MEM_FRAMEBUFFER:
      return "framebuffer";
  }
  return "unknown";
}

// One debug line per mapped range, so a boot log shows what is mapped how (tests/boot checks RAM above 4 GiB).
static void log_ranges(const arch_map_range *ranges, uint64_t count) {
  if (!log_enabled(LOG_DEBUG)) return;
  for (uint64_t i = 0; i < count; i++) {
    debug_structured(LOG_DEBUG, "paging.range", KV_X("base", ranges[i].base), KV_X("end", ranges[i].end),
                     KV_S("type", mem_type_name(ranges[i].type)), KV_U("exec", ranges[i].executable),
                     KV_U("ro", ranges[i].read_only));
  }
}

mm_status identity_paging_build(mm_phys_allocator *a, void *ctx) {
  identity_paging *p = ctx;
  const boot_handoff *h = p->handoff;
  arch_map_range mmio[IDENTITY_MMIO_MAX];
  uint64_t n = kernel_device_ranges(mmio, IDENTITY_MMIO_MAX);
  identity_inputs in = {mm_phys_firmware_map(a),
                        mmio,
                        n < IDENTITY_MMIO_MAX ? n : IDENTITY_MMIO_MAX,
                        h->framebuffer_base,
                        h->framebuffer_size,
                        h->image_base,
                        h->image_size,
                        p->mat};
  // Scratch for the sweep and the resulting ranges, sized to this machine's map.
  uint64_t max = identity_ranges_max(&in), scratch_bytes = identity_ranges_scratch_bytes(&in);
  uint64_t bytes = max * sizeof(arch_map_range) + scratch_bytes;
  mm_alloc_request req = {(bytes + MM_FRAME_MASK) >> MM_FRAME_SHIFT, MM_FRAME_SIZE, 0, 0};
  phys_addr_t phys;
  mm_status s = mm_phys_alloc(a, &req, &phys);
  if (s != MM_OK) return s;
  arch_map_range *ranges = p->window->map(p->window->ctx, phys, bytes);
  s = ranges ? identity_ranges_build(&in, ranges + max, scratch_bytes, ranges, max, &p->range_count) : MM_ERR_NO_MEMORY;
  table_source_ctx tables = {a};
  arch_frame_source source = {table_frame, &tables};
  if (s == MM_OK) s = arch_paging_build(ranges, p->range_count, &p->features, &source, p->window, &p->info);
  if (s == MM_OK) log_ranges(ranges, p->range_count);
  mm_status f = mm_phys_free(a, phys, req.count);
  return s != MM_OK ? s : f;
}
