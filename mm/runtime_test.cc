// Tests for runtime.c: the global cell's life cycle, re-entry, serialization across threads, and owner ids
// (contention between owners waits, one default owner is busy, a zero id and a reset from inside the callback
// are caller bugs that panic).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "mm/testing/log_capture.h"
#include "mm/testing/runtime_fixture.h"

extern "C" {
#include "mm/carve.h"
#include "mm/runtime.h"
}

namespace {

using mm_testing::Desc;
using mm_testing::LogCapture;
using mm_testing::RuntimeFixture;
using mm_testing::WithRuntime;

constexpr uint64_t kFrame = MM_FRAME_SIZE;

// The bring-up pipeline up to the hand-off (map -> reservations -> plan -> carve); each test hands it over.
class Runtime : public RuntimeFixture {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(BuildPipeline({Desc(MM_EFI_CONVENTIONAL_MEMORY, 0x100000, 256),
                                           Desc(MM_EFI_RESERVED_MEMORY, 0x200000, 16),
                                           Desc(MM_EFI_CONVENTIONAL_MEMORY, 0x210000, 256)},
                                          0x100000, 4));
  }
};

TEST_F(Runtime, BeforeTheHandOffTheCallbackIsNotCalled) {
  EXPECT_FALSE(runtime_allocator_ready());
  bool called = false;
  EXPECT_EQ(WithRuntime([&](mm_phys_allocator*) {
              called = true;
              return MM_OK;
            }),
            MM_ERR_NOT_INITIALIZED);
  EXPECT_FALSE(called);
}

TEST_F(Runtime, InitializeSucceedsOnceAndLogsTheHandOff) {
  LogCapture cap(LOG_INFO);
  ASSERT_EQ(Initialize(), MM_OK);
  EXPECT_TRUE(runtime_allocator_ready());
  ASSERT_EQ(cap.Events("runtime").size(), 1u);
  EXPECT_EQ(cap.Events("runtime")[0], "runtime allocator initialized");
  EXPECT_EQ(Initialize(), MM_ERR_ALREADY_INITIALIZED);
  EXPECT_EQ(cap.Events("runtime").size(), 1u);
}

TEST_F(Runtime, FailedInitializationLeavesTheCellEmptyAndRetryable) {
  mm_status s = initialize_runtime_allocator(nullptr, &set_, &carved_, phys_.window());
  EXPECT_EQ(s, MM_ERR_INVALID_ARGUMENT);
  EXPECT_FALSE(runtime_allocator_ready());
  EXPECT_EQ(WithRuntime([](mm_phys_allocator*) { return MM_OK; }), MM_ERR_NOT_INITIALIZED);
  EXPECT_EQ(Initialize(), MM_OK);
}

TEST_F(Runtime, CallbackGetsTheAllocatorAndItsResultIsReturned) {
  ASSERT_EQ(Initialize(), MM_OK);
  phys_addr_t frame = 0;
  EXPECT_EQ(WithRuntime([&](mm_phys_allocator* a) { return mm_phys_alloc_frame(a, &frame); }), MM_OK);
  EXPECT_NE(frame, 0u);
  EXPECT_FALSE(mm_reservation_set_overlaps(&set_, frame, frame + kFrame));
  EXPECT_EQ(WithRuntime([](mm_phys_allocator*) { return MM_ERR_DOUBLE_FREE; }), MM_ERR_DOUBLE_FREE);
  EXPECT_EQ(WithRuntime([&](mm_phys_allocator* a) { return mm_phys_check_invariants(a, nullptr); }), MM_OK);
}

TEST_F(Runtime, ReservationsMadeBeforeTheHandOffAreEnforced) {
  ASSERT_EQ(Initialize(), MM_OK);
  EXPECT_EQ(WithRuntime([&](mm_phys_allocator* a) {
              for (uint64_t i = 0; i < set_.count; i++) {
                for (phys_addr_t f = set_.entries[i].base; f < set_.entries[i].end; f += kFrame) {
                  if (mm_phys_is_free(a, f)) return MM_ERR_INVARIANT;
                }
              }
              return MM_OK;
            }),
            MM_OK);
}

TEST_F(Runtime, ReentryFromTheCallbackIsBusy) {
  ASSERT_EQ(Initialize(), MM_OK);
  mm_status inner = MM_OK;
  EXPECT_EQ(WithRuntime([&](mm_phys_allocator*) {
              inner = WithRuntime([](mm_phys_allocator*) { return MM_OK; });
              return MM_OK;
            }),
            MM_OK);
  EXPECT_EQ(inner, MM_ERR_BUSY);
  // The lock was released: the next call goes through.
  EXPECT_EQ(WithRuntime([](mm_phys_allocator*) { return MM_OK; }), MM_OK);
}

TEST_F(Runtime, NullCallbackIsInvalidArgument) {
  ASSERT_EQ(Initialize(), MM_OK);
  EXPECT_EQ(with_runtime_allocator(nullptr, nullptr), MM_ERR_INVALID_ARGUMENT);
}

uint64_t ThreadOwner() {
  static std::atomic<uint64_t> next{1};
  thread_local uint64_t id = next++;
  return id;
}

