// Tests for handoff.c: the one hand-off entry (plan -> early -> carve -> initialize), into caller storage and
// into the global cell, and that every failing stage names itself and leaves no half state.
#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "mm/testing/efi_map_builder.h"
#include "mm/testing/log_capture.h"
#include "mm/testing/sim_phys.h"

extern "C" {
#include "mm/handoff.h"
#include "mm/runtime.h"
}

namespace {

using mm_testing::Desc;
using mm_testing::LogCapture;
using mm_testing::Normalize;
using mm_testing::NormalizedMap;
using mm_testing::SimPhys;

constexpr uint64_t kF = MM_FRAME_SIZE;

class Handoff : public ::testing::Test {
 protected:
  void SetUp() override {
    mm_runtime_reset_for_tests();
    map_ = Normalize({Desc(MM_EFI_CONVENTIONAL_MEMORY, 0x100000, 256), Desc(MM_EFI_RESERVED_MEMORY, 0x200000, 16),
                      Desc(MM_EFI_CONVENTIONAL_MEMORY, 0x210000, 256)});
    ASSERT_EQ(map_.status, MM_OK);
    mm_reservation_set_init(&set_, storage_, 32);
    ASSERT_EQ(mm_reservation_add(&set_, 0x100000, 4 * kF, MM_RES_KERNEL_IMAGE, "kernel"), MM_OK);
    ASSERT_EQ(mm_reservation_add(&set_, 0x180000, 2 * kF, MM_RES_STACK, "stack"), MM_OK);
    alloc_storage_.assign((mm_phys_allocator_size() + 7) / 8, 0);
    Snapshot();
  }
  void TearDown() override { mm_runtime_reset_for_tests(); }

  mm_phys_allocator *alloc() { return reinterpret_cast<mm_phys_allocator *>(alloc_storage_.data()); }
  void Snapshot() { before_.assign(set_.entries, set_.entries + set_.count); }
  // The reservation set is exactly as it was at the last Snapshot().
  bool SetUnchanged() const {
    if (set_.count != before_.size()) return false;
    for (uint64_t i = 0; i < set_.count; i++) {
      const mm_reservation &a = set_.entries[i], &b = before_[i];
      if (a.base != b.base || a.end != b.end || a.kind != b.kind || std::string(a.label) != b.label) return false;
    }
    return true;
  }

