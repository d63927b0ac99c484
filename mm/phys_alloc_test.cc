// Tests for the runtime physical frame allocator (phys_alloc.c and the layers below it), in the families of
// Linux's tools/testing/memblock: add/reserve (simple, disjoint, overlap top/bottom, within, between, near max,
// many), allocation (second fit, small gaps, all reserved, no space, limited space, too large, alignment, address
// windows), every free error, fixed allocation and late reservation. Reclaim, queries, bitmap spans, growth and
// the bookkeeping bound continue in phys_alloc_spans_test.cc; the fixture is mm/testing/phys_alloc_fixture.h.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "mm/testing/phys_alloc_fixture.h"

extern "C" {
#include "mm/phys_alloc_internal.h"  // white-box: proves the parking path runs
}

extern "C" {
#include "mm/carve.h"
#include "mm/early_alloc.h"
#include "mm/plan.h"
}

namespace {

using namespace mm_testing_phys_alloc;

// ---- initialization (memblock "add") ----

TEST_F(PhysAlloc, InitSimpleRangeIsRegionMinusCarvedArrays) {
  BuildSimple();
  EXPECT_TRUE(RunsEq(FreeRuns(), Runs({{kBase, 80 * kMiB}})));
  mm_phys_stats st = Stats();
  EXPECT_EQ(st.managed_frames, 64 * kMiB / kF);
  EXPECT_EQ(st.reserved_frames, 2u);
  EXPECT_EQ(st.allocated_frames, 0u);
  EXPECT_EQ(st.free_runs, 1u);
  EXPECT_EQ(st.reservations, 2u);
  EXPECT_EQ(mm_phys_firmware_map(a()), h_.map());
}

TEST_F(PhysAlloc, InitDisjointRegionsStaySeparateRuns) {
  ASSERT_EQ(h_.Build({{0x100000, 0x200000, MM_REGION_USABLE}, {0x300000, 0x400000, MM_REGION_USABLE}}, {}, 0x100000),
            MM_OK);
  EXPECT_TRUE(RunsEq(FreeRuns(), Runs({{0x102000, 0x200000}, {0x300000, 0x400000}})));
  EXPECT_EQ(h_.Check(), "");
}

TEST_F(PhysAlloc, InitAdjacentUsableRegionsMergeIntoOneRun) {
  ASSERT_EQ(h_.Build({{0x100000, 0x200000, MM_REGION_USABLE}, {0x200000, 0x400000, MM_REGION_USABLE}}, {}, 0x100000),
            MM_OK);
  EXPECT_TRUE(RunsEq(FreeRuns(), Runs({{0x102000, 0x400000}})));
}

TEST_F(PhysAlloc, InitSubtractsOverlappingReservationsAsUnion) {
  BuildSimple(64 * kMiB, {{20 * kMiB, 22 * kMiB, MM_RES_IDENTITY, "a"},
                          {21 * kMiB, 23 * kMiB, MM_RES_KERNEL_IMAGE, "b"},
                          {21 * kMiB, 21 * kMiB + kF, MM_RES_STACK, "c"}});
  EXPECT_TRUE(RunsEq(FreeRuns(), Runs({{kBase, 20 * kMiB}, {23 * kMiB, 80 * kMiB}})));
  EXPECT_EQ(Stats().reserved_frames, 2 + 3 * kMiB / kF);
}

TEST_F(PhysAlloc, InitIgnoresNonUsableRegionsAndOutsideReservations) {
  ASSERT_EQ(h_.Build({{0x100000, 0x200000, MM_REGION_USABLE},
                      {0x200000, 0x300000, MM_REGION_BOOT_SERVICES},
                      {0xfd000000, 0xfe000000, MM_REGION_MMIO}},
                     {{0xfd000000, 0xfd100000, MM_RES_FRAMEBUFFER, "fb"}}, 0x100000),
            MM_OK);
  EXPECT_TRUE(RunsEq(FreeRuns(), Runs({{0x102000, 0x200000}})));
  EXPECT_EQ(Stats().managed_frames, 256u);
  EXPECT_EQ(Stats().reserved_frames, 2u);
}

TEST_F(PhysAlloc, InitRejectsBadArguments) {
  EXPECT_EQ(h_.Build({{0x100000, 0x200000, MM_REGION_BOOT_SERVICES}}, {}, 0x100000), MM_ERR_NO_USABLE_MEMORY);
  mm_firmware_map map{};
  mm_reservation_set set{};
  mm_carved_storage carved{};
  std::vector<uint64_t> storage((mm_phys_allocator_size() + 7) / 8);
  auto *alloc = reinterpret_cast<mm_phys_allocator *>(storage.data());
  EXPECT_EQ(mm_phys_init(alloc, &map, &set, &carved, nullptr), MM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mm_phys_init(nullptr, &map, &set, &carved, h_.sim().window()), MM_ERR_INVALID_ARGUMENT);
}

// Entries mm_reservation_add can never produce are rejected with nothing written to the allocator's storage.
TEST_F(PhysAlloc, InitRejectsMalformedReservationEntries) {
  ASSERT_EQ(h_.Build({{16 * kMiB, 80 * kMiB, MM_REGION_USABLE}}, {{32 * kMiB, 34 * kMiB, MM_RES_TEST, "x"}}, 16 * kMiB),
            MM_OK);
  const mm_reservation_set *good = h_.set();
  ASSERT_GE(good->count, 3u);
  std::vector<uint64_t> storage((mm_phys_allocator_size() + 7) / 8, 0x5a5a5a5a5a5a5a5aull);
  const std::vector<uint64_t> before = storage;
  auto *alloc = reinterpret_cast<mm_phys_allocator *>(storage.data());
  struct Case {
    const char *what;
    void (*bend)(std::vector<mm_reservation> &e);
  };
  const Case cases[] = {
      {"unaligned base", [](std::vector<mm_reservation> &e) { e[2].base += 8; }},
      {"unaligned end", [](std::vector<mm_reservation> &e) { e[2].end -= 8; }},
      {"empty", [](std::vector<mm_reservation> &e) { e[2].end = e[2].base; }},
      {"end below base", [](std::vector<mm_reservation> &e) { e[2].end = e[2].base - kF; }},
      {"kind out of range", [](std::vector<mm_reservation> &e) { e[2].kind = MM_RES_KIND_COUNT; }},
      {"unsorted", [](std::vector<mm_reservation> &e) { std::swap(e[0], e[2]); }},
  };
  for (const Case &c : cases) {
    std::vector<mm_reservation> entries(good->entries, good->entries + good->count);
    c.bend(entries);
    mm_reservation_set bad{entries.data(), entries.size(), entries.size()};
    EXPECT_EQ(mm_phys_init(alloc, h_.map(), &bad, h_.carved(), h_.sim().window()), MM_ERR_INVALID_ARGUMENT) << c.what;
    EXPECT_EQ(storage, before) << c.what;
  }
  // The unbent set still builds.
  mm_reservation_set same{good->entries, good->count, good->capacity};
  EXPECT_EQ(mm_phys_init(alloc, h_.map(), &same, h_.carved(), h_.sim().window()), MM_OK);
}

TEST_F(PhysAlloc, InitFailsWhenCarvedRunArrayTooSmall) {
  // Three disjoint usable regions but room for two runs: nothing to grow from before the free set exists.
  EXPECT_EQ(h_.Build({{0x100000, 0x200000, MM_REGION_USABLE},
                      {0x300000, 0x400000, MM_REGION_USABLE},
                      {0x500000, 0x600000, MM_REGION_USABLE}},
                     {}, 0x100000, 2 * sizeof(mm_range)),
            MM_ERR_STORAGE_TOO_SMALL);
}

TEST_F(PhysAlloc, InitTakesOwnReservationTableWhenCarvedOneIsTooSmall) {
  ASSERT_EQ(h_.Build({{0x100000, 0x1100000, MM_REGION_USABLE}}, {}, 0x100000, kF, sizeof(mm_reservation)), MM_OK);
  EXPECT_EQ(h_.Check(), "");
  // The carved array stays reserved; a phys.reserved table now holds everything.
  auto r = ResAt(a(), h_.carved()->reserved_phys);
  ASSERT_NE(r, nullptr);
  EXPECT_STREQ(r->label, "reserved");
  EXPECT_GE(Stats().reservations, 3u);
}

TEST_F(PhysAlloc, InitFailsWhenWindowCannotMap) {
  h_.sim().FailAfter(0);
  EXPECT_EQ(h_.Build({{0x100000, 0x200000, MM_REGION_USABLE}}, {}, 0x100000), MM_ERR_NO_MEMORY);
}

TEST_F(PhysAlloc, InitFailsWhenARunBeforeAReservationFindsTheRunArrayFull) {
  // One run slot: region A's run fills it, region B's piece below its reservation has nowhere to go.
  EXPECT_EQ(h_.Build({{0x100000, 0x200000, MM_REGION_USABLE}, {0x300000, 0x400000, MM_REGION_USABLE}},
                     {{0x380000, 0x390000, MM_RES_TEST, "mid"}}, 0x100000, sizeof(mm_range)),
            MM_ERR_STORAGE_TOO_SMALL);
}

TEST_F(PhysAlloc, InitFailsWhenNoMemoryIsLeftForItsOwnReservationTable) {
  // The carved reservation array holds no slot and the carved arrays use the whole region: no frame to take.
  EXPECT_EQ(h_.Build({{0x100000, 0x100000 + 2 * kF, MM_REGION_USABLE}}, {}, 0x100000, kF, 8), MM_ERR_STORAGE_TOO_SMALL);
}

TEST_F(PhysAlloc, InitFailsCleanlyWhereverTheWindowStopsMapping) {
  bool saw_failure = false;
  for (uint64_t n = 0; n < 6; n++) {
    PhysHarness h;
    h.sim().FailAfter(n);
    mm_status s = h.Build({{0x100000, 0x1100000, MM_REGION_USABLE}}, {}, 0x100000);
    ASSERT_TRUE(s == MM_OK || s == MM_ERR_NO_MEMORY) << n << ": " << s;
    saw_failure |= s == MM_ERR_NO_MEMORY;
  }
  EXPECT_TRUE(saw_failure);
}

TEST_F(PhysAlloc, EveryEntryRejectsANullAllocator) {
  phys_addr_t f = 0;
  EXPECT_EQ(mm_phys_alloc_frame(nullptr, &f), MM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mm_phys_reserve(nullptr, 0, kF, MM_RES_TEST, "x"), MM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mm_phys_reclaim(nullptr, nullptr), MM_ERR_INVALID_ARGUMENT);
  EXPECT_FALSE(mm_phys_reservation_at(nullptr, 0, nullptr));
  mm_phys_stats st = mm_phys_get_stats(nullptr);
  EXPECT_EQ(st.managed_frames, 0u);
  EXPECT_EQ(st.bookkeeping_bytes, 0u);
  int calls = 0;
  mm_phys_for_each_free_run(nullptr, [](void *c, mm_range) { return ++*static_cast<int *>(c) > 0; }, &calls);
  mm_phys_for_each_reservation(
      nullptr, [](void *c, const mm_reservation *) { return ++*static_cast<int *>(c) > 0; }, &calls);
  EXPECT_EQ(calls, 0);
  BuildSimple();
  EXPECT_EQ(mm_phys_alloc_frame(a(), nullptr), MM_ERR_INVALID_ARGUMENT);
  mm_phys_for_each_free_run(a(), nullptr, nullptr);  // no function: nothing to do
  mm_phys_for_each_reservation(a(), nullptr, nullptr);
  EXPECT_EQ(h_.Check(), "");
}

// ---- late reservations (memblock "reserve") ----

TEST_F(PhysAlloc, ReserveSimpleRangeSplitsTheRun) {
  BuildSimple();
  ASSERT_EQ(mm_phys_reserve(a(), 32 * kMiB, 2 * kMiB, MM_RES_LATE, "acpi"), MM_OK);
  EXPECT_TRUE(RunsEq(FreeRuns(), Runs({{kBase, 32 * kMiB}, {34 * kMiB, 80 * kMiB}})));
  auto r = ResAt(a(), 33 * kMiB);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->kind, MM_RES_LATE);
  EXPECT_STREQ(r->label, "acpi");
  EXPECT_EQ(h_.Check(), "");
}

