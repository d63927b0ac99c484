// paging_common.c: the architecture-neutral half of the identity table builders (contracts in
// paging_common.h). Portable C, no inline asm.
#include "arch/paging_common.h"

uint64_t *arch_table_entries(const arch_table_builder *b, phys_addr_t table) {
  return (uint64_t *)b->window->map(b->window->ctx, table, MM_FRAME_SIZE);
}

mm_status arch_table_new(arch_table_builder *b, phys_addr_t *out) {
  phys_addr_t frame = 0;
  mm_status status = b->source->alloc_frame(b->source->ctx, &frame);
  if (status != MM_OK) return status;
  if ((frame & MM_FRAME_MASK) != 0) return MM_ERR_MISALIGNED;
  uint64_t *entries = arch_table_entries(b, frame);
  if (entries == NULL) return MM_ERR_NO_MEMORY;
  mm_memset(entries, 0, MM_FRAME_SIZE);
  b->tables++;
  *out = frame;
  return MM_OK;
}

mm_status arch_paging_validate(const arch_map_range *ranges, uint64_t count, const arch_paging_features *f,
                               const arch_frame_source *source, const mm_phys_window *window,
                               const arch_paging_info *out, const arch_paging_format *format) {
  if ((ranges == NULL && count != 0) || f == NULL || source == NULL || source->alloc_frame == NULL || window == NULL ||
      window->map == NULL || out == NULL) {
    return MM_ERR_INVALID_ARGUMENT;
  }
  if (f->phys_addr_bits < format->min_phys_bits || f->phys_addr_bits > format->max_phys_bits) {
    return MM_ERR_INVALID_ARGUMENT;
  }
  unsigned mapped_bits = f->phys_addr_bits < format->max_mapped_bits ? f->phys_addr_bits : format->max_mapped_bits;
  uint64_t limit = (uint64_t)1 << mapped_bits;
  phys_addr_t previous_end = 0;
  for (uint64_t i = 0; i < count; i++) {
    const arch_map_range *r = &ranges[i];
    if (((r->base | r->end) & MM_FRAME_MASK) != 0) return MM_ERR_INVALID_ARGUMENT;
    if (r->base > r->end || r->base < previous_end || r->end > limit) return MM_ERR_INVALID_ARGUMENT;
    if (r->type != ARCH_MEM_NORMAL && r->type != ARCH_MEM_DEVICE && r->type != ARCH_MEM_FRAMEBUFFER) {
      return MM_ERR_INVALID_ARGUMENT;
    }
    previous_end = r->end;
  }
  return MM_OK;
}

// Maps [r->base, r->end) with the largest leaves the alignment of each step allows.
static mm_status map_range(arch_table_builder *b, const arch_map_range *r, const arch_paging_features *f,
                           const arch_paging_format *format) {
  uint64_t bits = format->leaf_bits(r, f);
  for (phys_addr_t addr = r->base; addr < r->end;) {
    uint64_t left = r->end - addr;
    uint64_t size = ARCH_SIZE_4K;
    if (f->huge_1g && (addr & (ARCH_SIZE_1G - 1)) == 0 && left >= ARCH_SIZE_1G) {
      size = ARCH_SIZE_1G;
    } else if ((addr & (ARCH_SIZE_2M - 1)) == 0 && left >= ARCH_SIZE_2M) {
      size = ARCH_SIZE_2M;
    }
    mm_status status = format->install(b, addr, size, bits, f);
    if (status != MM_OK) return status;
    addr += size;
  }
  return MM_OK;
}

mm_status arch_paging_build_with(const arch_map_range *ranges, uint64_t count, const arch_paging_features *features,
                                 const arch_frame_source *source, const mm_phys_window *window,
                                 const arch_paging_format *format, arch_paging_info *out) {
  mm_status status = arch_paging_validate(ranges, count, features, source, window, out, format);
  if (status != MM_OK) return status;

  arch_table_builder b = {.source = source, .window = window, .root = 0, .tables = 0};
  status = arch_table_new(&b, &b.root);
  if (status != MM_OK) return status;

  uint64_t mapped = 0;
  for (uint64_t i = 0; i < count; i++) {
    status = map_range(&b, &ranges[i], features, format);
    if (status != MM_OK) return status;
    mapped += ranges[i].end - ranges[i].base;
  }
  out->root = b.root;
  out->mapped_bytes = mapped;
  out->tables = b.tables;
  out->levels = format->levels;
  return MM_OK;
}

// The test hook's request (arch.h); one word written before ExitBootServices and read by the probe after it.
static unsigned g_requested_va_bits;

void arch_paging_request_va_bits(unsigned va_bits) { g_requested_va_bits = va_bits; }

unsigned arch_paging_requested_va_bits(void) { return g_requested_va_bits; }
