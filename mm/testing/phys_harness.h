// phys_harness.h: builds a runtime allocator over simulated memory from hand-written regions and
// reservations through the bring-up's own hand-off entry (mm_handoff_into), with the carved arrays placed and
// sized by the test (tiny arrays exercise growth) and recorded as bookkeeping reservations by the entry.
#ifndef MM_TESTING_PHYS_HARNESS_H
#define MM_TESTING_PHYS_HARNESS_H

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "mm/testing/sim_phys.h"

extern "C" {
#include "mm/handoff.h"
#include "mm/phys_alloc.h"
}

namespace mm_testing {

struct RegionSpec {
  phys_addr_t base;
  phys_addr_t end;
  mm_region_type type;
};

struct ReservationSpec {
  phys_addr_t base;
  phys_addr_t end;
  mm_reservation_kind kind;
  const char *label;
};

class PhysHarness {
 public:
  // Regions must be sorted and disjoint. The carved arrays are placed at carve_at (inside usable memory) and
  // recorded as MM_RES_BOOKKEEPING "free_runs" / "reserved", like carve_option_storage does. On failure the
  // reservation set is as the test gave it (the entry rolls back).
  mm_status Build(const std::vector<RegionSpec> &regions, const std::vector<ReservationSpec> &reservations,
                  phys_addr_t carve_at, uint64_t runs_bytes = MM_FRAME_SIZE, uint64_t res_bytes = MM_FRAME_SIZE) {
    regions_.clear();
    for (const auto &r : regions) {
      mm_region m{};
      m.base = r.base;
      m.end = r.end;
      m.type = r.type;
      regions_.push_back(m);
    }
    std::memset(&map_, 0, sizeof(map_));
    map_.regions = regions_.data();
    map_.region_count = regions_.size();
    map_.phys_addr_bits = 52;
    set_storage_.assign(reservations.size() + 4, mm_reservation{});
    mm_reservation_set_init(&set_, set_storage_.data(), set_storage_.size());
    for (const auto &r : reservations) {
      if (mm_reservation_add(&set_, r.base, r.end - r.base, r.kind, r.label) != MM_OK) std::abort();
    }
    std::memset(&carved_, 0, sizeof(carved_));
    carved_.free_runs_phys = carve_at;
    carved_.free_runs_bytes = runs_bytes;
    carved_.reserved_phys = carve_at + ((runs_bytes + MM_FRAME_MASK) & ~MM_FRAME_MASK);
    carved_.reserved_bytes = res_bytes;
    storage_.reset(new uint64_t[(mm_phys_allocator_size() + 7) / 8]);
    alloc_ = reinterpret_cast<mm_phys_allocator *>(storage_.get());
    mm_handoff_options options{};
    options.carved = &carved_;
    mm_handoff_result handed;
    return mm_handoff_into(alloc_, &map_, &set_, sim_.window(), &options, &handed);
  }

  mm_phys_allocator *alloc() { return alloc_; }
  const mm_firmware_map *map() const { return &map_; }
  const mm_reservation_set *set() const { return &set_; }
  const mm_carved_storage *carved() const { return &carved_; }
  SimPhys &sim() { return sim_; }

  // "" when the invariants hold, else the checker's reason.
  std::string Check() const {
    const char *why = nullptr;
    if (mm_phys_check_invariants(alloc_, &why) == MM_OK) return "";
    return why ? why : "(no reason)";
  }

 private:
  std::vector<mm_region> regions_;
  mm_firmware_map map_{};
  std::vector<mm_reservation> set_storage_;
  mm_reservation_set set_{};
  mm_carved_storage carved_{};
  SimPhys sim_;
  std::unique_ptr<uint64_t[]> storage_;
  mm_phys_allocator *alloc_ = nullptr;
};

}  // namespace mm_testing

#endif  // MM_TESTING_PHYS_HARNESS_H
