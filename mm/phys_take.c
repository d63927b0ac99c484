// phys_take.c: frames leaving and re-entering the free set with the allocator's accounting, below both the
// public API (phys_alloc.c) and the per-CPU caches (phys_pcpu.c), so neither has to call the other's entry
// points for it (the layers point down: phys_pcpu.c never calls mm_phys_*).
#include "mm/phys_pcpu.h"

#include "mm/log.h"
#include "mm/phys_alloc_internal.h"

// One frame by the single-frame policy of phys_alloc.h (a broken 2 MiB block first), accounted as allocated.
phys_addr_t phys_take_frame(mm_phys_allocator *a) {
  phys_addr_t f = phys_fs_take_frame_fast(&a->fs);
  if (f != PHYS_NONE) {
    a->allocated_frames++;
    phys_finish(a);
  }
  return f;
}

phys_addr_t phys_take_run(mm_phys_allocator *a, uint64_t count, uint64_t align, phys_addr_t lo, phys_addr_t hi) {
  phys_addr_t at = phys_fs_find(&a->fs, count, align, lo, hi);
  if (at == PHYS_NONE) {
    return PHYS_NONE;
  }
  if (phys_fs_remove(&a->fs, at, at + (count << MM_FRAME_SHIFT)) != count) {
    mm_panic("phys_take_run", "found range was not entirely free");
  }
  a->allocated_frames += count;
  phys_finish(a);
  return at;
}

void phys_untake_frame(mm_phys_allocator *a, phys_addr_t frame) {
  if (!phys_fs_add_one(&a->fs, frame)) {
    mm_panic("phys_untake_frame", "the frame was free already");
  }
  a->allocated_frames--;
  phys_finish(a);
}
