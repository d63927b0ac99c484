// phys_types.h: the vocabulary the runtime allocator's layers share (no state): "no address", a bookkeeping
// block, and the frame source through which a layer that grows gets frames without knowing who supplies them.
// Private to //mm.
#ifndef MM_PHYS_TYPES_H
#define MM_PHYS_TYPES_H

#include "mm/phys_alloc.h"

#define PHYS_NONE UINT64_MAX  // "no address" (never a valid frame address: not frame aligned)

// One bookkeeping block: physically contiguous frames a layer's table lives in.
typedef struct phys_block {
  phys_addr_t phys;
  uint64_t bytes;  // 0 when the block does not exist
  bool carved;     // carved at hand-off (stays reserved forever) rather than taken from the allocator itself
} phys_block;

// Frames for a layer's own bookkeeping, injected by the layer above (phys_grow.c builds one around the
// allocator), so that no layer calls up. Passed to the few functions that may need frames.
typedef struct phys_frame_source {
  void *ctx;
  // Takes `frames` contiguous free frames and maps them. With a `label`, records them as MM_RES_BOOKKEEPING
  // `label`; with NULL records nothing (the reservation table records its own block in itself). False,
  // nothing changed, when it cannot.
  bool (*take)(void *ctx, uint64_t frames, const char *label, phys_addr_t *phys, void **ptr);
  // Gives a block replaced by a larger one back (carved blocks stay reserved; a block of 0 bytes is ignored).
  void (*give_back)(void *ctx, phys_block block);
  // Makes room for one more bitmap span: a span-table slot and a reservation slot for its bitmap frame.
  bool (*span_slot)(void *ctx);
} phys_frame_source;

static inline void *phys_window_map(const mm_phys_window *w, phys_addr_t phys, uint64_t bytes) {
  return w->map(w->ctx, phys, bytes);
}

static inline uint64_t phys_frames_for(uint64_t bytes) { return (bytes + MM_FRAME_MASK) >> MM_FRAME_SHIFT; }

#endif  // MM_PHYS_TYPES_H
