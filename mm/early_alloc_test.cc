// Tests for early_alloc.c, after the memblock alloc scenarios: simple, second fit, small gaps, everything
// reserved, no space, alignment, near the maximum address, reservation set full.
#include <cstdint>
#include <cstring>
#include <vector>

#include "gtest/gtest.h"
#include "mm/testing/efi_map_builder.h"

extern "C" {
#include "mm/early_alloc.h"
}

namespace {

using mm_testing::Desc;
using mm_testing::Normalize;
using mm_testing::NormalizedMap;

constexpr uint64_t kFrame = MM_FRAME_SIZE;
constexpr uint32_t kConv = MM_EFI_CONVENTIONAL_MEMORY;

class EarlyAlloc : public ::testing::Test {
 protected:
  void Init(const std::vector<mm_efi_descriptor>& descs, uint64_t capacity = 32, unsigned bits = 52) {
    map_ = Normalize(descs, bits);
    ASSERT_EQ(map_.status, MM_OK);
    storage_.assign(capacity, mm_reservation{});
    mm_reservation_set_init(&set_, storage_.data(), capacity);
    mm_early_init(&early_, &map_.map, &set_);
  }

  void Reserve(uint64_t base, uint64_t bytes) {
    ASSERT_EQ(mm_reservation_add(&set_, base, bytes, MM_RES_FIRMWARE, "fw"), MM_OK);
  }

  // Expects an error and that neither the set nor the counters moved.
  void ExpectFailsUnchanged(uint64_t count, uint64_t align, mm_status want) {
    std::vector<mm_reservation> before(set_.entries, set_.entries + set_.count);
    uint64_t allocated = early_.frames_allocated;
    phys_addr_t out = 0xdead;
    EXPECT_EQ(mm_early_alloc(&early_, count, align, MM_RES_EARLY_ALLOC, "x", &out), want);
    EXPECT_EQ(out, 0xdeadu);
    ASSERT_EQ(set_.count, before.size());
    if (!before.empty()) {
      EXPECT_EQ(std::memcmp(set_.entries, before.data(), before.size() * sizeof(mm_reservation)), 0);
    }
    EXPECT_EQ(early_.frames_allocated, allocated);
  }

  phys_addr_t Alloc(uint64_t count, uint64_t align = kFrame) {
    phys_addr_t out = 0;
    EXPECT_EQ(mm_early_alloc(&early_, count, align, MM_RES_EARLY_ALLOC, "early", &out), MM_OK);
    return out;
  }