TEST_F(PhysAlloc, ReserveDisjointRanges) {
  BuildSimple();
  ASSERT_EQ(mm_phys_reserve(a(), 32 * kMiB, kMiB, MM_RES_LATE, "x"), MM_OK);
  ASSERT_EQ(mm_phys_reserve(a(), 48 * kMiB, kMiB, MM_RES_LATE, "y"), MM_OK);
  EXPECT_TRUE(RunsEq(FreeRuns(), Runs({{kBase, 32 * kMiB}, {33 * kMiB, 48 * kMiB}, {49 * kMiB, 80 * kMiB}})));
  EXPECT_EQ(h_.Check(), "");
}

TEST_F(PhysAlloc, ReserveOverlapTopOfMemoryTrimsTheRun) {
  BuildSimple();
  ASSERT_EQ(mm_phys_reserve(a(), 79 * kMiB, 4 * kMiB, MM_RES_LATE, "top"), MM_OK);
  EXPECT_TRUE(RunsEq(FreeRuns(), Runs({{kBase, 79 * kMiB}})));
  EXPECT_EQ(Stats().reserved_frames, 2 + kMiB / kF);  // only the managed part counts
  EXPECT_EQ(h_.Check(), "");
}

TEST_F(PhysAlloc, ReserveOverlapBottomOfMemoryTrimsTheRun) {
  ASSERT_EQ(h_.Build({{16 * kMiB, 80 * kMiB, MM_REGION_USABLE}}, {}, 70 * kMiB), MM_OK);
  ASSERT_EQ(mm_phys_reserve(a(), 15 * kMiB, 2 * kMiB, MM_RES_LATE, "bottom"), MM_OK);
  EXPECT_EQ(FreeRuns().front().base, 17 * kMiB);
  EXPECT_EQ(h_.Check(), "");
}

