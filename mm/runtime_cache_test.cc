// Tests for the per-CPU frame caches (mm_runtime_enable_cpu_caches, mm_runtime_alloc_frame,
// mm_runtime_free_frame; phys_cache.c, phys_pcpu.c): the locked path without caches, exact accounting,
// bounded caches, double frees of cached frames on any CPU, late reservations and fixed allocations over
// cached frames, no frame stranded when memory runs out, and every checker reason the caches added.
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "mm/testing/log_capture.h"
#include "mm/testing/runtime_fixture.h"

extern "C" {
#include "mm/carve.h"
#include "mm/phys_corrupt.h"
#include "mm/runtime.h"
}

namespace {

using mm_testing::Desc;
using mm_testing::LogCapture;
using mm_testing::RuntimeFixture;
using mm_testing::WithRuntime;

constexpr uint64_t kFrame = MM_FRAME_SIZE;

// The owner id is the CPU number + 1 (runtime.h); each test thread names its CPU.
thread_local uint64_t current_cpu = 0;
uint64_t CpuOwner() { return current_cpu + 1; }

// 512 usable frames in two regions around a firmware-reserved hole, handed to the global cell.
class RuntimeCache : public RuntimeFixture {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(BuildPipeline({Desc(MM_EFI_CONVENTIONAL_MEMORY, 0x100000, 256),
                                           Desc(MM_EFI_RESERVED_MEMORY, 0x200000, 16),
                                           Desc(MM_EFI_CONVENTIONAL_MEMORY, 0x210000, 256)},
                                          0x100000, 4));
    ASSERT_EQ(Initialize(), MM_OK);
    mm_runtime_set_owner_fn(&CpuOwner);
    current_cpu = 0;
  }

  mm_phys_stats Stats() {
    mm_phys_stats st{};
    EXPECT_EQ(WithRuntime([&](mm_phys_allocator* a) {
                st = mm_phys_get_stats(a);
                return MM_OK;
              }),
              MM_OK);
    return st;
  }
  std::string Check() {
    const char* why = "unset";
    WithRuntime([&](mm_phys_allocator* a) { return mm_phys_check_invariants(a, &why); });
    return why;
  }
  void ExpectExactAccounting() {
    mm_phys_stats st = Stats();
    EXPECT_EQ(st.free_frames + st.cached_frames + st.reserved_frames + st.allocated_frames, st.managed_frames);
    EXPECT_EQ(Check(), "ok");
  }
};

TEST_F(RuntimeCache, WithoutCachesBothCallsTakeTheLockedPathWithItsResults) {
  phys_addr_t expected = 0;
  ASSERT_EQ(WithRuntime([&](mm_phys_allocator* a) {
              mm_status s = mm_phys_alloc_frame(a, &expected);
              if (s == MM_OK) s = mm_phys_free(a, expected, 1);
              return s;
            }),
            MM_OK);
  phys_addr_t f = 0;
  ASSERT_EQ(mm_runtime_alloc_frame(&f), MM_OK);
  EXPECT_EQ(f, expected);  // the lowest free frame, as mm_phys_alloc_frame gives it
  EXPECT_EQ(Stats().cached_frames, 0u);
  EXPECT_EQ(mm_runtime_free_frame(f), MM_OK);
  EXPECT_EQ(mm_runtime_free_frame(f), MM_ERR_DOUBLE_FREE);
  EXPECT_EQ(mm_runtime_free_frame(f + 1), MM_ERR_MISALIGNED);
  EXPECT_EQ(mm_runtime_alloc_frame(nullptr), MM_ERR_INVALID_ARGUMENT);
  ExpectExactAccounting();
}

TEST_F(RuntimeCache, BeforeTheHandOffBothCallsAreNotInitialized) {
  mm_runtime_reset_for_tests();
  phys_addr_t f;
  EXPECT_EQ(mm_runtime_alloc_frame(&f), MM_ERR_NOT_INITIALIZED);
  EXPECT_EQ(mm_runtime_free_frame(0x300000), MM_ERR_NOT_INITIALIZED);
  EXPECT_EQ(mm_runtime_enable_cpu_caches(2), MM_ERR_NOT_INITIALIZED);
}

