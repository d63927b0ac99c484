// Tests for the free set as a layer of its own (phys_freeset.c, phys_fs_iter.c): a phys_free_set over simulated
// memory, with no allocator around it. Bookkeeping frames come only from the frame source it is given
// (phys_frame_source); when the source refuses, the free set stays correct and simply keeps runs.
#include <cstdint>
#include <vector>

#include "gtest/gtest.h"
#include "mm/testing/sim_phys.h"

extern "C" {
#include "mm/phys_freeset.h"
}

namespace {

using mm_testing::SimPhys;

constexpr uint64_t kF = MM_FRAME_SIZE;
constexpr uint64_t kMiB = 1ull << 20;
constexpr phys_addr_t kPool = 4096 * kMiB;  // where the test's frame source hands out frames

// A frame source that hands out frames from a bump pool above the free set's memory and counts its calls.
struct CountingSource {
  SimPhys *sim;
  phys_free_set *fs;
  phys_addr_t next = kPool;
  bool refuse = false;
  bool refuse_take = false;  // a span slot, but no bitmap frame
  int slot_calls = 0, take_calls = 0, give_backs = 0;
  std::vector<std::string> labels;

  static bool Take(void *ctx, uint64_t frames, const char *label, phys_addr_t *phys, void **ptr) {
    auto *s = static_cast<CountingSource *>(ctx);
    s->take_calls++;
    if (s->refuse || s->refuse_take) return false;
    *phys = s->next;
    *ptr = s->sim->Map(s->next, frames * kF);
    s->next += frames * kF;
    s->labels.push_back(label ? label : "");
    return true;
  }
  static void GiveBack(void *ctx, phys_block) { static_cast<CountingSource *>(ctx)->give_backs++; }
  static bool SpanSlot(void *ctx) {
    auto *s = static_cast<CountingSource *>(ctx);
    s->slot_calls++;
    if (s->refuse) return false;
    if (s->fs->spans.count < s->fs->spans.cap) return true;
    phys_frame_source src = s->source();
    return phys_span_table_grow(&s->fs->spans, &src);
  }
  phys_frame_source source() { return phys_frame_source{this, Take, GiveBack, SpanSlot}; }
};

class PhysFreeSet : public ::testing::Test {
 protected:
  void SetUp() override {
    runs_.resize(64);
    phys_fs_init(&fs_, runs_.data(), runs_.size(), phys_block{0, 0, true}, sim_.window());
    src_.sim = &sim_;
    src_.fs = &fs_;
  }
  // Adds every other frame of 40 frames at 130 MiB: far more than PHYS_SPAN_RUN_LIMIT runs in one span.
  void Fragment() {
    for (uint64_t i = 0; i < 40; i++) phys_fs_add(&fs_, 130 * kMiB + 2 * i * kF, 130 * kMiB + (2 * i + 1) * kF);
  }
  // Runs the queued conversions the way the growth layer does.
  void Convert() {
    phys_frame_source src = src_.source();
    phys_addr_t w;
    while (phys_fs_pop_pending(&fs_, &w)) phys_fs_convert_span(&fs_, w, &src);
  }
  // Free frames seen by iteration; must equal the counter.
  uint64_t IteratedFree() {
    uint64_t n = 0;
    phys_fs_for_each(
        &fs_,
        [](void *ctx, mm_range r) {
          *static_cast<uint64_t *>(ctx) += (r.end - r.base) / kF;
          return true;
        },
        &n);
    return n;
  }
  SimPhys sim_;
  std::vector<phys_run> runs_;
  phys_free_set fs_;
  CountingSource src_;
};

TEST_F(PhysFreeSet, ConversionTakesItsBitmapFrameFromTheInjectedSource) {
  Fragment();
  EXPECT_EQ(fs_.pending_count, 1u);
  Convert();
  EXPECT_EQ(fs_.spans.count, 1u);
  EXPECT_GE(src_.slot_calls, 1);
  ASSERT_EQ(src_.labels.size(), 2u);  // the span table, then one bitmap frame
  EXPECT_EQ(src_.labels[0], "phys.spans");
  EXPECT_EQ(src_.labels[1], "phys.bitmap");
  EXPECT_EQ(fs_.run_count, 0u);
  EXPECT_EQ(fs_.free_frames, 40u);
  EXPECT_EQ(IteratedFree(), 40u);
  EXPECT_TRUE(phys_fs_is_free(&fs_, 130 * kMiB));
  EXPECT_FALSE(phys_fs_is_free(&fs_, 130 * kMiB + kF));
}

TEST_F(PhysFreeSet, RefusingSourceLeavesRunsAndAValidFreeSet) {
  src_.refuse = true;
  Fragment();
  Convert();
  EXPECT_EQ(fs_.spans.count, 0u);
  EXPECT_GE(src_.slot_calls, 1);
  EXPECT_EQ(src_.take_calls, 0);
  EXPECT_GT(fs_.run_count, PHYS_SPAN_RUN_LIMIT);
  EXPECT_EQ(fs_.free_frames, 40u);
  EXPECT_EQ(IteratedFree(), 40u);
  // Once the source supplies frames again, the next operation that adds a run in the span converts it.
  src_.refuse = false;
  phys_fs_add(&fs_, 135 * kMiB, 135 * kMiB + kF);
  Convert();
  EXPECT_EQ(fs_.spans.count, 1u);
  EXPECT_EQ(fs_.free_frames, 41u);
  EXPECT_EQ(IteratedFree(), 41u);
}

TEST_F(PhysFreeSet, FullRunArrayParksWhatItCannotIndexAndDrainsItLater) {
  runs_.assign(2, phys_run{});
  phys_fs_init(&fs_, runs_.data(), 2, phys_block{0, 0, true}, sim_.window());
  phys_fs_add(&fs_, 0 * kMiB + kF, 1 * kMiB);
  phys_fs_add(&fs_, 2 * kMiB, 3 * kMiB);
  phys_fs_add(&fs_, 4 * kMiB, 5 * kMiB);  // no slot: parked in its own first frame
  EXPECT_EQ(fs_.run_count, 2u);
  EXPECT_EQ(fs_.parked.ranges, 1u);
  EXPECT_EQ(fs_.free_frames, 255u + 256u + 256u);
  EXPECT_EQ(IteratedFree(), fs_.free_frames);
  EXPECT_TRUE(phys_fs_is_free(&fs_, 4 * kMiB + 7 * kF));
  // The lowest free frame is still the run's, and a search finds the parked range.
  EXPECT_EQ(phys_fs_lowest(&fs_), kF);
  EXPECT_EQ(phys_fs_find(&fs_, 256, 1 * kMiB, 3 * kMiB, UINT64_MAX), 4 * kMiB);
  // Growing the run array through the source makes room; draining moves the parked range into it.
  phys_frame_source src = src_.source();
  ASSERT_TRUE(phys_fs_grow_runs(&fs_, 4, &src));
  EXPECT_EQ(src_.labels.back(), "phys.runs");
  EXPECT_EQ(src_.give_backs, 1);
  phys_fs_drain_parked(&fs_);
  EXPECT_EQ(fs_.parked.ranges, 0u);
  EXPECT_EQ(fs_.run_count, 3u);
  EXPECT_EQ(IteratedFree(), fs_.free_frames);
}

TEST_F(PhysFreeSet, GrowingRunsFailsWithNothingChangedWhenTheSourceRefuses) {
  phys_fs_add(&fs_, kF, 9 * kF);
  phys_run *before = fs_.runs;
  uint64_t cap = fs_.run_cap;
  src_.refuse = true;
  phys_frame_source src = src_.source();
  EXPECT_FALSE(phys_fs_grow_runs(&fs_, 4, &src));
  EXPECT_EQ(fs_.runs, before);
  EXPECT_EQ(fs_.run_cap, cap);
  EXPECT_EQ(src_.give_backs, 0);
  EXPECT_EQ(fs_.free_frames, 8u);
}

TEST_F(PhysFreeSet, SingleFrameFastPathsRefuseWhatTheyCannotDo) {
  phys_fs_add(&fs_, 10 * kF, 12 * kF);
  EXPECT_FALSE(phys_fs_add_one(&fs_, 11 * kF));   // already free
  EXPECT_FALSE(phys_fs_take_one(&fs_, 20 * kF));  // not free
  EXPECT_TRUE(phys_fs_take_one(&fs_, 11 * kF));
  EXPECT_EQ(phys_fs_take_frame_fast(&fs_), 10 * kF);
  EXPECT_EQ(phys_fs_take_lowest(&fs_), PHYS_NONE);  // empty
  EXPECT_EQ(fs_.free_frames, 0u);
  EXPECT_FALSE(phys_fs_pop_pending(&fs_, nullptr));
}

TEST_F(PhysFreeSet, ConversionWithoutABitmapFrameKeepsTheRuns) {
  Fragment();
  src_.refuse_take = true;
  Convert();
  EXPECT_EQ(fs_.spans.count, 0u);
  EXPECT_GT(fs_.run_count, PHYS_SPAN_RUN_LIMIT);
  EXPECT_EQ(IteratedFree(), 40u);
}

TEST_F(PhysFreeSet, ConversionIsANoOpForAConvertedOrSparseSpan) {
  Fragment();
  Convert();
  ASSERT_EQ(fs_.spans.count, 1u);
  int takes = src_.take_calls;
  phys_frame_source src = src_.source();
  phys_fs_convert_span(&fs_, phys_span_base(130 * kMiB), &src);  // already a bitmap span
  phys_fs_convert_span(&fs_, 4 * PHYS_SPAN_BYTES, &src);         // no run there at all
  EXPECT_EQ(src_.take_calls, takes);
  EXPECT_EQ(fs_.spans.count, 1u);
}

TEST_F(PhysFreeSet, ConversionTakesParkedRangesInsideTheSpanIntoTheBitmap) {
  runs_.assign(12, phys_run{});
  phys_fs_init(&fs_, runs_.data(), 12, phys_block{0, 0, true}, sim_.window());
  Fragment();  // 12 runs, the other 28 frames parked
  EXPECT_EQ(fs_.run_count, 12u);
  EXPECT_EQ(fs_.parked.ranges, 28u);
  Convert();
  EXPECT_EQ(fs_.spans.count, 1u);
  EXPECT_EQ(fs_.parked.ranges, 0u);
  EXPECT_EQ(fs_.run_count, 0u);
  EXPECT_EQ(fs_.spans.items[0].free, 40u);
  EXPECT_EQ(IteratedFree(), 40u);
}

TEST_F(PhysFreeSet, SplittingARunInAFullArrayParksTheUpperPiece) {
  runs_.assign(2, phys_run{});
  phys_fs_init(&fs_, runs_.data(), 2, phys_block{0, 0, true}, sim_.window());
  phys_fs_add(&fs_, 10 * kMiB, 11 * kMiB);
  phys_fs_add(&fs_, 20 * kMiB, 21 * kMiB);
  EXPECT_EQ(phys_fs_remove(&fs_, 10 * kMiB + 8 * kF, 10 * kMiB + 9 * kF), 1u);
  EXPECT_EQ(fs_.run_count, 2u);
  EXPECT_EQ(fs_.parked.ranges, 1u);
  EXPECT_EQ(fs_.parked.head, 10 * kMiB + 9 * kF);
  EXPECT_EQ(IteratedFree(), 511u);
  EXPECT_FALSE(phys_fs_is_free(&fs_, 10 * kMiB + 8 * kF));
  EXPECT_TRUE(phys_fs_is_free(&fs_, 10 * kMiB + 9 * kF));
}

TEST_F(PhysFreeSet, AParkedRangeBelowEveryRunIsTheLowestFreeFrame) {
  runs_.assign(2, phys_run{});
  phys_fs_init(&fs_, runs_.data(), 2, phys_block{0, 0, true}, sim_.window());
  phys_fs_add(&fs_, 10 * kMiB, 11 * kMiB);
  phys_fs_add(&fs_, 20 * kMiB, 21 * kMiB);
  phys_fs_add(&fs_, 1 * kMiB, 2 * kMiB);  // no slot: parked, below both runs
  EXPECT_EQ(phys_fs_lowest(&fs_), 1 * kMiB);
  EXPECT_EQ(phys_fs_take_frame_fast(&fs_), 1 * kMiB);
  EXPECT_EQ(phys_fs_next_free(&fs_, 0), 1 * kMiB + kF);
}

TEST_F(PhysFreeSet, SearchesFindNothingWhereNothingFits) {
  phys_fs_add(&fs_, 1 * kMiB, 2 * kMiB);
  EXPECT_EQ(phys_fs_find(&fs_, 257, kF, 0, UINT64_MAX), PHYS_NONE);          // too large
  EXPECT_EQ(phys_fs_find(&fs_, 1, kF, 2 * kMiB, UINT64_MAX), PHYS_NONE);     // nothing above
  EXPECT_EQ(phys_fs_find(&fs_, 1, kF, UINT64_MAX - 10, UINT64_MAX), PHYS_NONE);  // lo cannot be aligned
  EXPECT_EQ(phys_fs_find(&fs_, 1, kF, 0, 1 * kMiB), PHYS_NONE);              // nothing below hi
  EXPECT_EQ(phys_fs_next_free(&fs_, 2 * kMiB), PHYS_NONE);
  EXPECT_EQ(phys_fs_find(&fs_, 256, 1 * kMiB, 0, UINT64_MAX), 1 * kMiB);
}

}  // namespace
