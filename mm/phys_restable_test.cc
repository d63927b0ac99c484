// Tests for the runtime reservation-table layer (phys_restable.c) through its own type, phys_res: init copies
// and indexes the entries or refuses storage without room, queries see the lowest intersecting entry, the
// table grows itself through the frame source it is given and records its block in itself, and the walk over
// unreserved pieces visits exactly the gaps.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "mm/testing/sim_phys.h"

extern "C" {
#include "mm/phys_restable.h"
}

namespace {

using mm_testing::SimPhys;

constexpr uint64_t kF = MM_FRAME_SIZE;
constexpr uint64_t kMiB = 1ull << 20;
constexpr phys_addr_t kPool = 64 * kMiB;

mm_reservation Res(phys_addr_t base, phys_addr_t end, mm_reservation_kind kind = MM_RES_FIRMWARE,
                   const char *label = "fw") {
  mm_reservation r;
  std::memset(&r, 0, sizeof(r));
  r.base = base;
  r.end = end;
  r.kind = kind;
  mm_reservation_copy_label(r.label, label);
  return r;
}

// Hands out frames from a bump pool in simulated memory; records what it was given back.
struct PoolSource {
  SimPhys *sim;
  phys_addr_t next = kPool;
  bool refuse = false;
  std::vector<phys_block> given_back;
  std::vector<std::string> labels;
  static bool Take(void *ctx, uint64_t frames, const char *label, phys_addr_t *phys, void **ptr) {
    auto *s = static_cast<PoolSource *>(ctx);
    if (s->refuse) return false;
    *phys = s->next;
    *ptr = s->sim->Map(s->next, frames * kF);
    s->next += frames * kF;
    s->labels.push_back(label ? label : "(none)");
    return true;
  }
  static void GiveBack(void *ctx, phys_block b) { static_cast<PoolSource *>(ctx)->given_back.push_back(b); }
  static bool SpanSlot(void *) { return false; }
  phys_frame_source source() { return phys_frame_source{this, Take, GiveBack, SpanSlot}; }
};

class PhysRes : public ::testing::Test {
 protected:
  void SetUp() override {
    entries_ = {Res(1 * kMiB, 2 * kMiB), Res(1 * kMiB + 512 * 1024, 3 * kMiB), Res(5 * kMiB, 6 * kMiB)};
    storage_ = sim_.Map(0, kF);
    src_.sim = &sim_;
    ASSERT_TRUE(phys_res_init(&res_, entries_.data(), entries_.size(), storage_, phys_block{0, kF, true}));
  }
  std::vector<std::pair<phys_addr_t, phys_addr_t>> Gaps(phys_addr_t base, phys_addr_t end) {
    std::vector<std::pair<phys_addr_t, phys_addr_t>> out;
    phys_for_each_unreserved(
        &res_, base, end,
        [](void *ctx, phys_addr_t b, phys_addr_t e) {
          static_cast<std::vector<std::pair<phys_addr_t, phys_addr_t>> *>(ctx)->push_back({b, e});
        },
        &out);
    return out;
  }
  SimPhys sim_;
  std::vector<mm_reservation> entries_;
  void *storage_;
  PoolSource src_;
  phys_res res_;
};

using Pieces = std::vector<std::pair<phys_addr_t, phys_addr_t>>;

TEST_F(PhysRes, InitCopiesTheEntriesIntoTheStorageWithPrefixMaxima) {
  EXPECT_EQ(phys_res_count(&res_), 3u);
  EXPECT_EQ(res_.table.capacity, kF / PHYS_RES_SLOT_BYTES);
  EXPECT_EQ(phys_res_spare(&res_), res_.table.capacity - 3);
  EXPECT_EQ(static_cast<void *>(res_.table.entries), storage_);
  EXPECT_EQ(res_.table.maxend[0], 2 * kMiB);
  EXPECT_EQ(res_.table.maxend[1], 3 * kMiB);
  EXPECT_EQ(res_.table.maxend[2], 6 * kMiB);
  EXPECT_TRUE(res_.block.carved);
}

TEST_F(PhysRes, InitRefusesStorageWithoutRoomForOneMoreEntry) {
  phys_res other;
  std::memset(&other, 0x5a, sizeof(other));
  phys_res before = other;
  uint64_t exact = entries_.size() * PHYS_RES_SLOT_BYTES;  // holds the entries, not one more
  EXPECT_FALSE(phys_res_init(&other, entries_.data(), entries_.size(), storage_, phys_block{0, exact, true}));
  EXPECT_EQ(std::memcmp(&other, &before, sizeof(other)), 0);
  EXPECT_TRUE(phys_res_init(&other, entries_.data(), entries_.size(), storage_,
                            phys_block{0, exact + PHYS_RES_SLOT_BYTES, true}));
}

TEST_F(PhysRes, FindReturnsTheLowestBasedIntersectingEntry) {
  const mm_reservation *r = phys_res_find(&res_, 1 * kMiB + 600 * 1024, 1 * kMiB + 604 * 1024);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->base, 1 * kMiB);  // both of the first two hold it: the lower base wins
  r = phys_res_find(&res_, 2 * kMiB, 2 * kMiB + kF);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->base, 1 * kMiB + 512 * 1024);  // reached only through the prefix maximum
  EXPECT_EQ(phys_res_find(&res_, 3 * kMiB, 5 * kMiB), nullptr);
  EXPECT_FALSE(phys_res_touches(&res_, 0, 1 * kMiB));
  EXPECT_TRUE(phys_res_touches(&res_, 0, 1 * kMiB + kF));
}