TEST_F(PhysAlloc, ReserveWithinExistingReservationChangesNothingFree) {
  BuildSimple(64 * kMiB, {{32 * kMiB, 40 * kMiB, MM_RES_IDENTITY, "id"}});
  auto runs = FreeRuns();
  ASSERT_EQ(mm_phys_reserve(a(), 33 * kMiB, kMiB, MM_RES_LATE, "inner"), MM_OK);
  EXPECT_TRUE(RunsEq(FreeRuns(), runs));
  EXPECT_EQ(Stats().reserved_frames, 2 + 8 * kMiB / kF);
  EXPECT_EQ(Stats().reservations, 4u);
  EXPECT_EQ(h_.Check(), "");
}

TEST_F(PhysAlloc, ReserveBetweenTwoReservationsBridgesThem) {
  BuildSimple(64 * kMiB, {{32 * kMiB, 33 * kMiB, MM_RES_LATE, "a"}, {35 * kMiB, 36 * kMiB, MM_RES_LATE, "b"}});
  ASSERT_EQ(mm_phys_reserve(a(), 33 * kMiB - kF, 2 * kMiB + 2 * kF, MM_RES_LATE, "bridge"), MM_OK);
  EXPECT_TRUE(RunsEq(FreeRuns(), Runs({{kBase, 32 * kMiB}, {36 * kMiB, 80 * kMiB}})));
  EXPECT_EQ(Stats().reserved_frames, 2 + 4 * kMiB / kF);
  EXPECT_EQ(h_.Check(), "");
}