TEST_F(RuntimeCache, EnableTakesItsStorageAsBookkeepingOnceAndLogsIt) {
  mm_phys_stats before = Stats();
  LogCapture log;
  EXPECT_EQ(mm_runtime_enable_cpu_caches(0), MM_ERR_INVALID_ARGUMENT);
  ASSERT_EQ(mm_runtime_enable_cpu_caches(3), MM_OK);
  std::vector<std::string> lines = log.Events("mm.cpu_caches");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].rfind("mm.cpu_caches cpus=3 phys=", 0), 0u) << lines[0];
  EXPECT_NE(lines[0].find(" capacity=64 batch=32"), std::string::npos) << lines[0];
  EXPECT_EQ(mm_runtime_enable_cpu_caches(3), MM_ERR_ALREADY_INITIALIZED);
  mm_phys_stats after = Stats();
  EXPECT_EQ(after.reservations, before.reservations + 1);
  // 3 caches of 640 bytes from 2048 bytes in fill the first frame; the state map starts on the next page: 2 bits for
  // each of the 784 frames from the refill-region boundary below the span (0) to its end (0x310000) fit a second frame.
  EXPECT_EQ(after.reserved_frames, before.reserved_frames + 2);
  EXPECT_EQ(after.bookkeeping_bytes, before.bookkeeping_bytes + 2 * kFrame);
  bool found = false;
  WithRuntime([&](mm_phys_allocator* a) {
    mm_phys_for_each_reservation(
        a,
        [](void* ctx, const mm_reservation* r) {
          if (r->kind == MM_RES_BOOKKEEPING && std::string(r->label) == "phys.cpu_caches") *(bool*)ctx = true;
          return true;
        },
        &found);
    return MM_OK;
  });
  EXPECT_TRUE(found);
  ExpectExactAccounting();
}

TEST_F(RuntimeCache, ARefillMovesOneBatchAndTheAccountingStaysExact) {
  ASSERT_EQ(mm_runtime_enable_cpu_caches(2), MM_OK);
  mm_phys_stats before = Stats();
  phys_addr_t f;
  ASSERT_EQ(mm_runtime_alloc_frame(&f), MM_OK);
  mm_phys_stats st = Stats();
  EXPECT_EQ(st.cached_frames, 31u);  // a batch of 32, one handed out
  EXPECT_EQ(st.allocated_frames, before.allocated_frames + 1);
  EXPECT_EQ(st.free_frames, before.free_frames - 32);
  ExpectExactAccounting();
  ASSERT_EQ(mm_runtime_free_frame(f), MM_OK);
  EXPECT_EQ(Stats().cached_frames, 32u);
  ExpectExactAccounting();
}

// A refill region (PHYS_CACHE_REFILL_ALIGN) is 64 MiB: its frames' 2-bit states fill one 4 KiB page.
constexpr int kRegionShift = 26;

// This fixture's machine (two 1 MiB regions of usable memory) lies inside one refill region, so the second CPU
// shares it: it must get frames without draining the first CPU's cache (which is what reporting "no free frame"
// from the refill would do) and without any frame being handed out twice.
TEST_F(RuntimeCache, WhenEveryRegionIsAnotherCpusTheCpuSharesOneAndDrainsNothing) {
  ASSERT_EQ(mm_runtime_enable_cpu_caches(2), MM_OK);
  phys_addr_t f0, f1;
  current_cpu = 0;
  ASSERT_EQ(mm_runtime_alloc_frame(&f0), MM_OK);
  EXPECT_EQ(Stats().cached_frames, 31u);
  current_cpu = 1;
  ASSERT_EQ(mm_runtime_alloc_frame(&f1), MM_OK);
  EXPECT_NE(f0, f1);
  EXPECT_EQ(f0 >> kRegionShift, f1 >> kRegionShift) << "one region on this machine";
  EXPECT_EQ(Stats().cached_frames, 62u) << "CPU 0's cache was drained";
  ExpectExactAccounting();
  ASSERT_EQ(mm_runtime_free_frame(f1), MM_OK);
  current_cpu = 0;
  ASSERT_EQ(mm_runtime_free_frame(f0), MM_OK);
  ExpectExactAccounting();
}

