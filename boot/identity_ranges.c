// identity_ranges.c: the identity-mapping policy (see identity_ranges.h).
#include "boot/identity_ranges.h"

#include "mm/sweep.h"

// One priority per kind of candidate, so that overlapping candidates of one priority always agree on the type
// (the sweep reports the most recently started range of the winning priority).
enum { PRIO_MAP = 1, PRIO_FRAMEBUFFER = 2, PRIO_ARCH_MMIO = 3, PRIO_IMAGE = 4 };

// Candidates: every map region, every arch MMIO range, the framebuffer and the image.
static bool identity_candidates(const identity_inputs *in, uint64_t *n) {
  uint64_t regions = in->map ? in->map->region_count : 0;
  if (in->mmio_count > UINT64_MAX / 8 || regions > UINT64_MAX / 8 - in->mmio_count - 2) return false;
  *n = regions + in->mmio_count + 2;
  return true;
}

uint64_t identity_ranges_scratch_bytes(const identity_inputs *in) {
  uint64_t n;
  if (in == 0 || !identity_candidates(in, &n)) return 0;
  return 4 * n * sizeof(mm_sweep_event);  // two events per candidate, and as much again for the sort
}

uint64_t identity_ranges_max(const identity_inputs *in) {
  uint64_t n;
  if (in == 0 || !identity_candidates(in, &n)) return 0;
  return 2 * n;  // spans between 2n boundaries
}

// How a map region is mapped, from its type and its EFI attributes (UEFI 2.10, 7.2). False: not mapped
// (reserved, unusable, or EFI_MEMORY_RP). MMIO is device memory whatever it claims; other regions are normal
// (write-back) only with EFI_MEMORY_WB, else write-combining with EFI_MEMORY_WC, else device (uncached: UC, UCE,
// WT-only and no cacheability bit at all are all mapped uncached, the one type both architectures have that is
// never wrong for them). XP needs nothing: map regions are never executable. RO: identity_region_read_only.
bool identity_region_mapping(const mm_region *r, arch_mem_type *type) {
  if (r->type == MM_REGION_RESERVED || r->type == MM_REGION_UNUSABLE) return false;
  if ((r->attribute & MM_EFI_MEMORY_RP) != 0) return false;
  if (r->type == MM_REGION_MMIO) {
    *type = ARCH_MEM_DEVICE;
  } else if ((r->attribute & MM_EFI_MEMORY_WB) != 0) {
    *type = ARCH_MEM_NORMAL;
  } else if ((r->attribute & MM_EFI_MEMORY_WC) != 0) {
    *type = ARCH_MEM_FRAMEBUFFER;
  } else {
    *type = ARCH_MEM_DEVICE;
  }
  return true;
}

// EFI_MEMORY_RO (UEFI 2.10, 7.2: "physical memory that is read-only"; a Memory Attributes table puts it on
// runtime code) maps the region read-only, except on memory the allocator hands out now or after reclaiming it
// (usable, boot services, loader, ACPI reclaim): the kernel writes every frame it allocates, so such a region
// stays writable whatever the attribute says.
bool identity_region_read_only(const mm_region *r) {
  if ((r->attribute & MM_EFI_MEMORY_RO) == 0) return false;
  switch (r->type) {
    case MM_REGION_USABLE:
    case MM_REGION_BOOT_SERVICES:
    case MM_REGION_LOADER:
    case MM_REGION_ACPI_RECLAIM:
      return false;
    default:
      return true;
  }
}

// The sweep event's tag carries executability (bit 0) and read-only (bit 1); tag32 the arch_mem_type.
#define TAG_EXEC 1u
#define TAG_READ_ONLY 2u

typedef struct identity_builder {
  mm_sweep_event *events;
  uint64_t event_count;
  arch_map_range *out;
  uint64_t count;
} identity_builder;

static void identity_add(identity_builder *b, phys_addr_t base, uint64_t bytes, arch_mem_type type, bool exec,
                         bool read_only, uint8_t priority) {
  if (bytes == 0) return;
  phys_addr_t end = base + bytes < base ? UINT64_MAX : base + bytes;  // clipped at 2^64
  base &= ~MM_FRAME_MASK;
  end = end > (UINT64_MAX & ~MM_FRAME_MASK) ? (UINT64_MAX & ~MM_FRAME_MASK) : (end + MM_FRAME_MASK) & ~MM_FRAME_MASK;
  if (base < MM_FRAME_SIZE) base = MM_FRAME_SIZE;  // page 0 stays unmapped
  if (end <= base) return;
  uint64_t tag = (exec ? TAG_EXEC : 0u) | (read_only ? TAG_READ_ONLY : 0u);
  mm_sweep_event start = {base, tag, (uint32_t)type, priority, 1, {0, 0}};
  mm_sweep_event stop = {end, tag, (uint32_t)type, priority, 0, {0, 0}};
  b->events[b->event_count++] = start;
  b->events[b->event_count++] = stop;
}

static void identity_emit(void *ctx, uint64_t base, uint64_t end, const mm_sweep_event *owner) {
  identity_builder *b = ctx;
  arch_mem_type type = (arch_mem_type)owner->tag32;
  bool exec = (owner->tag & TAG_EXEC) != 0;
  bool read_only = (owner->tag & TAG_READ_ONLY) != 0;
  if (b->count > 0) {
    arch_map_range *last = &b->out[b->count - 1];
    if (last->end == base && last->type == type && last->executable == exec && last->read_only == read_only) {
      last->end = end;
      return;
    }
  }
  b->out[b->count++] = (arch_map_range){base, end, type, exec, read_only};
}

mm_status identity_ranges_build(const identity_inputs *in, void *scratch, uint64_t scratch_bytes, arch_map_range *out,
                                uint64_t capacity, uint64_t *count) {
  if (in == 0 || in->map == 0 || scratch == 0 || out == 0 || count == 0 || (in->mmio == 0 && in->mmio_count)) {
    return MM_ERR_INVALID_ARGUMENT;
  }
  uint64_t need = identity_ranges_scratch_bytes(in);
  if (need == 0 || scratch_bytes < need || capacity < identity_ranges_max(in)) return MM_ERR_STORAGE_TOO_SMALL;

  mm_sweep_event *events = scratch;
  identity_builder b = {events, 0, out, 0};
  const mm_firmware_map *map = in->map;
  for (uint64_t i = 0; i < map->region_count; i++) {
    const mm_region *r = &map->regions[i];
    arch_mem_type type;
    if (identity_region_mapping(r, &type)) {
      identity_add(&b, r->base, r->end - r->base, type, false, identity_region_read_only(r), PRIO_MAP);
    }
  }
  for (uint64_t i = 0; i < in->mmio_count; i++) {
    const arch_map_range *m = &in->mmio[i];
    if (m->end > m->base) identity_add(&b, m->base, m->end - m->base, ARCH_MEM_DEVICE, false, false, PRIO_ARCH_MMIO);
  }
  identity_add(&b, in->framebuffer_base, in->framebuffer_size, ARCH_MEM_FRAMEBUFFER, false, false, PRIO_FRAMEBUFFER);
  identity_add(&b, in->image_base, in->image_size, ARCH_MEM_NORMAL, true, false, PRIO_IMAGE);

  mm_sweep_sort(events, events + b.event_count, b.event_count);
  mm_sweep(events, b.event_count, identity_emit, &b);
  *count = b.count;
  return MM_OK;
}