TEST_F(PhysAlloc, ReserveNearMaxAddress) {
  const uint64_t top = (1ull << 52);
  ASSERT_EQ(h_.Build({{top - 64 * kMiB, top, MM_REGION_USABLE}}, {}, top - 64 * kMiB), MM_OK);
  ASSERT_EQ(mm_phys_reserve(a(), top - kF, kF, MM_RES_LATE, "last"), MM_OK);
  EXPECT_TRUE(RunsEq(FreeRuns(), Runs({{top - 64 * kMiB + 2 * kF, top - kF}})));
  EXPECT_EQ(mm_phys_reserve(a(), UINT64_MAX - kF, 2 * kF, MM_RES_LATE, "wrap"), MM_ERR_OVERFLOW);
  EXPECT_EQ(mm_phys_reserve(a(), UINT64_MAX - 10, 5, MM_RES_LATE, "round"), MM_ERR_OVERFLOW);
  EXPECT_EQ(h_.Check(), "");
}

TEST_F(PhysAlloc, TopSpanOfTheAddressSpaceFragmentsIntoABitmapWithoutWrapping) {
  // The last 128 MiB span's end is 2^64, which wraps to 0 unless it is saturated.
  const uint64_t top_span = 0ull - 128 * kMiB;
  const uint64_t region_end = UINT64_MAX & ~MM_FRAME_MASK;
  ASSERT_EQ(h_.Build({{top_span + 64 * kMiB, region_end, MM_REGION_USABLE}}, {}, top_span + 64 * kMiB), MM_OK);
  const mm_phys_stats before = Stats();
  std::vector<phys_addr_t> taken;
  for (uint64_t i = 0; i < 40; i++) {  // every other frame near the top: far more than 8 runs in the span
    phys_addr_t f = region_end - (2 * i + 2) * kF;
    ASSERT_EQ(mm_phys_alloc_fixed(a(), f, 1), MM_OK) << i;
    taken.push_back(f);
  }
  EXPECT_EQ(h_.Check(), "");
  // The span really switched to a bitmap (its frame is new bookkeeping); with a wrapping span end the
  // run count of the top span read as 0 and it never converted.
  EXPECT_GE(Stats().bookkeeping_bytes, before.bookkeeping_bytes + kF);
  EXPECT_TRUE(mm_phys_is_free(a(), region_end - kF));
  for (phys_addr_t f : taken) ASSERT_EQ(mm_phys_free(a(), f, 1), MM_OK);
  EXPECT_EQ(mm_phys_free(a(), taken[0], 1), MM_ERR_DOUBLE_FREE);
  EXPECT_EQ(h_.Check(), "");
  EXPECT_EQ(Stats().free_frames + Stats().reserved_frames, before.free_frames + before.reserved_frames);
}

