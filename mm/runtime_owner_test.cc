// Tests for runtime.c's owner ids: contention between owners waits, one default owner is busy, a zero id and
// a reset from inside the callback are caller bugs that panic.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <thread>

#include "gtest/gtest.h"
#include "mm/testing/efi_map_builder.h"
#include "mm/testing/sim_phys.h"

extern "C" {
#include "mm/carve.h"
#include "mm/runtime.h"
}

namespace {

using mm_testing::Desc;
using mm_testing::Normalize;
using mm_testing::NormalizedMap;
using mm_testing::SimPhys;

// The bring-up pipeline up to the hand-off, then the global cell initialized.
class RuntimeOwner : public ::testing::Test {
 protected:
  void SetUp() override {
    mm_runtime_reset_for_tests();
    map_ = Normalize({Desc(MM_EFI_CONVENTIONAL_MEMORY, 0x100000, 256)});
    ASSERT_EQ(map_.status, MM_OK);
    mm_reservation_set_init(&set_, storage_, 32);
    mm_early_init(&early_, &map_.map, &set_);
    plan_ = runtime_storage_plan(&map_.map, set_.count);
    ASSERT_EQ(carve_option_storage(&early_, &plan_, phys_.window(), &carved_), MM_OK);
    ASSERT_EQ(initialize_runtime_allocator(&map_.map, &set_, &carved_, phys_.window()), MM_OK);
  }
  void TearDown() override { mm_runtime_reset_for_tests(); }

  SimPhys phys_;
  NormalizedMap map_;
  mm_reservation storage_[32];
  mm_reservation_set set_;
  mm_early_allocator early_;
  mm_storage_plan plan_;
  mm_carved_storage carved_;
};

using Body = std::function<mm_status(mm_phys_allocator *)>;
mm_status CallBody(mm_phys_allocator *alloc, void *ctx) { return (*static_cast<Body *>(ctx))(alloc); }
mm_status With(Body body) { return with_runtime_allocator(&CallBody, &body); }

// Each thread names its own owner id (nonzero) before it calls in.
thread_local uint64_t current_owner = 1;
uint64_t CurrentOwner() { return current_owner; }
uint64_t ZeroOwner() { return 0; }

TEST_F(RuntimeOwner, AnotherOwnerWaitsForTheHolderAndThenGetsIn) {
  mm_runtime_set_owner_fn(&CurrentOwner);
  current_owner = 1;
  std::atomic<bool> holder_inside{false};
  std::atomic<bool> holder_done{false};
  std::atomic<bool> waiter_entered_early{false};
  mm_status waiter_status = MM_ERR_INVARIANT;
  std::thread waiter;
  EXPECT_EQ(With([&](mm_phys_allocator *) {
              holder_inside = true;
              waiter = std::thread([&] {
                current_owner = 2;
                waiter_status = With([&](mm_phys_allocator *) {
                  if (!holder_done) waiter_entered_early = true;
                  return MM_OK;
                });
              });
              // Long enough for the waiter to be spinning on the held lock.
              std::this_thread::sleep_for(std::chrono::milliseconds(200));
              holder_done = true;
              return MM_OK;
            }),
            MM_OK);
  waiter.join();
  EXPECT_TRUE(holder_inside);
  EXPECT_EQ(waiter_status, MM_OK);  // waited, not MM_ERR_BUSY: it is a different owner
  EXPECT_FALSE(waiter_entered_early);
}

TEST_F(RuntimeOwner, WithoutAnOwnerFunctionAHeldLockIsBusyForEveryCaller) {
  mm_runtime_set_owner_fn(&CurrentOwner);
  mm_runtime_set_owner_fn(nullptr);  // back to the single default owner
  mm_status other_thread = MM_OK;
  EXPECT_EQ(With([&](mm_phys_allocator *) {
              std::thread t([&] {
                current_owner = 2;  // ignored: no owner function is installed
                other_thread = With([](mm_phys_allocator *) { return MM_OK; });
              });
              t.join();
              return MM_OK;
            }),
            MM_OK);
  EXPECT_EQ(other_thread, MM_ERR_BUSY);
}

TEST_F(RuntimeOwner, ResetForgetsTheOwnerFunction) {
  mm_runtime_set_owner_fn(&ZeroOwner);
  mm_runtime_reset_for_tests();
  ASSERT_EQ(initialize_runtime_allocator(&map_.map, &set_, &carved_, phys_.window()), MM_OK);
  // ZeroOwner would panic if it were still installed.
  EXPECT_EQ(With([](mm_phys_allocator *) { return MM_OK; }), MM_OK);
}

using RuntimeOwnerDeathTest = RuntimeOwner;

TEST_F(RuntimeOwnerDeathTest, OwnerIdZeroPanics) {
  mm_runtime_set_owner_fn(&ZeroOwner);
  EXPECT_DEATH(With([](mm_phys_allocator *) { return MM_OK; }),
               "panic: with_runtime_allocator: owner id 0 is reserved for a free lock");
  mm_runtime_set_owner_fn(nullptr);
}

TEST_F(RuntimeOwnerDeathTest, ResetFromInsideTheCallbackPanics) {
  EXPECT_DEATH(With([](mm_phys_allocator *) {
                 mm_runtime_reset_for_tests();
                 return MM_OK;
               }),
               "panic: mm_runtime_reset_for_tests: called while the runtime allocator is borrowed");
}

}  // namespace
