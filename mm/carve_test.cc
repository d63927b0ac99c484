// Tests for carve.c: two zeroed bookkeeping buffers recorded as reservations, all or nothing.
#include <cstdint>
#include <cstring>
#include <vector>

#include "gtest/gtest.h"
#include "mm/testing/efi_map_builder.h"
#include "mm/testing/log_capture.h"
#include "mm/testing/sim_phys.h"

extern "C" {
#include "mm/carve.h"
#include "mm/phys_alloc.h"
}

namespace {

using mm_testing::Desc;
using mm_testing::LogCapture;
using mm_testing::Normalize;
using mm_testing::NormalizedMap;
using mm_testing::SimPhys;

constexpr uint64_t kFrame = MM_FRAME_SIZE;
constexpr uint32_t kConv = MM_EFI_CONVENTIONAL_MEMORY;

class Carve : public ::testing::Test {
 protected:
  void Init(const std::vector<mm_efi_descriptor>& descs, uint64_t capacity = 16) {
    map_ = Normalize(descs);
    ASSERT_EQ(map_.status, MM_OK);
    storage_.assign(capacity, mm_reservation{});
    mm_reservation_set_init(&set_, storage_.data(), capacity);
    mm_early_init(&early_, &map_.map, &set_);
  }

  void ExpectFailsUnchanged(const mm_storage_plan& plan, const mm_phys_window* window, mm_status want) {
    std::vector<mm_reservation> before(set_.entries, set_.entries + set_.count);
    uint64_t allocated = early_.frames_allocated;
    mm_carved_storage out;
    std::memset(&out, 0x5a, sizeof(out));
    mm_carved_storage out_before = out;
    EXPECT_EQ(carve_option_storage(&early_, &plan, window, &out), want);
    EXPECT_EQ(std::memcmp(&out, &out_before, sizeof(out)), 0);
    ASSERT_EQ(set_.count, before.size());
    if (!before.empty()) {
      EXPECT_EQ(std::memcmp(set_.entries, before.data(), before.size() * sizeof(mm_reservation)), 0);
    }
    EXPECT_EQ(early_.frames_allocated, allocated);
  }

  NormalizedMap map_;
  std::vector<mm_reservation> storage_;
  mm_reservation_set set_;
  mm_early_allocator early_;
};

TEST_F(Carve, CarvesTwoZeroedBuffersRecordedAsBookkeeping) {
  Init({Desc(kConv, 0x100000, 64)});
  ASSERT_EQ(mm_reservation_add(&set_, 0x100000, kFrame, MM_RES_KERNEL_IMAGE, "kernel"), MM_OK);
  mm_storage_plan plan = runtime_storage_plan(&map_.map, set_.count);
  SimPhys phys;
  LogCapture cap(LOG_DEBUG);
  mm_carved_storage out;
  ASSERT_EQ(carve_option_storage(&early_, &plan, phys.window(), &out), MM_OK);

  // Exactly the allocator's stated size for the plan's slots (mm_phys_storage_bytes).
  EXPECT_EQ(out.free_runs_bytes + out.reserved_bytes, mm_phys_storage_bytes(plan.free_slots, plan.reserved_slots));
  EXPECT_EQ(out.free_runs_phys, 0x101000u);  // lowest free frame after the kernel
  EXPECT_EQ(out.free_runs_bytes, kFrame);    // 256 runs * 16 bytes
  EXPECT_EQ(out.reserved_phys, 0x102000u);
  EXPECT_EQ(out.reserved_bytes, kFrame);  // 85 entries * 48 bytes
  EXPECT_GE(out.free_runs_bytes, plan.free_slots * sizeof(mm_range));
  EXPECT_GE(out.reserved_bytes, plan.reserved_slots * sizeof(mm_reservation));

  ASSERT_EQ(set_.count, 3u);
  EXPECT_EQ(set_.entries[1].kind, MM_RES_BOOKKEEPING);
  EXPECT_STREQ(set_.entries[1].label, "free_runs");
  EXPECT_EQ(set_.entries[1].base, out.free_runs_phys);
  EXPECT_EQ(set_.entries[1].end, out.free_runs_phys + out.free_runs_bytes);
  EXPECT_STREQ(set_.entries[2].label, "reserved");
  EXPECT_EQ(set_.entries[2].kind, MM_RES_BOOKKEEPING);
  EXPECT_EQ(early_.frames_allocated, 2u);

  const uint8_t* a = phys.Peek(out.free_runs_phys, out.free_runs_bytes);
  const uint8_t* b = phys.Peek(out.reserved_phys, out.reserved_bytes);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  for (uint64_t i = 0; i < out.free_runs_bytes; i++) ASSERT_EQ(a[i], 0) << i;
  for (uint64_t i = 0; i < out.reserved_bytes; i++) ASSERT_EQ(b[i], 0) << i;

  std::vector<std::string> lines = cap.Events("mm.carve");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "mm.carve kind=free_runs phys=0x101000 bytes=4096");
  EXPECT_EQ(lines[1], "mm.carve kind=reserved phys=0x102000 bytes=4096");
}