TEST_F(PhysAlloc, ReserveManyEntriesGrowsTableFromItself) {
  BuildSimple(256 * kMiB);
  const uint64_t n = 600;  // the carved array holds ~73 entries
  for (uint64_t i = 0; i < n; i++) {
    ASSERT_EQ(mm_phys_reserve(a(), 32 * kMiB + i * 4 * kF, kF, MM_RES_LATE, "many"), MM_OK) << i;
  }
  ASSERT_EQ(h_.Check(), "");
  mm_phys_stats st = Stats();
  EXPECT_GE(st.reservations, n + 2);
  EXPECT_EQ(st.reserved_frames, 2 + n + (st.bookkeeping_bytes - mm_phys_allocator_size() - 2 * kF) / kF);
  for (uint64_t i = 0; i < n; i++) {
    EXPECT_FALSE(mm_phys_is_free(a(), 32 * kMiB + i * 4 * kF));
    EXPECT_TRUE(mm_phys_is_free(a(), 32 * kMiB + i * 4 * kF + kF));
  }
  // Growth blocks are recorded as bookkeeping reservations.
  int grown = 0;
  mm_phys_for_each_reservation(
      a(),
      [](void *ctx, const mm_reservation *r) {
        if (r->kind == MM_RES_BOOKKEEPING && std::strncmp(r->label, "phys.", 5) == 0) ++*static_cast<int *>(ctx);
        return true;
      },
      &grown);
  EXPECT_GE(grown, 2);
}

TEST_F(PhysAlloc, ReserveOverAllocatedFramesMovesThemOutOfAllocated) {
  BuildSimple();
  phys_addr_t f;
  ASSERT_EQ(Alloc(16, 0, 0, 0, &f), MM_OK);
  EXPECT_EQ(Stats().allocated_frames, 16u);
  ASSERT_EQ(mm_phys_reserve(a(), f, 8 * kF, MM_RES_PAGE_TABLES, "pt"), MM_OK);
  EXPECT_EQ(Stats().allocated_frames, 8u);
  EXPECT_EQ(mm_phys_free(a(), f, 16), MM_ERR_RESERVED);
  EXPECT_EQ(mm_phys_free(a(), f + 8 * kF, 8), MM_OK);
  EXPECT_EQ(h_.Check(), "");
}

TEST_F(PhysAlloc, ReserveRejectsBadArguments) {
  BuildSimple();
  ExpectFailsUnchanged(MM_ERR_ZERO_COUNT, [&] { return mm_phys_reserve(a(), 32 * kMiB, 0, MM_RES_LATE, "z"); });
  ExpectFailsUnchanged(MM_ERR_INVALID_ARGUMENT,
                       [&] { return mm_phys_reserve(a(), 32 * kMiB, kF, MM_RES_KIND_COUNT, "k"); });
  ExpectFailsUnchanged(MM_ERR_OVERFLOW, [&] { return mm_phys_reserve(a(), 32 * kMiB, UINT64_MAX, MM_RES_LATE, "o"); });
}

TEST_F(PhysAlloc, ReserveUnalignedRoundsOutward) {
  BuildSimple();
  ASSERT_EQ(mm_phys_reserve(a(), 32 * kMiB + 100, 5000, MM_RES_LATE, "round"), MM_OK);
  auto r = ResAt(a(), 32 * kMiB + kF);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->base, 32 * kMiB);
  EXPECT_EQ(r->end, 32 * kMiB + 2 * kF);
}

// ---- allocation ----

TEST_F(PhysAlloc, AllocFrameTakesLowestFirst) {
  BuildSimple();
  phys_addr_t f1, f2;
  ASSERT_EQ(mm_phys_alloc_frame(a(), &f1), MM_OK);
  ASSERT_EQ(mm_phys_alloc_frame(a(), &f2), MM_OK);
  EXPECT_EQ(f1, kBase);
  EXPECT_EQ(f2, kBase + kF);
  ASSERT_EQ(mm_phys_free(a(), f1, 1), MM_OK);
  ASSERT_EQ(mm_phys_alloc_frame(a(), &f2), MM_OK);
  EXPECT_EQ(f2, f1);
  EXPECT_EQ(Stats().allocated_frames, 2u);
}

TEST_F(PhysAlloc, AllocSecondFitSkipsTooSmallFirstRun) {
  BuildSimple(64 * kMiB, {{kBase + 4 * kF, 32 * kMiB, MM_RES_LATE, "gap"}});
  phys_addr_t f;
  ASSERT_EQ(Alloc(8, 0, 0, 0, &f), MM_OK);
  EXPECT_EQ(f, 32 * kMiB);
  ASSERT_EQ(Alloc(4, 0, 0, 0, &f), MM_OK);
  EXPECT_EQ(f, kBase);
}

