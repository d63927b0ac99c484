// Tests for ending a reservation (mm_phys_unreserve, phys_alloc.h): only transient kinds (the AP trampoline)
// may end; the exact range of one entry of that kind must be named; the frames no other reservation covers
// return to the FREE set with exact stats; every refusal leaves stats, free runs and the reservation list as they
// were; the 2 MiB index sees a block whole again once the released frame completes it.
#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "mm/testing/phys_alloc_fixture.h"

extern "C" {
#include "mm/phys_alloc_internal.h"  // white-box: the 2 MiB block marks of bitmap spans
}

namespace {

using namespace mm_testing_phys_alloc;

std::string Key(const mm_reservation &r) {
  return mm_testing::ReferenceModel::Hex(r.base) + "-" + mm_testing::ReferenceModel::Hex(r.end) + ":" +
         mm_reservation_kind_name(r.kind) + ":" + r.label;
}

std::vector<std::string> Reservations(const mm_phys_allocator *a) {
  std::vector<std::string> out;
  mm_phys_for_each_reservation(
      a,
      [](void *ctx, const mm_reservation *r) {
        static_cast<std::vector<std::string> *>(ctx)->push_back(Key(*r));
        return true;
      },
      &out);
  return out;
}

class PhysUnreserve : public PhysAlloc {
 protected:
  void SetUp() override { BuildSimple(); }
  // The AP-trampoline shape: one frame allocated below `limit`, then reserved as ap_trampoline.
  phys_addr_t TakeTrampoline(phys_addr_t lo = 0, phys_addr_t hi = 0) {
    phys_addr_t at = 0;
    EXPECT_EQ(Alloc(1, kF, lo, hi, &at), MM_OK);
    EXPECT_EQ(mm_phys_reserve(a(), at, kF, MM_RES_AP_TRAMPOLINE, "ap_trampoline"), MM_OK);
    EXPECT_EQ(h_.Check(), "");
    return at;
  }
  // As ExpectFailsUnchanged, and the reservation list is unchanged too.
  template <typename F>
  void ExpectRefused(mm_status want, F op) {
    auto res = Reservations(a());
    ExpectFailsUnchanged(want, op);
    EXPECT_EQ(Reservations(a()), res);
  }
};

TEST(ReservationKindReleasable, OnlyTheApTrampolineIsReleasable) {
  for (int k = 0; k <= MM_RES_KIND_COUNT; k++) {
    auto kind = static_cast<mm_reservation_kind>(k);
    EXPECT_EQ(mm_reservation_kind_releasable(kind), kind == MM_RES_AP_TRAMPOLINE) << mm_reservation_kind_name(kind);
  }
  EXPECT_STREQ(mm_reservation_kind_name(MM_RES_AP_TRAMPOLINE), "ap_trampoline");
  EXPECT_STREQ(mm_status_name(MM_ERR_NOT_RESERVED), "not_reserved");
}

TEST_F(PhysUnreserve, ReleasedTrampolineFrameIsFreeAgainWithExactStats) {
  mm_phys_stats before = Stats();
  auto runs_before = FreeRuns();
  auto res_before = Reservations(a());
  phys_addr_t t = TakeTrampoline();
  mm_phys_stats held = Stats();
  EXPECT_EQ(held.free_frames, before.free_frames - 1);
  EXPECT_EQ(held.reserved_frames, before.reserved_frames + 1);
  EXPECT_EQ(held.allocated_frames, before.allocated_frames);  // allocated, then reserved: out of allocated
  EXPECT_EQ(held.reservations, before.reservations + 1);
  EXPECT_FALSE(mm_phys_is_free(a(), t));

  ASSERT_EQ(mm_phys_unreserve(a(), t, kF, MM_RES_AP_TRAMPOLINE), MM_OK);
  EXPECT_EQ(h_.Check(), "");
  mm_phys_stats after = Stats();
  EXPECT_EQ(after.free_frames, before.free_frames);
  EXPECT_EQ(after.reserved_frames, before.reserved_frames);
  EXPECT_EQ(after.allocated_frames, before.allocated_frames);
  EXPECT_EQ(after.reservations, before.reservations);
  EXPECT_TRUE(mm_phys_is_free(a(), t));
  EXPECT_EQ(ResAt(a(), t), nullptr);
  EXPECT_TRUE(RunsEq(FreeRuns(), runs_before));
  EXPECT_EQ(Reservations(a()), res_before);
  // A later allocation can return it: it is the lowest free frame again.
  phys_addr_t again = 0;
  ASSERT_EQ(Alloc(1, kF, 0, 0, &again), MM_OK);
  EXPECT_EQ(again, t);
  EXPECT_EQ(h_.Check(), "");
}

TEST_F(PhysUnreserve, ByteRangeIsRoundedOutwardLikeReserve) {
  phys_addr_t t = TakeTrampoline();
  ASSERT_EQ(mm_phys_unreserve(a(), t + 0x10, 0x20, MM_RES_AP_TRAMPOLINE), MM_OK);
  EXPECT_TRUE(mm_phys_is_free(a(), t));
  EXPECT_EQ(h_.Check(), "");
}

TEST_F(PhysUnreserve, NonReleasableKindsAreRefusedAndNothingChanges) {
  ASSERT_EQ(mm_phys_reserve(a(), 40 * kMiB, 2 * kF, MM_RES_LATE, "late"), MM_OK);
  ASSERT_EQ(mm_phys_reserve(a(), 41 * kMiB, kF, MM_RES_STACK, "cpu1_stack"), MM_OK);
  ASSERT_EQ(mm_phys_reserve(a(), 42 * kMiB, kF, MM_RES_KERNEL_IMAGE, "image"), MM_OK);
  struct Case {
    phys_addr_t base;
    uint64_t bytes;
    mm_reservation_kind kind;
  };
  for (const Case &c : {Case{40 * kMiB, 2 * kF, MM_RES_LATE}, Case{41 * kMiB, kF, MM_RES_STACK},
                        Case{42 * kMiB, kF, MM_RES_KERNEL_IMAGE}, Case{16 * kMiB, kF, MM_RES_BOOKKEEPING},
                        Case{40 * kMiB, 2 * kF, MM_RES_TEST}}) {
    SCOPED_TRACE(mm_reservation_kind_name(c.kind));
    ExpectRefused(MM_ERR_INVALID_ARGUMENT, [&] { return mm_phys_unreserve(a(), c.base, c.bytes, c.kind); });
  }
}

TEST_F(PhysUnreserve, BadArgumentsAreRefusedInOrderAndNothingChanges) {
  phys_addr_t t = TakeTrampoline();
  EXPECT_EQ(mm_phys_unreserve(nullptr, t, kF, MM_RES_AP_TRAMPOLINE), MM_ERR_INVALID_ARGUMENT);
  ExpectRefused(MM_ERR_INVALID_ARGUMENT, [&] { return mm_phys_unreserve(a(), t, kF, MM_RES_KIND_COUNT); });
  ExpectRefused(MM_ERR_INVALID_ARGUMENT,
                [&] { return mm_phys_unreserve(a(), t, kF, static_cast<mm_reservation_kind>(-1)); });
  ExpectRefused(MM_ERR_ZERO_COUNT, [&] { return mm_phys_unreserve(a(), t, 0, MM_RES_AP_TRAMPOLINE); });
  ExpectRefused(MM_ERR_OVERFLOW, [&] { return mm_phys_unreserve(a(), ~0ull - kF, 2 * kF, MM_RES_AP_TRAMPOLINE); });
  EXPECT_FALSE(mm_phys_is_free(a(), t));
}

TEST_F(PhysUnreserve, WrongRangesAreNotReservedAndNothingChanges) {
  phys_addr_t t = TakeTrampoline();
  // Make the entry two frames long, so a partial range exists.
  ASSERT_EQ(mm_phys_unreserve(a(), t, kF, MM_RES_AP_TRAMPOLINE), MM_OK);
  phys_addr_t two = 0;
  ASSERT_EQ(Alloc(2, kF, 0, 0, &two), MM_OK);
  ASSERT_EQ(mm_phys_reserve(a(), two, 2 * kF, MM_RES_AP_TRAMPOLINE, "ap_trampoline"), MM_OK);
  ExpectRefused(MM_ERR_NOT_RESERVED, [&] { return mm_phys_unreserve(a(), two, kF, MM_RES_AP_TRAMPOLINE); });  // partial
  ExpectRefused(MM_ERR_NOT_RESERVED,
                [&] { return mm_phys_unreserve(a(), two + kF, kF, MM_RES_AP_TRAMPOLINE); });  // partial, top
  ExpectRefused(MM_ERR_NOT_RESERVED,
                [&] { return mm_phys_unreserve(a(), two, 3 * kF, MM_RES_AP_TRAMPOLINE); });  // larger
  ExpectRefused(MM_ERR_NOT_RESERVED,
                [&] { return mm_phys_unreserve(a(), two - kF, 3 * kF, MM_RES_AP_TRAMPOLINE); });  // larger, below
  ExpectRefused(MM_ERR_NOT_RESERVED,
                [&] { return mm_phys_unreserve(a(), two + kF, 2 * kF, MM_RES_AP_TRAMPOLINE); });  // shifted
  ExpectRefused(MM_ERR_NOT_RESERVED,
                [&] { return mm_phys_unreserve(a(), 60 * kMiB, kF, MM_RES_AP_TRAMPOLINE); });  // nothing there
  // The same range held by another kind is not an ap_trampoline entry.
  ASSERT_EQ(mm_phys_reserve(a(), 50 * kMiB, kF, MM_RES_LATE, "late"), MM_OK);
  ExpectRefused(MM_ERR_NOT_RESERVED, [&] { return mm_phys_unreserve(a(), 50 * kMiB, kF, MM_RES_AP_TRAMPOLINE); });
  ASSERT_EQ(mm_phys_unreserve(a(), two, 2 * kF, MM_RES_AP_TRAMPOLINE), MM_OK);
  EXPECT_TRUE(mm_phys_is_free(a(), two));
  EXPECT_TRUE(mm_phys_is_free(a(), two + kF));
  EXPECT_EQ(h_.Check(), "");
}

TEST_F(PhysUnreserve, SecondUnreserveOfTheSameRangeFails) {
  phys_addr_t t = TakeTrampoline();
  ASSERT_EQ(mm_phys_unreserve(a(), t, kF, MM_RES_AP_TRAMPOLINE), MM_OK);
  ExpectRefused(MM_ERR_NOT_RESERVED, [&] { return mm_phys_unreserve(a(), t, kF, MM_RES_AP_TRAMPOLINE); });
}

TEST_F(PhysUnreserve, OnlyFramesNoOtherReservationCoversReturn) {
  phys_addr_t base = 30 * kMiB;
  ASSERT_EQ(mm_phys_alloc_fixed(a(), base, 4), MM_OK);
  ASSERT_EQ(mm_phys_reserve(a(), base, 4 * kF, MM_RES_AP_TRAMPOLINE, "ap_trampoline"), MM_OK);
  // Another reservation over the middle two frames (a page table placed there, say).
  ASSERT_EQ(mm_phys_reserve(a(), base + kF, 2 * kF, MM_RES_PAGE_TABLES, "pt"), MM_OK);
  mm_phys_stats held = Stats();
  ASSERT_EQ(mm_phys_unreserve(a(), base, 4 * kF, MM_RES_AP_TRAMPOLINE), MM_OK);
  EXPECT_EQ(h_.Check(), "");
  mm_phys_stats after = Stats();
  EXPECT_EQ(after.free_frames, held.free_frames + 2);
  EXPECT_EQ(after.reserved_frames, held.reserved_frames - 2);
  EXPECT_EQ(after.allocated_frames, held.allocated_frames);
  EXPECT_EQ(after.reservations, held.reservations - 1);
  EXPECT_TRUE(mm_phys_is_free(a(), base));
  EXPECT_FALSE(mm_phys_is_free(a(), base + kF));
  EXPECT_FALSE(mm_phys_is_free(a(), base + 2 * kF));
  EXPECT_TRUE(mm_phys_is_free(a(), base + 3 * kF));
  auto r = ResAt(a(), base + kF);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->kind, MM_RES_PAGE_TABLES);
}

