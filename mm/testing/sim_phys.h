// sim_phys.h: test-only simulated physical memory behind an mm_phys_window.
//
// Physical addresses may be anywhere in the 64-bit space, so nothing is backed up front. A map() of a span
// that an existing block covers returns a pointer into the newest such block; otherwise a new host block is
// made for exactly that span, pre-filled with the bytes of older blocks it overlaps and a junk byte
// elsewhere (so tests can see what mm/ zeroed). Blocks are never moved or freed before the SimPhys, so
// every pointer handed out stays valid. A byte budget, a call budget and unbacked holes make map() fail
// the way an unbacked address does.
#ifndef MM_TESTING_SIM_PHYS_H
#define MM_TESTING_SIM_PHYS_H

#include <cstdint>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

extern "C" {
#include "mm/mm_types.h"
}

namespace mm_testing {

class SimPhys {
 public:
  explicit SimPhys(uint64_t budget_bytes = uint64_t{1} << 30, uint8_t junk = 0xcd)
      : budget_(budget_bytes), junk_(junk) {
    window_.map = &SimPhys::Map;
    window_.ctx = this;
  }
  SimPhys(const SimPhys&) = delete;
  SimPhys& operator=(const SimPhys&) = delete;

  const mm_phys_window* window() const { return &window_; }
  uint64_t maps() const { return maps_; }
  uint64_t backed_bytes() const { return used_; }
  // Makes every later map() return NULL after `n` more successful calls (UINT64_MAX: never).
  void FailAfter(uint64_t n) { fail_after_ = n; }
  // Refuses spans that intersect [base, end).
  void Unbacked(uint64_t base, uint64_t end) { holes_.push_back({base, end}); }

  // The host address of [phys, phys+bytes) in the newest block covering it, or nullptr.
  uint8_t* Peek(uint64_t phys, uint64_t bytes) {
    for (auto it = blocks_.rbegin(); it != blocks_.rend(); ++it) {
      if (it->base <= phys && phys - it->base <= it->bytes && it->bytes - (phys - it->base) >= bytes) {
        return it->data.get() + (phys - it->base);
      }
    }
    return nullptr;
  }

 private:
  struct Block {
    uint64_t base;
    uint64_t bytes;
    std::unique_ptr<uint8_t[]> data;
  };

  static void* Map(void* ctx, phys_addr_t phys, uint64_t bytes) {
    return static_cast<SimPhys*>(ctx)->DoMap(phys, bytes);
  }

  void* DoMap(uint64_t phys, uint64_t bytes) {
    if (fail_after_ == 0) return nullptr;
    if (bytes == 0 || bytes > UINT64_MAX - phys) return nullptr;
    const uint64_t end = phys + bytes;
    for (const auto& h : holes_) {
      if (phys < h.second && h.first < end) return nullptr;
    }
    if (uint8_t* p = Peek(phys, bytes)) return Count(p);
    if (bytes > budget_ - used_) return nullptr;
    Block b{phys, bytes, std::unique_ptr<uint8_t[]>(new uint8_t[bytes])};
    std::memset(b.data.get(), junk_, bytes);
    for (const Block& old : blocks_) {  // oldest first, so newer contents overwrite older ones
      uint64_t lo = old.base > phys ? old.base : phys;
      uint64_t hi = old.base + old.bytes < end ? old.base + old.bytes : end;
      if (lo < hi) std::memcpy(b.data.get() + (lo - phys), old.data.get() + (lo - old.base), hi - lo);
    }
    used_ += bytes;
    blocks_.push_back(std::move(b));
    return Count(blocks_.back().data.get());
  }

  void* Count(uint8_t* p) {
    maps_++;
    if (fail_after_ != UINT64_MAX) fail_after_--;
    return p;
  }

  mm_phys_window window_;
  uint64_t budget_;
  uint8_t junk_;
  uint64_t used_ = 0;
  uint64_t maps_ = 0;
  uint64_t fail_after_ = UINT64_MAX;
  std::vector<std::pair<uint64_t, uint64_t>> holes_;
  std::vector<Block> blocks_;
};

}  // namespace mm_testing

#endif  // MM_TESTING_SIM_PHYS_H