TEST_F(PhysAlloc, AllocSmallGapsFitExactly) {
  BuildSimple(64 * kMiB, {{kBase + kF, kBase + 2 * kF, MM_RES_LATE, "a"},
                          {kBase + 4 * kF, kBase + 5 * kF, MM_RES_LATE, "b"},
                          {kBase + 8 * kF, 80 * kMiB, MM_RES_LATE, "rest"}});
  phys_addr_t f;
  ASSERT_EQ(Alloc(3, 0, 0, 0, &f), MM_OK);
  EXPECT_EQ(f, kBase + 5 * kF);
  ASSERT_EQ(Alloc(2, 0, 0, 0, &f), MM_OK);
  EXPECT_EQ(f, kBase + 2 * kF);
  ASSERT_EQ(Alloc(1, 0, 0, 0, &f), MM_OK);
  EXPECT_EQ(f, kBase);
  ExpectFailsUnchanged(MM_ERR_NO_MEMORY, [&] { return Alloc(1, 0, 0, 0, &f); });
}

TEST_F(PhysAlloc, AllocEverythingReservedFindsNothing) {
  BuildSimple(64 * kMiB, {{16 * kMiB, 80 * kMiB, MM_RES_IDENTITY, "all"}});
  EXPECT_EQ(Stats().free_frames, 0u);
  phys_addr_t f;
  ExpectFailsUnchanged(MM_ERR_NO_MEMORY, [&] { return mm_phys_alloc_frame(a(), &f); });
  ExpectFailsUnchanged(MM_ERR_NO_MEMORY, [&] { return Alloc(1, 0, 0, 0, &f); });
}

TEST_F(PhysAlloc, AllocNoSpaceAfterExhaustion) {
  BuildSimple(kMiB);
  phys_addr_t f;
  uint64_t n = 0;
  while (mm_phys_alloc_frame(a(), &f) == MM_OK) n++;
  EXPECT_EQ(n + Stats().reserved_frames, kMiB / kF);
  ExpectFailsUnchanged(MM_ERR_NO_MEMORY, [&] { return Alloc(1, 0, 0, 0, &f); });
  EXPECT_EQ(h_.Check(), "");
}

TEST_F(PhysAlloc, AllocLimitedSpaceExactFit) {
  BuildSimple(kMiB);
  uint64_t free_frames = Stats().free_frames;
  phys_addr_t f;
  ExpectFailsUnchanged(MM_ERR_NO_MEMORY, [&] { return Alloc(free_frames + 1, 0, 0, 0, &f); });
  ASSERT_EQ(Alloc(free_frames, 0, 0, 0, &f), MM_OK);
  EXPECT_EQ(f, kBase);
  EXPECT_EQ(Stats().free_frames, 0u);
}

TEST_F(PhysAlloc, AllocTooLargeAndInvalidRequests) {
  BuildSimple();
  phys_addr_t f;
  ExpectFailsUnchanged(MM_ERR_NO_MEMORY, [&] { return Alloc(UINT64_MAX, 0, 0, 0, &f); });
  ExpectFailsUnchanged(MM_ERR_ZERO_COUNT, [&] { return Alloc(0, 0, 0, 0, &f); });
  ExpectFailsUnchanged(MM_ERR_INVALID_ARGUMENT, [&] { return Alloc(1, 3 * kF, 0, 0, &f); });
  ExpectFailsUnchanged(MM_ERR_INVALID_ARGUMENT, [&] { return Alloc(1, 3, 0, 0, &f); });  // below a frame, not 2^n
  ExpectFailsUnchanged(MM_ERR_INVALID_ARGUMENT, [&] { return Alloc(1, 0, 32 * kMiB, 32 * kMiB, &f); });
  EXPECT_EQ(mm_phys_alloc(a(), nullptr, &f), MM_ERR_INVALID_ARGUMENT);
}

TEST_F(PhysAlloc, AllocAcceptsPowerOfTwoAlignmentBelowOneFrame) {
  BuildSimple();
  phys_addr_t f, g;
  for (uint64_t align : {1ull, 2ull, 512ull, 2048ull}) {
    ASSERT_EQ(Alloc(1, 0, 20 * kMiB + kF, 0, &g), MM_OK);  // what the default alignment gives
    ASSERT_EQ(mm_phys_free(a(), g, 1), MM_OK);
    ASSERT_EQ(Alloc(1, align, 20 * kMiB + kF, 0, &f), MM_OK) << align;
    EXPECT_EQ(f, g) << align;  // same lowest fit: every frame satisfies the alignment
    ASSERT_EQ(mm_phys_free(a(), f, 1), MM_OK);
  }
  EXPECT_EQ(h_.Check(), "");
}

