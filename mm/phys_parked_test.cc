// Tests for the parked-range layer (phys_parked.c) through its own type, phys_parked_list, over simulated
// memory: the list stays sorted with its nodes in each range's own first frame, counts stay exact through
// inserts, splits and removals, removal can hand frames to a bitmap span, and pop drains lowest first.
#include <cstdint>
#include <cstring>
#include <vector>

#include "gtest/gtest.h"
#include "mm/testing/sim_phys.h"

extern "C" {
#include "mm/phys_parked.h"
}

namespace {

using mm_testing::SimPhys;

constexpr uint64_t kF = MM_FRAME_SIZE;
constexpr uint64_t kMiB = 1ull << 20;

class PhysParked : public ::testing::Test {
 protected:
  void SetUp() override { phys_parked_init(&list_, sim_.window()); }
  // The list as (base, end) pairs, walking the nodes.
  std::vector<std::pair<phys_addr_t, phys_addr_t>> Ranges() {
    std::vector<std::pair<phys_addr_t, phys_addr_t>> out;
    for (phys_addr_t cur = list_.head; cur != PHYS_NONE;) {
      const phys_parked_node *n = phys_parked_at(&list_, cur);
      EXPECT_EQ(n->magic, PHYS_PARKED_MAGIC);
      out.push_back({cur, n->end});
      cur = n->next;
    }
    return out;
  }
  void ParkThree() {
    phys_parked_insert(&list_, 8 * kMiB, 9 * kMiB);
    phys_parked_insert(&list_, 2 * kMiB, 3 * kMiB);
    phys_parked_insert(&list_, 5 * kMiB, 5 * kMiB + kF);
  }
  SimPhys sim_;
  phys_parked_list list_;
};

using RangeList = std::vector<std::pair<phys_addr_t, phys_addr_t>>;

TEST_F(PhysParked, EmptyListHasNoHeadAndNothingToPop) {
  EXPECT_EQ(list_.head, PHYS_NONE);
  EXPECT_EQ(list_.ranges, 0u);
  EXPECT_EQ(list_.frames, 0u);
  EXPECT_EQ(phys_parked_count(&list_, 0, UINT64_MAX & ~MM_FRAME_MASK), 0u);
  phys_addr_t x = 1, y = 2;
  EXPECT_FALSE(phys_parked_pop(&list_, &x, &y));
  EXPECT_EQ(x, 1u);  // untouched
  EXPECT_EQ(phys_parked_remove(&list_, 0, 16 * kMiB, nullptr), 0u);
}

TEST_F(PhysParked, InsertKeepsTheListSortedWithNodesInTheRangesThemselves) {
  ParkThree();
  EXPECT_EQ(Ranges(), (RangeList{{2 * kMiB, 3 * kMiB}, {5 * kMiB, 5 * kMiB + kF}, {8 * kMiB, 9 * kMiB}}));
  EXPECT_EQ(list_.ranges, 3u);
  EXPECT_EQ(list_.frames, 256u + 1u + 256u);
  // The node is in the simulated frame itself.
  const auto *node = reinterpret_cast<const phys_parked_node *>(sim_.Peek(5 * kMiB, sizeof(phys_parked_node)));
  EXPECT_EQ(node->magic, PHYS_PARKED_MAGIC);
  EXPECT_EQ(node->end, 5 * kMiB + kF);
}

TEST_F(PhysParked, CountSeesOnlyParkedFramesInsideTheRange) {
  ParkThree();
  EXPECT_EQ(phys_parked_count(&list_, 0, 16 * kMiB), 513u);
  EXPECT_EQ(phys_parked_count(&list_, 2 * kMiB + kF, 2 * kMiB + 2 * kF), 1u);
  EXPECT_EQ(phys_parked_count(&list_, 3 * kMiB, 5 * kMiB), 0u);
  EXPECT_EQ(phys_parked_count(&list_, 5 * kMiB, 8 * kMiB + 2 * kF), 3u);
}

TEST_F(PhysParked, RemovingTheMiddleOfARangeSplitsItInTwo) {
  ParkThree();
  EXPECT_EQ(phys_parked_remove(&list_, 2 * kMiB + 10 * kF, 2 * kMiB + 20 * kF, nullptr), 10u);
  EXPECT_EQ(Ranges(), (RangeList{{2 * kMiB, 2 * kMiB + 10 * kF},
                                 {2 * kMiB + 20 * kF, 3 * kMiB},
                                 {5 * kMiB, 5 * kMiB + kF},
                                 {8 * kMiB, 9 * kMiB}}));
  EXPECT_EQ(list_.ranges, 4u);
  EXPECT_EQ(list_.frames, 513u - 10u);
  EXPECT_EQ(phys_parked_count(&list_, 0, 16 * kMiB), list_.frames);
}

TEST_F(PhysParked, RemovingAcrossRangesDropsWholeOnesAndTrimsTheEdges) {
  ParkThree();
  // Trims the head range's front, drops the single frame, trims the last range's front.
  EXPECT_EQ(phys_parked_remove(&list_, 2 * kMiB - 4 * kF, 8 * kMiB + kF, nullptr), 256u + 1u + 1u);
  EXPECT_EQ(Ranges(), (RangeList{{8 * kMiB + kF, 9 * kMiB}}));
  EXPECT_EQ(list_.head, 8 * kMiB + kF);
  EXPECT_EQ(list_.ranges, 1u);
  EXPECT_EQ(list_.frames, 255u);
  // The tail of a range.
  EXPECT_EQ(phys_parked_remove(&list_, 9 * kMiB - kF, 10 * kMiB, nullptr), 1u);
  EXPECT_EQ(Ranges(), (RangeList{{8 * kMiB + kF, 9 * kMiB - kF}}));
}

TEST_F(PhysParked, RemovalIntoASpanSetsExactlyTheRemovedFrames) {
  ParkThree();
  std::vector<uint64_t> bits(PHYS_SPAN_WORDS, 0);
  phys_span span;
  std::memset(&span, 0, sizeof(span));
  span.base = 0;
  span.bits = bits.data();
  EXPECT_EQ(phys_parked_remove(&list_, 0, 6 * kMiB, &span), 257u);
  EXPECT_EQ(span.free, 257u);
  EXPECT_EQ(phys_span_recount(&span), 257u);
  EXPECT_EQ(phys_bit_next_set(&span, 0), (2 * kMiB) / kF);
  EXPECT_EQ(phys_bit_next_clear(&span, (2 * kMiB) / kF), (3 * kMiB) / kF);
  EXPECT_EQ(Ranges(), (RangeList{{8 * kMiB, 9 * kMiB}}));
}

TEST_F(PhysParked, PopTakesTheLowestRangeAndRetiresItsNode) {
  ParkThree();
  phys_addr_t x, y;
  ASSERT_TRUE(phys_parked_pop(&list_, &x, &y));
  EXPECT_EQ(x, 2 * kMiB);
  EXPECT_EQ(y, 3 * kMiB);
  EXPECT_EQ(list_.ranges, 2u);
  EXPECT_EQ(list_.frames, 257u);
  const auto *node = reinterpret_cast<const phys_parked_node *>(sim_.Peek(2 * kMiB, sizeof(phys_parked_node)));
  EXPECT_EQ(node->magic, 0u);
  ASSERT_TRUE(phys_parked_pop(&list_, &x, &y));
  ASSERT_TRUE(phys_parked_pop(&list_, &x, &y));
  EXPECT_EQ(x, 8 * kMiB);
  EXPECT_FALSE(phys_parked_pop(&list_, &x, &y));
  EXPECT_EQ(list_.head, PHYS_NONE);
  EXPECT_EQ(list_.frames, 0u);
}

TEST(PhysParkedDeathTest, ANodeTheWindowCannotMapPanics) {
  SimPhys sim;
  sim.Unbacked(4 * kMiB, 5 * kMiB);
  phys_parked_list list;
  phys_parked_init(&list, sim.window());
  EXPECT_DEATH(phys_parked_insert(&list, 4 * kMiB, 5 * kMiB), "window cannot map a parked frame");
}

}  // namespace