// Over many refills on a machine of several regions (256 MiB, so both CPUs claim two regions in turn), no
// region ever serves both CPUs, so their frame states never share a line, pair or page. With regions of 2 MiB
// (one 128-byte pair of states each) the two CPUs' regions interleaved within pages of the state map, which the
// 2-thread churn benchmark measured (phys_cache.h).
TEST_F(RuntimeCache, InterleavedRefillsOfTwoCpusNeverShareARegion) {
  ASSERT_NO_FATAL_FAILURE(BuildPipeline({Desc(MM_EFI_CONVENTIONAL_MEMORY, 0x4000000, 65536)}, 0x4000000, 4));
  ASSERT_EQ(Initialize(), MM_OK);
  mm_runtime_set_owner_fn(&CpuOwner);
  ASSERT_EQ(mm_runtime_enable_cpu_caches(2), MM_OK);
  std::vector<phys_addr_t> held[2];
  std::set<phys_addr_t> regions[2];
  for (int i = 0; i < 20000; i++) {
    for (uint64_t cpu = 0; cpu < 2; cpu++) {
      current_cpu = cpu;
      phys_addr_t f;
      ASSERT_EQ(mm_runtime_alloc_frame(&f), MM_OK) << i;
      held[cpu].push_back(f);
      regions[cpu].insert(f >> kRegionShift);
    }
  }
  EXPECT_EQ(regions[0].size(), 2u) << "20000 frames need a second region of 16384";
  EXPECT_EQ(regions[1].size(), 2u);
  for (phys_addr_t r : regions[0]) {
    EXPECT_EQ(regions[1].count(r), 0u) << "both CPUs in region " << std::hex << (r << kRegionShift);
  }
  ExpectExactAccounting();
  for (uint64_t cpu = 0; cpu < 2; cpu++) {
    current_cpu = cpu;
    for (phys_addr_t f : held[cpu]) ASSERT_EQ(mm_runtime_free_frame(f), MM_OK);
  }
  ExpectExactAccounting();
}

TEST_F(RuntimeCache, TheCacheIsBoundedAndDrainsABatchWhenFull) {
  ASSERT_EQ(mm_runtime_enable_cpu_caches(1), MM_OK);
  std::vector<phys_addr_t> held;
  for (int i = 0; i < 200; i++) {
    phys_addr_t f;
    ASSERT_EQ(mm_runtime_alloc_frame(&f), MM_OK);
    held.push_back(f);
  }
  uint64_t max_cached = 0;
  for (phys_addr_t f : held) {
    ASSERT_EQ(mm_runtime_free_frame(f), MM_OK);
    max_cached = std::max(max_cached, Stats().cached_frames);
  }
  EXPECT_EQ(max_cached, 64u);  // the capacity, never more
  EXPECT_EQ(Stats().allocated_frames, 0u);
  ExpectExactAccounting();
}

TEST_F(RuntimeCache, DoubleFreeOfACachedFrameIsDetectedOnEveryCpuAndPath) {
  ASSERT_EQ(mm_runtime_enable_cpu_caches(2), MM_OK);
  phys_addr_t f;
  ASSERT_EQ(mm_runtime_alloc_frame(&f), MM_OK);
  ASSERT_EQ(mm_runtime_free_frame(f), MM_OK);  // into CPU 0's cache
  mm_phys_stats st = Stats();
  EXPECT_EQ(mm_runtime_free_frame(f), MM_ERR_DOUBLE_FREE);
  current_cpu = 1;
  EXPECT_EQ(mm_runtime_free_frame(f), MM_ERR_DOUBLE_FREE);
  current_cpu = 7;  // no cache: the locked path
  EXPECT_EQ(mm_runtime_free_frame(f), MM_ERR_DOUBLE_FREE);
  EXPECT_EQ(WithRuntime([&](mm_phys_allocator* a) { return mm_phys_free(a, f, 1); }), MM_ERR_DOUBLE_FREE);
  EXPECT_EQ(WithRuntime([&](mm_phys_allocator* a) { return mm_phys_free(a, f - kFrame, 2); }), MM_ERR_DOUBLE_FREE);
  mm_phys_stats after = Stats();
  EXPECT_EQ(after.cached_frames, st.cached_frames);  // nothing changed
  EXPECT_EQ(after.free_frames, st.free_frames);
  ExpectExactAccounting();
}