TEST_F(PhysUnreserve, OfTwoEqualEntriesTheLatestEndsFirstAndTheFrameStaysReservedUntilBothEnd) {
  phys_addr_t t = TakeTrampoline();
  ASSERT_EQ(mm_phys_reserve(a(), t, kF, MM_RES_AP_TRAMPOLINE, "again"), MM_OK);
  ASSERT_EQ(mm_phys_unreserve(a(), t, kF, MM_RES_AP_TRAMPOLINE), MM_OK);
  EXPECT_FALSE(mm_phys_is_free(a(), t));  // the other entry still covers it
  auto left = ResAt(a(), t);
  ASSERT_NE(left, nullptr);
  EXPECT_STREQ(left->label, "ap_trampoline") << "the most recently made equal entry ends first";
  EXPECT_EQ(h_.Check(), "");
  ASSERT_EQ(mm_phys_unreserve(a(), t, kF, MM_RES_AP_TRAMPOLINE), MM_OK);
  EXPECT_TRUE(mm_phys_is_free(a(), t));
  EXPECT_EQ(h_.Check(), "");
}

TEST(PhysUnreserveUnmanaged, UnmanagedFramesOfTheEntryStayOutOfTheFreeSet) {
  PhysHarness h;
  ASSERT_EQ(h.Build({{16 * kMiB, 32 * kMiB, MM_REGION_USABLE}, {32 * kMiB, 33 * kMiB, MM_REGION_MMIO}}, {}, 16 * kMiB),
            MM_OK);
  mm_phys_allocator *a = h.alloc();
  mm_phys_stats before = mm_phys_get_stats(a);
  // Straddles the top of usable memory: one managed frame, one MMIO frame.
  ASSERT_EQ(mm_phys_reserve(a, 32 * kMiB - kF, 2 * kF, MM_RES_AP_TRAMPOLINE, "ap_trampoline"), MM_OK);
  ASSERT_EQ(mm_phys_unreserve(a, 32 * kMiB - kF, 2 * kF, MM_RES_AP_TRAMPOLINE), MM_OK);
  EXPECT_EQ(h.Check(), "");
  mm_phys_stats after = mm_phys_get_stats(a);
  EXPECT_EQ(after.free_frames, before.free_frames);
  EXPECT_EQ(after.reserved_frames, before.reserved_frames);
  EXPECT_TRUE(mm_phys_is_free(a, 32 * kMiB - kF));
  EXPECT_FALSE(mm_phys_is_free(a, 32 * kMiB));
}