TEST_F(PhysAlloc, AllocHonoursAlignment) {
  BuildSimple();
  phys_addr_t f;
  ASSERT_EQ(Alloc(1, 0, 0, 0, &f), MM_OK);
  ASSERT_EQ(Alloc(4, 2 * kMiB, 0, 0, &f), MM_OK);
  EXPECT_EQ(f, 18 * kMiB);
  ASSERT_EQ(Alloc(1, 64 * kF, 0, 0, &f), MM_OK);
  EXPECT_EQ(f, 16 * kMiB + 64 * kF);
  ASSERT_EQ(Alloc(512, 2 * kMiB, 0, 0, &f), MM_OK);
  EXPECT_EQ(f, 20 * kMiB);
  ASSERT_EQ(Alloc(1, 64 * kMiB, 0, 0, &f), MM_OK);
  EXPECT_EQ(f, 64 * kMiB);
  EXPECT_EQ(h_.Check(), "");
}

TEST_F(PhysAlloc, AllocHonoursMinAndMaxAddress) {
  ASSERT_EQ(h_.Build({{kMiB, 2 * kMiB, MM_REGION_USABLE}, {3 * kGiB, 5 * kGiB, MM_REGION_USABLE}}, {}, kMiB), MM_OK);
  phys_addr_t f;
  // Below 4 GiB (DMA): the high region straddles the limit.
  ASSERT_EQ(Alloc(1024, 0, 2 * kMiB, 4 * kGiB, &f), MM_OK);
  EXPECT_EQ(f, 3 * kGiB);
  ASSERT_EQ(Alloc(4, 0, 4 * kGiB, 0, &f), MM_OK);
  EXPECT_EQ(f, 4 * kGiB);
  ASSERT_EQ(Alloc(2, 0, 4 * kGiB - kF, 4 * kGiB + kF, &f), MM_ERR_NO_MEMORY);  // only one frame each side free
  // A window too small for the request fails; one that fits the end exactly succeeds.
  ASSERT_EQ(Alloc(1, 0, 0, kMiB + 2 * kF, &f), MM_ERR_NO_MEMORY);
  ASSERT_EQ(Alloc(1, 0, 0, kMiB + 3 * kF, &f), MM_OK);
  EXPECT_EQ(f, kMiB + 2 * kF);
  EXPECT_EQ(h_.Check(), "");
}

// ---- free: every error, state unchanged ----

TEST_F(PhysAlloc, FreeErrorsLeaveStateUnchanged) {
  BuildSimple(64 * kMiB, {{40 * kMiB, 41 * kMiB, MM_RES_FRAMEBUFFER, "fb"}});
  phys_addr_t f;
  ASSERT_EQ(Alloc(8, 0, 0, 0, &f), MM_OK);
  ExpectFailsUnchanged(MM_ERR_ZERO_COUNT, [&] { return mm_phys_free(a(), f, 0); });
  ExpectFailsUnchanged(MM_ERR_MISALIGNED, [&] { return mm_phys_free(a(), f + 1, 1); });
  ExpectFailsUnchanged(MM_ERR_OVERFLOW, [&] { return mm_phys_free(a(), UINT64_MAX & ~MM_FRAME_MASK, 2); });
  ExpectFailsUnchanged(MM_ERR_NOT_OWNED, [&] { return mm_phys_free(a(), 100 * kMiB, 1); });
  ExpectFailsUnchanged(MM_ERR_NOT_OWNED, [&] { return mm_phys_free(a(), 80 * kMiB - kF, 2); });
  ExpectFailsUnchanged(MM_ERR_RESERVED, [&] { return mm_phys_free(a(), 40 * kMiB, 1); });
  ExpectFailsUnchanged(MM_ERR_RESERVED, [&] { return mm_phys_free(a(), 16 * kMiB, 1); });  // carved array
  ExpectFailsUnchanged(MM_ERR_DOUBLE_FREE, [&] { return mm_phys_free(a(), 50 * kMiB, 1); });
  ExpectFailsUnchanged(MM_ERR_DOUBLE_FREE, [&] { return mm_phys_free(a(), f, 9); });  // last frame free
  ASSERT_EQ(mm_phys_free(a(), f, 8), MM_OK);
  ExpectFailsUnchanged(MM_ERR_DOUBLE_FREE, [&] { return mm_phys_free(a(), f, 8); });
}

