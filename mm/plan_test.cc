// Tests for plan.c: they pin the headroom policy documented at the top of plan.c.
#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "mm/testing/efi_map_builder.h"
#include "mm/testing/log_capture.h"

extern "C" {
#include "mm/phys_alloc.h"
#include "mm/plan.h"
#include "mm/reservations.h"
}

namespace {

using mm_testing::Desc;
using mm_testing::LogCapture;
using mm_testing::Normalize;
using mm_testing::NormalizedMap;

constexpr uint64_t kFrame = MM_FRAME_SIZE;

// A map with `n` separate conventional regions, a reserved frame between each pair.
NormalizedMap MapWithRegions(uint64_t n) {
  std::vector<mm_efi_descriptor> d;
  for (uint64_t i = 0; i < n; i++) {
    d.push_back(Desc(MM_EFI_CONVENTIONAL_MEMORY, 0x100000 + i * 0x10000, 8));
    d.push_back(Desc(MM_EFI_RESERVED_MEMORY, 0x100000 + i * 0x10000 + 8 * kFrame, 1));
  }
  return Normalize(d);
}

// The policy, written out independently of plan.c.
uint64_t Expected(uint64_t base, uint64_t entry) {
  uint64_t slots = base + std::max<uint64_t>(16, base / 4);
  uint64_t frames = (slots * entry + kFrame - 1) / kFrame;
  return frames * kFrame / entry;
}

TEST(RuntimeStoragePlan, EntrySizesAreWhatThePolicyAssumes) {
  EXPECT_EQ(sizeof(mm_range), 16u);
  EXPECT_EQ(sizeof(mm_reservation), 48u);
}

TEST(RuntimeStoragePlan, SmallMapGetsMinimumHeadroomAndOneFrameEach) {
  NormalizedMap m = MapWithRegions(3);
  ASSERT_EQ(m.status, MM_OK);
  mm_storage_plan p = runtime_storage_plan(&m.map, 0);
  EXPECT_EQ(p.conventional_regions, 3u);
  EXPECT_EQ(p.reservations, 2u);  // just the two carved buffers
  EXPECT_EQ(p.free_slots, 256u);  // 3 + 2 + 16 = 21 entries -> one 4 KiB frame of 16-byte runs
  EXPECT_EQ(p.reserved_slots, 73u);  // 2 + 16 = 18 entries -> one frame of 56-byte slots (entry + prefix max)
}

TEST(RuntimeStoragePlan, LargeCountsGetAQuarterMoreThenRoundToFrames) {
  NormalizedMap m = MapWithRegions(1000);
  ASSERT_EQ(m.status, MM_OK);
  mm_storage_plan p = runtime_storage_plan(&m.map, 100);
  EXPECT_EQ(p.conventional_regions, 1000u);
  EXPECT_EQ(p.reservations, 102u);
  // free: 1102 + 275 = 1377 runs = 22032 bytes -> 6 frames -> 1536 runs.
  EXPECT_EQ(p.free_slots, 1536u);
  // reserved: 102 + 25 = 127 slots = 7112 bytes -> 2 frames -> 146 slots of 56 bytes.
  EXPECT_EQ(p.reserved_slots, 146u);
}

TEST(RuntimeStoragePlan, HeadroomSwitchesFromSixteenToAQuarterAtSixtyFour) {
  NormalizedMap m = MapWithRegions(1);
  ASSERT_EQ(m.status, MM_OK);
  for (uint64_t pending : {0u, 10u, 61u, 62u, 63u, 64u, 65u, 66u, 200u, 1000u, 5000u}) {
    mm_storage_plan p = runtime_storage_plan(&m.map, pending);
    EXPECT_EQ(p.reservations, pending + 2);
    EXPECT_EQ(p.free_slots, Expected(1 + pending + 2, sizeof(mm_range))) << pending;
    EXPECT_EQ(p.reserved_slots, Expected(pending + 2, mm_phys_reservation_slot_bytes())) << pending;
  }
}

TEST(RuntimeStoragePlan, EveryReservationCanSplitARegionWithSlackLeft) {
  for (uint64_t regions : {1u, 7u, 300u}) {
    NormalizedMap m = MapWithRegions(regions);
    for (uint64_t pending : {0u, 5u, 900u}) {
      mm_storage_plan p = runtime_storage_plan(&m.map, pending);
      EXPECT_GE(p.free_slots, regions + pending + 2 + 16);
      EXPECT_GE(p.reserved_slots, pending + 2 + 16);
    }
  }
}

TEST(RuntimeStoragePlan, ArraysFillWholeFramesExactly) {
  for (uint64_t regions : {1u, 2u, 50u, 257u, 999u}) {
    NormalizedMap m = MapWithRegions(regions);
    for (uint64_t pending : {0u, 3u, 84u, 85u, 86u, 400u}) {
      mm_storage_plan p = runtime_storage_plan(&m.map, pending);
      uint64_t free_bytes = p.free_slots * sizeof(mm_range);
      uint64_t free_frames = (free_bytes + kFrame - 1) / kFrame;
      EXPECT_LT(free_frames * kFrame - free_bytes, sizeof(mm_range));
      uint64_t res_bytes = p.reserved_slots * mm_phys_reservation_slot_bytes();
      uint64_t res_frames = (res_bytes + kFrame - 1) / kFrame;
      EXPECT_LT(res_frames * kFrame - res_bytes, mm_phys_reservation_slot_bytes());
    }
  }
}

// The plan sizes the carve with the allocator's own statement of its bookkeeping (phys_alloc.h), never with a
// layout of its own: the slots it plans fill exactly the whole frames the allocator says they need.
TEST(RuntimeStoragePlan, UsesTheAllocatorsStatedStorageSize) {
  EXPECT_EQ(mm_phys_run_slot_bytes(), sizeof(mm_range));
  EXPECT_EQ(mm_phys_reservation_slot_bytes(), sizeof(mm_reservation) + sizeof(uint64_t));  // entry + prefix max
  for (uint64_t regions : {1u, 50u, 999u}) {
    NormalizedMap m = MapWithRegions(regions);
    for (uint64_t pending : {0u, 85u, 400u}) {
      mm_storage_plan p = runtime_storage_plan(&m.map, pending);
      uint64_t bytes = mm_phys_storage_bytes(p.free_slots, p.reserved_slots);
      EXPECT_EQ(bytes % kFrame, 0u);
      // One slot more in either array would need another frame.
      EXPECT_EQ(mm_phys_storage_bytes(p.free_slots + 1, p.reserved_slots), bytes + kFrame);
      EXPECT_EQ(mm_phys_storage_bytes(p.free_slots, p.reserved_slots + 1), bytes + kFrame);
    }
  }
  EXPECT_EQ(mm_phys_storage_bytes(UINT64_MAX, 1), UINT64_MAX);
  EXPECT_EQ(mm_phys_storage_bytes(0, 0), 0u);
}

TEST(RuntimeStoragePlan, NullMapCountsNoConventionalRegions) {
  mm_storage_plan p = runtime_storage_plan(nullptr, 0);
  EXPECT_EQ(p.conventional_regions, 0u);
  EXPECT_EQ(p.free_slots, 256u);
}

TEST(RuntimeStoragePlan, AbsurdReservationCountsAreClampedNotWrapped) {
  NormalizedMap m = MapWithRegions(1);
  mm_storage_plan p = runtime_storage_plan(&m.map, UINT64_MAX);
  EXPECT_GT(p.free_slots, uint64_t{1} << 40);
  EXPECT_GT(p.reserved_slots, uint64_t{1} << 40);
  EXPECT_LT(p.reserved_slots, UINT64_MAX / mm_phys_reservation_slot_bytes());
}

TEST(RuntimeStoragePlan, LogsThePlanAtDebugLevelOnly) {
  NormalizedMap m = MapWithRegions(3);
  {
    LogCapture cap(LOG_INFO);
    runtime_storage_plan(&m.map, 4);
    EXPECT_TRUE(cap.Events("mm.plan").empty());
  }
  LogCapture cap(LOG_DEBUG);
  runtime_storage_plan(&m.map, 4);
  ASSERT_EQ(cap.Events("mm.plan").size(), 1u);
  EXPECT_EQ(cap.Events("mm.plan")[0], "mm.plan free_slots=256 reserved_slots=73 conventional_regions=3 reservations=6");
}

}  // namespace