  SimPhys phys_;
  NormalizedMap map_;
  mm_reservation storage_[32];
  mm_reservation_set set_;
  std::vector<uint64_t> alloc_storage_;
  std::vector<mm_reservation> before_;
};

TEST_F(Handoff, IntoCallerStorageBuildsAnAllocatorThatHoldsEveryReservationAndTheCarvedArrays) {
  mm_handoff_result r;
  ASSERT_EQ(mm_handoff_into(alloc(), &map_.map, &set_, phys_.window(), nullptr, &r), MM_OK);
  EXPECT_EQ(r.failed_stage, MM_HANDOFF_DONE);
  ASSERT_EQ(set_.count, before_.size() + 2) << "the two carved spans join the set";
  EXPECT_NE(mm_reservation_set_find(&set_, r.carved.free_runs_phys, r.carved.free_runs_phys + kF), nullptr);
  EXPECT_NE(mm_reservation_set_find(&set_, r.carved.reserved_phys, r.carved.reserved_phys + kF), nullptr);
  const char *why = nullptr;
  EXPECT_EQ(mm_phys_check_invariants(alloc(), &why), MM_OK) << (why ? why : "");
  mm_phys_stats st = mm_phys_get_stats(alloc());
  EXPECT_EQ(st.managed_frames, mm_firmware_map_usable_frames(&map_.map));
  EXPECT_EQ(st.reserved_frames, 4u + 2u + (r.carved.free_runs_bytes + r.carved.reserved_bytes) / kF);
  EXPECT_EQ(st.free_frames + st.reserved_frames, st.managed_frames);
  EXPECT_TRUE(mm_phys_reservation_at(alloc(), 0x100000, nullptr));
  EXPECT_FALSE(runtime_allocator_ready()) << "caller storage never touches the global cell";
}

TEST_F(Handoff, ThePlanCountsThePendingReservationsAndTheTwoCarvedArraysOnce) {
  mm_storage_plan expected = runtime_storage_plan(&map_.map, set_.count);
  mm_handoff_result r;
  ASSERT_EQ(mm_handoff_into(alloc(), &map_.map, &set_, phys_.window(), nullptr, &r), MM_OK);
  EXPECT_EQ(r.plan.reservations, expected.reservations);
  EXPECT_EQ(r.plan.reservations, before_.size() + 2);
  EXPECT_EQ(r.plan.free_slots, expected.free_slots);
  EXPECT_EQ(r.plan.reserved_slots, expected.reserved_slots);
  EXPECT_GE(r.carved.free_runs_bytes, expected.free_slots * mm_phys_run_slot_bytes());
  EXPECT_GE(r.carved.reserved_bytes, expected.reserved_slots * mm_phys_reservation_slot_bytes());
}

TEST_F(Handoff, ToRuntimeHandsTheAllocatorToTheGlobalCellAndLogsTheHandOffLine) {
  LogCapture cap(LOG_INFO);
  mm_handoff_result r;
  ASSERT_EQ(mm_handoff_to_runtime(&map_.map, &set_, phys_.window(), nullptr, &r), MM_OK);
  EXPECT_TRUE(runtime_allocator_ready());
  ASSERT_EQ(cap.Events("runtime").size(), 1u);
  EXPECT_EQ(cap.Events("runtime")[0], "runtime allocator initialized");
  EXPECT_TRUE(cap.Events("mm.handoff").empty()) << "no timing lines without a counter";
}

TEST_F(Handoff, ASecondHandOffToTheCellFailsAtInitializeAndGivesTheCarveBack) {
  mm_handoff_result r;
  ASSERT_EQ(mm_handoff_to_runtime(&map_.map, &set_, phys_.window(), nullptr, &r), MM_OK);
  Snapshot();
  EXPECT_EQ(mm_handoff_to_runtime(&map_.map, &set_, phys_.window(), nullptr, &r), MM_ERR_ALREADY_INITIALIZED);
  EXPECT_EQ(r.failed_stage, MM_HANDOFF_INITIALIZE);
  EXPECT_STREQ(mm_handoff_stage_name(r.failed_stage), "initialize_runtime_allocator");
  EXPECT_TRUE(SetUnchanged()) << "the second carve was rolled back";
}

TEST_F(Handoff, AnInitializeFailureRollsTheCarveBackAndBuildsNothing) {
  phys_.FailAfter(2);  // the carve maps its two spans; mm_phys_init's own mapping then fails
  mm_handoff_result r;
  EXPECT_EQ(mm_handoff_into(alloc(), &map_.map, &set_, phys_.window(), nullptr, &r), MM_ERR_NO_MEMORY);
  EXPECT_EQ(r.failed_stage, MM_HANDOFF_INITIALIZE);
  EXPECT_TRUE(SetUnchanged());
  EXPECT_EQ(r.carved.free_runs_bytes, 0u) << "no carved storage is reported for a failed hand-off";
}

TEST_F(Handoff, ACarveFailureNamesTheCarveStageAndLeavesTheSetAsItWas) {
  phys_.FailAfter(0);
  mm_handoff_result r;
  EXPECT_EQ(mm_handoff_to_runtime(&map_.map, &set_, phys_.window(), nullptr, &r), MM_ERR_NO_MEMORY);
  EXPECT_EQ(r.failed_stage, MM_HANDOFF_CARVE);
  EXPECT_STREQ(mm_handoff_stage_name(r.failed_stage), "carve_option_storage");
  EXPECT_TRUE(SetUnchanged());
  EXPECT_FALSE(runtime_allocator_ready());
}

TEST_F(Handoff, AFullReservationSetFailsTheCarveWithNothingRecorded) {
  mm_reservation tiny[3];
  mm_reservation_set set;
  mm_reservation_set_init(&set, tiny, 3);
  ASSERT_EQ(mm_reservation_add(&set, 0x100000, kF, MM_RES_KERNEL_IMAGE, "kernel"), MM_OK);
  ASSERT_EQ(mm_reservation_add(&set, 0x180000, kF, MM_RES_STACK, "stack"), MM_OK);
  mm_handoff_result r;
  EXPECT_EQ(mm_handoff_into(alloc(), &map_.map, &set, phys_.window(), nullptr, &r), MM_ERR_STORAGE_TOO_SMALL);
  EXPECT_EQ(r.failed_stage, MM_HANDOFF_CARVE);
  EXPECT_EQ(set.count, 2u);
}

TEST_F(Handoff, MissingArgumentsAreRefusedBeforeAnyStageRuns) {
  mm_handoff_result r;
  mm_phys_window no_map = {nullptr, nullptr};
  EXPECT_EQ(mm_handoff_into(nullptr, &map_.map, &set_, phys_.window(), nullptr, &r), MM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(r.failed_stage, MM_HANDOFF_PLAN);
  EXPECT_EQ(mm_handoff_into(alloc(), nullptr, &set_, phys_.window(), nullptr, &r), MM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mm_handoff_into(alloc(), &map_.map, nullptr, phys_.window(), nullptr, &r), MM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mm_handoff_into(alloc(), &map_.map, &set_, &no_map, nullptr, &r), MM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mm_handoff_to_runtime(&map_.map, &set_, nullptr, nullptr, &r), MM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mm_handoff_into(alloc(), &map_.map, &set_, phys_.window(), nullptr, nullptr), MM_ERR_INVALID_ARGUMENT);
  EXPECT_TRUE(SetUnchanged());
  EXPECT_EQ(phys_.maps(), 0u);
  EXPECT_FALSE(runtime_allocator_ready());
}

TEST_F(Handoff, GivenBackingIsRecordedAsBookkeepingInsteadOfCarvedAndRolledBackOnFailure) {
  mm_carved_storage given{};
  given.free_runs_phys = 0x210000;
  given.free_runs_bytes = kF - sizeof(mm_range);  // rounded outward to one frame in the set
  given.reserved_phys = 0x211000;
  given.reserved_bytes = kF;
  mm_handoff_options options{};
  options.carved = &given;
  mm_handoff_result r;
  ASSERT_EQ(mm_handoff_into(alloc(), &map_.map, &set_, phys_.window(), &options, &r), MM_OK);
  EXPECT_EQ(r.carved.free_runs_phys, 0x210000u);
  EXPECT_EQ(r.carved.free_runs_bytes, kF - sizeof(mm_range)) << "the given backing is taken as it is";
  const mm_reservation *runs = mm_reservation_set_find(&set_, 0x210000, 0x211000);
  ASSERT_NE(runs, nullptr);
  EXPECT_EQ(runs->end, 0x211000u);
  EXPECT_STREQ(runs->label, "free_runs");
  ASSERT_NE(mm_reservation_set_find(&set_, 0x211000, 0x212000), nullptr);
  EXPECT_STREQ(mm_reservation_set_find(&set_, 0x211000, 0x212000)->label, "reserved");

  // The same backing into a cell that is taken: the recorded spans go away again.
  mm_reservation_set_init(&set_, storage_, 32);
  ASSERT_EQ(mm_reservation_add(&set_, 0x100000, 4 * kF, MM_RES_KERNEL_IMAGE, "kernel"), MM_OK);
  Snapshot();
  ASSERT_EQ(mm_handoff_to_runtime(&map_.map, &set_, phys_.window(), nullptr, &r), MM_OK);
  Snapshot();
  EXPECT_EQ(mm_handoff_to_runtime(&map_.map, &set_, phys_.window(), &options, &r), MM_ERR_ALREADY_INITIALIZED);
  EXPECT_EQ(r.failed_stage, MM_HANDOFF_INITIALIZE);
  EXPECT_TRUE(SetUnchanged());
}

uint64_t g_ticks = 0;
uint64_t FakeCycles() { return g_ticks += 10; }

TEST_F(Handoff, WithACounterEachStageLogsItsDuration) {
  LogCapture cap(LOG_DEBUG);
  mm_handoff_options options = {FakeCycles, nullptr};
  mm_handoff_result r;
  ASSERT_EQ(mm_handoff_to_runtime(&map_.map, &set_, phys_.window(), &options, &r), MM_OK);
  for (const char *event : {"mm.plan_done", "mm.carve_done", "mm.handoff"}) {
    ASSERT_EQ(cap.Events(event).size(), 1u) << event;
    EXPECT_EQ(cap.Events(event)[0], std::string(event) + " cycles=10") << event;
  }
  EXPECT_EQ(cap.Events("mm.plan").size(), 1u);
  EXPECT_EQ(cap.Events("mm.carve").size(), 2u);
  // Order as the design note lists the stages; the hand-off line follows initialize's own line.
  std::vector<std::string> order;
  for (const auto &line : cap.lines()) {
    std::string event = line.substr(0, line.find(' '));
    if (event == "mm.plan" || event == "mm.carve" || event == "runtime" || event == "mm.handoff") {
      if (order.empty() || order.back() != event) order.push_back(event);
    }
  }
  EXPECT_EQ(order, (std::vector<std::string>{"mm.plan", "mm.carve", "runtime", "mm.handoff"}));
}

}  // namespace