TEST_F(RuntimeCache, FramesNoCacheHandedOutAreCheckedByTheLockedPath) {
  ASSERT_EQ(mm_runtime_enable_cpu_caches(1), MM_OK);
  phys_addr_t f;
  ASSERT_EQ(WithRuntime([&](mm_phys_allocator* a) { return mm_phys_alloc_frame(a, &f); }), MM_OK);
  EXPECT_EQ(mm_runtime_free_frame(f), MM_OK);  // allocated under the lock, freed through the cache API
  EXPECT_TRUE(WithRuntime([&](mm_phys_allocator* a) { return mm_phys_is_free(a, f) ? MM_OK : MM_ERR_NOT_FREE; }) ==
              MM_OK);
  EXPECT_EQ(mm_runtime_free_frame(f), MM_ERR_DOUBLE_FREE);  // free in the free set
  EXPECT_EQ(mm_runtime_free_frame(0x100000), MM_ERR_RESERVED);  // the kernel image
  EXPECT_EQ(mm_runtime_free_frame(0x200000), MM_ERR_NOT_OWNED);  // the firmware hole
  EXPECT_EQ(mm_runtime_free_frame(0x100001), MM_ERR_MISALIGNED);
  ExpectExactAccounting();
}

TEST_F(RuntimeCache, ACpuIndexBeyondTheCountTakesTheLockedPath) {
  ASSERT_EQ(mm_runtime_enable_cpu_caches(2), MM_OK);
  current_cpu = 2;
  phys_addr_t f;
  ASSERT_EQ(mm_runtime_alloc_frame(&f), MM_OK);
  EXPECT_EQ(Stats().cached_frames, 0u);
  ASSERT_EQ(mm_runtime_free_frame(f), MM_OK);
  EXPECT_EQ(Stats().cached_frames, 0u);
  ExpectExactAccounting();
}

TEST_F(RuntimeCache, ALateReservationTakesACachedFrameOutForGood) {
  ASSERT_EQ(mm_runtime_enable_cpu_caches(2), MM_OK);
  phys_addr_t victim;
  ASSERT_EQ(mm_runtime_alloc_frame(&victim), MM_OK);
  ASSERT_EQ(mm_runtime_free_frame(victim), MM_OK);  // sits in CPU 0's cache
  uint64_t cached = Stats().cached_frames;
  ASSERT_EQ(WithRuntime([&](mm_phys_allocator* a) { return mm_phys_reserve(a, victim, kFrame, MM_RES_TEST, "late"); }),
            MM_OK);
  EXPECT_EQ(Stats().cached_frames, cached - 1);
  ExpectExactAccounting();
  // Every frame the allocator still has, from both CPUs: the reserved one never comes out.
  std::set<phys_addr_t> seen;
  for (uint64_t cpu : {0, 1}) {
    current_cpu = cpu;
    phys_addr_t f;
    while (mm_runtime_alloc_frame(&f) == MM_OK) {
      EXPECT_NE(f, victim);
      EXPECT_TRUE(seen.insert(f).second) << "handed out twice: " << f;
    }
  }
  mm_phys_stats st = Stats();
  EXPECT_EQ(st.free_frames + st.cached_frames, 0u);
  EXPECT_EQ(st.allocated_frames, seen.size());
  ExpectExactAccounting();
}

TEST_F(RuntimeCache, ALateReservationOverAHandedOutFrameMakesItsFreeReserved) {
  ASSERT_EQ(mm_runtime_enable_cpu_caches(1), MM_OK);
  phys_addr_t f;
  ASSERT_EQ(mm_runtime_alloc_frame(&f), MM_OK);
  ASSERT_EQ(WithRuntime([&](mm_phys_allocator* a) { return mm_phys_reserve(a, f, kFrame, MM_RES_TEST, "late"); }),
            MM_OK);
  EXPECT_EQ(mm_runtime_free_frame(f), MM_ERR_RESERVED);
  ExpectExactAccounting();
}

