// Tests for the rollback guards of carve.c and handoff.c: when a step fails after a span was recorded, the
// rollback removes that reservation again; if someone removed it in the meantime (here: a window callback
// that edits the reservation set, a caller bug), the rollback panics instead of silently leaving the set
// inconsistent.
#include <cstdint>
#include <cstring>
#include <vector>

#include "gtest/gtest.h"
#include "mm/testing/efi_map_builder.h"
#include "mm/testing/sim_phys.h"

extern "C" {
#include "mm/carve.h"
#include "mm/handoff.h"
}

namespace {

using mm_testing::Desc;
using mm_testing::Normalize;
using mm_testing::NormalizedMap;
using mm_testing::SimPhys;

// A window over simulated memory that, at map call number `sabotage_at` (1-based), removes the set's
// "free_runs" bookkeeping reservation and refuses the mapping.
struct SabotagingWindow {
  SimPhys *phys;
  mm_reservation_set *set;
  int calls;
  int sabotage_at;
  bool removed;
};

void *SabotagingMap(void *ctx, phys_addr_t phys, uint64_t bytes) {
  SabotagingWindow *w = static_cast<SabotagingWindow *>(ctx);
  if (++w->calls != w->sabotage_at) return w->phys->Map(phys, bytes);
  for (uint64_t i = 0; i < w->set->count; i++) {
    const mm_reservation &e = w->set->entries[i];
    if (e.kind == MM_RES_BOOKKEEPING && std::strcmp(e.label, "free_runs") == 0) {
      w->removed = mm_reservation_remove(w->set, e.base, e.end, MM_RES_BOOKKEEPING, "free_runs");
      break;
    }
  }
  return nullptr;
}

class RollbackDeathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    map_ = Normalize({Desc(MM_EFI_CONVENTIONAL_MEMORY, 0x100000, 1024)});
    ASSERT_EQ(map_.status, MM_OK);
    mm_reservation_set_init(&set_, storage_, 32);
  }
  SabotagingWindow Sabotage(int at) { return SabotagingWindow{&phys_, &set_, 0, at, false}; }

  SimPhys phys_;
  NormalizedMap map_;
  mm_reservation storage_[32];
  mm_reservation_set set_;
};

// Sanity for the sabotage itself: it does remove the carved reservation (else the death tests prove nothing).
TEST_F(RollbackDeathTest, SabotagingWindowRemovesTheCarvedFreeRunsReservation) {
  mm_early_allocator early;
  mm_early_init(&early, &map_.map, &set_);
  mm_storage_plan plan = runtime_storage_plan(&map_.map, set_.count);
  SabotagingWindow w = Sabotage(3);  // never reached by the carve: it maps twice
  mm_phys_window window = {SabotagingMap, &w};
  mm_carved_storage carved;
  ASSERT_EQ(carve_option_storage(&early, &plan, &window, &carved), MM_OK);
  EXPECT_EQ(w.calls, 2);
  EXPECT_EQ(set_.count, 2u);
  w.calls = 2;
  EXPECT_EQ(SabotagingMap(&w, carved.free_runs_phys, 1), nullptr);
  EXPECT_TRUE(w.removed);
  EXPECT_EQ(set_.count, 1u);
}

// The second block cannot be mapped: the rollback of the first finds its reservation gone.
TEST_F(RollbackDeathTest, CarveRollbackPanicsWhenTheCarvedReservationVanished) {
  mm_early_allocator early;
  mm_early_init(&early, &map_.map, &set_);
  mm_storage_plan plan = runtime_storage_plan(&map_.map, set_.count);
  SabotagingWindow w = Sabotage(2);
  mm_phys_window window = {SabotagingMap, &w};
  mm_carved_storage carved;
  EXPECT_DEATH(carve_option_storage(&early, &plan, &window, &carved),
               "panic: carve_option_storage: carved reservation vanished before rollback");
}

// The carve succeeds (two maps), the allocator's initialization cannot map its bookkeeping: the hand-off's
// rollback finds the carved reservation gone.
TEST_F(RollbackDeathTest, HandoffRollbackPanicsWhenTheCarvedReservationVanished) {
  SabotagingWindow w = Sabotage(3);
  mm_phys_window window = {SabotagingMap, &w};
  std::vector<uint64_t> storage((mm_phys_allocator_size() + 7) / 8);
  mm_handoff_result r;
  EXPECT_DEATH(mm_handoff_into(reinterpret_cast<mm_phys_allocator *>(storage.data()), &map_.map, &set_, &window,
                               nullptr, &r),
               "panic: mm_handoff: recorded bookkeeping reservation vanished before rollback");
}

}  // namespace
