// Tests for the managed-memory layer (phys_managed.c) through its own type, phys_managed: which regions are
// managed before and after reclaim, coverage queries across holes and region edges, and the count of managed
// frames inside a reservation table's union.
#include <cstdint>
#include <cstring>
#include <vector>

#include "gtest/gtest.h"

extern "C" {
#include "mm/phys_managed.h"
}

namespace {

constexpr uint64_t kF = MM_FRAME_SIZE;
constexpr uint64_t kMiB = 1ull << 20;

mm_region Region(phys_addr_t base, phys_addr_t end, mm_region_type type) {
  mm_region r;
  std::memset(&r, 0, sizeof(r));
  r.base = base;
  r.end = end;
  r.type = type;
  return r;
}

mm_reservation Res(phys_addr_t base, phys_addr_t end) {
  mm_reservation r;
  std::memset(&r, 0, sizeof(r));
  r.base = base;
  r.end = end;
  r.kind = MM_RES_FIRMWARE;
  return r;
}

class PhysManaged : public ::testing::Test {
 protected:
  // [0, 1M) usable, [1M, 2M) boot services, [2M, 3M) reserved, [3M, 4M) loader, hole, [6M, 8M) usable.
  void SetUp() override {
    regions_ = {Region(0, 1 * kMiB, MM_REGION_USABLE), Region(1 * kMiB, 2 * kMiB, MM_REGION_BOOT_SERVICES),
                Region(2 * kMiB, 3 * kMiB, MM_REGION_RESERVED), Region(3 * kMiB, 4 * kMiB, MM_REGION_LOADER),
                Region(6 * kMiB, 8 * kMiB, MM_REGION_USABLE)};
    std::memset(&map_, 0, sizeof(map_));
    map_.regions = regions_.data();
    map_.region_count = regions_.size();
    phys_managed_init(&m_, &map_);
  }
  std::vector<mm_region> regions_;
  mm_firmware_map map_;
  phys_managed m_;
};

TEST_F(PhysManaged, OnlyUsableRegionsAreManagedBeforeReclaim) {
  EXPECT_EQ(m_.map, &map_);
  EXPECT_FALSE(m_.reclaimed);
  EXPECT_EQ(m_.frames, (1 * kMiB + 2 * kMiB) / kF);
  EXPECT_EQ(phys_count_managed(&m_), m_.frames);
  EXPECT_TRUE(phys_region_managed(&m_, &regions_[0]));
  EXPECT_FALSE(phys_region_managed(&m_, &regions_[1]));
  EXPECT_FALSE(phys_region_managed(&m_, &regions_[2]));
  EXPECT_FALSE(phys_region_managed(&m_, &regions_[3]));
}

TEST_F(PhysManaged, ReclaimManagesBootAndLoaderRegionsOnce) {
  ASSERT_TRUE(phys_managed_reclaim(&m_));
  EXPECT_TRUE(m_.reclaimed);
  EXPECT_EQ(m_.frames, (1 * kMiB + 1 * kMiB + 1 * kMiB + 2 * kMiB) / kF);
  EXPECT_TRUE(phys_region_managed(&m_, &regions_[1]));
  EXPECT_TRUE(phys_region_managed(&m_, &regions_[3]));
  EXPECT_FALSE(phys_region_managed(&m_, &regions_[2]));  // reserved stays unmanaged
  // A second reclaim changes nothing and says so.
  uint64_t frames = m_.frames;
  EXPECT_FALSE(phys_managed_reclaim(&m_));
  EXPECT_EQ(m_.frames, frames);
}

TEST_F(PhysManaged, CoversNeedsEveryFrameManagedAcrossRegionEdges) {
  EXPECT_TRUE(phys_managed_covers(&m_, 0, 1 * kMiB));
  EXPECT_TRUE(phys_managed_covers(&m_, 6 * kMiB + kF, 7 * kMiB));
  EXPECT_FALSE(phys_managed_covers(&m_, 1 * kMiB - kF, 1 * kMiB + kF));  // runs into boot services
  ASSERT_TRUE(phys_managed_reclaim(&m_));
  EXPECT_TRUE(phys_managed_covers(&m_, 0, 2 * kMiB));               // usable then boot services, adjacent
  EXPECT_FALSE(phys_managed_covers(&m_, 1 * kMiB, 3 * kMiB + kF));  // crosses the reserved region
  EXPECT_FALSE(phys_managed_covers(&m_, 3 * kMiB, 6 * kMiB + kF));  // crosses the hole
  EXPECT_FALSE(phys_managed_covers(&m_, 5 * kMiB, 5 * kMiB + kF));  // inside the hole
  EXPECT_FALSE(phys_managed_covers(&m_, 7 * kMiB, 9 * kMiB));       // runs past the last region
}

TEST_F(PhysManaged, CoversIsFalseBelowTheFirstRegion) {
  regions_.erase(regions_.begin());  // the map now starts at 1 MiB
  map_.regions = regions_.data();
  map_.region_count = regions_.size();
  phys_managed_init(&m_, &map_);
  ASSERT_TRUE(phys_managed_reclaim(&m_));
  EXPECT_FALSE(phys_managed_covers(&m_, 0, kF));
  EXPECT_TRUE(phys_managed_covers(&m_, 1 * kMiB, 2 * kMiB));
}

TEST_F(PhysManaged, RegionAtOrBelowFindsTheLastRegionStartingAtOrBelow) {
  EXPECT_EQ(phys_region_at_or_below(&map_, 0), 0u);
  EXPECT_EQ(phys_region_at_or_below(&map_, 1 * kMiB), 1u);
  EXPECT_EQ(phys_region_at_or_below(&map_, 5 * kMiB), 3u);  // in the hole: the loader region below it
  EXPECT_EQ(phys_region_at_or_below(&map_, UINT64_MAX), 4u);
  mm_firmware_map empty;
  std::memset(&empty, 0, sizeof(empty));
  EXPECT_EQ(phys_region_at_or_below(&empty, 0), 0u);  // region_count: there is none
  map_.regions = regions_.data() + 1;
  map_.region_count = regions_.size() - 1;
  EXPECT_EQ(phys_region_at_or_below(&map_, 0), map_.region_count);
}

TEST_F(PhysManaged, ReservedCountIsTheUnionOfEntriesInsideManagedMemory) {
  // Overlapping entries count once; the parts over unmanaged memory (boot services before reclaim, the
  // reserved region, the hole) count nothing.
  std::vector<mm_reservation> e = {Res(512 * 1024, 1536 * 1024), Res(600 * 1024, 700 * 1024), Res(2 * kMiB, 3 * kMiB),
                                   Res(5 * kMiB, 7 * kMiB)};
  mm_res_table t = {e.data(), nullptr, e.size(), e.size()};
  EXPECT_EQ(phys_count_reserved_managed(&m_, &t), (512 * 1024 + 1 * kMiB) / kF);
  ASSERT_TRUE(phys_managed_reclaim(&m_));
  EXPECT_EQ(phys_count_reserved_managed(&m_, &t), (1 * kMiB + 1 * kMiB) / kF);
  mm_res_table none = {e.data(), nullptr, 0, e.size()};
  EXPECT_EQ(phys_count_reserved_managed(&m_, &none), 0u);
}

}  // namespace
