// sim_phys.h: the RAII wrapper of the one simulated physical memory (//tools/hostlib:sim_physmem) for C++
// tests, fuzzers and the benchmark.
//
// The whole 64-bit space is RAM and backed lazily: each map() gets host memory for the frames it touches
// (sim_physmem.h has the rules: sorted chunks, merging, retired buffers that keep old pointers valid). New
// frames start as a junk byte (0xcd unless given), so a test can see exactly what mm/ zeroed. A byte budget,
// a fail-after count and unbacked holes make map() fail the way an unbacked address does (NULL, which mm/
// turns into MM_ERR_NO_MEMORY). Everything the C struct counts is reachable through c().
#ifndef MM_TESTING_SIM_PHYS_H
#define MM_TESTING_SIM_PHYS_H

#include <cstdint>

extern "C" {
#include "mm/mm_types.h"
#include "tools/hostlib/sim_physmem.h"
}

namespace mm_testing {

class SimPhys {
 public:
  static constexpr uint64_t kDefaultBudget = uint64_t{1} << 30;
  static constexpr uint8_t kJunk = 0xcd;

  explicit SimPhys(uint64_t budget_bytes = kDefaultBudget, uint8_t junk = kJunk) {
    sim_physmem_init(&sim_, budget_bytes);
    sim_physmem_set_fill(&sim_, junk);
    sim_physmem_add_all_ram(&sim_);
    window_ = sim_physmem_window(&sim_);
  }
  ~SimPhys() { sim_physmem_destroy(&sim_); }
  SimPhys(const SimPhys&) = delete;
  SimPhys& operator=(const SimPhys&) = delete;

  // The window to hand to mm/.
  const mm_phys_window* window() const { return &window_; }
  // What the window's map() does (counted, may back new frames).
  void* Map(phys_addr_t phys, uint64_t bytes) { return sim_physmem_map(&sim_, phys, bytes); }
  // Successful map() calls so far.
  uint64_t maps() const { return sim_.maps; }
  // Bytes backed now, and host bytes ever allocated (what the budget limits).
  uint64_t backed_bytes() const { return sim_.backed_bytes; }
  uint64_t host_bytes() const { return sim_.host_bytes; }
  // Makes every later map() return NULL after `n` more successful calls (SIM_PHYSMEM_NEVER_FAIL: never).
  void FailAfter(uint64_t n) { sim_physmem_fail_after(&sim_, n); }
  // Refuses every later map() of a span that intersects [base, end).
  void Unbacked(phys_addr_t base, phys_addr_t end) { sim_physmem_add_hole(&sim_, base, end); }
  // The host address of [phys, phys+bytes) if it is backed, or nullptr; counts and backs nothing.
  uint8_t* Peek(phys_addr_t phys, uint64_t bytes) const { return sim_physmem_peek(&sim_, phys, bytes); }
  // The C object, for its counters.
  const sim_physmem& c() const { return sim_; }

 private:
  sim_physmem sim_;
  mm_phys_window window_;
};

}  // namespace mm_testing

#endif  // MM_TESTING_SIM_PHYS_H
