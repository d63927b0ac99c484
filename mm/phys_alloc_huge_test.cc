// Tests for whole 2 MiB and 1 GiB frames through the public allocator: requests of whole blocks (count >= 512,
// align >= 2 MiB) are served from the index of fully free 2 MiB blocks (phys_huge.h) and the runs, with the
// same lowest-fit result the general search gives, across runs and bitmap spans.
#include <cstdint>
#include <vector>

#include "mm/testing/reference_model.h"

#include "gtest/gtest.h"
#include "mm/testing/phys_alloc_fixture.h"

extern "C" {
#include "mm/phys_alloc_internal.h"  // white-box: which spans are bitmaps, and their block marks
}

namespace {

using namespace mm_testing_phys_alloc;

constexpr uint64_t kBlock = 2 * kMiB;

class PhysAllocHuge : public PhysAlloc {
 protected:
  // Usable [128 MiB, 2 GiB + 128 MiB), carved arrays at its bottom.
  void SetUp() override {
    ASSERT_EQ(h_.Build({{128 * kMiB, 2 * kGiB + 128 * kMiB, MM_REGION_USABLE}}, {}, 128 * kMiB), MM_OK);
  }
  // Allocates every other frame of [b, e) except those inside [keep_b, keep_e): the span becomes a bitmap.
  void Fragment(phys_addr_t b, phys_addr_t e, phys_addr_t keep_b = 0, phys_addr_t keep_e = 0) {
    for (phys_addr_t f = b; f < e; f += 2 * kF) {
      if (f >= keep_b && f < keep_e) continue;
      if (mm_phys_is_free(a(), f)) ASSERT_EQ(mm_phys_alloc_fixed(a(), f, 1), MM_OK);
    }
  }
  phys_addr_t Alloc(uint64_t count, uint64_t align, phys_addr_t lo = 0, phys_addr_t hi = 0) {
    mm_alloc_request req{count, align, lo, hi};
    phys_addr_t at = 0;
    return mm_phys_alloc(a(), &req, &at) == MM_OK ? at : ~0ull;
  }
};

TEST_F(PhysAllocHuge, TwoMiBRequestTakesTheLowestFullyFreeBlockOfAFragmentedSpan) {
  Fragment(128 * kMiB, 256 * kMiB, 200 * kMiB, 202 * kMiB);
  ASSERT_EQ(a()->fs.spans.count, 1u);
  EXPECT_TRUE(phys_span_marked(&a()->fs.spans, 0));
  EXPECT_EQ(Alloc(512, kBlock), 200 * kMiB);
  EXPECT_FALSE(phys_span_marked(&a()->fs.spans, 0));  // its only whole block is gone
  EXPECT_EQ(Alloc(512, kBlock), 256 * kMiB);          // the next one comes from the run above the span
  EXPECT_EQ(h_.Check(), "");
  ASSERT_EQ(mm_phys_free(a(), 200 * kMiB, 512), MM_OK);
  EXPECT_TRUE(phys_span_marked(&a()->fs.spans, 0));
  EXPECT_EQ(Alloc(512, kBlock), 200 * kMiB);
  EXPECT_EQ(h_.Check(), "");
}

TEST_F(PhysAllocHuge, BlockRequestHonoursTheAddressWindowAndLargerCounts) {
  Fragment(128 * kMiB, 256 * kMiB, 150 * kMiB, 156 * kMiB);  // blocks at 150, 152 and 154 MiB
  EXPECT_EQ(Alloc(512, kBlock, 151 * kMiB), 152 * kMiB);
  EXPECT_EQ(Alloc(1024, kBlock), 256 * kMiB);  // 150 MiB alone is not two blocks
  EXPECT_EQ(Alloc(600, 4 * kMiB), 260 * kMiB);  // 152 and 156 are gone or broken: 4 MiB-aligned 600 frames
  EXPECT_EQ(Alloc(512, kBlock, 0, 152 * kMiB), 150 * kMiB);
  EXPECT_EQ(Alloc(512, kBlock, 0, 152 * kMiB), ~0ull);  // nothing left below 152 MiB
  EXPECT_EQ(h_.Check(), "");
}

TEST_F(PhysAllocHuge, OneGiBFrameFromWholeBitmapSpansAndRuns) {
  // [1 GiB, 1.5 GiB) becomes bitmap spans, then is freed again: whole spans of whole blocks, still bitmaps.
  std::vector<phys_addr_t> taken;
  for (phys_addr_t f = kGiB; f < kGiB + 512 * kMiB; f += 2 * kF) {
    ASSERT_EQ(mm_phys_alloc_fixed(a(), f, 1), MM_OK);
    taken.push_back(f);
  }
  ASSERT_EQ(a()->fs.spans.count, 4u);
  for (phys_addr_t f : taken) ASSERT_EQ(mm_phys_free(a(), f, 1), MM_OK);
  for (uint64_t i = 0; i < 4; i++) EXPECT_EQ(phys_huge_span_mask(&a()->fs.spans.items[i]), ~uint64_t{0});
  EXPECT_EQ(Alloc(kGiB / kF, kGiB), kGiB);  // half bitmap spans, half run
  EXPECT_EQ(Alloc(kGiB / kF, kGiB), ~0ull);  // [2 GiB, 3 GiB) is not all managed
  EXPECT_EQ(h_.Check(), "");
  ASSERT_EQ(mm_phys_free(a(), kGiB, kGiB / kF), MM_OK);
  ASSERT_EQ(mm_phys_alloc_fixed(a(), kGiB + 300 * kMiB, 1), MM_OK);  // one frame in the middle breaks it
  EXPECT_EQ(Alloc(kGiB / kF, kGiB), ~0ull);
  EXPECT_EQ(h_.Check(), "");
}

// Fully free 2 MiB blocks inside maximal free runs.
uint64_t WholeBlocks(const std::vector<mm_range> &runs) {
  uint64_t n = 0;
  for (const mm_range &r : runs) {
    uint64_t first = (r.base + kBlock - 1) / kBlock, last = r.end / kBlock;
    n += last > first ? last - first : 0;
  }
  return n;
}
bool HasBrokenBlockWithRoom(const std::vector<mm_range> &runs) {
  for (const mm_range &r : runs) {
    if (r.base % kBlock != 0 || r.end % kBlock != 0) return true;
  }
  return false;
}

// Anti-fragmentation (phys_alloc.h, mm_phys_alloc_frame): after frees leave holes in broken blocks high up and
// whole blocks low down, single frames fill the holes and the whole blocks stay whole; the lowest-first rule
// (played on the reference model from the same state) breaks the low whole blocks instead.
TEST_F(PhysAllocHuge, SingleFramesFillBrokenBlocksAndLeaveWholeBlocksWhole) {
  mm_testing::ReferenceModel lowest_first(h_.map(), 128 * kMiB, (2 * kGiB) / kF);
  lowest_first.AddInitialReservations(h_.set());
  ASSERT_EQ(lowest_first.Sync(a()), "");
  for (int i = 0; i < 12000; i++) {
    phys_addr_t f;
    ASSERT_EQ(mm_phys_alloc_frame(a(), &f), MM_OK);
    lowest_first.MarkAllocated(f, 1);
  }
  for (phys_addr_t f = 130 * kMiB; f < 140 * kMiB; f += kF) {  // five whole blocks
    ASSERT_EQ(mm_phys_free(a(), f, 1), MM_OK);
    lowest_first.MarkFreed(f, 1);
  }
  for (phys_addr_t f = 150 * kMiB; f < 170 * kMiB; f += 7 * kF) {  // holes in ten broken blocks
    ASSERT_EQ(mm_phys_free(a(), f, 1), MM_OK);
    lowest_first.MarkFreed(f, 1);
  }
  ASSERT_EQ(h_.Check(), "");
  ASSERT_EQ(lowest_first.Sync(a()), "");  // the bitmap frame the span conversion took
  const uint64_t whole_before = WholeBlocks(FreeRuns());
  ASSERT_EQ(whole_before, WholeBlocks(lowest_first.FreeRuns()));
  for (int i = 0; i < 600; i++) {
    std::vector<mm_range> before = FreeRuns();
    phys_addr_t f, g;
    ASSERT_EQ(mm_phys_alloc_frame(a(), &f), MM_OK);
    if (HasBrokenBlockWithRoom(before)) {
      ASSERT_EQ(WholeBlocks(FreeRuns()), WholeBlocks(before)) << "step " << i << " broke a whole block at " << f;
    }
    ASSERT_EQ(lowest_first.PredictAlloc(1, 0, 0, 0, &g), MM_OK);
    lowest_first.MarkAllocated(g, 1);
  }
  EXPECT_EQ(WholeBlocks(FreeRuns()), whole_before);
  ASSERT_EQ(lowest_first.Sync(a()), "");
  // Lowest first takes its 600 frames from 130 MiB up (the first of those blocks may already hold the bitmap
  // frame): at least one whole block fewer.
  EXPECT_LT(WholeBlocks(lowest_first.FreeRuns()), whole_before);
  EXPECT_EQ(h_.Check(), "");
}

}  // namespace