  NormalizedMap map_;
  std::vector<mm_reservation> storage_;
  mm_reservation_set set_;
  mm_early_allocator early_;
};

TEST_F(EarlyAlloc, SimpleAllocationTakesTheLowestUsableFrames) {
  Init({Desc(kConv, 0x100000, 16), Desc(kConv, 0x200000, 16)});
  EXPECT_EQ(Alloc(2), 0x100000u);
  EXPECT_EQ(Alloc(1), 0x102000u);
  EXPECT_EQ(early_.frames_allocated, 3u);
}

TEST_F(EarlyAlloc, AllocationIsRecordedAsAReservationOfTheGivenKind) {
  Init({Desc(kConv, 0x100000, 16)});
  phys_addr_t out = 0;
  ASSERT_EQ(mm_early_alloc(&early_, 3, kFrame, MM_RES_PAGE_TABLES, "pml4", &out), MM_OK);
  ASSERT_EQ(set_.count, 1u);
  EXPECT_EQ(set_.entries[0].base, out);
  EXPECT_EQ(set_.entries[0].end, out + 3 * kFrame);
  EXPECT_EQ(set_.entries[0].kind, MM_RES_PAGE_TABLES);
  EXPECT_STREQ(set_.entries[0].label, "pml4");
}

TEST_F(EarlyAlloc, SecondFitWhenTheFirstRegionIsTooSmall) {
  Init({Desc(kConv, 0x1000, 2), Desc(kConv, 0x100000, 8)});
  EXPECT_EQ(Alloc(4), 0x100000u);
  EXPECT_EQ(Alloc(2), 0x1000u);  // the small region still serves small requests
}

TEST_F(EarlyAlloc, SmallGapsBetweenReservationsAreSkipped) {
  Init({Desc(kConv, 0x100000, 64)});
  // Gaps of 1 and 2 frames between reservations, then open space.
  Reserve(0x100000, kFrame);
  Reserve(0x102000, kFrame);
  Reserve(0x105000, 2 * kFrame);
  EXPECT_EQ(Alloc(3), 0x107000u);
  EXPECT_EQ(Alloc(2), 0x103000u);
  EXPECT_EQ(Alloc(1), 0x101000u);
}

TEST_F(EarlyAlloc, OverlappingReservationsAreSkippedAsTheirUnion) {
  Init({Desc(kConv, 0x100000, 64)});
  Reserve(0x100000, 0x10000);  // [0x100000, 0x110000)
  Reserve(0x101000, kFrame);   // inside the first; its end is lower than the union's
  Reserve(0x10f000, 0x3000);   // sticks out of the top: union ends at 0x112000
  EXPECT_EQ(Alloc(1), 0x112000u);
}

TEST_F(EarlyAlloc, ReservationStraddlingRegionsIsHonouredInBoth) {
  Init({Desc(kConv, 0x100000, 4), Desc(kConv, 0x200000, 4)});
  Reserve(0x102000, 0x100000 + 0x1000);  // from the first region into the second
  EXPECT_EQ(Alloc(2), 0x100000u);
  EXPECT_EQ(Alloc(1), 0x203000u);
}

TEST_F(EarlyAlloc, EverythingReservedIsNoMemoryAndChangesNothing) {
  Init({Desc(kConv, 0x100000, 4), Desc(kConv, 0x200000, 4)});
  Reserve(0x0, 0x300000);
  ExpectFailsUnchanged(1, kFrame, MM_ERR_NO_MEMORY);
}

TEST_F(EarlyAlloc, NoSpaceForARequestLargerThanAnyGap) {
  Init({Desc(kConv, 0x100000, 4), Desc(kConv, 0x105000, 4)});  // not adjacent: two gaps of 4
  ExpectFailsUnchanged(5, kFrame, MM_ERR_NO_MEMORY);
}

TEST_F(EarlyAlloc, AdjacentUsableRegionsMergedByTheMapFormOneGap) {
  Init({Desc(kConv, 0x100000, 4), Desc(kConv, 0x104000, 4)});
  EXPECT_EQ(Alloc(8), 0x100000u);
}

TEST_F(EarlyAlloc, NonUsableRegionsAreNeverHandedOut) {
  Init({Desc(MM_EFI_BOOT_SERVICES_DATA, 0x1000, 16), Desc(MM_EFI_LOADER_DATA, 0x20000, 16), Desc(kConv, 0x80000, 1)});
  EXPECT_EQ(Alloc(1), 0x80000u);
  ExpectFailsUnchanged(1, kFrame, MM_ERR_NO_MEMORY);
}

TEST_F(EarlyAlloc, AlignmentPicksTheFirstAlignedFit) {
  Init({Desc(kConv, 0x101000, 0x400)});  // [0x101000, 0x501000)
  EXPECT_EQ(Alloc(1, 0x200000), 0x200000u);
  EXPECT_EQ(Alloc(1, 0x10000), 0x110000u);
  EXPECT_EQ(Alloc(1), 0x101000u);
  EXPECT_EQ(Alloc(1, 0x200000), 0x400000u);  // 0x200000 is taken now
}

TEST_F(EarlyAlloc, AlignmentThatNoRegionSatisfiesIsNoMemory) {
  Init({Desc(kConv, 0x101000, 0x100)});  // [0x101000, 0x201000): no 2 MiB-aligned block of 2 frames fits
  ExpectFailsUnchanged(2, 0x200000, MM_ERR_NO_MEMORY);
}

TEST_F(EarlyAlloc, ZeroAlignmentMeansOneFrame) {
  Init({Desc(kConv, 0x101000, 4)});
  EXPECT_EQ(Alloc(1, 0), 0x101000u);
}

TEST_F(EarlyAlloc, BadAlignmentIsInvalidArgument) {
  Init({Desc(kConv, 0x100000, 16)});
  ExpectFailsUnchanged(1, 0x800, MM_ERR_INVALID_ARGUMENT);
  ExpectFailsUnchanged(1, 0x3000, MM_ERR_INVALID_ARGUMENT);
  ExpectFailsUnchanged(1, UINT64_MAX, MM_ERR_INVALID_ARGUMENT);
}

TEST_F(EarlyAlloc, ZeroCountIsRejected) {
  Init({Desc(kConv, 0x100000, 16)});
  ExpectFailsUnchanged(0, kFrame, MM_ERR_ZERO_COUNT);
}

TEST_F(EarlyAlloc, HugeCountIsNoMemoryNotAWrap) {
  Init({Desc(kConv, 0x100000, 16)});
  ExpectFailsUnchanged(UINT64_MAX, kFrame, MM_ERR_NO_MEMORY);
  ExpectFailsUnchanged((UINT64_MAX >> 12) + 1, kFrame, MM_ERR_NO_MEMORY);
}

TEST_F(EarlyAlloc, BadKindIsInvalidArgument) {
  Init({Desc(kConv, 0x100000, 16)});
  phys_addr_t out;
  EXPECT_EQ(mm_early_alloc(&early_, 1, kFrame, MM_RES_KIND_COUNT, "x", &out), MM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mm_early_alloc(&early_, 1, kFrame, MM_RES_TEST, "x", nullptr), MM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(set_.count, 0u);
}

TEST_F(EarlyAlloc, FullReservationSetIsStorageTooSmallAndChangesNothing) {
  Init({Desc(kConv, 0x100000, 16)}, /*capacity=*/2);
  Alloc(1);
  Alloc(1);
  ExpectFailsUnchanged(1, kFrame, MM_ERR_STORAGE_TOO_SMALL);
}

TEST_F(EarlyAlloc, ManyAllocationsFillMemoryExactlyThenFail) {
  Init({Desc(kConv, 0x100000, 8), Desc(kConv, 0x300000, 8)}, 64);
  for (int i = 0; i < 16; i++) {
    phys_addr_t p = Alloc(1);
    EXPECT_EQ(p, i < 8 ? 0x100000u + i * kFrame : 0x300000u + (i - 8) * kFrame) << i;
  }
  ExpectFailsUnchanged(1, kFrame, MM_ERR_NO_MEMORY);
  EXPECT_EQ(early_.frames_allocated, 16u);
}

TEST_F(EarlyAlloc, NearTheMaximumAddressTheLastFramesAreUsable) {
  const uint64_t top = UINT64_MAX & ~(kFrame - 1);  // 2^64 - 4096: the highest representable end
  Init({Desc(kConv, top - 4 * kFrame, 4)}, 32, 64);
  Reserve(top - 4 * kFrame, kFrame);
  EXPECT_EQ(Alloc(2), top - 3 * kFrame);
  EXPECT_EQ(Alloc(1), top - kFrame);
  ExpectFailsUnchanged(1, kFrame, MM_ERR_NO_MEMORY);
  // A huge alignment near the top must not wrap around to 0.
  ExpectFailsUnchanged(1, uint64_t{1} << 63, MM_ERR_NO_MEMORY);
}

TEST_F(EarlyAlloc, ReservationsOutsideUsableMemoryDoNotMatter) {
  Init({Desc(kConv, 0x100000, 4)});
  Reserve(0x0, 0x1000);
  Reserve(0x900000, 0x1000);
  EXPECT_EQ(Alloc(4), 0x100000u);
}

TEST(EarlyAllocDeathTest, InitWithoutAMapPanics) {
  mm_early_allocator early;
  mm_reservation_set set;
  EXPECT_DEATH(mm_early_init(&early, nullptr, &set), "panic: mm_early_init");
}

}  // namespace
