// Tests for the free set's contract with the layer above it (phys_freeset.c): bookkeeping frames come only
// from the injected frame source (phys_frame_source); when the source refuses, the free set stays correct and
// simply keeps runs.
#include <cstdint>

#include "gtest/gtest.h"
#include "mm/testing/phys_harness.h"

extern "C" {
#include "mm/phys_alloc_internal.h"
}

namespace {

using mm_testing::PhysHarness;

constexpr uint64_t kF = MM_FRAME_SIZE;
constexpr uint64_t kMiB = 1ull << 20;

int g_slot_calls, g_take_calls;
bool g_refuse;

bool CountingSlot(mm_phys_allocator *a) {
  g_slot_calls++;
  return !g_refuse && phys_grow_source.span_slot(a);
}
bool CountingTake(mm_phys_allocator *a, uint64_t frames, const char *label, phys_addr_t *phys, void **ptr) {
  g_take_calls++;
  return !g_refuse && phys_grow_source.take(a, frames, label, phys, ptr);
}
const phys_frame_source kCounting = {CountingSlot, CountingTake};

class PhysFreeSet : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(h_.Build({{16 * kMiB, 400 * kMiB, MM_REGION_USABLE}}, {}, 16 * kMiB), MM_OK);
    h_.alloc()->source = &kCounting;
    g_slot_calls = g_take_calls = 0;
  }
  // Frees every other frame of 40 allocated frames at 130 MiB: far more than PHYS_SPAN_RUN_LIMIT runs.
  void Fragment() {
    for (int i = 0; i < 40; i++) ASSERT_EQ(mm_phys_alloc_fixed(h_.alloc(), 130 * kMiB + 2 * i * kF, 1), MM_OK);
  }
  PhysHarness h_;
};

TEST_F(PhysFreeSet, ConversionTakesItsBitmapFrameFromTheInjectedSource) {
  g_refuse = false;
  Fragment();
  EXPECT_EQ(h_.alloc()->fs.span_count, 1u);
  EXPECT_GE(g_slot_calls, 1);
  EXPECT_EQ(g_take_calls, 1);  // one bitmap frame
  EXPECT_EQ(h_.Check(), "");
}

TEST_F(PhysFreeSet, RefusingSourceLeavesRunsAndAValidFreeSet) {
  g_refuse = true;
  Fragment();
  EXPECT_EQ(h_.alloc()->fs.span_count, 0u);
  EXPECT_GE(g_slot_calls, 1);
  EXPECT_EQ(g_take_calls, 0);
  EXPECT_GT(h_.alloc()->fs.run_count, PHYS_SPAN_RUN_LIMIT);
  EXPECT_EQ(h_.Check(), "");
  // Once the source supplies frames again, the next operation that adds a run in the span converts it.
  g_refuse = false;
  ASSERT_EQ(mm_phys_alloc_fixed(h_.alloc(), 135 * kMiB, 1), MM_OK);
  EXPECT_EQ(h_.alloc()->fs.span_count, 1u);
  EXPECT_EQ(h_.Check(), "");
}

}  // namespace
