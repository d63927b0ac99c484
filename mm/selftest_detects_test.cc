// Tests for selftest.c's own checks on a misbehaving allocator: a frame handed out from inside a reservation,
// and counts that do not return to where they started (a frame kept allocated behind the self-test's back).
#include <cstdint>
#include <vector>

#include "gtest/gtest.h"
#include "mm/testing/efi_map_builder.h"
#include "mm/testing/sim_phys.h"

extern "C" {
#include "mm/handoff.h"
#include "mm/phys_corrupt.h"
#include "mm/selftest.h"
}

namespace {

using mm_testing::Desc;
using mm_testing::Normalize;
using mm_testing::NormalizedMap;
using mm_testing::SimPhys;

constexpr uint64_t kMiB = 1ull << 20;

// An allocator handed over on 64 MiB of RAM from 1 MiB, the null page reserved.
struct Built {
  Built() : map(Normalize({Desc(MM_EFI_CONVENTIONAL_MEMORY, kMiB, 64 * kMiB / MM_FRAME_SIZE)})) {
    storage.assign((mm_phys_allocator_size() + 7) / 8, 0);
    mm_reservation_set_init(&set, res, 16);
    mm_reservation_add(&set, 0, MM_FRAME_SIZE, MM_RES_IDENTITY, "null_page");
    mm_handoff_result r;
    status = map.status == MM_OK ? mm_handoff_into(alloc(), &map.map, &set, phys.window(), nullptr, &r) : map.status;
  }
  mm_phys_allocator *alloc() { return reinterpret_cast<mm_phys_allocator *>(storage.data()); }

  SimPhys phys;
  NormalizedMap map;
  mm_reservation res[16];
  mm_reservation_set set;
  std::vector<uint64_t> storage;
  mm_status status;
};

// The reservation below the lowest free frame is stretched over it (the allocator's free structures are left
// alone), so the allocator hands out a reserved frame: the self-test must refuse it at the first allocation.
TEST(SelftestDetects, AFrameHandedOutFromInsideAReservation) {
  Built b;
  ASSERT_EQ(b.status, MM_OK);
  phys_addr_t frame = 0;
  ASSERT_TRUE(mm_phys_corrupt_reservation_over_free(b.alloc(), &frame, nullptr));
  mm_selftest_result r;
  EXPECT_EQ(mm_selftest_run(b.alloc(), b.phys.window(), nullptr, nullptr, &r), MM_ERR_INVARIANT);
  EXPECT_STREQ(r.failure, "allocation intersects a reservation");
  EXPECT_EQ(r.allocations, 1u);
}

void KeepOneFrame(mm_phys_allocator *a, void *ctx) {
  phys_addr_t frame;
  *static_cast<mm_status *>(ctx) = mm_phys_alloc_frame(a, &frame);
}

// A frame allocated (validly) after the self-test freed its own and before it compares the counts: the state is
// consistent, so only the count check can notice.
TEST(SelftestDetects, CountsThatDoNotReturnToWhereTheyStarted) {
  Built b;
  ASSERT_EQ(b.status, MM_OK);
  mm_status kept = MM_ERR_INVARIANT;
  mm_selftest_result r;
  EXPECT_EQ(mm_selftest_run(b.alloc(), b.phys.window(), KeepOneFrame, &kept, &r), MM_ERR_INVARIANT);
  EXPECT_EQ(kept, MM_OK);
  EXPECT_STREQ(r.failure, "counts did not return to where they started");
  EXPECT_EQ(r.detail, nullptr);
  EXPECT_EQ(r.allocations, MM_SELFTEST_ALLOCATIONS);
}

}  // namespace
