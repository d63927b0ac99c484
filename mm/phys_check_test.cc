// Proof of the invariant checker (phys_check.c): every reason mm_phys_check_invariants can give is produced by
// a test that corrupts exactly that structure (mm/phys_corrupt.h) and expects exactly that reason.
#include <cstdint>
#include <string>

#include "gtest/gtest.h"
#include "mm/testing/phys_harness.h"

extern "C" {
#include "mm/phys_alloc_internal.h"
#include "mm/phys_corrupt.h"
}

namespace {

using mm_testing::PhysHarness;

constexpr uint64_t kF = MM_FRAME_SIZE;
constexpr uint64_t kMiB = 1ull << 20;

const char kOverlap[] = "free/reserved overlap: a free frame lies inside a reservation";

class PhysCheck : public ::testing::Test {
 protected:
  // One usable region [16 MiB, 200 MiB): tiny carved arrays (so the run array and the reservation table are
  // grown from the allocator and recorded as phys.runs / phys.reserved), a bitmap span at 128 MiB (the region
  // ends inside it) holding a reservation, and several runs below it, the last ending at 128 MiB.
  void SetUp() override {
    ASSERT_EQ(h_.Build({{16 * kMiB, 200 * kMiB, MM_REGION_USABLE}}, {}, 16 * kMiB, 2 * sizeof(mm_range),
                       3 * (sizeof(mm_reservation) + 8)),
              MM_OK);
    for (int i = 0; i < 40; i++) ASSERT_EQ(mm_phys_alloc_fixed(a(), 130 * kMiB + 2 * i * kF, 1), MM_OK);
    ASSERT_EQ(mm_phys_reserve(a(), 150 * kMiB, 4 * kF, MM_RES_TEST, "in_span"), MM_OK);
    for (int i = 0; i < 4; i++) ASSERT_EQ(mm_phys_reserve(a(), 60 * kMiB + i * 2 * kF, kF, MM_RES_TEST, "t"), MM_OK);
    ASSERT_EQ(h_.Check(), "");
    ASSERT_EQ(a()->fs.spans.count, 1u);
    ASSERT_EQ(a()->fs.spans.items[0].base, 128 * kMiB);
    ASSERT_GE(a()->fs.run_count, 2u);
    ASSERT_EQ(a()->fs.runs[a()->fs.run_count - 1].end, 128 * kMiB);
    ASSERT_FALSE(a()->fs.runs_block.carved);
    ASSERT_FALSE(a()->res.block.carved);
  }
  mm_phys_allocator *a() { return h_.alloc(); }
  // Applies `what` (it must apply) and returns the checker's reason.
  std::string CorruptAndCheck(mm_phys_corruption what) {
    if (!mm_phys_corrupt(a(), what)) return "(corruption did not apply)";
    return h_.Check();
  }
  void Park() {
    ASSERT_TRUE(mm_phys_corrupt(a(), MM_CORRUPT_PARK_LAST_RUN));
    ASSERT_EQ(h_.Check(), "");  // parking is a valid state, not damage
    ASSERT_EQ(a()->fs.parked.ranges, 1u);
  }
  PhysHarness h_;
};

TEST(PhysCheckNull, NullAllocatorIsReported) {
  const char *why = nullptr;
  EXPECT_EQ(mm_phys_check_invariants(nullptr, &why), MM_ERR_INVARIANT);
  EXPECT_STREQ(why, "allocator is NULL");
}

TEST_F(PhysCheck, HealthyAllocatorPassesWithOk) {
  const char *why = nullptr;
  EXPECT_EQ(mm_phys_check_invariants(a(), &why), MM_OK);
  EXPECT_STREQ(why, "ok");
}

// ---- reservation table ----
TEST_F(PhysCheck, ReservationCountOverCapacity) {
  EXPECT_EQ(CorruptAndCheck(MM_CORRUPT_RES_COUNT_OVER_CAPACITY), "reservation count exceeds capacity");
}
TEST_F(PhysCheck, EmptyReservation) {
  EXPECT_EQ(CorruptAndCheck(MM_CORRUPT_RES_EMPTY_ENTRY), "reservation empty or not frame aligned");
}
TEST_F(PhysCheck, UnsortedReservations) {
  EXPECT_EQ(CorruptAndCheck(MM_CORRUPT_RES_UNSORTED), "reservations not sorted by base, then end");
}
TEST_F(PhysCheck, StalePrefixMaximum) {
  EXPECT_EQ(CorruptAndCheck(MM_CORRUPT_RES_PREFIX_MAX_STALE), "reservation prefix maximum stale");
}

// ---- runs ----
TEST_F(PhysCheck, RunCountOverCapacity) {
  EXPECT_EQ(CorruptAndCheck(MM_CORRUPT_RUN_COUNT_OVER_CAPACITY), "run count exceeds capacity");
}
TEST_F(PhysCheck, EmptyRun) { EXPECT_EQ(CorruptAndCheck(MM_CORRUPT_RUN_EMPTY), "run empty or not frame aligned"); }
TEST_F(PhysCheck, OverlappingRuns) {
  EXPECT_EQ(CorruptAndCheck(MM_CORRUPT_RUN_OVERLAPPING), "runs unsorted or overlapping");
}
TEST_F(PhysCheck, UnmergedAdjacentRuns) {
  EXPECT_EQ(CorruptAndCheck(MM_CORRUPT_RUN_NOT_MERGED), "adjacent runs not merged");
}
TEST_F(PhysCheck, RunInsideBitmapSpan) {
  EXPECT_EQ(CorruptAndCheck(MM_CORRUPT_RUN_INTO_BITMAP), "run overlaps a bitmap span");
}
TEST_F(PhysCheck, RunOutsideManagedMemory) {
  EXPECT_EQ(CorruptAndCheck(MM_CORRUPT_RUN_OUTSIDE_MANAGED), "run outside managed memory");
}
TEST_F(PhysCheck, ReservationStretchedOverLowestFreeFrameIsAnOverlap) {
  phys_addr_t frame = 0;
  const char *label = nullptr;
  phys_addr_t lowest = phys_fs_lowest(&a()->fs);
  ASSERT_TRUE(mm_phys_corrupt_reservation_over_free(a(), &frame, &label));
  EXPECT_EQ(frame, lowest);
  ASSERT_NE(label, nullptr);
  EXPECT_EQ(h_.Check(), kOverlap);
  // The derived data was kept consistent: the checker found the overlap, not a stale prefix maximum.
  mm_reservation r{};
  ASSERT_TRUE(mm_phys_reservation_at(a(), frame, &r));
  EXPECT_STREQ(r.label, label);
}

// ---- bitmap spans ----
TEST_F(PhysCheck, BitmapCountOverCapacity) {
  EXPECT_EQ(CorruptAndCheck(MM_CORRUPT_BITMAP_COUNT_OVER_CAPACITY), "span count exceeds capacity");
}
TEST_F(PhysCheck, MisalignedBitmapSpan) {
  EXPECT_EQ(CorruptAndCheck(MM_CORRUPT_BITMAP_MISALIGNED), "bitmap span not aligned");
}
TEST_F(PhysCheck, DuplicatedBitmapSpan) {
  EXPECT_EQ(CorruptAndCheck(MM_CORRUPT_BITMAP_DUPLICATED), "bitmap spans unsorted or duplicated");
}
TEST_F(PhysCheck, HintSkipsSpanWithFreeFrames) {
  EXPECT_EQ(CorruptAndCheck(MM_CORRUPT_BITMAP_HINT_SKIPS_FREE), "span hint skips a span with free frames");
}
TEST_F(PhysCheck, BitmapFreeCounter) {
  EXPECT_EQ(CorruptAndCheck(MM_CORRUPT_BITMAP_FREE_COUNTER), "bitmap span free counter disagrees with its bits");
}
TEST_F(PhysCheck, BitmapSummary) {
  EXPECT_EQ(CorruptAndCheck(MM_CORRUPT_BITMAP_SUMMARY), "bitmap span summary disagrees with its bits");
}
TEST_F(PhysCheck, RelabelledBitmapFrameRecord) {
  EXPECT_EQ(CorruptAndCheck(MM_CORRUPT_BITMAP_RECORD_RELABELLED),
            "bitmap frame is not recorded as its phys.bitmap bookkeeping reservation");
}
TEST_F(PhysCheck, BitmapFreeOutsideManagedMemory) {
  EXPECT_EQ(CorruptAndCheck(MM_CORRUPT_BITMAP_FREE_UNMANAGED), "bitmap marks a frame free outside managed memory");
}
TEST_F(PhysCheck, BitmapFreeInsideReservationIsAnOverlap) {
  EXPECT_EQ(CorruptAndCheck(MM_CORRUPT_BITMAP_FREE_RESERVED), kOverlap);
}
TEST_F(PhysCheck, HintAtFullSpan) {
  EXPECT_EQ(CorruptAndCheck(MM_CORRUPT_BITMAP_HINT_AT_FULL), "span hint points at a full span");
}

// ---- parked ranges ----
TEST_F(PhysCheck, HugeBlockMarkFlipped) {
  EXPECT_EQ(CorruptAndCheck(MM_CORRUPT_HUGE_MARK_FLIPPED), "2 MiB block mark disagrees with its span's bits");
}
TEST_F(PhysCheck, BrokenBlockMarkFlipped) {
  EXPECT_EQ(CorruptAndCheck(MM_CORRUPT_HUGE_BROKEN_MARK_FLIPPED), "broken 2 MiB block not marked in its span");
}
TEST_F(PhysCheck, HugeBlockMarkPastTheLastSpan) {
  EXPECT_EQ(CorruptAndCheck(MM_CORRUPT_HUGE_MARK_PAST_END), "2 MiB block mark set past the last span");
}

TEST_F(PhysCheck, ParkedNodeMagic) {
  Park();
  EXPECT_EQ(CorruptAndCheck(MM_CORRUPT_PARKED_MAGIC), "parked node corrupted");
}
TEST_F(PhysCheck, EmptyParkedRange) {
  Park();
  EXPECT_EQ(CorruptAndCheck(MM_CORRUPT_PARKED_EMPTY), "parked ranges unsorted, overlapping or empty");
}
TEST_F(PhysCheck, ParkedRangeOutsideManagedMemory) {
  Park();
  EXPECT_EQ(CorruptAndCheck(MM_CORRUPT_PARKED_OUTSIDE_MANAGED), "parked range outside managed memory");
}
TEST_F(PhysCheck, ParkedRangeInsideReservationIsAnOverlap) {
  Park();
  EXPECT_EQ(CorruptAndCheck(MM_CORRUPT_PARKED_RESERVED), kOverlap);
}
TEST_F(PhysCheck, ParkedRangeIntoBitmapSpan) {
  Park();
  EXPECT_EQ(CorruptAndCheck(MM_CORRUPT_PARKED_INTO_BITMAP), "parked range overlaps a bitmap span");
}
TEST_F(PhysCheck, ParkedRangeOverARun) {
  Park();
  EXPECT_EQ(CorruptAndCheck(MM_CORRUPT_PARKED_OVER_RUN), "parked range overlaps a run");
}
TEST_F(PhysCheck, ParkedListLongerThanCounter) {
  Park();
  EXPECT_EQ(CorruptAndCheck(MM_CORRUPT_PARKED_COUNT_LOW), "parked list longer than its counter");
}
TEST_F(PhysCheck, ParkedFrameCounter) {
  Park();
  EXPECT_EQ(CorruptAndCheck(MM_CORRUPT_PARKED_FRAMES), "parked counters disagree with the list");
}

// ---- counters ----
TEST_F(PhysCheck, FreeCounter) {
  EXPECT_EQ(CorruptAndCheck(MM_CORRUPT_FREE_COUNTER), "free frame counter disagrees with the free set");
}
TEST_F(PhysCheck, ManagedCounter) {
  EXPECT_EQ(CorruptAndCheck(MM_CORRUPT_MANAGED_COUNTER), "managed frame counter disagrees with the map");
}
TEST_F(PhysCheck, ReservedCounter) {
  EXPECT_EQ(CorruptAndCheck(MM_CORRUPT_RESERVED_COUNTER),
            "reserved frame counter disagrees with the reservation table");
}
TEST_F(PhysCheck, AllocatedCounter) {
  EXPECT_EQ(CorruptAndCheck(MM_CORRUPT_ALLOCATED_COUNTER), "free + reserved + allocated != managed");
}

// ---- the allocator's own bookkeeping records (each of these used to pass and make the next growth panic) ----
TEST_F(PhysCheck, RelabelledRunArrayRecord) {
  EXPECT_EQ(CorruptAndCheck(MM_CORRUPT_RUNS_RECORD_RELABELLED),
            "run array storage is not recorded as its phys.runs bookkeeping reservation");
}
TEST_F(PhysCheck, GrownReservationTableRecordMadeLate) {
  EXPECT_EQ(CorruptAndCheck(MM_CORRUPT_RES_RECORD_KIND_LATE),
            "reservation table storage is not recorded as its phys.reserved bookkeeping reservation");
}
TEST_F(PhysCheck, SpanTableBlockShiftedByOneFrame) {
  EXPECT_EQ(CorruptAndCheck(MM_CORRUPT_BITMAP_TABLE_SHIFTED),
            "span table storage is not recorded as its phys.spans bookkeeping reservation");
}
TEST_F(PhysCheck, OwnBookkeepingBytes) {
  EXPECT_EQ(CorruptAndCheck(MM_CORRUPT_OWN_BYTES), "own bookkeeping byte counter disagrees with the live blocks");
}

TEST(PhysCheckCarved, CarvedBlockMovedOffItsReservation) {
  PhysHarness h;
  ASSERT_EQ(h.Build({{16 * kMiB, 80 * kMiB, MM_REGION_USABLE}}, {}, 16 * kMiB), MM_OK);
  ASSERT_EQ(h.Check(), "");
  ASSERT_TRUE(mm_phys_corrupt(h.alloc(), MM_CORRUPT_CARVED_BLOCK_MOVED));
  EXPECT_EQ(h.Check(), "carved bookkeeping storage is not reserved");
}

TEST(PhysCheckCarved, CorruptionsThatDoNotApplyChangeNothing) {
  PhysHarness h;
  ASSERT_EQ(h.Build({{16 * kMiB, 80 * kMiB, MM_REGION_USABLE}}, {}, 16 * kMiB), MM_OK);
  // No bitmap span and no parked range: these report false and leave the allocator valid.
  for (mm_phys_corruption c : {MM_CORRUPT_BITMAP_MISALIGNED, MM_CORRUPT_BITMAP_SUMMARY, MM_CORRUPT_PARKED_MAGIC,
                               MM_CORRUPT_PARKED_EMPTY, MM_CORRUPT_RES_RECORD_KIND_LATE}) {
    EXPECT_FALSE(mm_phys_corrupt(h.alloc(), c)) << c;
    EXPECT_EQ(h.Check(), "") << c;
  }
  EXPECT_FALSE(mm_phys_corrupt(nullptr, MM_CORRUPT_FREE_COUNTER));
  phys_addr_t f;
  EXPECT_FALSE(mm_phys_corrupt_reservation_over_free(nullptr, &f, nullptr));
}

}  // namespace
