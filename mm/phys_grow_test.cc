// Tests for the growth layer (phys_grow.c). Growth composes the free set and the reservation table, so it is
// driven on a whole allocator (built by PhysHarness over simulated memory): the frame source it hands the
// layers takes frames out of the free set and records them (or not), gives replaced blocks back, refuses with
// nothing changed when nothing fits, keeps spare slots, and never nests conversion inside maintenance.
#include <cstdint>
#include <cstring>
#include <vector>

#include "gtest/gtest.h"
#include "mm/testing/phys_harness.h"
#include "mm/testing/reference_model.h"

extern "C" {
#include "mm/phys_alloc_internal.h"
}

namespace {

using mm_testing::AllocatorFreeRuns;
using mm_testing::PhysHarness;

constexpr uint64_t kF = MM_FRAME_SIZE;
constexpr uint64_t kMiB = 1ull << 20;

class PhysGrow : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(h_.Build({{16 * kMiB, 80 * kMiB, MM_REGION_USABLE}}, {}, 16 * kMiB), MM_OK);
    ASSERT_EQ(h_.Check(), "");
  }
  mm_phys_allocator *a() { return h_.alloc(); }
  mm_phys_stats Stats() { return mm_phys_get_stats(a()); }
  bool StatsEq(const mm_phys_stats &x, const mm_phys_stats &y) { return std::memcmp(&x, &y, sizeof(x)) == 0; }
  PhysHarness h_;
};

TEST_F(PhysGrow, SourceTakeWithALabelRecordsABookkeepingBlockAndGiveBackUndoesIt) {
  mm_phys_stats before = Stats();
  uint64_t own = a()->grow.own_bytes;
  phys_addr_t lowest = phys_fs_lowest(&a()->fs);
  phys_frame_source src = phys_grow_source(a());
  phys_addr_t phys;
  void *ptr;
  ASSERT_TRUE(src.take(src.ctx, 2, "test.block", &phys, &ptr));
  EXPECT_NE(ptr, nullptr);
  EXPECT_EQ(phys, lowest);  // the lowest two free frames
  mm_reservation r;
  ASSERT_TRUE(mm_phys_reservation_at(a(), phys + kF, &r));
  EXPECT_EQ(r.kind, MM_RES_BOOKKEEPING);
  EXPECT_STREQ(r.label, "test.block");
  EXPECT_EQ(r.end, phys + 2 * kF);
  EXPECT_EQ(a()->grow.own_bytes, own + 2 * kF);
  EXPECT_EQ(Stats().free_frames, before.free_frames - 2);
  EXPECT_EQ(Stats().reserved_frames, before.reserved_frames + 2);
  src.give_back(src.ctx, phys_block{phys, 2 * kF, false});
  EXPECT_TRUE(StatsEq(Stats(), before));
  EXPECT_EQ(a()->grow.own_bytes, own);
  EXPECT_TRUE(mm_phys_is_free(a(), phys));
  EXPECT_EQ(h_.Check(), "");
}

TEST_F(PhysGrow, SourceTakeWithoutALabelRecordsNothing) {
  uint64_t count = phys_res_count(&a()->res);
  phys_frame_source src = phys_grow_source(a());
  phys_addr_t phys;
  void *ptr;
  ASSERT_TRUE(src.take(src.ctx, 1, nullptr, &phys, &ptr));
  EXPECT_EQ(phys_res_count(&a()->res), count);
  EXPECT_FALSE(mm_phys_is_free(a(), phys));
  EXPECT_FALSE(mm_phys_reservation_at(a(), phys, nullptr));
}

TEST_F(PhysGrow, GiveBackOfACarvedBlockKeepsItReserved) {
  mm_phys_stats before = Stats();
  phys_frame_source src = phys_grow_source(a());
  src.give_back(src.ctx, a()->fs.runs_block);  // carved at hand-off
  ASSERT_TRUE(a()->fs.runs_block.carved);
  EXPECT_TRUE(StatsEq(Stats(), before));
  src.give_back(src.ctx, phys_block{0, 0, false});  // no block at all
  EXPECT_TRUE(StatsEq(Stats(), before));
  EXPECT_EQ(h_.Check(), "");
}

TEST_F(PhysGrow, GrabFailsWithNothingChangedWhenNothingFits) {
  mm_phys_stats before = Stats();
  auto runs = AllocatorFreeRuns(a());
  phys_addr_t phys = 0;
  void *ptr = nullptr;
  EXPECT_FALSE(phys_bk_grab(a(), before.free_frames + 1, &phys, &ptr));
  EXPECT_TRUE(StatsEq(Stats(), before));
  EXPECT_EQ(AllocatorFreeRuns(a()).size(), runs.size());
  EXPECT_EQ(h_.Check(), "");
}

