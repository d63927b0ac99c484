// Host tests for the concurrent self-test (smp_stress.h): threads stand in for CPUs, each with its own owner id
// for the global cell (as the kernel installs arch_cpu_number() + 1), and broken allocation paths make each of
// the test's checks fire.
#include <atomic>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "mm/testing/runtime_fixture.h"

extern "C" {
#include "boot/smp_stress.h"
#include "mm/carve.h"
#include "mm/runtime.h"
}

namespace {

using mm_testing::Desc;
using mm_testing::RuntimeFixture;

constexpr uint64_t kBase = 0x100000;
constexpr uint64_t kFrames = 8192;  // 32 MiB: room for every thread's 2 MiB block at once

thread_local uint64_t t_owner = 1;
uint64_t ThreadOwner() { return t_owner; }

// Host memory standing for [kBase, kBase + 32 MiB), where the stamps go. The allocator's own window (SimPhys)
// backs lazily and is not thread-safe, and the allocator only calls it under the cell's lock; the stamps are
// written outside it, by every thread at once.
struct StampMemory {
  std::vector<uint64_t> words = std::vector<uint64_t>(kFrames * MM_FRAME_SIZE / 8);
  mm_phys_window window{&StampMemory::Map, this};
  static void* Map(void* ctx, phys_addr_t phys, uint64_t bytes) {
    auto* self = static_cast<StampMemory*>(ctx);
    if (phys < kBase || phys + bytes > kBase + kFrames * MM_FRAME_SIZE) return nullptr;
    return reinterpret_cast<uint8_t*>(self->words.data()) + (phys - kBase);
  }
};

// One region of kFrames from kBase, the kernel image in its first four frames, handed to the global cell.
class SmpStress : public RuntimeFixture {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(BuildPipeline({Desc(MM_EFI_CONVENTIONAL_MEMORY, kBase, kFrames)}, kBase, 4));
    ASSERT_EQ(Initialize(), MM_OK);
    mm_runtime_set_owner_fn(&ThreadOwner);
    // Host threads can be preempted while holding the next ticket of the fair lock: yield while waiting.
    mm_runtime_set_relax_fn([] { std::this_thread::yield(); });
  }
  // RuntimeFixture::TearDown forgets the owner and relax functions with the cell.

  smp_stress_config Config(uint32_t cpus, uint32_t rounds) {
    smp_stress_config c{};
    c.cpus = cpus;
    c.rounds = rounds;
    c.hold = 4;
    c.run_frames = 3;
    c.window = &stamps_.window;
    return c;
  }

  // CPU 0 is this thread; the others are threads with owner ids 2.. (as arch_cpu_number() + 1).
  mm_status Run(const smp_stress_config& cfg, smp_stress_result* out, uint32_t started) {
    if (smp_stress_prepare(&s_, &cfg) != MM_OK) return MM_ERR_INVALID_ARGUMENT;
    std::vector<std::thread> threads;
    for (uint32_t cpu = 1; cpu < started; cpu++) {
      threads.emplace_back([this, cpu] {
        t_owner = cpu + 1;
        smp_stress_cpu(&s_, cpu);
      });
    }
    smp_stress_release(&s_);
    smp_stress_cpu(&s_, 0);
    mm_status st = smp_stress_finish(&s_, out);
    for (auto& t : threads) t.join();
    return st;
  }

  StampMemory stamps_;
  smp_stress s_;
};

TEST_F(SmpStress, FourThreadsAllocateConcurrentlyAndGiveEverythingBack) {
  smp_stress_config cfg = Config(4, 200);
  smp_stress_result r;
  ASSERT_EQ(Run(cfg, &r, 4), MM_OK) << r.failure << " " << (r.detail ? r.detail : "");
  EXPECT_EQ(r.failure, nullptr);
  // Per round: hold + run + block allocations and as many frees.
  EXPECT_EQ(r.ops, 4u * 200u * 2u * (cfg.hold + 2u) - 2u * r.block_misses);
  EXPECT_LT(r.block_misses, 4u * 200u) << "32 MiB leaves room for 2 MiB blocks";
}