TEST_F(RuntimeCache, AnEndedTrampolineReservationReturnsItsFrameToTheFreeSetNotACache) {
  ASSERT_EQ(mm_runtime_enable_cpu_caches(2), MM_OK);
  // One frame a cache handed out (OUT) and one sitting in a cache (CACHED), both reserved as ap_trampoline.
  phys_addr_t out, cached;
  ASSERT_EQ(mm_runtime_alloc_frame(&out), MM_OK);
  ASSERT_EQ(mm_runtime_alloc_frame(&cached), MM_OK);
  ASSERT_EQ(mm_runtime_free_frame(cached), MM_OK);
  mm_phys_stats before = Stats();
  for (phys_addr_t f : {out, cached}) {
    ASSERT_EQ(WithRuntime([&](mm_phys_allocator* a) {
                return mm_phys_reserve(a, f, kFrame, MM_RES_AP_TRAMPOLINE, "t");
              }),
              MM_OK);
  }
  ExpectExactAccounting();
  for (phys_addr_t f : {out, cached}) {
    ASSERT_EQ(WithRuntime([&](mm_phys_allocator* a) { return mm_phys_unreserve(a, f, kFrame, MM_RES_AP_TRAMPOLINE); }),
              MM_OK);
    ExpectExactAccounting();
  }
  mm_phys_stats after = Stats();
  EXPECT_EQ(after.reserved_frames, before.reserved_frames);
  EXPECT_EQ(after.cached_frames, before.cached_frames - 1);  // the cached one left its cache for good
  EXPECT_EQ(after.free_frames, before.free_frames + 2);
  EXPECT_EQ(after.allocated_frames, before.allocated_frames - 1);  // the handed-out one was given up
  bool both_free = false;
  WithRuntime([&](mm_phys_allocator* a) {
    both_free = mm_phys_is_free(a, out) && mm_phys_is_free(a, cached);
    return MM_OK;
  });
  EXPECT_TRUE(both_free);
  // Its former holder can no longer free it: it is free memory now.
  EXPECT_EQ(mm_runtime_free_frame(out), MM_ERR_DOUBLE_FREE);
  ExpectExactAccounting();
  // Both come out again: every frame the allocator has, each once.
  std::set<phys_addr_t> seen;
  phys_addr_t f;
  while (mm_runtime_alloc_frame(&f) == MM_OK) EXPECT_TRUE(seen.insert(f).second) << "handed out twice: " << f;
  EXPECT_EQ(seen.count(out), 1u);
  EXPECT_EQ(seen.count(cached), 1u);
  ExpectExactAccounting();
}

TEST_F(RuntimeCache, NoFrameIsStrandedInACacheWhenMemoryRunsOut) {
  ASSERT_EQ(mm_runtime_enable_cpu_caches(2), MM_OK);
  // CPU 1 fills its cache, then CPU 0 takes everything: it gets CPU 1's cached frames too.
  current_cpu = 1;
  phys_addr_t f;
  ASSERT_EQ(mm_runtime_alloc_frame(&f), MM_OK);
  ASSERT_EQ(mm_runtime_free_frame(f), MM_OK);
  ASSERT_GT(Stats().cached_frames, 0u);
  uint64_t available = Stats().free_frames + Stats().cached_frames;
  current_cpu = 0;
  uint64_t got = 0;
  while (mm_runtime_alloc_frame(&f) == MM_OK) got++;
  EXPECT_EQ(got, available);
  EXPECT_EQ(mm_runtime_alloc_frame(&f), MM_ERR_NO_MEMORY);
  ExpectExactAccounting();
}

TEST_F(RuntimeCache, AContiguousRequestDrainsTheCachesBeforeNoMemory) {
  ASSERT_EQ(mm_runtime_enable_cpu_caches(1), MM_OK);
  phys_addr_t f;
  ASSERT_EQ(mm_runtime_alloc_frame(&f), MM_OK);
  ASSERT_EQ(mm_runtime_free_frame(f), MM_OK);
  mm_phys_stats st = Stats();
  ASSERT_GT(st.cached_frames, 0u);
  // Every free and cached frame at once (page-aligned pieces): possible only after the drain.
  mm_alloc_request whole{st.free_frames + st.cached_frames, kFrame, 0, 0};
  phys_addr_t got;
  EXPECT_EQ(WithRuntime([&](mm_phys_allocator* a) { return mm_phys_alloc(a, &whole, &got); }), MM_ERR_NO_MEMORY);
  EXPECT_EQ(Stats().cached_frames, 0u);  // drained, even though the request was too large anyway
  ExpectExactAccounting();
}