TEST_F(PhysAlloc, FreeErrorOrderIsDocumented) {
  BuildSimple();
  EXPECT_EQ(mm_phys_free(a(), 1, 0), MM_ERR_ZERO_COUNT);        // zero count before misalignment
  EXPECT_EQ(mm_phys_free(a(), UINT64_MAX, 1), MM_ERR_MISALIGNED);  // misalignment before overflow
  EXPECT_EQ(mm_phys_free(a(), 0, UINT64_MAX), MM_ERR_OVERFLOW);    // overflow before ownership
  EXPECT_EQ(mm_phys_free(a(), 16 * kMiB, 100), MM_ERR_RESERVED);   // reserved before double free
}

// alloc_fixed checks its range arguments in the same documented order as free (phys_alloc.h).
TEST_F(PhysAlloc, AllocFixedErrorOrderIsTheSameAsFree) {
  BuildSimple();
  EXPECT_EQ(mm_phys_alloc_fixed(a(), 1, 0), MM_ERR_ZERO_COUNT);           // zero count before misalignment
  EXPECT_EQ(mm_phys_alloc_fixed(a(), UINT64_MAX, 1), MM_ERR_MISALIGNED);  // misalignment before overflow
  EXPECT_EQ(mm_phys_alloc_fixed(a(), 0, UINT64_MAX), MM_ERR_OVERFLOW);    // overflow before ownership
  EXPECT_EQ(mm_phys_alloc_fixed(a(), 16 * kMiB, 100), MM_ERR_RESERVED);   // reserved before not free
  for (auto [base, count] :
       {std::pair<phys_addr_t, uint64_t>{1, 0}, {UINT64_MAX, 1}, {0, UINT64_MAX}, {16 * kMiB, 100}, {8 * kMiB, 1}}) {
    EXPECT_EQ(mm_phys_alloc_fixed(a(), base, count), mm_phys_free(a(), base, count)) << base << " " << count;
  }
  EXPECT_EQ(mm_phys_alloc_fixed(nullptr, 0, 0), MM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mm_phys_free(nullptr, 0, 0), MM_ERR_INVALID_ARGUMENT);
}

TEST_F(PhysAlloc, FreeMergesWithBothNeighbours) {
  BuildSimple();
  phys_addr_t f;
  ASSERT_EQ(Alloc(3, 0, 0, 0, &f), MM_OK);
  ASSERT_EQ(mm_phys_free(a(), f, 1), MM_OK);
  ASSERT_EQ(mm_phys_free(a(), f + 2 * kF, 1), MM_OK);
  EXPECT_EQ(Stats().free_runs, 2u);
  ASSERT_EQ(mm_phys_free(a(), f + kF, 1), MM_OK);
  EXPECT_TRUE(RunsEq(FreeRuns(), Runs({{kBase, 80 * kMiB}})));
  EXPECT_EQ(h_.Check(), "");
}

// ---- fixed allocation ----

TEST_F(PhysAlloc, AllocFixedTakesExactlyTheRange) {
  BuildSimple(64 * kMiB, {{40 * kMiB, 41 * kMiB, MM_RES_FRAMEBUFFER, "fb"}});
  ASSERT_EQ(mm_phys_alloc_fixed(a(), 32 * kMiB, 16), MM_OK);
  EXPECT_FALSE(mm_phys_is_free(a(), 32 * kMiB));
  EXPECT_TRUE(mm_phys_is_free(a(), 32 * kMiB + 16 * kF));
  ExpectFailsUnchanged(MM_ERR_NOT_FREE, [&] { return mm_phys_alloc_fixed(a(), 32 * kMiB - kF, 2); });
  ExpectFailsUnchanged(MM_ERR_MISALIGNED, [&] { return mm_phys_alloc_fixed(a(), 33 * kMiB + 5, 1); });
  ExpectFailsUnchanged(MM_ERR_ZERO_COUNT, [&] { return mm_phys_alloc_fixed(a(), 33 * kMiB, 0); });
  ExpectFailsUnchanged(MM_ERR_OVERFLOW, [&] { return mm_phys_alloc_fixed(a(), 33 * kMiB, UINT64_MAX); });
  ExpectFailsUnchanged(MM_ERR_NOT_OWNED, [&] { return mm_phys_alloc_fixed(a(), 90 * kMiB, 1); });
  ExpectFailsUnchanged(MM_ERR_RESERVED, [&] { return mm_phys_alloc_fixed(a(), 40 * kMiB - kF, 2); });
  EXPECT_EQ(Stats().allocated_frames, 16u);
  EXPECT_EQ(mm_phys_free(a(), 32 * kMiB, 16), MM_OK);
  EXPECT_EQ(h_.Check(), "");
}

}  // namespace