// Usable [128 MiB, 512 MiB): a fragmented first span is a bitmap span with 2 MiB block marks.
class PhysUnreserveHuge : public PhysAlloc {
 protected:
  void SetUp() override { ASSERT_EQ(h_.Build({{128 * kMiB, 512 * kMiB, MM_REGION_USABLE}}, {}, 128 * kMiB), MM_OK); }
};

TEST_F(PhysUnreserveHuge, TheBlockIsWholeAgainWhenTheReleasedFrameCompletesIt) {
  // Every other frame of [128 MiB, 200 MiB) allocated: the span turns into a bitmap, [200, 256) stays free.
  for (phys_addr_t f = 128 * kMiB; f < 200 * kMiB; f += 2 * kF) {
    if (mm_phys_is_free(a(), f)) ASSERT_EQ(mm_phys_alloc_fixed(a(), f, 1), MM_OK);
  }
  ASSERT_EQ(a()->fs.spans.count, 1u);
  const uint64_t block = (210 * kMiB - 128 * kMiB) / (2 * kMiB);  // block index of [210 MiB, 212 MiB) in the span
  ASSERT_TRUE(phys_huge_span_mask(&a()->fs.spans.items[0]) & (1ull << block));
  // The trampoline shape inside that block: it is no longer whole.
  phys_addr_t t = 211 * kMiB;
  ASSERT_EQ(mm_phys_alloc_fixed(a(), t, 1), MM_OK);
  ASSERT_EQ(mm_phys_reserve(a(), t, kF, MM_RES_AP_TRAMPOLINE, "ap_trampoline"), MM_OK);
  EXPECT_FALSE(phys_huge_span_mask(&a()->fs.spans.items[0]) & (1ull << block));
  EXPECT_EQ(h_.Check(), "");
  ASSERT_EQ(mm_phys_unreserve(a(), t, kF, MM_RES_AP_TRAMPOLINE), MM_OK);
  EXPECT_EQ(h_.Check(), "");
  EXPECT_TRUE(phys_huge_span_mask(&a()->fs.spans.items[0]) & (1ull << block));
  // A 2 MiB request finds it: the lowest whole block of the span (the ones from 200 MiB up are all whole).
  phys_addr_t at = 0;
  ASSERT_EQ(Alloc(512, 2 * kMiB, 210 * kMiB, 0, &at), MM_OK);
  EXPECT_EQ(at, 210 * kMiB);
  EXPECT_EQ(h_.Check(), "");
}

}  // namespace