TEST_F(RuntimeCache, AFixedAllocationTakesCachedFramesOutOfTheirCaches) {
  ASSERT_EQ(mm_runtime_enable_cpu_caches(1), MM_OK);
  phys_addr_t f;
  ASSERT_EQ(mm_runtime_alloc_frame(&f), MM_OK);
  ASSERT_EQ(mm_runtime_free_frame(f), MM_OK);
  uint64_t cached = Stats().cached_frames;
  // A refill caches the 32 lowest frames and hands out the highest: f and the frame below it are cached.
  ASSERT_EQ(WithRuntime([&](mm_phys_allocator* a) { return mm_phys_alloc_fixed(a, f - kFrame, 2); }), MM_OK);
  EXPECT_EQ(Stats().cached_frames, cached - 2);
  ExpectExactAccounting();
  EXPECT_EQ(mm_runtime_free_frame(f), MM_OK);  // locked path: it came from the fixed allocation
  ExpectExactAccounting();
}

// Every reason the caches added to the checker, each made to fire by one corruption.
struct CacheCorruption {
  mm_phys_cache_corruption what;
  const char* why;
};

class RuntimeCacheCheck : public RuntimeCache, public ::testing::WithParamInterface<CacheCorruption> {};

TEST_P(RuntimeCacheCheck, TheCheckerNamesTheDamage) {
  ASSERT_EQ(mm_runtime_enable_cpu_caches(2), MM_OK);
  phys_addr_t f;
  ASSERT_EQ(mm_runtime_alloc_frame(&f), MM_OK);
  ASSERT_EQ(Check(), "ok");
  ASSERT_EQ(WithRuntime([&](mm_phys_allocator* a) {
              return mm_phys_corrupt_cache(a, GetParam().what) ? MM_OK : MM_ERR_INVARIANT;
            }),
            MM_OK);
  EXPECT_EQ(Check(), GetParam().why);
}

INSTANTIATE_TEST_SUITE_P(
    Reasons, RuntimeCacheCheck,
    ::testing::Values(
        CacheCorruption{MM_CORRUPT_CACHE_OVER_CAPACITY, "a CPU cache holds more frames than its capacity"},
        CacheCorruption{MM_CORRUPT_CACHE_STATE_PLAIN, "a frame in a CPU cache is not in state cached"},
        CacheCorruption{MM_CORRUPT_CACHE_FRAME_FREE, "a frame in a CPU cache is also in the free set"},
        CacheCorruption{MM_CORRUPT_CACHE_FRAME_RESERVED, "a frame in a CPU cache lies inside a reservation"},
        CacheCorruption{MM_CORRUPT_CACHE_FRAME_DROPPED,
                        "frame states count other cached frames than the CPU caches hold"},
        CacheCorruption{MM_CORRUPT_CACHE_ALLOCATED_LOW, "cached frames exceed the allocated frame counter"},
        CacheCorruption{MM_CORRUPT_CACHE_OUT_FREE, "a frame a CPU cache handed out is free or reserved"},
        CacheCorruption{MM_CORRUPT_CACHE_RECORD_RELABELLED,
                        "CPU cache storage is not recorded as its phys.cpu_caches bookkeeping reservation"}));

TEST_F(RuntimeCache, CacheCorruptionsNeedEnabledCaches) {
  for (int w = 0; w < MM_CORRUPT_CACHE_COUNT; w++) {
    EXPECT_EQ(WithRuntime([&](mm_phys_allocator* a) {
                return mm_phys_corrupt_cache(a, static_cast<mm_phys_cache_corruption>(w)) ? MM_ERR_INVARIANT : MM_OK;
              }),
              MM_OK)
        << w;
  }
}

}  // namespace
