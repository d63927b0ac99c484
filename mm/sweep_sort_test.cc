// Tests for sweep.c's sort on long runs of equal addresses (the merge-sort path, taken once a run is longer
// than the insertion-sorted block) and for mm_sweep's refusal of malformed event lists.
#include <algorithm>
#include <cstdint>
#include <random>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"

extern "C" {
#include "mm/sweep.h"
}

namespace {

// The order mm_sweep_sort promises (sweep.h): address, end before start, priority, tag32, tag.
bool Less(const mm_sweep_event &a, const mm_sweep_event &b) {
  return std::make_tuple(a.addr, a.is_start, a.priority, a.tag32, a.tag) <
         std::make_tuple(b.addr, b.is_start, b.priority, b.tag32, b.tag);
}

bool Same(const mm_sweep_event &a, const mm_sweep_event &b) { return !Less(a, b) && !Less(b, a); }

mm_sweep_event Event(uint64_t addr, uint8_t is_start, uint8_t priority, uint32_t tag32, uint64_t tag) {
  return mm_sweep_event{addr, tag, tag32, priority, is_start, {0, 0}};
}

// Sorts with mm_sweep_sort and expects exactly the reference order, element by element.
void ExpectSortsLikeReference(std::vector<mm_sweep_event> ev) {
  std::vector<mm_sweep_event> want = ev;
  std::stable_sort(want.begin(), want.end(), Less);
  std::vector<mm_sweep_event> scratch(ev.size());
  mm_sweep_sort(ev.data(), scratch.data(), ev.size());
  ASSERT_EQ(ev.size(), want.size());
  for (size_t i = 0; i < ev.size(); i++) {
    ASSERT_TRUE(Same(ev[i], want[i])) << "index " << i << ": addr " << ev[i].addr << " priority "
                                      << unsigned(ev[i].priority) << " tag32 " << ev[i].tag32;
  }
}

// Many events at one address with shuffled keys: only the merge sort of the equal-address run orders them.
TEST(SweepSort, LongRunOfEqualAddressesIsOrderedByStartPriorityAndTags) {
  std::mt19937_64 rng(8);
  for (size_t n : {17u, 31u, 33u, 48u, 100u, 257u, 1000u}) {
    std::vector<mm_sweep_event> ev;
    for (size_t i = 0; i < n; i++) {
      ev.push_back(Event(0x5000, rng() & 1, rng() % MM_SWEEP_PRIORITIES, uint32_t(rng() % 7), rng() % 5));
    }
    SCOPED_TRACE(n);
    ExpectSortsLikeReference(ev);
  }
}

// Several long equal-address runs, interleaved out of address order: radix pass, then one merge sort per run.
TEST(SweepSort, SeveralLongRunsAtDifferentAddressesAreEachOrdered) {
  std::mt19937_64 rng(88);
  std::vector<mm_sweep_event> ev;
  const uint64_t addrs[] = {0x9000, 0x1000, 0x100000000ull, 0x7000};
  for (int i = 0; i < 400; i++) {
    ev.push_back(Event(addrs[rng() % 4], rng() & 1, rng() % 4, uint32_t(rng() % 3), rng() % 3));
  }
  ExpectSortsLikeReference(ev);
}

// A long run that is already in order after the radix pass: the merges find their halves in order and copy
// them through; the run must come out unchanged.
TEST(SweepSort, AlreadyOrderedLongRunBehindAnOutOfOrderEventStaysInOrder) {
  std::vector<mm_sweep_event> ev = {Event(0x8000, 1, 0, 0, 0)};
  for (uint32_t i = 0; i < 70; i++) {
    ev.push_back(Event(0x1000, i >= 35, uint8_t(i % 35 / 5), i, 0));
  }
  ExpectSortsLikeReference(ev);
}

// A reversed long run: every merge takes from the right half first and then copies the left half's rest.
TEST(SweepSort, ReversedLongRunIsFullyReordered) {
  std::vector<mm_sweep_event> ev = {Event(0x8000, 0, 0, 0, 0)};
  for (uint32_t i = 0; i < 90; i++) {
    ev.push_back(Event(0x2000, 1, 3, 90 - i, 0));
  }
  ExpectSortsLikeReference(ev);
}

void Ignore(void *, uint64_t, uint64_t, const mm_sweep_event *) {}

TEST(SweepDeathTest, PriorityOutOfRangePanics) {
  const mm_sweep_event ev[] = {Event(0x1000, 1, MM_SWEEP_PRIORITIES, 0, 0),
                               Event(0x2000, 0, MM_SWEEP_PRIORITIES, 0, 0)};
  EXPECT_DEATH(mm_sweep(ev, 2, &Ignore, nullptr), "panic: mm_sweep: priority out of range");
}

TEST(SweepDeathTest, EndWithoutStartPanics) {
  const mm_sweep_event ev[] = {Event(0x1000, 0, 2, 0, 0)};
  EXPECT_DEATH(mm_sweep(ev, 1, &Ignore, nullptr), "panic: mm_sweep: end event without a matching start");
}

TEST(SweepDeathTest, RangeLeftOpenPanics) {
  const mm_sweep_event ev[] = {Event(0x1000, 1, 2, 0, 0), Event(0x2000, 1, 2, 0, 0), Event(0x3000, 0, 2, 0, 0)};
  EXPECT_DEATH(mm_sweep(ev, 3, &Ignore, nullptr), "panic: mm_sweep: events left a range open");
}

}  // namespace
