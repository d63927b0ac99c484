// Tests for the one sorted reservation table (res_table.c), with and without prefix maxima.
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "gtest/gtest.h"

extern "C" {
#include "mm/res_table.h"
}

namespace {

constexpr uint64_t kF = MM_FRAME_SIZE;

struct Table {
  explicit Table(uint64_t cap, bool indexed) : entries(cap), maxend(cap) {
    t = {entries.data(), indexed ? maxend.data() : nullptr, 0, cap};
  }
  std::vector<mm_reservation> entries;
  std::vector<uint64_t> maxend;
  mm_res_table t;
};

TEST(ResTable, InsertKeepsBaseThenEndOrderAndEqualEntriesInInsertionOrder) {
  Table tb(8, true);
  ASSERT_TRUE(mm_res_table_insert(&tb.t, 4 * kF, 6 * kF, MM_RES_TEST, "b"));
  ASSERT_TRUE(mm_res_table_insert(&tb.t, 2 * kF, 9 * kF, MM_RES_TEST, "a"));
  ASSERT_TRUE(mm_res_table_insert(&tb.t, 4 * kF, 5 * kF, MM_RES_TEST, "c"));
  ASSERT_TRUE(mm_res_table_insert(&tb.t, 4 * kF, 6 * kF, MM_RES_TEST, "d"));
  ASSERT_EQ(tb.t.count, 4u);
  const char *want[] = {"a", "c", "b", "d"};
  for (int i = 0; i < 4; i++) EXPECT_STREQ(tb.entries[i].label, want[i]) << i;
  EXPECT_EQ(tb.maxend[0], 9 * kF);
  EXPECT_EQ(tb.maxend[3], 9 * kF);
}

TEST(ResTable, FullTableRejectsInsertAndChangesNothing) {
  Table tb(1, false);
  ASSERT_TRUE(mm_res_table_insert(&tb.t, kF, 2 * kF, MM_RES_TEST, "x"));
  EXPECT_FALSE(mm_res_table_insert(&tb.t, 0, kF, MM_RES_TEST, "y"));
  EXPECT_EQ(tb.t.count, 1u);
  EXPECT_STREQ(tb.entries[0].label, "x");
}

// The indexed (binary search over prefix maxima) and the plain (scan) queries give the same answer.
TEST(ResTable, IndexedAndScanningFindAgreeOnRandomOverlappingEntries) {
  std::mt19937_64 rng(7);
  Table indexed(64, true), plain(64, false);
  for (int i = 0; i < 64; i++) {
    uint64_t b = (rng() % 200) * kF, len = (1 + rng() % 30) * kF;
    ASSERT_TRUE(mm_res_table_insert(&indexed.t, b, b + len, MM_RES_TEST, "r"));
    ASSERT_TRUE(mm_res_table_insert(&plain.t, b, b + len, MM_RES_TEST, "r"));
  }
  for (uint64_t q = 0; q < 240; q++) {
    for (uint64_t len : {1ull, 3ull, 17ull}) {
      const mm_reservation *x = mm_res_table_find(&indexed.t, q * kF, (q + len) * kF);
      const mm_reservation *y = mm_res_table_find(&plain.t, q * kF, (q + len) * kF);
      ASSERT_EQ(x == nullptr, y == nullptr) << q;
      if (x) {
        EXPECT_EQ(x - indexed.entries.data(), y - plain.entries.data()) << q;
      }
    }
  }
  EXPECT_EQ(mm_res_table_find(&indexed.t, 5 * kF, 5 * kF), nullptr);  // empty query
}

TEST(ResTable, RemoveByExactEntryKeepsMaxima) {
  Table tb(8, true);
  ASSERT_TRUE(mm_res_table_insert(&tb.t, 0, 10 * kF, MM_RES_BOOKKEEPING, "big"));
  ASSERT_TRUE(mm_res_table_insert(&tb.t, 2 * kF, 3 * kF, MM_RES_TEST, "small"));
  EXPECT_EQ(mm_res_table_index_of(&tb.t, 0, 10 * kF, MM_RES_TEST, nullptr), tb.t.count);  // kind differs
  EXPECT_EQ(mm_res_table_index_of(&tb.t, 0, 10 * kF, MM_RES_BOOKKEEPING, "other"), tb.t.count);
  uint64_t i = mm_res_table_index_of(&tb.t, 0, 10 * kF, MM_RES_BOOKKEEPING, nullptr);  // any label
  ASSERT_EQ(i, 0u);
  mm_res_table_remove_at(&tb.t, i);
  ASSERT_EQ(tb.t.count, 1u);
  EXPECT_EQ(tb.maxend[0], 3 * kF);
  EXPECT_EQ(mm_res_table_find(&tb.t, 5 * kF, 6 * kF), nullptr);
}

TEST(ResTable, MoveRehomesEntriesAndBuildsMaxima) {
  Table tb(4, false);
  ASSERT_TRUE(mm_res_table_insert(&tb.t, 4 * kF, 8 * kF, MM_RES_TEST, "a"));
  ASSERT_TRUE(mm_res_table_insert(&tb.t, kF, 2 * kF, MM_RES_TEST, "b"));
  std::vector<uint64_t> storage(4096 / 8);
  EXPECT_FALSE(mm_res_table_move(&tb.t, storage.data(), MM_RES_TABLE_INDEXED_SLOT_BYTES));  // room for 1 < 2
  EXPECT_EQ(tb.t.entries, tb.entries.data());
  ASSERT_TRUE(mm_res_table_move(&tb.t, storage.data(), 4096));
  EXPECT_EQ(tb.t.capacity, 4096 / MM_RES_TABLE_INDEXED_SLOT_BYTES);
  ASSERT_NE(tb.t.maxend, nullptr);
  EXPECT_EQ(tb.t.maxend[1], 8 * kF);
  EXPECT_STREQ(tb.t.entries[0].label, "b");
  ASSERT_NE(mm_res_table_find(&tb.t, 5 * kF, 6 * kF), nullptr);
}

}  // namespace