TEST_F(PhysGrow, GrabGivesTheFramesBackWhenTheWindowCannotMapThem) {
  mm_phys_stats before = Stats();
  h_.sim().FailAfter(0);
  phys_addr_t phys = 0;
  void *ptr = nullptr;
  EXPECT_FALSE(phys_bk_grab(a(), 3, &phys, &ptr));
  h_.sim().FailAfter(SIM_PHYSMEM_NEVER_FAIL);
  EXPECT_TRUE(StatsEq(Stats(), before));
  EXPECT_EQ(h_.Check(), "");
}

TEST_F(PhysGrow, EnsureSpanSlotGrowsTheSpanTableAndRecordsIt) {
  ASSERT_EQ(a()->fs.spans.cap, 0u);
  ASSERT_TRUE(phys_ensure_span_slot(a()));
  EXPECT_GE(a()->fs.spans.cap, 1u);
  EXPECT_EQ(a()->fs.spans.count, 0u);
  mm_reservation r;
  ASSERT_TRUE(mm_phys_reservation_at(a(), a()->fs.spans.block.phys, &r));
  EXPECT_STREQ(r.label, "phys.spans");
  EXPECT_EQ(r.end - r.base, a()->fs.spans.block.bytes);
  EXPECT_TRUE(phys_ensure_span_slot(a()));  // a free slot: nothing more to do
  EXPECT_EQ(h_.Check(), "");
}

TEST_F(PhysGrow, TinyCarvedArraysAreToppedUpToTheirSpareSlots) {
  PhysHarness h;
  ASSERT_EQ(h.Build({{16 * kMiB, 80 * kMiB, MM_REGION_USABLE}}, {}, 16 * kMiB, 2 * sizeof(phys_run),
                    3 * PHYS_RES_SLOT_BYTES),
            MM_OK);
  const mm_phys_allocator *g = h.alloc();
  EXPECT_GE(g->fs.run_cap - g->fs.run_count, PHYS_RUN_SPARE);
  EXPECT_GE(phys_res_spare(&g->res), PHYS_RES_SPARE);
  EXPECT_FALSE(g->fs.runs_block.carved);
  EXPECT_FALSE(g->res.block.carved);
  EXPECT_FALSE(g->grow.in_maintenance);
  EXPECT_EQ(h.Check(), "");
}

TEST_F(PhysGrow, ConversionWaitsWhileMaintenanceRunsAndHappensAtTheNextFinish) {
  // Fragment one span while maintenance is marked running: conversion must not nest inside it.
  const phys_addr_t f = 40 * kMiB;
  ASSERT_EQ(mm_phys_alloc_fixed(a(), f, 40), MM_OK);
  a()->grow.in_maintenance = true;
  for (int i = 0; i < 40; i += 2) ASSERT_EQ(mm_phys_free(a(), f + i * kF, 1), MM_OK);
  EXPECT_EQ(a()->fs.spans.count, 0u);
  EXPECT_GT(a()->fs.pending_count, 0u);
  phys_maintain(a());  // refuses to nest
  EXPECT_EQ(a()->fs.spans.count, 0u);
  a()->grow.in_maintenance = false;
  phys_finish_slow(a());
  EXPECT_EQ(a()->fs.pending_count, 0u);
  EXPECT_EQ(a()->fs.spans.count, 1u);
  EXPECT_EQ(h_.Check(), "");
}

TEST_F(PhysGrow, EnsureResSlotFailsWhenMemoryIsExhausted) {
  // Take every free frame, then fill the table with reservations until it cannot grow.
  phys_addr_t f;
  while (mm_phys_alloc_frame(a(), &f) == MM_OK) {
  }
  ASSERT_EQ(Stats().free_frames, 0u);
  mm_status s = MM_OK;
  for (uint64_t i = 0; s == MM_OK && i < 100000; i++) {
    s = mm_phys_reserve(a(), 16 * kMiB + 1024 * kF + 2 * i * kF, kF, MM_RES_TEST, "t");
  }
  EXPECT_EQ(s, MM_ERR_NO_MEMORY);
  EXPECT_EQ(phys_res_spare(&a()->res), 0u);
  EXPECT_FALSE(phys_ensure_res_slot(a()));
  phys_addr_t phys;
  void *ptr;
  EXPECT_FALSE(phys_bk_take(a(), 1, "x", &phys, &ptr));  // no slot to record it in
  EXPECT_EQ(h_.Check(), "");
}

}  // namespace
