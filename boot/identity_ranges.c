// identity_ranges.c: the identity-mapping policy (see identity_ranges.h).
#include "boot/identity_ranges.h"

#include "mm/sweep.h"

// One priority per kind of candidate, so that overlapping candidates of one priority always agree on the type
// (the sweep reports the most recently started range of the winning priority).
enum { PRIO_MAP = 1, PRIO_RT_CODE = 2, PRIO_MAT = 3, PRIO_FRAMEBUFFER = 4, PRIO_ARCH_MMIO = 5, PRIO_IMAGE = 6 };

// ---- Runtime pieces: runtime-code descriptors and table entries, clipped to mapped runtime regions ----------

// The first region (sorted, disjoint) whose end lies above `addr`: a binary search.
static uint64_t first_region_ending_above(const mm_firmware_map *map, uint64_t addr) {
  uint64_t lo = 0, hi = map->region_count;
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    if (map->regions[mid].end <= addr) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

typedef void (*piece_fn)(void *ctx, uint64_t base, uint64_t end, const mm_region *region, bool exec, bool read_only,
                         uint8_t priority);

// Calls fn for each part of [base, base + pages * 4 KiB) that lies in a mapped runtime-services region.
// read_only < 0: the region's own rule (identity_region_read_only).
static void runtime_pieces(const mm_firmware_map *map, uint64_t base, uint64_t pages, bool exec, int read_only,
                           uint8_t priority, piece_fn fn, void *ctx) {
  if (pages == 0 || pages > (UINT64_MAX - base) >> MM_FRAME_SHIFT) return;  // empty or past 2^64: ignored
  uint64_t end = base + (pages << MM_FRAME_SHIFT);
  for (uint64_t i = first_region_ending_above(map, base); i < map->region_count; i++) {
    const mm_region *r = &map->regions[i];
    if (r->base >= end) break;
    arch_mem_type type;
    if (r->type != MM_REGION_RUNTIME_SERVICES || !identity_region_mapping(r, &type)) continue;
    uint64_t b = base > r->base ? base : r->base, e = end < r->end ? end : r->end;
    bool ro = read_only < 0 ? identity_region_read_only(r) : read_only != 0;
    fn(ctx, b, e, r, exec, ro, priority);
  }
}

// Every runtime piece of the inputs: priority 2 and 3 of the policy in identity_ranges.h.
static void identity_runtime_pieces(const identity_inputs *in, piece_fn fn, void *ctx) {
  const mm_firmware_map *map = in->map;
  for (uint64_t i = 0; map->raw != 0 && i < map->descriptor_count; i++) {
    mm_efi_descriptor d = mm_firmware_map_descriptor(map, i);
    if (d.type != MM_EFI_RUNTIME_SERVICES_CODE) continue;
    bool exec = (d.attribute & MM_EFI_MEMORY_XP) == 0;
    runtime_pieces(map, d.physical_start, d.number_of_pages, exec, -1, PRIO_RT_CODE, fn, ctx);
  }
  for (uint32_t i = 0; in->mat != 0 && i < in->mat->count; i++) {
    mm_efi_descriptor d = efi_mat_entry(in->mat, i);
    if (d.type != MM_EFI_RUNTIME_SERVICES_CODE && d.type != MM_EFI_RUNTIME_SERVICES_DATA) continue;
    bool exec = d.type == MM_EFI_RUNTIME_SERVICES_CODE && (d.attribute & MM_EFI_MEMORY_XP) == 0;
    runtime_pieces(map, d.physical_start, d.number_of_pages, exec, (d.attribute & MM_EFI_MEMORY_RO) != 0, PRIO_MAT, fn,
                   ctx);
  }
}

static void count_piece(void *ctx, uint64_t base, uint64_t end, const mm_region *region, bool exec, bool read_only,
                        uint8_t priority) {
  (void)base, (void)end, (void)region, (void)exec, (void)read_only, (void)priority;
  (*(uint64_t *)ctx)++;
}

// Candidates: every map region, every runtime piece, every arch MMIO range, the framebuffer and the image.
static bool identity_candidates(const identity_inputs *in, uint64_t *n) {
  uint64_t regions = in->map ? in->map->region_count : 0;
  uint64_t pieces = 0;
  if (in->map) identity_runtime_pieces(in, count_piece, &pieces);
  if (in->mmio_count > UINT64_MAX / 8 || regions > UINT64_MAX / 8 - in->mmio_count - 2 ||
      pieces > UINT64_MAX / 8 - regions - in->mmio_count - 2) {
    return false;
  }
  *n = regions + pieces + in->mmio_count + 2;
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
// (reserved without EFI_MEMORY_RUNTIME, unusable, or EFI_MEMORY_RP). MMIO is device memory whatever it claims; other
// regions are normal (write-back) only with EFI_MEMORY_WB, else write-combining with EFI_MEMORY_WC, else device
// (uncached: UC, UCE, WT-only and no cacheability bit at all are all mapped uncached, the one type both architectures
// have that is never wrong for them). Executability is not decided here: only runtime code and the image are executable
// (identity_ranges.h, priorities 2, 3 and 6). RO: identity_region_read_only.
bool identity_region_mapping(const mm_region *r, arch_mem_type *type) {
  if (r->type == MM_REGION_UNUSABLE) return false;
  // Reserved memory stays unmapped unless the firmware's runtime services use it (EFI_MEMORY_RUNTIME, 7.2: "needs
  // to be given a virtual mapping by the OS"; Linux maps every such descriptor for its runtime calls).
  if (r->type == MM_REGION_RESERVED && (r->attribute & MM_EFI_MEMORY_RUNTIME) == 0) return false;
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

static void add_piece(void *ctx, uint64_t base, uint64_t end, const mm_region *region, bool exec, bool read_only,
                      uint8_t priority) {
  arch_mem_type type = ARCH_MEM_NORMAL;
  identity_region_mapping(region, &type);  // true: runtime_pieces passes mapped regions only
  identity_add(ctx, base, end - base, type, exec, read_only, priority);
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
  identity_runtime_pieces(in, add_piece, &b);
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
