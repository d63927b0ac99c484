// Tests for the index of fully free 2 MiB blocks (phys_huge.{h,c}): the per-span mask derived from the
// all-free summary, the marks in the span table (kept through insertion and by the update helpers) and the
// search of the lowest fully free block at or above an address.
#include <cstdint>
#include <cstring>
#include <vector>

#include "gtest/gtest.h"

extern "C" {
#include "mm/phys_huge.h"
}

namespace {

constexpr uint64_t kBlock = PHYS_HUGE_FRAMES;  // frames per 2 MiB block

// A span table of `cap` slots in host memory (descriptors, then marks), as phys_span_table_grow lays it out.
struct Table {
  explicit Table(uint64_t cap)
      : storage(cap * sizeof(phys_span) / 8 + PHYS_SPAN_MARK_SETS * phys_span_mark_words(cap), 0) {
    std::memset(&t, 0, sizeof(t));
    t.items = reinterpret_cast<phys_span *>(storage.data());
    t.cap = cap;
  }
  // Inserts an empty span at span number n (base n * 128 MiB) and returns its index.
  uint64_t Insert(uint64_t n) {
    bitmaps.emplace_back(PHYS_SPAN_WORDS, 0);
    phys_span *c = phys_span_table_insert(&t, n * PHYS_SPAN_BYTES, bitmaps.back().data(), 0);
    return static_cast<uint64_t>(c - t.items);
  }
  uint64_t Index(uint64_t n) const { return static_cast<uint64_t>(phys_span_at(&t, n * PHYS_SPAN_BYTES) - t.items); }
  // Sets (or clears) frames [i0, i1) of span number n and refreshes its mark, as the free set's range paths do.
  void Update(uint64_t n, uint64_t i0, uint64_t i1, bool set) {
    uint64_t idx = Index(n);
    phys_bits_update(&t.items[idx], i0, i1, set);
    phys_huge_refresh(&t, idx);
  }
  std::vector<uint64_t> storage;
  std::vector<std::vector<uint64_t>> bitmaps;  // vectors of vectors: each bitmap's data stays put
  phys_span_table t;
};

TEST(PhysHuge, SpanMaskHasOneBitPerFullyFreeBlock) {
  Table tb(4);
  tb.Insert(1);
  tb.Update(1, 0, 3 * kBlock - 1, true);               // blocks 0, 1 whole; block 2 one frame short
  tb.Update(1, 63 * kBlock, PHYS_SPAN_FRAMES, true);    // the last block
  tb.Update(1, 40 * kBlock + 7, 41 * kBlock, true);     // block 40 without its first 7 frames
  EXPECT_EQ(phys_huge_span_mask(&tb.t.items[0]), (uint64_t{1} << 63) | 3u);
  tb.Update(1, 0, 1, false);
  EXPECT_EQ(phys_huge_span_mask(&tb.t.items[0]), (uint64_t{1} << 63) | 2u);
}

TEST(PhysHuge, MarkFollowsRangeUpdates) {
  Table tb(4);
  tb.Insert(3);
  EXPECT_FALSE(phys_span_marked(&tb.t, 0));
  tb.Update(3, 5 * kBlock, 6 * kBlock, true);
  EXPECT_TRUE(phys_span_marked(&tb.t, 0));
  tb.Update(3, 5 * kBlock + 100, 5 * kBlock + 101, false);
  EXPECT_FALSE(phys_span_marked(&tb.t, 0));
}

bool Broken(const Table &tb, uint64_t idx) { return phys_span_marked_in(&tb.t, PHYS_HUGE_MARK_BROKEN, idx); }

TEST(PhysHuge, SpanBrokenMaskHasOneBitPerBlockWithRoomThatIsNotWhole) {
  Table tb(2);
  tb.Insert(0);
  tb.Update(0, 0, kBlock, true);                  // block 0 whole: not broken
  tb.Update(0, 2 * kBlock + 3, 2 * kBlock + 4, true);  // one free frame in block 2
  tb.Update(0, 5 * kBlock, 6 * kBlock - 1, true);     // block 5 misses one frame
  EXPECT_EQ(phys_huge_span_broken(&tb.t.items[0]), (uint64_t{1} << 5) | (uint64_t{1} << 2));
  EXPECT_TRUE(Broken(tb, 0));
  uint64_t idx = 99, frame = 0;
  ASSERT_TRUE(phys_huge_first_broken(&tb.t, &idx, &frame));
  EXPECT_EQ(idx, 0u);
  EXPECT_EQ(frame, 2 * kBlock + 3);
}

TEST(PhysHuge, SingleFrameHelpersKeepBothMarks) {
  Table tb(2);
  tb.Insert(0);
  tb.Update(0, 9 * kBlock, 10 * kBlock - 1, true);  // block 9 misses its last frame: broken, not whole
  EXPECT_FALSE(phys_span_marked(&tb.t, 0));
  EXPECT_TRUE(Broken(tb, 0));
  uint64_t last = 10 * kBlock - 1, w = last >> 6;
  ASSERT_TRUE(phys_span_set_one(&tb.t, 0, last));
  phys_huge_after_set(&tb.t, 0, w);
  EXPECT_TRUE(phys_span_marked(&tb.t, 0));  // whole now, and the span's only broken block is gone
  EXPECT_TRUE(Broken(tb, 0));               // ... which the broken mark learns at the next search
  uint64_t idx, frame;
  EXPECT_FALSE(phys_huge_first_broken(&tb.t, &idx, &frame));
  EXPECT_FALSE(Broken(tb, 0));
  // Taking one frame of the now whole block breaks it again.
  uint64_t old = tb.t.items[0].bits[w];
  bool was_whole = phys_huge_block_whole(&tb.t.items[0], w);
  EXPECT_TRUE(was_whole);
  phys_span_store_taken(&tb.t, &tb.t.items[0], w, old & (old - 1));
  phys_huge_after_take(&tb.t, 0, w, was_whole);
  EXPECT_FALSE(phys_span_marked(&tb.t, 0));
  EXPECT_TRUE(Broken(tb, 0));
  // A lone free frame in an empty block makes it broken; taking it back empties the block. With a whole block
  // elsewhere the span keeps free frames and the mark stays (stale) until the search passes; with no free
  // frame left at all it goes at once.
  tb.Update(0, 9 * kBlock, 10 * kBlock, false);   // block 9 empty
  tb.Update(0, 30 * kBlock, 31 * kBlock, true);   // block 30 whole
  for (int round = 0; round < 2; round++) {
    uint64_t i2 = 20 * kBlock + 70, w2 = i2 >> 6;
    ASSERT_TRUE(phys_span_set_one(&tb.t, 0, i2));
    phys_huge_after_set(&tb.t, 0, w2);
    EXPECT_TRUE(Broken(tb, 0));
    uint64_t v2 = tb.t.items[0].bits[w2];
    phys_span_store_taken(&tb.t, &tb.t.items[0], w2, v2 & ~(uint64_t{1} << (i2 & 63)));
    phys_huge_after_take(&tb.t, 0, w2, false);
    if (round == 0) {
      EXPECT_TRUE(Broken(tb, 0));  // stale: block 30 keeps free frames in the span
      EXPECT_FALSE(phys_huge_first_broken(&tb.t, &idx, &frame));
      EXPECT_FALSE(Broken(tb, 0));
      tb.Update(0, 30 * kBlock, 31 * kBlock, false);
    } else {
      EXPECT_EQ(tb.t.items[0].free, 0u);
      EXPECT_FALSE(Broken(tb, 0));  // exact: nothing free
    }
  }
}

TEST(PhysHuge, InsertionMovesTheMarksOfTheSpansAbove) {
  Table tb(130);  // three mark words: shifting crosses word boundaries
  for (uint64_t n = 0; n < 128; n += 2) tb.Insert(n);   // spans 0, 2, ..., 126 at indices 0..63
  tb.Update(126, 0, kBlock, true);                      // index 63: the top bit of mark word 0
  tb.Update(2, 0, kBlock, true);                        // index 1
  ASSERT_TRUE(phys_span_marked(&tb.t, 63));
  tb.Insert(1);  // lands at index 1: everything from index 1 moves up one
  EXPECT_FALSE(phys_span_marked(&tb.t, 1));
  EXPECT_TRUE(phys_span_marked(&tb.t, 2));
  EXPECT_FALSE(phys_span_marked(&tb.t, 63));
  EXPECT_TRUE(phys_span_marked(&tb.t, 64));  // carried into the next word
  EXPECT_EQ(tb.Index(126), 64u);
  for (uint64_t i = 0; i < tb.t.count; i++) {
    EXPECT_EQ(phys_span_marked(&tb.t, i), phys_huge_span_mask(&tb.t.items[i]) != 0) << i;
    EXPECT_EQ(Broken(tb, i), phys_huge_span_broken(&tb.t.items[i]) != 0) << i;  // range updates are exact
  }
  EXPECT_EQ(phys_span_marks(&tb.t)[2], 0u);  // nothing past the last span
}

TEST(PhysHuge, NextFindsTheLowestFullyFreeBlockAtOrAboveX) {
  Table tb(8);
  tb.Insert(2);
  tb.Insert(5);
  tb.Insert(7);
  tb.Update(2, 0, 100, true);                        // fragments only
  tb.Update(5, 3 * kBlock, 4 * kBlock, true);        // block 3 of span 5
  tb.Update(5, 10 * kBlock, 12 * kBlock, true);      // blocks 10 and 11 of span 5
  tb.Update(7, 0, kBlock, true);                     // block 0 of span 7
  const uint64_t S = PHYS_SPAN_BYTES, B = PHYS_HUGE_BYTES;
  EXPECT_EQ(phys_huge_next(&tb.t, 0), 5 * S + 3 * B);
  EXPECT_EQ(phys_huge_next(&tb.t, 5 * S + 3 * B), 5 * S + 3 * B);
  EXPECT_EQ(phys_huge_next(&tb.t, 5 * S + 3 * B + 4096), 5 * S + 10 * B);  // a block starting at or above x
  EXPECT_EQ(phys_huge_next(&tb.t, 5 * S + 11 * B + 1), 7 * S);            // rest of span 5 has none
  EXPECT_EQ(phys_huge_next(&tb.t, 7 * S + 1), PHYS_NONE);
  EXPECT_EQ(phys_huge_next(&tb.t, 100 * S), PHYS_NONE);
}

TEST(PhysHuge, NextOnAnEmptyTableIsNone) {
  phys_span_table t;
  std::memset(&t, 0, sizeof(t));
  EXPECT_EQ(phys_huge_next(&t, 0), PHYS_NONE);
}

}  // namespace
