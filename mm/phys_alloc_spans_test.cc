// Tests for the runtime physical frame allocator, continued from phys_alloc_test.cc: reclaim, queries, bitmap
// spans, growth from tiny carved arrays, frees that must succeed however little bookkeeping space is left, the
// stated bookkeeping bound, and the real plan -> carve -> init pipeline.
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
  const uint64_t span_table_bound = std::max<uint64_t>(kF,
                                                       (2 * s * MM_PHYS_SPAN_DESCRIPTOR_BYTES + s / 2 + 16 + kF - 1) /
                                                           kF * kF);
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