// The kernel's configuration: single frames through per-CPU caches (one per thread), runs and blocks under the
// lock. Frames left in the caches at the end count as cached, and the totals must still balance.
TEST_F(SmpStress, FourThreadsThroughPerCpuCachesGiveEverythingBack) {
  ASSERT_EQ(mm_runtime_enable_cpu_caches(4), MM_OK);
  smp_stress_config cfg = Config(4, 200);
  smp_stress_result r;
  ASSERT_EQ(Run(cfg, &r, 4), MM_OK) << r.failure << " " << (r.detail ? r.detail : "");
  EXPECT_EQ(r.failure, nullptr);
  EXPECT_EQ(r.ops, 4u * 200u * 2u * (cfg.hold + 2u) - 2u * r.block_misses);
}

// Models an allocator that hands a frame to a second holder while the first still holds it.
phys_addr_t g_shared_frame;
mm_status SameFrame(phys_addr_t* out) {
  *out = g_shared_frame;
  return MM_OK;
}
mm_status ForgetFrame(phys_addr_t) { return MM_OK; }

TEST_F(SmpStress, AFrameHandedOutTwiceFailsTheStampCheck) {
  g_shared_frame = kBase + 64 * MM_FRAME_SIZE;
  smp_stress_ops ops = *smp_stress_runtime_ops();
  ops.alloc_frame = SameFrame;
  ops.free_frame = ForgetFrame;
  smp_stress_config cfg = Config(1, 3);
  cfg.ops = &ops;
  smp_stress_result r;
  EXPECT_EQ(Run(cfg, &r, 1), MM_ERR_INVARIANT);
  ASSERT_NE(r.failure, nullptr);
  EXPECT_STREQ(r.failure, "stamp_overwritten");
  EXPECT_EQ(r.failed_cpu, 0u);
}

// A free that loses the frame: the rounds pass, the totals after the barrier do not.
mm_status LeakFrame(phys_addr_t) { return MM_OK; }

TEST_F(SmpStress, AFrameNeverGivenBackFailsTheTotals) {
  smp_stress_ops ops = *smp_stress_runtime_ops();
  ops.free_frame = LeakFrame;
  smp_stress_config cfg = Config(2, 5);
  cfg.ops = &ops;
  smp_stress_result r;
  EXPECT_EQ(Run(cfg, &r, 2), MM_ERR_INVARIANT);
  ASSERT_NE(r.failure, nullptr);
  EXPECT_STREQ(r.failure, "allocated_total_changed");
}

std::atomic<uint64_t> g_clock{0};
uint64_t Tick() { return g_clock.fetch_add(1); }

TEST_F(SmpStress, ACpuThatNeverArrivesEndsInABarrierTimeout) {
  smp_stress_config cfg = Config(2, 2);
  cfg.now = Tick;
  cfg.timeout = 1000;
  smp_stress_result r;
  EXPECT_EQ(Run(cfg, &r, 1), MM_ERR_INVARIANT);  // CPU 1 is never started
  ASSERT_NE(r.failure, nullptr);
  EXPECT_STREQ(r.failure, "barrier_timeout");
}

TEST_F(SmpStress, BadConfigurationIsRefused) {
  smp_stress_config cfg = Config(0, 1);
  EXPECT_EQ(smp_stress_prepare(&s_, &cfg), MM_ERR_INVALID_ARGUMENT);
  cfg = Config(1, 1);
  cfg.hold = SMP_STRESS_HOLD_MAX + 1;
  EXPECT_EQ(smp_stress_prepare(&s_, &cfg), MM_ERR_INVALID_ARGUMENT);
  cfg = Config(1, 1);
  cfg.window = nullptr;
  EXPECT_EQ(smp_stress_prepare(&s_, &cfg), MM_ERR_INVALID_ARGUMENT);
}

}  // namespace
