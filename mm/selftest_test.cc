// Tests for selftest.c: the kernel's post-hand-off self-test, run here in simulated memory, on a sound allocator and
// on misbehaving ones (a frame handed out from inside a reservation, counts that do not return).
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "mm/testing/efi_map_builder.h"
#include "mm/testing/log_capture.h"
#include "mm/testing/sim_phys.h"

extern "C" {
#include "mm/handoff.h"
#include "mm/phys_corrupt.h"
#include "mm/selftest.h"
}

namespace {

using mm_testing::Desc;
using mm_testing::LogCapture;
using mm_testing::Normalize;
using mm_testing::NormalizedMap;
using mm_testing::SimPhys;

constexpr uint64_t kMiB = 1ull << 20;

// An allocator handed over on `descs` (a null page reserved, as the kernel does).
struct Built {
  explicit Built(const std::vector<mm_efi_descriptor> &descs) : map(Normalize(descs)) {
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

// 64 MiB of RAM from 1 MiB: room for every allocation of the self-test, including the DMA ones below 4 GiB.
std::vector<mm_efi_descriptor> Roomy() { return {Desc(MM_EFI_CONVENTIONAL_MEMORY, kMiB, 64 * kMiB / MM_FRAME_SIZE)}; }

TEST(Selftest, PassesOnAFreshAllocatorAndLeavesItAsItFoundIt) {
  Built b(Roomy());
  ASSERT_EQ(b.status, MM_OK);
  mm_phys_stats before = mm_phys_get_stats(b.alloc());
  LogCapture cap(LOG_DEBUG);
  mm_selftest_result r;
  ASSERT_EQ(mm_selftest_run(b.alloc(), b.phys.window(), nullptr, nullptr, &r), MM_OK) << (r.failure ? r.failure : "");
  EXPECT_EQ(r.allocations, MM_SELFTEST_ALLOCATIONS);
  EXPECT_EQ(r.failure, nullptr);
  EXPECT_EQ(r.detail, nullptr);
  EXPECT_EQ(cap.Events("mm.selftest_alloc").size(), MM_SELFTEST_ALLOCATIONS);
  mm_phys_stats after = mm_phys_get_stats(b.alloc());
  EXPECT_EQ(after.free_frames + after.reserved_frames, before.free_frames + before.reserved_frames);
  EXPECT_EQ(after.allocated_frames, 0u);
}

TEST(Selftest, TooLittleMemoryIsAnAllocationFailureWithTheAllocatorsStatus) {
  Built b({Desc(MM_EFI_CONVENTIONAL_MEMORY, kMiB, 256)});  // 1 MiB: no 2 MiB-aligned 512-frame block
  ASSERT_EQ(b.status, MM_OK);
  mm_selftest_result r;
  EXPECT_EQ(mm_selftest_run(b.alloc(), b.phys.window(), nullptr, nullptr, &r), MM_ERR_NO_MEMORY);
  EXPECT_STREQ(r.failure, "allocation failed");
  EXPECT_EQ(r.allocations, 12u) << "the first 2 MiB-aligned block is the 13th allocation";
}

// Every physical address lands in one host page: allocations alias one another, which the pattern must catch.
uint8_t g_alias[MM_FRAME_SIZE * 2];
void *AliasEverything(void *, phys_addr_t, uint64_t bytes) { return bytes <= sizeof g_alias ? g_alias : nullptr; }
void *AliasPerFrame(void *, phys_addr_t phys, uint64_t) {
  static std::vector<uint8_t> big(64 * kMiB);
  return big.data() + (phys & (MM_FRAME_SIZE - 1));  // every range starts at the same host byte
}

TEST(Selftest, MemoryThatAliasesIsAPatternMismatch) {
  Built b(Roomy());
  ASSERT_EQ(b.status, MM_OK);
  mm_phys_window aliasing = {AliasPerFrame, nullptr};
  mm_selftest_result r;
  EXPECT_EQ(mm_selftest_run(b.alloc(), &aliasing, nullptr, nullptr, &r), MM_ERR_INVARIANT);
  EXPECT_STREQ(r.failure, "pattern mismatch");
}

TEST(Selftest, MemoryTheAccessorCannotMapIsReportedNotTouched) {
  Built b(Roomy());
  ASSERT_EQ(b.status, MM_OK);
  mm_phys_window small = {AliasEverything, nullptr};  // refuses anything over two frames
  mm_selftest_result r;
  EXPECT_EQ(mm_selftest_run(b.alloc(), &small, nullptr, nullptr, &r), MM_ERR_NO_MEMORY);
  EXPECT_STREQ(r.failure, "memory not accessible");
}

void Corrupt(mm_phys_allocator *a, void *ctx) {
  phys_addr_t frame;
  const char *label;
  *static_cast<bool *>(ctx) = mm_phys_corrupt_reservation_over_free(a, &frame, &label);
}

TEST(Selftest, AHookThatCorruptsTheTableIsCaughtByTheInvariantCheckerWithItsReason) {
  Built b(Roomy());
  ASSERT_EQ(b.status, MM_OK);
  bool corrupted = false;
  mm_selftest_result r;
  EXPECT_EQ(mm_selftest_run(b.alloc(), b.phys.window(), Corrupt, &corrupted, &r), MM_ERR_INVARIANT);
  EXPECT_TRUE(corrupted);
  EXPECT_STREQ(r.failure, "invariant_checker");
  ASSERT_NE(r.detail, nullptr);
  EXPECT_GT(std::strlen(r.detail), 0u);
}

TEST(Selftest, MissingArgumentsAreRefused) {
  Built b(Roomy());
  ASSERT_EQ(b.status, MM_OK);
  mm_selftest_result r;
  mm_phys_window none = {nullptr, nullptr};
  EXPECT_EQ(mm_selftest_run(nullptr, b.phys.window(), nullptr, nullptr, &r), MM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mm_selftest_run(b.alloc(), nullptr, nullptr, nullptr, &r), MM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mm_selftest_run(b.alloc(), &none, nullptr, nullptr, &r), MM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mm_selftest_run(b.alloc(), b.phys.window(), nullptr, nullptr, nullptr), MM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mm_phys_get_stats(b.alloc()).allocated_frames, 0u);
}

// The reservation below the lowest free frame is stretched over it (the allocator's free structures are left
// alone), so the allocator hands out a reserved frame: the self-test must refuse it at the first allocation.
TEST(SelftestDetects, AFrameHandedOutFromInsideAReservation) {
  Built b(Roomy());
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
  Built b(Roomy());
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
