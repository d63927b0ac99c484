// sim_memory.cc: lazily backed simulated physical memory (see sim_memory.h).
#include "mm/testing/sim_memory.h"

#include <cstring>

namespace mm_testing {

SimMemory::SimMemory(phys_addr_t base, uint64_t size) : base_(base), size_(size) {
  window_.map = &SimMemory::MapThunk;
  window_.ctx = this;
}

void *SimMemory::MapThunk(void *ctx, phys_addr_t phys, uint64_t bytes) {
  return static_cast<SimMemory *>(ctx)->Map(phys, bytes);
}

void *SimMemory::Map(phys_addr_t phys, uint64_t bytes) {
  if (fail_ || bytes == 0 || phys < base_ || phys - base_ > size_ || bytes > size_ - (phys - base_)) {
    return nullptr;
  }
  for (auto it = blocks_.rbegin(); it != blocks_.rend(); ++it) {
    if (it->base <= phys && phys - it->base <= it->bytes && bytes <= it->bytes - (phys - it->base)) {
      return it->data.get() + (phys - it->base);
    }
  }
  // Round the new block out to whole frames so a later map of the same frames finds it.
  phys_addr_t b = phys & ~MM_FRAME_MASK;
  uint64_t e = (phys + bytes + MM_FRAME_MASK) & ~MM_FRAME_MASK;
  Block blk{b, e - b, std::unique_ptr<uint8_t[]>(new uint8_t[e - b])};
  std::memset(blk.data.get(), 0, e - b);
  host_bytes_ += e - b;
  blocks_.push_back(std::move(blk));
  return blocks_.back().data.get() + (phys - b);
}

}  // namespace mm_testing
