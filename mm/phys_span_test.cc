// Tests for the bitmap span primitives (phys_span.c): bit updates keep the summaries exact, counts and
// searches see exactly the set bits, and the span table's search and hint.
#include <cstdint>
#include <cstring>
#include <vector>

#include "gtest/gtest.h"
#include "mm/testing/sim_phys.h"

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

// A frame source over simulated memory handing out frames from a bump pool.
struct Pool {
  mm_testing::SimPhys sim;
  phys_addr_t next = 1ull << 30;
  bool refuse = false;
  int give_backs = 0;
  static bool Take(void *ctx, uint64_t frames, const char *, phys_addr_t *phys, void **ptr) {
    auto *p = static_cast<Pool *>(ctx);
    if (p->refuse) return false;
    *phys = p->next;
    *ptr = p->sim.Map(p->next, frames * MM_FRAME_SIZE);
    p->next += frames * MM_FRAME_SIZE;
    return true;
  }
  static void GiveBack(void *ctx, phys_block) { static_cast<Pool *>(ctx)->give_backs++; }
  static bool Slot(void *) { return true; }
  phys_frame_source source() { return phys_frame_source{this, Take, GiveBack, Slot}; }
};

TEST(PhysSpanTable, GrowInsertKeepsOrderAndTheHintStaysTrue) {
  Pool pool;
  phys_span_table t;
  std::memset(&t, 0, sizeof(t));
  phys_frame_source src = pool.source();
  ASSERT_TRUE(phys_span_table_grow(&t, &src));
  EXPECT_EQ(t.cap, MM_FRAME_SIZE / sizeof(phys_span));
  EXPECT_FALSE(t.block.carved);
  EXPECT_EQ(pool.give_backs, 1);  // the (empty) old block goes back; the source ignores 0 bytes
  std::vector<uint64_t> b0(PHYS_SPAN_WORDS), b1(PHYS_SPAN_WORDS), b2(PHYS_SPAN_WORDS);
  phys_span *hi = phys_span_table_insert(&t, 6 * PHYS_SPAN_BYTES, b0.data(), 0x1000);
  ASSERT_TRUE(phys_span_set_one(&t, 0, 5));
  EXPECT_EQ(hi->free, 1u);
  EXPECT_FALSE(phys_span_set_one(&t, 0, 5));  // already free
  // Every span below the hint has no free frame: after emptying span 0 the hint passes it.
  phys_span_store_taken(&t, &t.items[0], 0, 0);
  EXPECT_EQ(t.items[0].free, 0u);
  EXPECT_EQ(t.hint, 1u);
  // An empty span inserted below the hint shifts it, so it still points past spans without free frames.
  phys_span_table_insert(&t, 2 * PHYS_SPAN_BYTES, b1.data(), 0x2000);
  EXPECT_EQ(t.hint, 2u);
  phys_span_table_insert(&t, 9 * PHYS_SPAN_BYTES, b2.data(), 0x3000);
  ASSERT_EQ(t.count, 3u);
  EXPECT_EQ(t.items[0].base, 2 * PHYS_SPAN_BYTES);
  EXPECT_EQ(t.items[1].base, 6 * PHYS_SPAN_BYTES);
  EXPECT_EQ(t.items[2].base, 9 * PHYS_SPAN_BYTES);
  EXPECT_EQ(t.items[2].bits_phys, 0x3000u);
  ASSERT_TRUE(phys_span_set_one(&t, 2, PHYS_SPAN_FRAMES - 1));
  EXPECT_EQ(t.hint, 2u);
  ASSERT_TRUE(phys_span_set_one(&t, 0, 0));
  EXPECT_EQ(t.hint, 0u);
  phys_hint_reset(&t);
  EXPECT_EQ(t.hint, 0u);
  // Growing again moves the descriptors and gives the previous block back.
  phys_span *before = t.items;
  ASSERT_TRUE(phys_span_table_grow(&t, &src));
  EXPECT_NE(t.items, before);
  EXPECT_EQ(t.count, 3u);
  EXPECT_EQ(t.items[1].base, 6 * PHYS_SPAN_BYTES);
  EXPECT_EQ(pool.give_backs, 2);
}

TEST(PhysSpanTable, GrowFailsWithNothingChangedWhenTheSourceRefuses) {
  Pool pool;
  pool.refuse = true;
  phys_span_table t;
  std::memset(&t, 0, sizeof(t));
  phys_frame_source src = pool.source();
  EXPECT_FALSE(phys_span_table_grow(&t, &src));
  EXPECT_EQ(t.cap, 0u);
  EXPECT_EQ(t.items, nullptr);
  EXPECT_EQ(pool.give_backs, 0);
}

TEST(PhysSpanTable, FullSetWordKeepsTheFullSummary) {
  Span sp;
  phys_span_table t;
  std::memset(&t, 0, sizeof(t));
  t.items = &sp.s;
  t.count = t.cap = 1;
  for (uint64_t i = 0; i < 64; i++) ASSERT_TRUE(phys_span_set_one(&t, 0, i));
  EXPECT_EQ(sp.s.full[0] & 1, 1u);
  EXPECT_TRUE(SummariesAgree(sp.s));
  phys_span_store_taken(&t, &sp.s, 0, ~uint64_t{0} << 1);
  EXPECT_EQ(sp.s.full[0] & 1, 0u);
  EXPECT_EQ(sp.s.free, 63u);
  EXPECT_TRUE(SummariesAgree(sp.s));
  EXPECT_EQ(phys_bit_next_set(&sp.s, PHYS_SPAN_FRAMES), PHYS_SPAN_FRAMES);
  EXPECT_EQ(phys_bit_next_clear(&sp.s, PHYS_SPAN_FRAMES), PHYS_SPAN_FRAMES);
}

TEST(PhysSpanTableDeathTest, InsertingWhereASpanExistsPanics) {
  Pool pool;
  phys_span_table t;
  std::memset(&t, 0, sizeof(t));
  phys_frame_source src = pool.source();
  ASSERT_TRUE(phys_span_table_grow(&t, &src));
  std::vector<uint64_t> b(PHYS_SPAN_WORDS);
  phys_span_table_insert(&t, 0, b.data(), 0);
  EXPECT_DEATH(phys_span_table_insert(&t, 0, b.data(), 0), "no free slot, or the span exists");
}

}  // namespace
