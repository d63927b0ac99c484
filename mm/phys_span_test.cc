// Tests for the bitmap span primitives (phys_span.c): bit updates keep the summaries exact, counts and
// searches see exactly the set bits, and the span table's search and hint.
#include <cstdint>
#include <cstring>
#include <vector>

#include "gtest/gtest.h"

extern "C" {
#include "mm/phys_span.h"
}

namespace {

struct Span {
  Span() : bits(PHYS_SPAN_WORDS, 0) {
    std::memset(&s, 0, sizeof(s));
    s.bits = bits.data();
  }
  std::vector<uint64_t> bits;
  phys_span s;
};

bool SummariesAgree(const phys_span &c) {
  for (uint64_t w = 0; w < PHYS_SPAN_WORDS; w++) {
    bool nz = (c.nonzero[w >> 6] >> (w & 63)) & 1, full = (c.full[w >> 6] >> (w & 63)) & 1;
    if (nz != (c.bits[w] != 0) || full != (c.bits[w] == ~uint64_t{0})) return false;
  }
  return true;
}

TEST(PhysSpan, BitsUpdateCountsChangesAndKeepsSummaries) {
  Span sp;
  EXPECT_EQ(phys_bits_update(&sp.s, 10, 200, true), 190u);
  EXPECT_EQ(phys_bits_update(&sp.s, 100, 300, true), 100u);  // 100..199 were already set
  EXPECT_TRUE(SummariesAgree(sp.s));
  EXPECT_EQ(phys_bits_count(&sp.s, 0, PHYS_SPAN_FRAMES), 290u);
  EXPECT_EQ(phys_span_recount(&sp.s), 290u);
  EXPECT_EQ(phys_bits_update(&sp.s, 64, 128, false), 64u);
  EXPECT_TRUE(SummariesAgree(sp.s));
  EXPECT_EQ(phys_bits_count(&sp.s, 0, 128), 54u);
}

TEST(PhysSpan, NextSetAndNextClearFindRunEdges) {
  Span sp;
  phys_bits_update(&sp.s, 5000, 5100, true);
  EXPECT_EQ(phys_bit_next_set(&sp.s, 0), 5000u);
  EXPECT_EQ(phys_bit_next_clear(&sp.s, 5000), 5100u);
  EXPECT_EQ(phys_bit_next_set(&sp.s, 5100), PHYS_SPAN_FRAMES);
  phys_bits_update(&sp.s, 0, PHYS_SPAN_FRAMES, true);
  EXPECT_EQ(phys_bit_next_clear(&sp.s, 0), PHYS_SPAN_FRAMES);
  EXPECT_TRUE(SummariesAgree(sp.s));
}

TEST(PhysSpan, SpanSearchAndHintFollowTheTable) {
  Span a, b;
  a.s.base = 2 * PHYS_SPAN_BYTES;
  b.s.base = 5 * PHYS_SPAN_BYTES;
  phys_span table[2] = {a.s, b.s};
  phys_span_table t;
  std::memset(&t, 0, sizeof(t));
  t.items = table;
  t.count = 2;
  t.cap = 2;
  EXPECT_EQ(phys_span_lower(&t, 0), 0u);
  EXPECT_EQ(phys_span_lower(&t, 3 * PHYS_SPAN_BYTES), 1u);
  EXPECT_EQ(phys_span_at(&t, 5 * PHYS_SPAN_BYTES + 77 * MM_FRAME_SIZE), &table[1]);
  EXPECT_EQ(phys_span_at(&t, 4 * PHYS_SPAN_BYTES), nullptr);
  // The hint skips spans without free frames and moves back when one gains.
  table[1].free = 3;
  t.hint = 0;
  phys_hint_after_loss(&t);
  EXPECT_EQ(t.hint, 1u);
  table[0].free = 1;
  phys_hint_after_gain(&t, &table[0]);
  EXPECT_EQ(t.hint, 0u);
}

}  // namespace