TEST_F(Runtime, ThreadsAreSerializedAndReentryIsStillBusyPerThread) {
  ASSERT_EQ(Initialize(), MM_OK);
  mm_runtime_set_owner_fn(&ThreadOwner);
  // Host threads can be preempted while they hold the next ticket: waiters yield the CPU to them.
  mm_runtime_set_relax_fn([] { std::this_thread::yield(); });
  constexpr int kThreads = 4;
  constexpr int kIterations = 2000;
  uint64_t counter = 0;  // deliberately not atomic: the lock must protect it
  std::atomic<int> inside{0};
  std::atomic<int> overlaps{0};
  std::atomic<int> busy{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIterations; i++) {
        mm_status s = WithRuntime([&](mm_phys_allocator* a) {
          if (inside.fetch_add(1) != 0) overlaps++;
          counter++;
          if (i % 100 == 0) {
            if (WithRuntime([](mm_phys_allocator*) { return MM_OK; }) == MM_ERR_BUSY) busy++;
            phys_addr_t f;
            if (mm_phys_alloc_frame(a, &f) == MM_OK) mm_phys_free(a, f, 1);
          }
          inside.fetch_sub(1);
          return MM_OK;
        });
        ASSERT_EQ(s, MM_OK);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(counter, static_cast<uint64_t>(kThreads) * kIterations);
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_EQ(busy.load(), kThreads * (kIterations / 100));
  EXPECT_EQ(WithRuntime([](mm_phys_allocator* a) { return mm_phys_check_invariants(a, nullptr); }), MM_OK);
}

TEST_F(Runtime, ResetForgetsTheAllocator) {
  ASSERT_EQ(Initialize(), MM_OK);
  mm_runtime_reset_for_tests();
  EXPECT_FALSE(runtime_allocator_ready());
  EXPECT_EQ(WithRuntime([](mm_phys_allocator*) { return MM_OK; }), MM_ERR_NOT_INITIALIZED);
}

// The global cell initialized, for the owner-id tests.
class RuntimeOwner : public Runtime {
 protected:
  void SetUp() override {
    Runtime::SetUp();
    ASSERT_EQ(Initialize(), MM_OK);
  }
};

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
  EXPECT_EQ(WithRuntime([&](mm_phys_allocator*) {
              holder_inside = true;
              waiter = std::thread([&] {
                current_owner = 2;
                waiter_status = WithRuntime([&](mm_phys_allocator*) {
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
  EXPECT_EQ(WithRuntime([&](mm_phys_allocator*) {
              std::thread t([&] {
                current_owner = 2;  // ignored: no owner function is installed
                other_thread = WithRuntime([](mm_phys_allocator*) { return MM_OK; });
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
  EXPECT_EQ(WithRuntime([](mm_phys_allocator*) { return MM_OK; }), MM_OK);
}

// The relax hook records which owner spun; a waiter's first call proves it holds a ticket.
std::atomic<uint64_t> relax_seen_mask{0};
void RecordRelax() { relax_seen_mask.fetch_or(uint64_t{1} << current_owner); }

TEST_F(RuntimeOwner, WaitersGetTheLockInArrivalOrderAndSpinWithTheRelaxHook) {
  mm_runtime_set_owner_fn(&CurrentOwner);
  mm_runtime_set_relax_fn(&RecordRelax);
  relax_seen_mask = 0;
  current_owner = 1;
  std::vector<uint64_t> order;  // written inside the callbacks only, so the lock serializes it
  std::thread first, second;
  auto waiter = [&](uint64_t id) {
    current_owner = id;
    EXPECT_EQ(WithRuntime([&](mm_phys_allocator*) {
                order.push_back(id);
                return MM_OK;
              }),
              MM_OK);
  };
  auto wait_for_spin = [](uint64_t id) {
    while ((relax_seen_mask.load() & (uint64_t{1} << id)) == 0) std::this_thread::yield();
  };
  EXPECT_EQ(WithRuntime([&](mm_phys_allocator*) {
              first = std::thread(waiter, 2);
              wait_for_spin(2);
              second = std::thread(waiter, 3);
              wait_for_spin(3);
              order.push_back(1);
              return MM_OK;
            }),
            MM_OK);
  first.join();
  second.join();
  EXPECT_EQ(order, (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(relax_seen_mask.load() & 2u, 0u);  // the holder itself never spun
}

TEST_F(RuntimeOwner, ResetForgetsTheRelaxFunction) {
  mm_runtime_set_relax_fn(&RecordRelax);
  mm_runtime_reset_for_tests();
  ASSERT_EQ(Initialize(), MM_OK);
  mm_runtime_set_owner_fn(&CurrentOwner);
  relax_seen_mask = 0;
  current_owner = 1;
  std::thread t;
  EXPECT_EQ(WithRuntime([&](mm_phys_allocator*) {
              t = std::thread([] {
                current_owner = 2;
                EXPECT_EQ(WithRuntime([](mm_phys_allocator*) { return MM_OK; }), MM_OK);
              });
              std::this_thread::sleep_for(std::chrono::milliseconds(50));  // t spins meanwhile
              return MM_OK;
            }),
            MM_OK);
  t.join();
  EXPECT_EQ(relax_seen_mask.load(), 0u);
}

using RuntimeOwnerDeathTest = RuntimeOwner;

TEST_F(RuntimeOwnerDeathTest, OwnerIdZeroPanics) {
  mm_runtime_set_owner_fn(&ZeroOwner);
  EXPECT_DEATH(WithRuntime([](mm_phys_allocator*) { return MM_OK; }),
               "panic: with_runtime_allocator: owner id 0 is reserved for a free lock");
  mm_runtime_set_owner_fn(nullptr);
}

TEST_F(RuntimeOwnerDeathTest, ResetFromInsideTheCallbackPanics) {
  EXPECT_DEATH(WithRuntime([](mm_phys_allocator*) {
                 mm_runtime_reset_for_tests();
                 return MM_OK;
               }),
               "panic: mm_runtime_reset_for_tests: called while the runtime allocator is borrowed");
}

TEST(RuntimeStorage, AllocatorFitsTheStaticCell) { EXPECT_LE(mm_phys_allocator_size(), 1024u); }

}  // namespace
