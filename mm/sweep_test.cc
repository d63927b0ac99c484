// Tests for sweep.c: the highest-priority-wins boundary sweep and its sort, against a per-address reference.
#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "gtest/gtest.h"

extern "C" {
#include "mm/sweep.h"
}

namespace {

struct Range {
  uint64_t base, end;
  uint8_t priority;
  uint32_t tag32;
};

struct Span {
  uint64_t base, end;
  uint8_t priority;
  uint32_t tag32;
};

void Collect(void *ctx, uint64_t base, uint64_t end, const mm_sweep_event *owner) {
  static_cast<std::vector<Span> *>(ctx)->push_back({base, end, owner->priority, owner->tag32});
}

struct Swept {
  std::vector<Span> spans;
  uint64_t overlaps;
};

Swept Sweep(const std::vector<Range> &ranges) {
  std::vector<mm_sweep_event> ev, scratch(2 * ranges.size() + 1);
  for (const Range &r : ranges) {
    ev.push_back({r.base, 0, r.tag32, r.priority, 1, {0, 0}});
    ev.push_back({r.end, 0, r.tag32, r.priority, 0, {0, 0}});
  }
  mm_sweep_sort(ev.data(), scratch.data(), ev.size());
  Swept s;
  s.overlaps = mm_sweep(ev.data(), ev.size(), Collect, &s.spans);
  return s;
}

TEST(Sweep, TheHighestPriorityOwnsEachSpanAndGapsAreNotReported) {
  Swept s = Sweep({{0, 100, 1, 7}, {40, 60, 3, 9}, {200, 300, 2, 5}});
  ASSERT_EQ(s.spans.size(), 4u);
  EXPECT_EQ(s.spans[0].base, 0u);
  EXPECT_EQ(s.spans[0].end, 40u);
  EXPECT_EQ(s.spans[0].tag32, 7u);
  EXPECT_EQ(s.spans[1].base, 40u);
  EXPECT_EQ(s.spans[1].end, 60u);
  EXPECT_EQ(s.spans[1].priority, 3u);
  EXPECT_EQ(s.spans[1].tag32, 9u);
  EXPECT_EQ(s.spans[2].base, 60u);
  EXPECT_EQ(s.spans[2].tag32, 7u);
  EXPECT_EQ(s.spans[3].base, 200u);
  EXPECT_EQ(s.spans[3].end, 300u);
  EXPECT_EQ(s.overlaps, 1u);
}

TEST(Sweep, RangesThatOnlyTouchAreNotAnOverlap) {
  Swept s = Sweep({{0, 100, 1, 1}, {100, 200, 1, 2}});
  EXPECT_EQ(s.overlaps, 0u);
  ASSERT_EQ(s.spans.size(), 2u);
  EXPECT_EQ(s.spans[0].tag32, 1u);
  EXPECT_EQ(s.spans[1].tag32, 2u);
}

TEST(Sweep, AmongOnePriorityTheRangeThatStartedLastGivesTheTags) {
  Swept s = Sweep({{0, 100, 2, 1}, {50, 80, 2, 2}});
  ASSERT_EQ(s.spans.size(), 3u);
  EXPECT_EQ(s.spans[0].tag32, 1u);
  EXPECT_EQ(s.spans[1].tag32, 2u);
  EXPECT_EQ(s.overlaps, 1u);
}

TEST(Sweep, MatchesAPerAddressReferenceOnRandomRangesInAnyOrder) {
  const uint64_t seed = 8;
  std::mt19937_64 rng(seed);
  for (int round = 0; round < 500; round++) {
    std::vector<Range> ranges;
    int n = 1 + rng() % 40;
    for (int i = 0; i < n; i++) {
      uint64_t base = (rng() % 64) << (rng() % 2 ? 0 : 40);  // some addresses need high radix bytes
      ranges.push_back({base, base + 1 + rng() % 16, static_cast<uint8_t>(rng() % MM_SWEEP_PRIORITIES), 0});
      ranges.back().tag32 = ranges.back().priority;  // tags that identify the priority
    }
    Swept s = Sweep(ranges);
    uint64_t pairs = 0;
    for (size_t i = 0; i < ranges.size(); i++) {
      for (size_t j = i + 1; j < ranges.size(); j++) {
        pairs += ranges[i].base < ranges[j].end && ranges[j].base < ranges[i].end;
      }
    }
    EXPECT_EQ(s.overlaps, pairs) << "seed " << seed << " round " << round;
    for (size_t i = 1; i < s.spans.size(); i++) ASSERT_LE(s.spans[i - 1].end, s.spans[i].base);
    // Every address some range covers is in exactly one span, owned by the highest priority covering it.
    std::vector<uint64_t> points;
    for (const Range &r : ranges) {
      points.push_back(r.base);
      points.push_back(r.end - 1);
    }
    for (uint64_t p : points) {
      int best = -1;
      for (const Range &r : ranges) {
        if (r.base <= p && p < r.end) best = std::max(best, static_cast<int>(r.priority));
      }
      auto it = std::find_if(s.spans.begin(), s.spans.end(), [p](const Span &x) { return x.base <= p && p < x.end; });
      ASSERT_TRUE(it != s.spans.end()) << "round " << round << " address " << p;
      EXPECT_EQ(it->priority, best) << "round " << round << " address " << p;
      EXPECT_EQ(it->tag32, static_cast<uint32_t>(best));
    }
    uint64_t covered = 0, want = 0;
    for (const Span &x : s.spans) covered += x.end - x.base;
    std::vector<std::pair<uint64_t, uint64_t>> sorted;
    for (const Range &r : ranges) sorted.push_back({r.base, r.end});
    std::sort(sorted.begin(), sorted.end());
    uint64_t cur = 0;
    for (auto &r : sorted) {
      uint64_t b = std::max(r.first, cur);
      if (r.second > b) want += r.second - b;
      cur = std::max(cur, r.second);
    }
    EXPECT_EQ(covered, want) << "round " << round;
  }
}

}  // namespace
