// Tests for the runtime physical frame allocator (phys_alloc.c, phys_freeset.c, phys_check.c), in the
// families of Linux's tools/testing/memblock: add/reserve (simple, disjoint, overlap top/bottom, within,
// between, near max, many), allocation (second fit, small gaps, all reserved, no space, limited space, too
// large, alignment, address windows), every free error, fixed allocation, late reservation, reclaim, growth
// from tiny carved arrays, and frees that must succeed however little bookkeeping space is left.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "mm/testing/phys_harness.h"
#include "mm/testing/reference_model.h"

extern "C" {
#include "mm/phys_alloc_internal.h"  // white-box: proves the parking path runs
}

extern "C" {
#include "mm/carve.h"
#include "mm/early_alloc.h"
#include "mm/plan.h"
}

namespace {

using mm_testing::AllocatorFreeRuns;
using mm_testing::PhysHarness;
using mm_testing::RegionSpec;
using mm_testing::ReservationSpec;

constexpr uint64_t kF = MM_FRAME_SIZE;
constexpr uint64_t kMiB = 1ull << 20;
constexpr uint64_t kGiB = 1ull << 30;

std::vector<mm_range> Runs(std::initializer_list<std::pair<uint64_t, uint64_t>> l) {
  std::vector<mm_range> v;
  for (auto &p : l) v.push_back({p.first, p.second});
  return v;
}

// The reservation holding `frame` as a copy (mm_phys_reservation_at), or nullptr.
std::unique_ptr<mm_reservation> ResAt(const mm_phys_allocator *a, phys_addr_t frame) {
  std::unique_ptr<mm_reservation> r(new mm_reservation{});
  if (!mm_phys_reservation_at(a, frame, r.get())) r.reset();
  return r;
}

::testing::AssertionResult RunsEq(const std::vector<mm_range> &got, const std::vector<mm_range> &want) {
  if (mm_testing::SameRuns(got, want)) return ::testing::AssertionSuccess();
  auto fmt = [](const std::vector<mm_range> &v) {
    std::string s;
    for (auto &r : v)
      s += "[" + mm_testing::ReferenceModel::Hex(r.base) + "," + mm_testing::ReferenceModel::Hex(r.end) + ") ";
    return s;
  };
  return ::testing::AssertionFailure() << "got " << fmt(got) << "\nwant " << fmt(want);
}

class PhysAlloc : public ::testing::Test {
 protected:
  // One usable region [16 MiB, 16 MiB + size) with the carved arrays at its start (two frames).
  void BuildSimple(uint64_t size = 64 * kMiB, std::vector<ReservationSpec> res = {}) {
    ASSERT_EQ(h_.Build({{16 * kMiB, 16 * kMiB + size, MM_REGION_USABLE}}, res, 16 * kMiB), MM_OK);
    ASSERT_EQ(h_.Check(), "");
  }
  mm_phys_allocator *a() { return h_.alloc(); }
  std::vector<mm_range> FreeRuns() { return AllocatorFreeRuns(a()); }
  mm_phys_stats Stats() { return mm_phys_get_stats(a()); }
  mm_status Alloc(uint64_t count, uint64_t align, uint64_t lo, uint64_t hi, phys_addr_t *out) {
    mm_alloc_request req{count, align, lo, hi};
    return mm_phys_alloc(a(), &req, out);
  }
  // The operation must fail with `want` and leave stats and free runs exactly as they were.
  template <typename F>
  void ExpectFailsUnchanged(mm_status want, F op) {
    auto runs = FreeRuns();
    mm_phys_stats st = Stats();
    EXPECT_EQ(op(), want);
    EXPECT_TRUE(RunsEq(FreeRuns(), runs));
    mm_phys_stats st2 = Stats();
    EXPECT_EQ(std::memcmp(&st, &st2, sizeof(st)), 0);
    EXPECT_EQ(h_.Check(), "");
  }
  PhysHarness h_;
  const uint64_t kBase = 16 * kMiB + 2 * kF;  // first free frame after the carved arrays
};

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

// ---- reclaim ----

TEST_F(PhysAlloc, ReclaimAddsBootServicesAndLoaderMinusReservations) {
  ASSERT_EQ(h_.Build({{0x100000, 0x200000, MM_REGION_USABLE},
                      {0x200000, 0x300000, MM_REGION_BOOT_SERVICES},
                      {0x300000, 0x380000, MM_REGION_LOADER},
                      {0x380000, 0x400000, MM_REGION_ACPI_RECLAIM},
                      {0x400000, 0x500000, MM_REGION_USABLE}},
                     {{0x300000, 0x310000, MM_RES_KERNEL_IMAGE, "kernel"}}, 0x100000),
            MM_OK);
  uint64_t gained = 0;
  ASSERT_EQ(mm_phys_reclaim(a(), &gained), MM_OK);
  EXPECT_EQ(gained, (0x100000 + 0x70000) / kF);
  EXPECT_TRUE(RunsEq(FreeRuns(), Runs({{0x102000, 0x300000}, {0x310000, 0x380000}, {0x400000, 0x500000}})));
  mm_phys_stats st = Stats();
  EXPECT_EQ(st.managed_frames, (0x100000 + 0x100000 + 0x80000 + 0x100000) / kF);
  EXPECT_EQ(st.reserved_frames, 2 + 0x10000 / kF);
  EXPECT_EQ(h_.Check(), "");
  ASSERT_EQ(mm_phys_reclaim(a(), &gained), MM_OK);  // idempotent
  EXPECT_EQ(gained, 0u);
  EXPECT_EQ(mm_phys_reclaim(a(), nullptr), MM_OK);
  // Reclaimed memory is managed now: it can be freed back after allocation.
  ASSERT_EQ(mm_phys_alloc_fixed(a(), 0x200000, 4), MM_OK);
  EXPECT_EQ(mm_phys_free(a(), 0x200000, 4), MM_OK);
  EXPECT_EQ(mm_phys_free(a(), 0x380000, 1), MM_ERR_NOT_OWNED);  // ACPI reclaim is not reclaimed here
}

TEST_F(PhysAlloc, ReclaimSurvivesTableGrowthBetweenPieces) {
  // The run array is exactly full at hand-off, so reclaiming a region cut by reservations grows the tables
  // between pieces; the new bookkeeping entries land before the reservation being stepped over.
  std::vector<ReservationSpec> res;
  for (int i = 0; i < 12; i++) {
    res.push_back({32 * kMiB + (2 * i + 1) * 64 * kF, 32 * kMiB + (2 * i + 1) * 64 * kF + kF, MM_RES_FIRMWARE, "fw"});
  }
  ASSERT_EQ(h_.Build({{16 * kMiB, 32 * kMiB, MM_REGION_USABLE}, {32 * kMiB, 48 * kMiB, MM_REGION_BOOT_SERVICES}}, res,
                     16 * kMiB, 1 * sizeof(mm_range), 15 * (sizeof(mm_reservation) + 8)),
            MM_OK);
  uint64_t gained = 0;
  ASSERT_EQ(mm_phys_reclaim(a(), &gained), MM_OK);
  EXPECT_EQ(gained, 16 * kMiB / kF - 12);
  ASSERT_EQ(h_.Check(), "");
  for (int i = 0; i < 12; i++) EXPECT_FALSE(mm_phys_is_free(a(), res[i].base));
}

TEST_F(PhysAlloc, BeforeReclaimBootServicesAreNotOwned) {
  ASSERT_EQ(h_.Build({{0x100000, 0x200000, MM_REGION_USABLE}, {0x200000, 0x300000, MM_REGION_BOOT_SERVICES}}, {},
                     0x100000),
            MM_OK);
  EXPECT_EQ(mm_phys_free(a(), 0x200000, 1), MM_ERR_NOT_OWNED);
  EXPECT_EQ(mm_phys_alloc_fixed(a(), 0x200000, 1), MM_ERR_NOT_OWNED);
}

// ---- queries ----

TEST_F(PhysAlloc, QueriesReportReservationsAndFreeFrames) {
  BuildSimple(64 * kMiB, {{32 * kMiB, 34 * kMiB, MM_RES_IDENTITY, "id"}, {33 * kMiB, 35 * kMiB, MM_RES_STACK, "st"}});
  EXPECT_EQ(ResAt(a(), 20 * kMiB), nullptr);
  ASSERT_NE(ResAt(a(), 33 * kMiB), nullptr);
  EXPECT_STREQ(ResAt(a(), 33 * kMiB)->label, "id");  // lowest base wins
  EXPECT_STREQ(ResAt(a(), 34 * kMiB + 5)->label, "st");
  EXPECT_STREQ(ResAt(a(), 16 * kMiB)->label, "free_runs");
  EXPECT_TRUE(mm_phys_is_free(a(), 20 * kMiB + 7));
  EXPECT_FALSE(mm_phys_is_free(a(), 33 * kMiB));
  EXPECT_FALSE(mm_phys_is_free(a(), 90 * kMiB));
  std::vector<uint64_t> bases;
  mm_phys_for_each_reservation(
      a(),
      [](void *ctx, const mm_reservation *r) {
        static_cast<std::vector<uint64_t> *>(ctx)->push_back(r->base);
        return true;
      },
      &bases);
  EXPECT_TRUE(std::is_sorted(bases.begin(), bases.end()));
  int calls = 0;
  mm_phys_for_each_free_run(a(), [](void *ctx, mm_range) { return ++*static_cast<int *>(ctx) < 1; }, &calls);
  EXPECT_EQ(calls, 1);  // stops early
}

// ---- bitmap spans ----

TEST_F(PhysAlloc, FragmentedSpanBecomesBitmapAndRunsStayMaximal) {
  BuildSimple(512 * kMiB);
  // Free every other frame of a 64-frame block: many runs in one span.
  phys_addr_t f;
  ASSERT_EQ(Alloc(64, 0, 200 * kMiB, 0, &f), MM_OK);
  for (int i = 0; i < 64; i += 2) ASSERT_EQ(mm_phys_free(a(), f + i * kF, 1), MM_OK);
  ASSERT_EQ(h_.Check(), "");
  mm_phys_stats st = Stats();
  // The bitmap frame and the span table came from the lowest free frames, recorded as bookkeeping.
  auto bk = ResAt(a(), kBase);
  ASSERT_NE(bk, nullptr);
  EXPECT_EQ(bk->kind, MM_RES_BOOKKEEPING);
  EXPECT_EQ(std::string(bk->label).substr(0, 5), "phys.");
  EXPECT_EQ(st.bookkeeping_bytes, mm_phys_allocator_size() + 4 * kF);  // + bitmap frame + span table
  // [low, f + 1), 30 single frames, [f + 62 frames, end): iteration merges the bitmap span's bit-runs with
  // the runs on either side.
  EXPECT_EQ(st.free_runs, 33u);
  auto runs = FreeRuns();
  EXPECT_EQ(runs.front().base, kBase + 2 * kF);
  EXPECT_EQ(runs.back().end, 528 * kMiB);
  // Free the rest: one maximal run again, across span boundaries.
  for (int i = 1; i < 64; i += 2) ASSERT_EQ(mm_phys_free(a(), f + i * kF, 1), MM_OK);
  ASSERT_EQ(h_.Check(), "");
  EXPECT_EQ(Stats().free_runs, 1u);
  // Allocations keep working inside the bitmap span: 2 MiB aligned, fixed, single frames.
  ASSERT_EQ(Alloc(512, 2 * kMiB, 200 * kMiB, 0, &f), MM_OK);
  EXPECT_EQ(f, 200 * kMiB);
  ASSERT_EQ(mm_phys_alloc_fixed(a(), f + 2 * kMiB, 3), MM_OK);
  ASSERT_EQ(mm_phys_free(a(), f, 512), MM_OK);
  ASSERT_EQ(mm_phys_free(a(), f + 2 * kMiB, 3), MM_OK);
  EXPECT_EQ(h_.Check(), "");
}

TEST_F(PhysAlloc, AllocationCrossesRunAndBitmapSpan) {
  BuildSimple(512 * kMiB);
  // Fragment the span [128 MiB, 256 MiB) so it becomes a bitmap, leaving its top end free.
  for (int i = 0; i < 40; i++) ASSERT_EQ(mm_phys_alloc_fixed(a(), 130 * kMiB + 2 * i * kF, 1), MM_OK);
  ASSERT_EQ(h_.Check(), "");
  // [250 MiB, 260 MiB) crosses from the bitmap span into run territory.
  ASSERT_EQ(mm_phys_alloc_fixed(a(), 250 * kMiB, 10 * kMiB / kF), MM_OK);
  EXPECT_FALSE(mm_phys_is_free(a(), 255 * kMiB));
  EXPECT_FALSE(mm_phys_is_free(a(), 257 * kMiB));
  ASSERT_EQ(h_.Check(), "");
  ASSERT_EQ(mm_phys_free(a(), 250 * kMiB, 10 * kMiB / kF), MM_OK);
  phys_addr_t f;
  ASSERT_EQ(Alloc(10 * kMiB / kF, 2 * kMiB, 200 * kMiB, 0, &f), MM_OK);
  EXPECT_EQ(f, 200 * kMiB);
  EXPECT_EQ(h_.Check(), "");
}

TEST_F(PhysAlloc, UnalignedMinAddressInsideBitmapSpanRoundsUp) {
  BuildSimple(512 * kMiB);
  for (int i = 0; i < 40; i++) ASSERT_EQ(mm_phys_alloc_fixed(a(), 130 * kMiB + 2 * i * kF, 1), MM_OK);
  ASSERT_EQ(h_.Check(), "");
  phys_addr_t f;
  // 130 MiB + 1 frame is free (odd frames were never taken): a min_addr inside it must not return it.
  ASSERT_EQ(Alloc(1, 0, 130 * kMiB + kF + 1, 0, &f), MM_OK);
  EXPECT_EQ(f, 130 * kMiB + 3 * kF);
  ASSERT_EQ(Alloc(1, 0, 300 * kMiB + 5, 0, &f), MM_OK);  // run territory too
  EXPECT_EQ(f, 300 * kMiB + kF);
}

// ---- growth and bookkeeping space ----

TEST_F(PhysAlloc, GrowthFromTinyCarvedArrays) {
  // Two run slots and room for the initial reservations only: every table must grow from the allocator.
  ASSERT_EQ(h_.Build({{16 * kMiB, 80 * kMiB, MM_REGION_USABLE}}, {}, 16 * kMiB, 2 * sizeof(mm_range),
                     3 * (sizeof(mm_reservation) + 8)),
            MM_OK);
  ASSERT_EQ(h_.Check(), "");
  phys_addr_t f;
  ASSERT_EQ(Alloc(2000, 0, 0, 0, &f), MM_OK);
  for (int i = 0; i < 2000; i += 2) ASSERT_EQ(mm_phys_free(a(), f + i * kF, 1), MM_OK) << i;
  ASSERT_EQ(h_.Check(), "");
  for (int i = 0; i < 300; i++) ASSERT_EQ(mm_phys_reserve(a(), 60 * kMiB + i * 2 * kF, kF, MM_RES_TEST, "t"), MM_OK);
  ASSERT_EQ(h_.Check(), "");
  mm_phys_stats st = Stats();
  EXPECT_EQ(st.free_frames + st.reserved_frames + st.allocated_frames, st.managed_frames);
  EXPECT_EQ(st.allocated_frames, 1000u);
}

TEST_F(PhysAlloc, FreeNeverFailsWhenMemoryIsExhausted) {
  // Tiny arrays, all memory allocated, then every other frame freed: growth has no contiguous memory to use
  // (only isolated single frames are free), so the allocator must park or convert, never fail.
  ASSERT_EQ(h_.Build({{16 * kMiB, 16 * kMiB + 8 * kMiB, MM_REGION_USABLE}}, {}, 16 * kMiB, 2 * sizeof(mm_range),
                     4 * (sizeof(mm_reservation) + 8)),
            MM_OK);
  std::vector<phys_addr_t> frames;
  phys_addr_t f;
  while (mm_phys_alloc_frame(a(), &f) == MM_OK) frames.push_back(f);
  ASSERT_EQ(Stats().free_frames, 0u);
  const uint64_t reserved_before = Stats().reserved_frames;
  for (size_t i = 0; i < frames.size(); i += 2) {
    ASSERT_EQ(mm_phys_free(a(), frames[i], 1), MM_OK) << i;
    if (i % 128 == 0) ASSERT_EQ(h_.Check(), "") << i;
  }
  ASSERT_EQ(h_.Check(), "");
  mm_phys_stats st = Stats();
  EXPECT_EQ(st.free_frames + st.reserved_frames + st.allocated_frames, st.managed_frames);
  // Everything freed is either free or was taken (recorded) for bookkeeping; allocation sees parked frames.
  uint64_t freed = (frames.size() + 1) / 2;
  EXPECT_EQ(st.free_frames + (st.reserved_frames - reserved_before), freed);
  for (size_t i = 1; i < frames.size(); i += 2) ASSERT_EQ(mm_phys_free(a(), frames[i], 1), MM_OK) << i;
  ASSERT_EQ(h_.Check(), "");
  EXPECT_EQ(Stats().allocated_frames, 0u);
}

TEST_F(PhysAlloc, FreeParksRangesWhenRunArrayCannotGrow) {
  // 40 spans x 7 isolated free frames = 280 runs: below the bitmap threshold in every span, above the
  // 256-slot run array, and no two free frames are contiguous, so the array cannot double. The frees must
  // still succeed (parked in their own frames), stay allocatable, and be re-indexed once growth is possible.
  const uint64_t base = 4 * kGiB, spans = 40;
  ASSERT_EQ(h_.Build({{base, base + spans * 128 * kMiB, MM_REGION_USABLE}}, {}, base), MM_OK);
  phys_addr_t f;
  ASSERT_EQ(Alloc(Stats().free_frames, 0, 0, 0, &f), MM_OK);
  while (mm_phys_alloc_frame(a(), &f) == MM_OK) {
  }
  ASSERT_EQ(Stats().free_frames, 0u);
  uint64_t max_parked = 0;
  for (uint64_t w = 0; w < spans; w++) {
    for (uint64_t k = 0; k < 7; k++) {
      phys_addr_t x = base + w * 128 * kMiB + (8 + 2 * k) * kF;
      ASSERT_EQ(mm_phys_free(a(), x, 1), MM_OK) << w << " " << k;
      max_parked = std::max(max_parked, a()->fs.parked.ranges);
    }
  }
  ASSERT_EQ(h_.Check(), "");
  EXPECT_GT(max_parked, 0u);
  EXPECT_EQ(Stats().free_frames, spans * 7);
  EXPECT_EQ(Stats().free_runs, spans * 7);
  // Parked frames are ordinary free frames for queries and allocation.
  phys_addr_t last = base + (spans - 1) * 128 * kMiB + (8 + 12) * kF;
  EXPECT_TRUE(mm_phys_is_free(a(), last));
  EXPECT_EQ(mm_phys_free(a(), last, 1), MM_ERR_DOUBLE_FREE);
  ASSERT_EQ(mm_phys_alloc_fixed(a(), last, 1), MM_OK);
  ASSERT_EQ(mm_phys_free(a(), last, 1), MM_OK);
  // Contiguous memory comes back: the run array grows and the parked ranges are indexed again.
  ASSERT_EQ(mm_phys_free(a(), base + 64 * kMiB, 16), MM_OK);
  ASSERT_EQ(h_.Check(), "");
  EXPECT_EQ(a()->fs.parked.ranges, 0u);
  EXPECT_EQ(Stats().free_frames, spans * 7 + 16 - 2);  // two frames became the larger run array
}

// The bound stated in phys_alloc.h, on its worst case: 64 128-MiB spans holding 64 usable frames each, every
// one fragmented into a bitmap span. The bookkeeping is exactly the stated sum, the span table stays within its
// stated bound, and the whole costs about 1.6% of managed memory.
TEST_F(PhysAlloc, BookkeepingBoundHoldsForTheWorstCasePerSpan) {
  const uint64_t spans = 64, frames_per_span = 64, span_bytes = 128 * kMiB;
  std::vector<RegionSpec> regions;
  for (uint64_t i = 0; i < spans; i++) {
    uint64_t base = 4 * kGiB + i * span_bytes;
    regions.push_back({base, base + frames_per_span * kF, MM_REGION_USABLE});
  }
  // The carved arrays, then 1 MiB of contiguous memory the bitmap frames and the doubling span table come from.
  const phys_addr_t carve_at = 1 * kGiB;
  regions.insert(regions.begin(), RegionSpec{carve_at, carve_at + 4 * kF + kMiB, MM_REGION_USABLE});
  ASSERT_EQ(h_.Build(regions, {}, carve_at, 2 * kF, 2 * kF), MM_OK);
  // Take each span's frames, then free every other one: 32 runs per span, far past the limit of 8.
  for (uint64_t i = 0; i < spans; i++) {
    ASSERT_EQ(mm_phys_alloc_fixed(a(), 4 * kGiB + i * span_bytes, frames_per_span), MM_OK) << i;
  }
  for (uint64_t i = 0; i < spans; i++) {
    for (uint64_t k = 0; k < frames_per_span; k += 2) {
      ASSERT_EQ(mm_phys_free(a(), 4 * kGiB + i * span_bytes + k * kF, 1), MM_OK) << i << " " << k;
    }
  }
  ASSERT_EQ(h_.Check(), "");
  const uint64_t s = a()->fs.spans.count;
  ASSERT_EQ(s, spans);
  ASSERT_TRUE(a()->fs.runs_block.carved);  // the carved arrays were large enough: no grown run/reservation array
  ASSERT_TRUE(a()->res.block.carved);
  const uint64_t span_table = a()->fs.spans.block.bytes;
  const uint64_t span_table_bound = std::max<uint64_t>(kF, (2 * s * MM_PHYS_SPAN_DESCRIPTOR_BYTES + kF - 1) / kF * kF);
  EXPECT_LE(span_table, span_table_bound);
  mm_phys_stats st = Stats();
  EXPECT_EQ(st.bookkeeping_bytes, mm_phys_allocator_size() + 4 * kF + s * kF + span_table);
  const double managed_bytes = static_cast<double>(spans * frames_per_span * kF);
  const double own_share = static_cast<double>(s * kF + span_table) / managed_bytes;
  EXPECT_GT(own_share, 0.015);
  EXPECT_LT(own_share, 0.017);
}

TEST_F(PhysAlloc, BookkeepingCountsCarvedArraysAndStruct) {
  BuildSimple();
  EXPECT_EQ(Stats().bookkeeping_bytes, mm_phys_allocator_size() + 2 * kF);
}

// ---- the real bring-up pipeline: firmware map -> plan -> carve -> runtime allocator ----

TEST_F(PhysAlloc, InitFromPlanAndCarvePipeline) {
  std::vector<mm_efi_descriptor> descs;
  auto desc = [](uint32_t type, uint64_t base, uint64_t pages) {
    mm_efi_descriptor d{};
    d.type = type;
    d.physical_start = base;
    d.number_of_pages = pages;
    d.attribute = MM_EFI_MEMORY_WB;  // RAM without write-back never reaches the allocator
    return d;
  };
  descs.push_back(desc(MM_EFI_CONVENTIONAL_MEMORY, 0x100000, 0x7f00));
  descs.push_back(desc(MM_EFI_BOOT_SERVICES_DATA, 0x8000000, 0x100));
  descs.push_back(desc(MM_EFI_CONVENTIONAL_MEMORY, 0x8100000, 0x8000));
  std::vector<uint8_t> storage(mm_firmware_map_storage_bytes(descs.size() * sizeof(mm_efi_descriptor),
                                                             sizeof(mm_efi_descriptor)));
  mm_firmware_map map;
  ASSERT_EQ(mm_firmware_map_init(&map, descs.data(), descs.size() * sizeof(mm_efi_descriptor),
                                 sizeof(mm_efi_descriptor), 1, 48, storage.data(), storage.size()),
            MM_OK);
  std::vector<mm_reservation> res_storage(32);
  mm_reservation_set set;
  mm_reservation_set_init(&set, res_storage.data(), res_storage.size());
  ASSERT_EQ(mm_reservation_add(&set, 0x200000, 0x100000, MM_RES_KERNEL_IMAGE, "kernel"), MM_OK);
  mm_early_allocator early;
  mm_early_init(&early, &map, &set);
  mm_storage_plan plan = runtime_storage_plan(&map, set.count + 2);
  mm_testing::SimPhys sim;
  mm_carved_storage carved;
  ASSERT_EQ(carve_option_storage(&early, &plan, sim.window(), &carved), MM_OK);
  std::vector<uint64_t> alloc_storage((mm_phys_allocator_size() + 7) / 8);
  auto *alloc = reinterpret_cast<mm_phys_allocator *>(alloc_storage.data());
  ASSERT_EQ(mm_phys_init(alloc, &map, &set, &carved, sim.window()), MM_OK);
  const char *why = nullptr;
  ASSERT_EQ(mm_phys_check_invariants(alloc, &why), MM_OK) << why;
  EXPECT_FALSE(mm_phys_is_free(alloc, carved.free_runs_phys));
  EXPECT_FALSE(mm_phys_is_free(alloc, 0x200000));
  uint64_t gained = 0;
  ASSERT_EQ(mm_phys_reclaim(alloc, &gained), MM_OK);
  EXPECT_EQ(gained, 0x100u);
  ASSERT_EQ(mm_phys_check_invariants(alloc, &why), MM_OK) << why;
}

}  // namespace
