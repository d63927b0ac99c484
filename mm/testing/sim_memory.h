// sim_memory.h: simulated physical memory for host tests, fuzzers and benchmarks.
//
// The allocator only ever touches its own bookkeeping frames (carved arrays, grown tables, bitmap frames,
// parked-range nodes), so the simulation backs lazily exactly the ranges it is asked to map: each request that
// no existing block covers gets a new zeroed host block for exactly that range. Blocks are never freed before
// the SimMemory itself, so every pointer handed out stays valid; when ranges overlap (a block given back and
// its frames reused in another role), the newest block covering a range wins, which is the role the frames
// have now. A 4 GiB or 384 GiB simulated machine therefore costs only its bookkeeping in host memory.
#ifndef MM_TESTING_SIM_MEMORY_H
#define MM_TESTING_SIM_MEMORY_H

#include <cstdint>
#include <memory>
#include <vector>

extern "C" {
#include "mm/mm_types.h"
}

namespace mm_testing {

class SimMemory {
 public:
  // Only [base, base + size) can be mapped; anything else returns NULL (as an unbacked window would).
  SimMemory(phys_addr_t base = 0, uint64_t size = UINT64_MAX);
  SimMemory(const SimMemory &) = delete;
  SimMemory &operator=(const SimMemory &) = delete;

  // The window to hand to mm/: map(ctx, phys, bytes) -> host pointer or NULL.
  const mm_phys_window *window() const { return &window_; }
  void *Map(phys_addr_t phys, uint64_t bytes);
  // Host bytes currently allocated for backing (for benchmarks that want to show the simulation is lazy).
  uint64_t host_bytes() const { return host_bytes_; }
  // Makes every later Map fail (tests of the NULL-window path).
  void set_fail(bool fail) { fail_ = fail; }

 private:
  struct Block {
    phys_addr_t base;
    uint64_t bytes;
    std::unique_ptr<uint8_t[]> data;
  };
  static void *MapThunk(void *ctx, phys_addr_t phys, uint64_t bytes);

  phys_addr_t base_;
  uint64_t size_;
  bool fail_ = false;
  uint64_t host_bytes_ = 0;
  std::vector<Block> blocks_;  // creation order; searched newest first
  mm_phys_window window_;
};

}  // namespace mm_testing

#endif  // MM_TESTING_SIM_MEMORY_H
