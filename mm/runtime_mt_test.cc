// Multi-threaded property test of the global cell with per-CPU caches: N threads (one CPU each) allocate and
// free at random through the public paths (cached single frames with mm_runtime_alloc_frame/free_frame,
// contiguous runs and 2 MiB-aligned blocks through with_runtime_allocator). Every frame a thread holds is
// stamped with its id in a side table, so a frame handed to two threads at once fails at once. Each thread
// records its operations with a global sequence number (taken after an allocation returned and before a free
// is called, so per frame the order is the real one); after the join the records are replayed against the
// byte-per-frame reference model (mm/testing/reference_model.h), and the final free set, the counters and the
// invariant checker must agree with it. Seeded; the seed is printed (MM_MT_SEED=<n> replays each thread's
// choices, MM_MT_ROUNDS=<n> changes the length; the interleaving itself is up to the scheduler).
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "mm/testing/reference_model.h"
#include "mm/testing/runtime_fixture.h"

extern "C" {
#include "mm/carve.h"
#include "mm/runtime.h"
}

namespace {

using mm_testing::Desc;
using mm_testing::ReferenceModel;
using mm_testing::RuntimeFixture;

constexpr uint64_t kFrame = MM_FRAME_SIZE;
constexpr phys_addr_t kBase = 0x100000;
constexpr uint64_t kFrames = 16384;  // 64 MiB from 1 MiB: room for a few 2 MiB blocks

thread_local uint64_t mt_cpu = 0;
uint64_t MtOwner() { return mt_cpu + 1; }
void MtRelax() { std::this_thread::yield(); }

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::strtoull(v, nullptr, 0) : fallback;
}

struct Op {
  uint64_t seq;
  bool alloc;
  phys_addr_t base;
  uint64_t count;
  int thread;
};

struct Held {
  phys_addr_t base;
  uint64_t count;
  bool single;  // from mm_runtime_alloc_frame (freed with mm_runtime_free_frame)
};

using Body = mm_status (*)(mm_phys_allocator*, void*);

class RuntimeMt : public RuntimeFixture {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(BuildPipeline({Desc(MM_EFI_CONVENTIONAL_MEMORY, kBase, kFrames)}, kBase, 16));
    ASSERT_EQ(Initialize(), MM_OK);
    mm_runtime_set_owner_fn(&MtOwner);
    mm_runtime_set_relax_fn(&MtRelax);
  }
};

struct RunCtx {
  mm_alloc_request req;
  phys_addr_t base;
  uint64_t count;
};

mm_status AllocRun(mm_phys_allocator* a, void* ctx) {
  RunCtx* r = static_cast<RunCtx*>(ctx);
  return mm_phys_alloc(a, &r->req, &r->base);
}
mm_status FreeRun(mm_phys_allocator* a, void* ctx) {
  RunCtx* r = static_cast<RunCtx*>(ctx);
  return mm_phys_free(a, r->base, r->count);
}

