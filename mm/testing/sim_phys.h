// sim_phys.h: test-only simulated physical memory behind an mm_phys_window.
//
// Physical addresses may be anywhere in the 64-bit space, so nothing is backed up front: the first map()
// of a span allocates a host buffer for it (filled with a junk byte, so tests can see what was zeroed), keyed
// by its physical base. A later map() inside an existing buffer returns a pointer into it; one that crosses
// buffers is given a fresh buffer covering the union (contents of overlapped buffers copied in). A byte
// budget makes map() fail, the way an unbacked address does.
#ifndef MM_TESTING_SIM_PHYS_H
#define MM_TESTING_SIM_PHYS_H

#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
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

  // The host address of [phys, phys+bytes), or nullptr if never mapped.
  uint8_t* Peek(uint64_t phys, uint64_t bytes) {
    auto it = buffers_.upper_bound(phys);
    if (it == buffers_.begin()) return nullptr;
    --it;
    uint64_t off = phys - it->first;
    if (off > it->second.size() || it->second.size() - off < bytes) return nullptr;
    return it->second.data() + off;
  }

 private:
  static void* Map(void* ctx, phys_addr_t phys, uint64_t bytes) {
    return static_cast<SimPhys*>(ctx)->DoMap(phys, bytes);
  }

  void* DoMap(uint64_t phys, uint64_t bytes) {
    if (fail_after_ == 0) return nullptr;
    if (bytes == 0 || bytes > UINT64_MAX - phys) return nullptr;
    uint64_t end = phys + bytes;
    for (const auto& h : holes_) {
      if (phys < h.second && h.first < end) return nullptr;
    }
    if (uint8_t* p = Peek(phys, bytes)) return Count(p);
    // Merge every buffer that intersects [phys, end) into one new buffer.
    uint64_t lo = phys, hi = end;
    auto it = buffers_.upper_bound(phys);
    if (it != buffers_.begin()) --it;
    std::vector<uint64_t> victims;
    for (; it != buffers_.end() && it->first < end; ++it) {
      uint64_t b = it->first, e = b + it->second.size();
      if (e <= phys) continue;
      victims.push_back(b);
      if (b < lo) lo = b;
      if (e > hi) hi = e;
    }
    uint64_t grow = hi - lo;
    for (uint64_t v : victims) grow -= buffers_[v].size();
    if (grow > budget_ - used_ || hi - lo > (uint64_t{1} << 34)) return nullptr;
    std::vector<uint8_t> merged(static_cast<size_t>(hi - lo), junk_);
    for (uint64_t v : victims) {
      std::memcpy(merged.data() + (v - lo), buffers_[v].data(), buffers_[v].size());
      buffers_.erase(v);
    }
    used_ += grow;
    auto& slot = buffers_[lo];
    slot = std::move(merged);
    return Count(slot.data() + (phys - lo));
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
  std::map<uint64_t, std::vector<uint8_t>> buffers_;
};

}  // namespace mm_testing

#endif  // MM_TESTING_SIM_PHYS_H
