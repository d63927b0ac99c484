// Tests for reservations.c, after the memblock reserve scenarios (tools/testing/memblock): simple range,
// disjoint, overlap top/bottom, within, between two, near the maximum address, many entries.
#include <cstdint>
#include <cstring>
#include <vector>

#include "gtest/gtest.h"

extern "C" {
#include "mm/reservations.h"
}

namespace {

constexpr uint64_t kFrame = MM_FRAME_SIZE;

class Reservations : public ::testing::Test {
 protected:
  void SetUp() override { mm_reservation_set_init(&set_, storage_, kCapacity); }

  std::vector<std::pair<uint64_t, uint64_t>> Ranges() const {
    std::vector<std::pair<uint64_t, uint64_t>> out;
    for (uint64_t i = 0; i < set_.count; i++) out.push_back({set_.entries[i].base, set_.entries[i].end});
    return out;
  }

  static constexpr uint64_t kCapacity = 8;
  mm_reservation storage_[kCapacity];
  mm_reservation_set set_;
};

using Range = std::pair<uint64_t, uint64_t>;

TEST_F(Reservations, SimpleRangeIsRecordedWithKindAndLabel) {
  ASSERT_EQ(mm_reservation_add(&set_, 0x10000, 0x2000, MM_RES_KERNEL_IMAGE, "kernel"), MM_OK);
  ASSERT_EQ(set_.count, 1u);
  EXPECT_EQ(set_.entries[0].base, 0x10000u);
  EXPECT_EQ(set_.entries[0].end, 0x12000u);
  EXPECT_EQ(set_.entries[0].kind, MM_RES_KERNEL_IMAGE);
  EXPECT_STREQ(set_.entries[0].label, "kernel");
}

TEST_F(Reservations, UnalignedRangeIsRoundedOutwardToFrames) {
  ASSERT_EQ(mm_reservation_add(&set_, 0x10010, 0x1000, MM_RES_FIRMWARE, "acpi"), MM_OK);
  EXPECT_EQ(Ranges(), (std::vector<Range>{{0x10000, 0x12000}}));
}

TEST_F(Reservations, DisjointRangesAreKeptSortedByBase) {
  ASSERT_EQ(mm_reservation_add(&set_, 0x50000, kFrame, MM_RES_TEST, "c"), MM_OK);
  ASSERT_EQ(mm_reservation_add(&set_, 0x10000, kFrame, MM_RES_TEST, "a"), MM_OK);
  ASSERT_EQ(mm_reservation_add(&set_, 0x30000, kFrame, MM_RES_TEST, "b"), MM_OK);
  EXPECT_EQ(Ranges(), (std::vector<Range>{{0x10000, 0x11000}, {0x30000, 0x31000}, {0x50000, 0x51000}}));
  EXPECT_STREQ(set_.entries[1].label, "b");
}

TEST_F(Reservations, OverlapTopKeepsBothEntriesAndTheUnionIsExcluded) {
  // New range overlaps the top of an existing one.
  ASSERT_EQ(mm_reservation_add(&set_, 0x10000, 0x4000, MM_RES_TEST, "r1"), MM_OK);
  ASSERT_EQ(mm_reservation_add(&set_, 0x12000, 0x4000, MM_RES_TEST, "r2"), MM_OK);
  EXPECT_EQ(Ranges(), (std::vector<Range>{{0x10000, 0x14000}, {0x12000, 0x16000}}));
  EXPECT_TRUE(mm_reservation_set_overlaps(&set_, 0x15000, 0x16000));
  EXPECT_FALSE(mm_reservation_set_overlaps(&set_, 0x16000, 0x17000));
}

TEST_F(Reservations, OverlapBottomSortsTheNewEntryFirst) {
  ASSERT_EQ(mm_reservation_add(&set_, 0x12000, 0x4000, MM_RES_TEST, "r1"), MM_OK);
  ASSERT_EQ(mm_reservation_add(&set_, 0x10000, 0x4000, MM_RES_TEST, "r2"), MM_OK);
  EXPECT_EQ(Ranges(), (std::vector<Range>{{0x10000, 0x14000}, {0x12000, 0x16000}}));
  EXPECT_STREQ(set_.entries[0].label, "r2");
}

TEST_F(Reservations, RangeWithinAnotherIsSortedByBaseThenEnd) {
  ASSERT_EQ(mm_reservation_add(&set_, 0x10000, 0x10000, MM_RES_IDENTITY, "identity"), MM_OK);
  ASSERT_EQ(mm_reservation_add(&set_, 0x10000, 0x1000, MM_RES_KERNEL_IMAGE, "kernel"), MM_OK);
  ASSERT_EQ(mm_reservation_add(&set_, 0x14000, 0x1000, MM_RES_STACK, "stack"), MM_OK);
  EXPECT_EQ(Ranges(), (std::vector<Range>{{0x10000, 0x11000}, {0x10000, 0x20000}, {0x14000, 0x15000}}));
  // Find reports the lowest base (then lowest end) that intersects.
  const mm_reservation* hit = mm_reservation_set_find(&set_, 0x14000, 0x15000);
  ASSERT_NE(hit, nullptr);
  EXPECT_STREQ(hit->label, "identity");
}

TEST_F(Reservations, RangeBetweenTwoLandsInTheMiddle) {
  ASSERT_EQ(mm_reservation_add(&set_, 0x10000, kFrame, MM_RES_TEST, "lo"), MM_OK);
  ASSERT_EQ(mm_reservation_add(&set_, 0x20000, kFrame, MM_RES_TEST, "hi"), MM_OK);
  ASSERT_EQ(mm_reservation_add(&set_, 0x11000, 0xf000, MM_RES_TEST, "mid"), MM_OK);
  EXPECT_EQ(Ranges(), (std::vector<Range>{{0x10000, 0x11000}, {0x11000, 0x20000}, {0x20000, 0x21000}}));
  EXPECT_FALSE(mm_reservation_set_overlaps(&set_, 0x21000, 0x30000));
  EXPECT_TRUE(mm_reservation_set_overlaps(&set_, 0x1f000, 0x20000));
}

TEST_F(Reservations, EqualRangesKeepInsertionOrder) {
  ASSERT_EQ(mm_reservation_add(&set_, 0x10000, kFrame, MM_RES_TEST, "first"), MM_OK);
  ASSERT_EQ(mm_reservation_add(&set_, 0x10000, kFrame, MM_RES_TEST, "second"), MM_OK);
  EXPECT_STREQ(set_.entries[0].label, "first");
  EXPECT_STREQ(set_.entries[1].label, "second");
}

TEST_F(Reservations, NearMaxAddressFitsUpToTheLastRepresentableFrame) {
  const uint64_t top = UINT64_MAX - MM_FRAME_MASK;  // 2^64 - 4096: the last frame's base
  ASSERT_EQ(mm_reservation_add(&set_, top - kFrame, kFrame, MM_RES_TEST, "max"), MM_OK);
  EXPECT_EQ(Ranges(), (std::vector<Range>{{top - kFrame, top}}));
  // Rounding an unaligned end up to 2^64 - 4096 is fine...
  ASSERT_EQ(mm_reservation_add(&set_, top - 2 * kFrame, kFrame - 1, MM_RES_TEST, "max2"), MM_OK);
  // ...but the last frame itself ends at 2^64, which an exclusive 64-bit end cannot hold.
  EXPECT_EQ(mm_reservation_add(&set_, top, kFrame, MM_RES_TEST, "wrap"), MM_ERR_OVERFLOW);
  EXPECT_EQ(mm_reservation_add(&set_, top + 1, 1, MM_RES_TEST, "wrap"), MM_ERR_OVERFLOW);
  EXPECT_EQ(mm_reservation_add(&set_, UINT64_MAX, 1, MM_RES_TEST, "wrap"), MM_ERR_OVERFLOW);
  EXPECT_EQ(set_.count, 2u);
}

TEST_F(Reservations, OverflowingLengthIsRejected) {
  EXPECT_EQ(mm_reservation_add(&set_, 0x1000, UINT64_MAX, MM_RES_TEST, "x"), MM_ERR_OVERFLOW);
  EXPECT_EQ(set_.count, 0u);
}

TEST_F(Reservations, ZeroBytesIsZeroCount) {
  EXPECT_EQ(mm_reservation_add(&set_, 0x1000, 0, MM_RES_TEST, "x"), MM_ERR_ZERO_COUNT);
  EXPECT_EQ(set_.count, 0u);
}

TEST_F(Reservations, KindOutOfRangeIsInvalidArgument) {
  EXPECT_EQ(mm_reservation_add(&set_, 0x1000, kFrame, MM_RES_KIND_COUNT, "x"), MM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mm_reservation_add(&set_, 0x1000, kFrame, static_cast<mm_reservation_kind>(-1), "x"),
            MM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mm_reservation_add(nullptr, 0x1000, kFrame, MM_RES_TEST, "x"), MM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(set_.count, 0u);
}

TEST_F(Reservations, ManyEntriesExhaustCapacityAndLeaveTheSetUnchanged) {
  for (uint64_t i = 0; i < kCapacity; i++) {
    ASSERT_EQ(mm_reservation_add(&set_, (kCapacity - i) * 0x10000, kFrame, MM_RES_TEST, "n"), MM_OK);
  }
  mm_reservation before[kCapacity];
  std::memcpy(before, storage_, sizeof(before));
  EXPECT_EQ(mm_reservation_add(&set_, 0x8000, kFrame, MM_RES_TEST, "full"), MM_ERR_STORAGE_TOO_SMALL);
  EXPECT_EQ(set_.count, kCapacity);
  EXPECT_EQ(std::memcmp(before, storage_, sizeof(before)), 0);
  for (uint64_t i = 1; i < set_.count; i++) EXPECT_LT(set_.entries[i - 1].base, set_.entries[i].base);
}

TEST_F(Reservations, LongLabelIsTruncatedAndTerminated) {
  ASSERT_EQ(mm_reservation_add(&set_, 0x1000, kFrame, MM_RES_TEST, "abcdefghijklmnopqrstuvwxyz0123456789"), MM_OK);
  EXPECT_EQ(std::strlen(set_.entries[0].label), static_cast<size_t>(MM_LABEL_MAX - 1));
  EXPECT_STREQ(set_.entries[0].label, "abcdefghijklmnopqrstuvw");
}

TEST_F(Reservations, NullLabelIsEmpty) {
  ASSERT_EQ(mm_reservation_add(&set_, 0x1000, kFrame, MM_RES_TEST, nullptr), MM_OK);
  EXPECT_STREQ(set_.entries[0].label, "");
}

TEST_F(Reservations, TouchingRangesDoNotOverlap) {
  ASSERT_EQ(mm_reservation_add(&set_, 0x10000, 0x1000, MM_RES_TEST, "x"), MM_OK);
  EXPECT_FALSE(mm_reservation_set_overlaps(&set_, 0xf000, 0x10000));
  EXPECT_FALSE(mm_reservation_set_overlaps(&set_, 0x11000, 0x12000));
  EXPECT_TRUE(mm_reservation_set_overlaps(&set_, 0xf000, 0x10001));
  EXPECT_FALSE(mm_reservation_set_overlaps(&set_, 0x10800, 0x10800));  // empty query
  EXPECT_EQ(mm_reservation_set_find(&set_, 0x0, 0x10000), nullptr);
}

TEST_F(Reservations, EmptySetOverlapsNothing) {
  EXPECT_FALSE(mm_reservation_set_overlaps(&set_, 0, UINT64_MAX));
  EXPECT_EQ(mm_reservation_set_find(nullptr, 0, 1), nullptr);
}

TEST_F(Reservations, RemoveUndoesExactlyOneMatchingAdd) {
  ASSERT_EQ(mm_reservation_add(&set_, 0x10000, kFrame, MM_RES_TEST, "a"), MM_OK);
  ASSERT_EQ(mm_reservation_add(&set_, 0x20000, kFrame, MM_RES_BOOKKEEPING, "free_runs"), MM_OK);
  ASSERT_EQ(mm_reservation_add(&set_, 0x20000, kFrame, MM_RES_TEST, "b"), MM_OK);
  ASSERT_EQ(mm_reservation_add(&set_, 0x30000, kFrame, MM_RES_TEST, "c"), MM_OK);
  EXPECT_FALSE(mm_reservation_remove(&set_, 0x20000, 0x21000, MM_RES_BOOKKEEPING, "reserved"));
  EXPECT_FALSE(mm_reservation_remove(&set_, 0x20000, 0x22000, MM_RES_BOOKKEEPING, "free_runs"));
  EXPECT_EQ(set_.count, 4u);
  EXPECT_TRUE(mm_reservation_remove(&set_, 0x20000, 0x21000, MM_RES_BOOKKEEPING, "free_runs"));
  ASSERT_EQ(set_.count, 3u);
  EXPECT_STREQ(set_.entries[0].label, "a");
  EXPECT_STREQ(set_.entries[1].label, "b");
  EXPECT_STREQ(set_.entries[2].label, "c");
}

TEST(ReservationKind, NamesAreStableAndUnknownIsNamed) {
  EXPECT_STREQ(mm_reservation_kind_name(MM_RES_FIRMWARE), "firmware");
  EXPECT_STREQ(mm_reservation_kind_name(MM_RES_PAGE_TABLES), "page_tables");
  EXPECT_STREQ(mm_reservation_kind_name(MM_RES_BOOKKEEPING), "bookkeeping");
  EXPECT_STREQ(mm_reservation_kind_name(MM_RES_TEST), "test");
  EXPECT_STREQ(mm_reservation_kind_name(MM_RES_KIND_COUNT), "unknown");
}

TEST(MmStatus, NamesAreStableAndUnknownIsNamed) {
  EXPECT_STREQ(mm_status_name(MM_OK), "ok");
  EXPECT_STREQ(mm_status_name(MM_ERR_DOUBLE_FREE), "double_free");
  EXPECT_STREQ(mm_status_name(MM_ERR_BAD_STRIDE), "bad_stride");
  EXPECT_STREQ(mm_status_name(MM_ERR_INVARIANT), "invariant");
  EXPECT_STREQ(mm_status_name(static_cast<mm_status>(999)), "unknown");
}

}  // namespace