TEST_F(Carve, MultiFrameArraysAreContiguous) {
  Init({Desc(kConv, 0x100000, 256)});
  mm_storage_plan plan = {1000, 300, 1, 2};
  SimPhys phys;
  mm_carved_storage out;
  ASSERT_EQ(carve_option_storage(&early_, &plan, phys.window(), &out), MM_OK);
  EXPECT_EQ(out.free_runs_bytes, 4 * kFrame);   // 16000 bytes
  EXPECT_EQ(out.reserved_bytes, 5 * kFrame);    // 300 slots * 56 bytes = 16800 bytes
  EXPECT_EQ(out.reserved_phys, out.free_runs_phys + out.free_runs_bytes);
  EXPECT_EQ(early_.frames_allocated, 9u);
}

TEST_F(Carve, NoRoomForTheSecondBufferRollsBackTheFirst) {
  Init({Desc(kConv, 0x100000, 1), Desc(kConv, 0x200000, 1)});  // two single frames, not adjacent
  mm_storage_plan plan = {256, 170, 2, 2};                        // needs 1 frame, then 2 frames
  SimPhys phys;
  ExpectFailsUnchanged(plan, phys.window(), MM_ERR_NO_MEMORY);
}

TEST_F(Carve, NoRoomForTheFirstBufferIsNoMemory) {
  Init({Desc(kConv, 0x100000, 1)});
  mm_storage_plan plan = {1000, 10, 1, 2};
  SimPhys phys;
  ExpectFailsUnchanged(plan, phys.window(), MM_ERR_NO_MEMORY);
}

TEST_F(Carve, UnmappableFirstSpanIsNoMemoryAndRecordsNothing) {
  Init({Desc(kConv, 0x100000, 16)});
  mm_storage_plan plan = runtime_storage_plan(&map_.map, 0);
  SimPhys phys;
  phys.FailAfter(0);
  ExpectFailsUnchanged(plan, phys.window(), MM_ERR_NO_MEMORY);
}

TEST_F(Carve, UnmappableSecondSpanRollsBackBoth) {
  Init({Desc(kConv, 0x100000, 16)});
  ASSERT_EQ(mm_reservation_add(&set_, 0x104000, kFrame, MM_RES_FIRMWARE, "acpi"), MM_OK);
  mm_storage_plan plan = runtime_storage_plan(&map_.map, 1);
  SimPhys phys;
  phys.FailAfter(1);
  ExpectFailsUnchanged(plan, phys.window(), MM_ERR_NO_MEMORY);
}

TEST_F(Carve, ReservationSetFullAfterTheFirstBufferRollsBack) {
  Init({Desc(kConv, 0x100000, 16)}, /*capacity=*/2);
  ASSERT_EQ(mm_reservation_add(&set_, 0x10f000, kFrame, MM_RES_FIRMWARE, "acpi"), MM_OK);
  mm_storage_plan plan = runtime_storage_plan(&map_.map, 1);
  SimPhys phys;
  ExpectFailsUnchanged(plan, phys.window(), MM_ERR_STORAGE_TOO_SMALL);
}

TEST_F(Carve, EarlierBookkeepingEntryWithTheSameLabelSurvivesTheRollback) {
  // Rollback removes only what this call recorded, not an older entry with the same kind and label.
  Init({Desc(kConv, 0x100000, 1), Desc(kConv, 0x200000, 1)});
  ASSERT_EQ(mm_reservation_add(&set_, 0x100000, kFrame, MM_RES_BOOKKEEPING, "free_runs"), MM_OK);
  // 0x100000 is taken, so the carve takes 0x200000 and then fails for the reserved array.
  mm_storage_plan plan = {256, 85, 2, 2};
  SimPhys phys;
  ExpectFailsUnchanged(plan, phys.window(), MM_ERR_NO_MEMORY);
}

TEST_F(Carve, PlanWithZeroSlotsIsZeroCount) {
  Init({Desc(kConv, 0x100000, 16)});
  mm_storage_plan plan = {0, 85, 1, 2};
  SimPhys phys;
  ExpectFailsUnchanged(plan, phys.window(), MM_ERR_ZERO_COUNT);
}

TEST_F(Carve, AbsurdPlanIsNoMemory) {
  Init({Desc(kConv, 0x100000, 16)});
  mm_storage_plan plan = {UINT64_MAX, 85, 1, 2};
  SimPhys phys;
  ExpectFailsUnchanged(plan, phys.window(), MM_ERR_NO_MEMORY);
}

TEST_F(Carve, MissingWindowIsInvalidArgument) {
  Init({Desc(kConv, 0x100000, 16)});
  mm_storage_plan plan = runtime_storage_plan(&map_.map, 0);
  mm_phys_window no_map = {nullptr, nullptr};
  ExpectFailsUnchanged(plan, nullptr, MM_ERR_INVALID_ARGUMENT);
  ExpectFailsUnchanged(plan, &no_map, MM_ERR_INVALID_ARGUMENT);
}

}  // namespace
