// sim_physmem_test.cc: the simulated physical memory backs only what is touched, and only RAM; holes, the
// fail-after count, the fill byte and the top of the address space behave as sim_physmem.h says.
#include <gtest/gtest.h>

#include <cstring>

extern "C" {
#include "tools/hostlib/sim_physmem.h"
}

namespace {

class SimPhysmem : public ::testing::Test {
 protected:
  void SetUp() override {
    sim_physmem_init(&sim_, 1 << 20);
    w_ = sim_physmem_window(&sim_);
  }
  void TearDown() override { sim_physmem_destroy(&sim_); }
  void *Map(phys_addr_t p, uint64_t n) { return w_.map(w_.ctx, p, n); }
  sim_physmem sim_;
  mm_phys_window w_;
};

TEST_F(SimPhysmem, A12TiBMachineCostsOnlyTheFramesTouched) {
  sim_physmem_add_ram(&sim_, 0x100000000ull, 0x100000000ull + (12ull << 40));
  auto *p = static_cast<uint8_t *>(Map(0x80000000000ull, 8192));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(sim_.backed_bytes, 8192u);
  EXPECT_EQ(p[0], SIM_PHYSMEM_POISON) << "fresh frames look like uninitialized RAM";
  EXPECT_TRUE(sim_physmem_is_backed(&sim_, 0x80000000000ull, 0x80000002000ull));
  EXPECT_FALSE(sim_physmem_is_backed(&sim_, 0x100000000ull, 0x100001000ull));
}

TEST_F(SimPhysmem, RefusesAddressesThatAreNotRam) {
  sim_physmem_add_ram(&sim_, 0x1000, 0xa0000);
  EXPECT_EQ(Map(0xa0000, 4096), nullptr);
  EXPECT_EQ(Map(0x9f000, 8192), nullptr) << "straddles the end of RAM";
  EXPECT_EQ(sim_.refused_not_ram, 2u);
  EXPECT_NE(Map(0x9f000, 4096), nullptr);
}

TEST_F(SimPhysmem, RefusesToGrowPastTheBudget) {
  sim_physmem_add_ram(&sim_, 0, 1ull << 40);
  EXPECT_EQ(Map(0, 2 << 20), nullptr);
  EXPECT_EQ(sim_.refused_budget, 1u);
  EXPECT_EQ(sim_.backed_bytes, 0u);
}

TEST_F(SimPhysmem, SameRangeMapsToTheSameBytes) {
  sim_physmem_add_ram(&sim_, 0, 1 << 30);
  auto *a = static_cast<uint8_t *>(Map(0x5000, 4096));
  std::memset(a, 0x11, 4096);
  auto *b = static_cast<uint8_t *>(Map(0x5800, 16));
  EXPECT_EQ(b, a + 0x800);
  EXPECT_EQ(b[0], 0x11);
}

TEST_F(SimPhysmem, AWiderRequestMergesChunksAndKeepsTheirContents) {
  sim_physmem_add_ram(&sim_, 0, 1 << 30);
  std::memset(Map(0x2000, 4096), 0x22, 4096);
  std::memset(Map(0x4000, 4096), 0x44, 4096);
  EXPECT_EQ(sim_.chunk_count, 2u);
  auto *m = static_cast<uint8_t *>(Map(0x1000, 5 * 4096));
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(sim_.chunk_count, 1u);
  EXPECT_EQ(sim_.backed_bytes, 5u * 4096);
  EXPECT_EQ(m[0x1000], 0x22);
  EXPECT_EQ(m[0x3000], 0x44);
  EXPECT_EQ(m[0x2000], SIM_PHYSMEM_POISON);
}

TEST_F(SimPhysmem, PointersHandedOutStayValidAfterAMerge) {
  sim_physmem_add_ram(&sim_, 0, 1 << 30);
  auto *old = static_cast<uint8_t *>(Map(0x2000, 4096));
  old[0] = 0x5a;
  ASSERT_NE(Map(0x1000, 3 * 4096), nullptr);
  EXPECT_EQ(old[0], 0x5a) << "the retired buffer is still readable (ASan would catch a use after free)";
  EXPECT_EQ(sim_.host_bytes, 4096u + 3 * 4096);
}

// The benchmark's threaded figures depend on it: per-CPU data laid out on 64-byte lines by physical address
// must land on 64-byte lines of the host too (with malloc's 16-byte alignment two CPUs' frame states shared
// lines and the 2-thread random churn ran at half speed).
TEST_F(SimPhysmem, HostAddressKeepsTheOffsetInsideItsFrame) {
  sim_physmem_add_ram(&sim_, 0x10000, 0x80000);
  for (phys_addr_t p : {0x10000ull, 0x23040ull, 0x3f7c0ull, 0x7ffffull}) {
    auto host = reinterpret_cast<uintptr_t>(Map(p, 1));
    ASSERT_NE(host, 0u);
    EXPECT_EQ(host & MM_FRAME_MASK, p & MM_FRAME_MASK) << std::hex << p;
  }
  // A merge copies into a new buffer: it is frame aligned too.
  auto host = reinterpret_cast<uintptr_t>(Map(0x10040, 0x20000));
  ASSERT_NE(host, 0u);
  EXPECT_EQ(host & MM_FRAME_MASK, 0x40u);
}

TEST_F(SimPhysmem, RejectsRangesThatWrap) {
  sim_physmem_add_ram(&sim_, 0, ~0ull);
  EXPECT_EQ(Map(~0ull - 10, 100), nullptr);
}

TEST_F(SimPhysmem, AllRamReachesTheFrameEndingAt2To64) {
  sim_physmem_add_all_ram(&sim_);
  auto *p = static_cast<uint8_t *>(Map(~0ull - 4095, 4096));
  ASSERT_NE(p, nullptr);
  p[4095] = 0x7e;
  EXPECT_EQ(sim_physmem_peek(&sim_, ~0ull, 1), p + 4095);
  EXPECT_EQ(sim_.backed_bytes, 4096u);
  EXPECT_EQ(Map(~0ull, 2), nullptr) << "one byte past 2^64 wraps";
  EXPECT_EQ(sim_.refused_bad_range, 1u);
}

TEST_F(SimPhysmem, HolesRefuseEvenRamThatIsAlreadyBacked) {
  sim_physmem_add_all_ram(&sim_);
  ASSERT_NE(Map(0x10000, 4096), nullptr);
  sim_physmem_add_hole(&sim_, 0x10800, 0x10801);
  EXPECT_EQ(Map(0x10000, 4096), nullptr);
  EXPECT_EQ(Map(0x107ff, 2), nullptr) << "its last byte is in the hole";
  EXPECT_NE(Map(0x10801, 16), nullptr) << "the hole ends before 0x10801";
  EXPECT_EQ(sim_.refused_not_ram, 2u);
}

TEST_F(SimPhysmem, FailAfterGrantsExactlyNMoreMaps) {
  sim_physmem_add_all_ram(&sim_);
  sim_physmem_fail_after(&sim_, 2);
  EXPECT_NE(Map(0x1000, 8), nullptr);
  EXPECT_NE(Map(0x1000, 8), nullptr) << "a map of an already backed frame counts too";
  EXPECT_EQ(Map(0x1000, 8), nullptr);
  EXPECT_EQ(sim_.maps, 2u);
  EXPECT_EQ(sim_.refused_failing, 1u);
  sim_physmem_fail_after(&sim_, SIM_PHYSMEM_NEVER_FAIL);
  EXPECT_NE(Map(0x1000, 8), nullptr);
}

TEST_F(SimPhysmem, NewChunksStartAsTheFillByteAndPeekBacksNothing) {
  sim_physmem_add_all_ram(&sim_);
  sim_physmem_set_fill(&sim_, 0xcd);
  EXPECT_EQ(sim_physmem_peek(&sim_, 0x3000, 1), nullptr);
  EXPECT_EQ(sim_.map_calls, 0u);
  auto *p = static_cast<uint8_t *>(Map(0x3000, 1));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p[0], 0xcd);
  EXPECT_EQ(p[4095], 0xcd) << "the whole frame is backed";
  EXPECT_EQ(sim_physmem_peek(&sim_, 0x3ff0, 16), p + 0xff0);
  EXPECT_EQ(sim_physmem_peek(&sim_, 0x3ff0, 17), nullptr) << "runs past the backed frame";
}

TEST_F(SimPhysmem, TouchingRamRangesMergeIntoOne) {
  sim_physmem_add_ram(&sim_, 0x2000, 0x3000);
  sim_physmem_add_ram(&sim_, 0x1000, 0x2000);
  EXPECT_EQ(sim_.ram_count, 1u);
  EXPECT_NE(Map(0x1800, 0x1000), nullptr) << "a request across the seam is RAM";
}

}  // namespace