TEST_F(PhysRes, InsertKeepsOrderAndMaxima) {
  phys_res_insert(&res_, 4 * kMiB, 8 * kMiB, MM_RES_LATE, "late");
  ASSERT_EQ(phys_res_count(&res_), 4u);
  EXPECT_EQ(res_.table.entries[2].base, 4 * kMiB);
  EXPECT_EQ(res_.table.maxend[2], 8 * kMiB);
  EXPECT_EQ(res_.table.maxend[3], 8 * kMiB);
  EXPECT_STREQ(res_.table.entries[2].label, "late");
}

TEST_F(PhysRes, RemoveBookkeepingRemovesOnlyTheExactBookkeepingEntry) {
  phys_res_insert(&res_, 5 * kMiB, 6 * kMiB, MM_RES_BOOKKEEPING, "phys.runs");
  ASSERT_EQ(phys_res_count(&res_), 4u);
  phys_res_remove_bookkeeping(&res_, 5 * kMiB, 6 * kMiB);
  ASSERT_EQ(phys_res_count(&res_), 3u);
  EXPECT_EQ(res_.table.entries[2].kind, MM_RES_FIRMWARE);  // the firmware entry with the same bounds stays
  EXPECT_EQ(res_.table.maxend[2], 6 * kMiB);
}

TEST_F(PhysRes, GrowMovesTheTableAndRecordsItsBlockInItself) {
  uint64_t cap = res_.table.capacity;
  phys_frame_source src = src_.source();
  ASSERT_TRUE(phys_res_grow(&res_, 4, &src));
  EXPECT_GE(res_.table.capacity, 2 * cap);
  ASSERT_EQ(src_.labels, std::vector<std::string>{"(none)"});  // unrecorded by the source: the table records it
  EXPECT_EQ(res_.block.phys, kPool);
  EXPECT_FALSE(res_.block.carved);
  EXPECT_EQ(res_.block.bytes % kF, 0u);
  ASSERT_EQ(phys_res_count(&res_), 4u);
  const mm_reservation *self_entry = phys_res_find(&res_, kPool, kPool + kF);
  ASSERT_NE(self_entry, nullptr);
  EXPECT_EQ(self_entry->kind, MM_RES_BOOKKEEPING);
  EXPECT_STREQ(self_entry->label, "phys.reserved");
  EXPECT_EQ(self_entry->end, kPool + res_.block.bytes);
  // The old (carved) block went back to the source, and the entries moved intact.
  ASSERT_EQ(src_.given_back.size(), 1u);
  EXPECT_TRUE(src_.given_back[0].carved);
  EXPECT_EQ(src_.given_back[0].bytes, kF);
  EXPECT_EQ(phys_res_find(&res_, 2 * kMiB, 2 * kMiB + kF)->base, 1 * kMiB + 512 * 1024);
}

TEST_F(PhysRes, GrowFailsWithNothingChangedWhenTheSourceRefuses) {
  phys_res before = res_;
  src_.refuse = true;
  phys_frame_source src = src_.source();
  EXPECT_FALSE(phys_res_grow(&res_, 4, &src));
  EXPECT_EQ(res_.table.entries, before.table.entries);
  EXPECT_EQ(res_.table.capacity, before.table.capacity);
  EXPECT_EQ(phys_res_count(&res_), phys_res_count(&before));
  EXPECT_EQ(res_.block.phys, before.block.phys);
  EXPECT_EQ(res_.block.bytes, before.block.bytes);
  EXPECT_TRUE(src_.given_back.empty());
}

TEST_F(PhysRes, UnreservedWalkVisitsExactlyTheGapsInOrder) {
  EXPECT_EQ(Gaps(0, 8 * kMiB), (Pieces{{0, 1 * kMiB}, {3 * kMiB, 5 * kMiB}, {6 * kMiB, 8 * kMiB}}));
  EXPECT_EQ(Gaps(1 * kMiB + kF, 3 * kMiB), Pieces{});  // inside the union
  EXPECT_EQ(Gaps(2 * kMiB, 4 * kMiB), (Pieces{{3 * kMiB, 4 * kMiB}}));
  EXPECT_EQ(Gaps(7 * kMiB, 8 * kMiB), (Pieces{{7 * kMiB, 8 * kMiB}}));
}

TEST(PhysResDeathTest, InsertIntoAFullTablePanics) {
  SimPhys sim;
  std::vector<mm_reservation> none;
  phys_res res;
  ASSERT_TRUE(phys_res_init(&res, none.data(), 0, sim.Map(0, kF), phys_block{0, PHYS_RES_SLOT_BYTES, true}));
  phys_res_insert(&res, 0, kF, MM_RES_FIRMWARE, "one");
  EXPECT_EQ(phys_res_spare(&res), 0u);
  EXPECT_DEATH(phys_res_insert(&res, kF, 2 * kF, MM_RES_FIRMWARE, "two"), "reservation table full");
}

TEST(PhysResDeathTest, RemovingAMissingBookkeepingEntryPanics) {
  SimPhys sim;
  std::vector<mm_reservation> e = {Res(0, kF)};  // firmware, not bookkeeping
  phys_res res;
  ASSERT_TRUE(phys_res_init(&res, e.data(), 1, sim.Map(0, kF), phys_block{0, kF, true}));
  EXPECT_DEATH(phys_res_remove_bookkeeping(&res, 0, kF), "released block has no bookkeeping reservation");
}

}  // namespace