TEST_F(RuntimeMt, ConcurrentRandomOpsReplayOntoTheReferenceModel) {
  const uint64_t seed = EnvOr("MM_MT_SEED", 20261130);
  const uint64_t rounds = EnvOr("MM_MT_ROUNDS", 4000);
  const int threads = 3;
  std::printf("runtime mt property: seed=%llu rounds=%llu threads=%d (replay with MM_MT_SEED=%llu)\n",
              (unsigned long long)seed, (unsigned long long)rounds, threads, (unsigned long long)seed);
  std::fflush(stdout);
  ASSERT_EQ(mm_runtime_enable_cpu_caches(threads), MM_OK);

  // The model starts from the allocator as the hand-off and the cache storage left it.
  ReferenceModel model(&map_.map, kBase, kFrames);
  model.AddInitialReservations(&set_);
  std::string err;
  std::pair<ReferenceModel*, std::string*> sync(&model, &err);
  with_runtime_allocator(
      [](mm_phys_allocator* a, void* ctx) {
        auto* p = static_cast<std::pair<ReferenceModel*, std::string*>*>(ctx);
        *p->second = p->first->Sync(a);
        return MM_OK;
      },
      &sync);
  ASSERT_EQ(err, "");

  std::atomic<uint64_t> seq{0};
  std::vector<std::atomic<uint32_t>> stamp(kFrames);
  std::mutex failure_mu;
  std::string failure;  // the first failure, under failure_mu
  std::atomic<bool> failed{false};
  auto fail = [&](const std::string& why) {
    std::lock_guard<std::mutex> g(failure_mu);
    if (failure.empty()) failure = why;
    failed = true;
  };
  auto stamp_all = [&](phys_addr_t base, uint64_t count, uint32_t from, uint32_t to, const char* what) {
    for (uint64_t k = 0; k < count; k++) {
      phys_addr_t f = base + k * kFrame;
      if (f < kBase || f >= kBase + kFrames * kFrame) {
        fail(std::string(what) + ": frame outside managed memory");
        return;
      }
      uint32_t expect = from;
      if (!stamp[(f - kBase) / kFrame].compare_exchange_strong(expect, to)) {
        fail(std::string(what) + ": frame " + ReferenceModel::Hex(f) + " stamped by " + std::to_string(expect));
      }
    }
  };

  std::vector<std::vector<Op>> ops(threads);
  std::vector<std::vector<Held>> held(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; t++) {
    pool.emplace_back([&, t] {
      mt_cpu = static_cast<uint64_t>(t);
      std::mt19937_64 rng(seed + static_cast<uint64_t>(t));
      const uint32_t me = static_cast<uint32_t>(t) + 1;
      std::vector<Held>& mine = held[t];
      for (uint64_t i = 0; i < rounds && !failed; i++) {
        // The first half leans to allocation and the second to freeing, so caches fill, drain and refill.
        const uint64_t alloc_pct = i < rounds / 2 ? 60 : 40;
        uint64_t op = rng() % 100;
        if (op < alloc_pct || mine.empty()) {  // allocate: mostly single frames
          Held h{0, 1, true};
          mm_status s;
          if (op < alloc_pct - 5) {
            s = mm_runtime_alloc_frame(&h.base);
          } else {
            bool huge = op == alloc_pct - 5;
            RunCtx r{{huge ? 512u : 1 + rng() % 8, huge ? 2 * 1024 * 1024u : kFrame, 0, 0}, 0, 0};
            s = with_runtime_allocator(AllocRun, &r);
            h = {r.base, r.req.count, false};
          }
          if (s == MM_OK) {
            stamp_all(h.base, h.count, 0, me, "alloc");
            ops[t].push_back({seq.fetch_add(1), true, h.base, h.count, t});
            mine.push_back(h);
          } else if (s != MM_ERR_NO_MEMORY) {
            fail(std::string("alloc: ") + mm_status_name(s));
          }
        } else {  // free a random held allocation
          uint64_t k = rng() % mine.size();
          Held h = mine[k];
          mine[k] = mine.back();
          mine.pop_back();
          stamp_all(h.base, h.count, me, 0, "free");
          ops[t].push_back({seq.fetch_add(1), false, h.base, h.count, t});
          mm_status s;
          if (h.single) {
            s = mm_runtime_free_frame(h.base);
          } else {
            RunCtx r{{0, 0, 0, 0}, h.base, h.count};
            s = with_runtime_allocator(FreeRun, &r);
          }
          if (s != MM_OK) fail(std::string("free: ") + mm_status_name(s));
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  ASSERT_EQ(failure, "") << "seed " << seed;

  // Replay in sequence order: every allocation must find its frames free in the model.
  std::vector<Op> all;
  for (auto& v : ops) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end(), [](const Op& x, const Op& y) { return x.seq < y.seq; });
  for (const Op& o : all) {
    for (uint64_t k = 0; k < o.count; k++) {
      phys_addr_t f = o.base + k * kFrame;
      ASSERT_EQ(model.IsFree(f), o.alloc) << (o.alloc ? "alloc" : "free") << " of " << ReferenceModel::Hex(f)
                                          << " by thread " << o.thread << " at seq " << o.seq << ", seed " << seed;
    }
    if (o.alloc) {
      model.MarkAllocated(o.base, o.count);
    } else {
      model.MarkFreed(o.base, o.count);
    }
  }

  // Drain the caches (a request nothing can meet drains them first), then compare everything.
  uint64_t model_allocated = 0;
  for (auto& v : held)
    for (const Held& h : v) model_allocated += h.count;
  struct Final {
    ReferenceModel* model;
    std::string err;
    mm_phys_stats stats;
    std::vector<mm_range> runs;
    const char* why;
    mm_status check;
  } fin{&model, "", {}, {}, nullptr, MM_OK};
  ASSERT_EQ(with_runtime_allocator(
                [](mm_phys_allocator* a, void* ctx) {
                  Final* f = static_cast<Final*>(ctx);
                  mm_alloc_request too_big{kFrames * 2, kFrame, 0, 0};
                  phys_addr_t dummy;
                  if (mm_phys_alloc(a, &too_big, &dummy) != MM_ERR_NO_MEMORY) return MM_ERR_INVARIANT;
                  f->err = f->model->Sync(a);
                  f->stats = mm_phys_get_stats(a);
                  mm_phys_for_each_free_run(
                      a,
                      [](void* c, mm_range r) {
                        static_cast<std::vector<mm_range>*>(c)->push_back(r);
                        return true;
                      },
                      &f->runs);
                  f->check = mm_phys_check_invariants(a, &f->why);
                  return MM_OK;
                },
                &fin),
            MM_OK);
  EXPECT_EQ(fin.err, "");
  EXPECT_EQ(fin.stats.cached_frames, 0u);
  EXPECT_EQ(fin.stats.allocated_frames, model_allocated);
  EXPECT_EQ(fin.check, MM_OK) << fin.why;
  std::vector<mm_range> want = model.FreeRuns();
  ASSERT_EQ(fin.runs.size(), want.size()) << "seed " << seed;
  for (size_t i = 0; i < want.size(); i++) {
    EXPECT_EQ(fin.runs[i].base, want[i].base) << i;
    EXPECT_EQ(fin.runs[i].end, want[i].end) << i;
  }
  std::printf("  ops=%zu held_frames=%llu free_runs=%zu\n", all.size(), (unsigned long long)model_allocated,
              want.size());
}

}  // namespace
