// runtime_bench.cc: the runtime allocator through its public thread-safe path (mm/runtime.h), with 1 and 2
// threads (more when the machine has more cores), for the issue-12 targets. Every benchmark uses real time, so
// items_per_second is the combined rate of all threads and 1e9 / items_per_second is the combined ns per
// operation (bench/run_bench.sh derives that column).
//
//   BM_CellHotPair          mm_runtime_alloc_frame + mm_runtime_free_frame, per-CPU caches on (one per thread)
//   BM_CellHotPairLocked    the same pair as with_runtime_allocator(mm_phys_alloc_frame / mm_phys_free): the lock
//   BM_CellRandomChurn      4 GiB fragmented at random (half the frames allocated); each thread holds 16 Ki
//                           frames from mm_runtime_alloc_frame and each step frees a random one and allocates one
//   BM_CellScatteredChurn   the same 4 GiB; each step frees a random allocated frame and takes a random free one
//                           back with mm_phys_alloc_fixed (threads work on disjoint halves), under the lock
//   BM_CellAligned2MiB      512 frames 2 MiB-aligned + free on the fragmented 4 GiB (plus 1 GiB unfragmented
//                           above it), under the lock
//   BM_ControlPrivateWork   no allocator: each thread does work of the churn's shape on data of its own only (a
//                           random index into 16 Ki words, an exchange and a compare-exchange on its own lines),
//                           so its 2-thread/1-thread ratio is the machine's scaling in the same run. On the shared
//                           2-vCPU machines it is bimodal (about 0.5 or about 1.0: the host sometimes runs both
//                           vCPUs on one core), and every threaded figure here moves with it.
//
// The cell is a singleton: thread 0 builds it before the timed loop (the others wait at a barrier) and resets it
// with mm_runtime_reset_for_tests after every thread has left the loop.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <thread>
#include <vector>

#include "mm/testing/sim_phys.h"

extern "C" {
#include "mm/handoff.h"
#include "mm/runtime.h"
}

namespace {

constexpr uint64_t kF = MM_FRAME_SIZE;
constexpr uint64_t kMiB = 1ull << 20;
constexpr uint64_t kGiB = 1ull << 30;

thread_local uint64_t bench_cpu = 0;
uint64_t BenchOwner() { return bench_cpu + 1; }  // owner id = CPU number + 1 (runtime.h)
// The CPU's spin hint, plus a yield of the host CPU every 64 spins: unlike a kernel's CPUs, benchmark threads
// can be preempted, and a preempted waiter holding the next ticket would otherwise stall the fair lock.
void BenchRelax() {
  thread_local unsigned spins = 0;
#if defined(__x86_64__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ volatile("yield");
#endif
  if ((++spins & 63u) == 0) std::this_thread::yield();
}

// A reusable spin barrier for the benchmark's threads (GB has none before its own start barrier).
class SpinBarrier {
 public:
  void Wait(int n) {
    int gen = gen_.load(std::memory_order_acquire);
    if (count_.fetch_add(1, std::memory_order_acq_rel) + 1 == n) {
      count_.store(0, std::memory_order_relaxed);
      gen_.fetch_add(1, std::memory_order_acq_rel);
    } else {
      while (gen_.load(std::memory_order_acquire) == gen) std::this_thread::yield();
    }
  }

 private:
  std::atomic<int> count_{0};
  std::atomic<int> gen_{0};
};

struct XorShift {
  uint64_t s;
  uint64_t Next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
  uint64_t Below(uint64_t n) { return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64); }
};

using Body = mm_status (*)(mm_phys_allocator *, void *);

// The global cell over usable [4 GiB, 4 GiB + bytes), optionally fragmented: every frame of the lowest 4 GiB
// allocated, then a random half freed again (the frames still allocated are kept in `kept`).
struct Cell {
  mm_testing::SimPhys sim;
  std::vector<mm_region> regions;
  std::vector<mm_reservation> res_storage;
  mm_firmware_map map{};
  mm_reservation_set set{};
  std::vector<phys_addr_t> kept;

  Cell(uint64_t bytes, bool fragment, uint32_t cpus) {
    mm_runtime_reset_for_tests();
    mm_region r{};
    r.base = 4 * kGiB;
    r.end = 4 * kGiB + bytes;
    r.type = MM_REGION_USABLE;
    regions.push_back(r);
    map.regions = regions.data();
    map.region_count = regions.size();
    res_storage.resize(8);
    mm_reservation_set_init(&set, res_storage.data(), res_storage.size());
    mm_handoff_result handed;
    if (mm_handoff_to_runtime(&map, &set, sim.window(), nullptr, &handed) != MM_OK) std::abort();
    mm_runtime_set_owner_fn(&BenchOwner);
    mm_runtime_set_relax_fn(&BenchRelax);
    // Caches first, as the kernel does right after the hand-off: their storage is one contiguous block.
    if (cpus != 0 && mm_runtime_enable_cpu_caches(cpus) != MM_OK) std::abort();
    if (fragment) Fragment();
  }
  ~Cell() { mm_runtime_reset_for_tests(); }

  void Fragment() {
    XorShift rng{0x9e3779b97f4a7c15ull};
    std::pair<Cell *, XorShift *> ctx(this, &rng);
    with_runtime_allocator(
        [](mm_phys_allocator *a, void *ctx) {
          auto *self = static_cast<std::pair<Cell *, XorShift *> *>(ctx);
          std::vector<phys_addr_t> all;
          for (phys_addr_t f = 4 * kGiB; f < 8 * kGiB; f += kF) {
            if (mm_phys_alloc_fixed(a, f, 1) == MM_OK) all.push_back(f);
          }
          for (phys_addr_t f : all) {
            if (self->second->Next() & 1) {
              mm_phys_free(a, f, 1);
            } else {
              self->first->kept.push_back(f);
            }
          }
          return MM_OK;
        },
        &ctx);
  }
};

Cell *g_cell = nullptr;
SpinBarrier g_barrier;

// Thread 0 builds the cell, the others wait for it; every thread gets its CPU index.
void Enter(benchmark::State &state, uint64_t bytes, bool fragment, bool caches) {
  bench_cpu = static_cast<uint64_t>(state.thread_index());
  if (state.thread_index() == 0)
    g_cell = new Cell(bytes, fragment, caches ? static_cast<uint32_t>(state.threads()) : 0);
  g_barrier.Wait(state.threads());
}

// Every thread has left the loop (and given its frames back) before thread 0 resets the cell.
void Leave(benchmark::State &state) {
  g_barrier.Wait(state.threads());
  if (state.thread_index() == 0) {
    const char *why = nullptr;
    mm_status s = with_runtime_allocator(
        [](mm_phys_allocator *a, void *ctx) { return mm_phys_check_invariants(a, static_cast<const char **>(ctx)); },
        &why);
    if (s != MM_OK) state.SkipWithError(why ? why : "invariant check failed");
    mm_phys_stats st{};
    with_runtime_allocator(
        [](mm_phys_allocator *a, void *ctx) {
          *static_cast<mm_phys_stats *>(ctx) = mm_phys_get_stats(a);
          return MM_OK;
        },
        &st);
    state.counters["bookkeeping_bytes"] = static_cast<double>(st.bookkeeping_bytes);
    state.counters["bookkeeping_ppm_of_managed"] = 1e6 * static_cast<double>(st.bookkeeping_bytes) /
                                                   static_cast<double>(st.managed_frames * kF);
    delete g_cell;
    g_cell = nullptr;
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_CellHotPair(benchmark::State &state) {
  Enter(state, 4 * kGiB, false, true);
  for (auto _ : state) {
    phys_addr_t f;
    mm_runtime_alloc_frame(&f);
    benchmark::DoNotOptimize(f);
    mm_runtime_free_frame(f);
  }
  Leave(state);
}

mm_status AllocOne(mm_phys_allocator *a, void *ctx) { return mm_phys_alloc_frame(a, static_cast<phys_addr_t *>(ctx)); }
mm_status FreeOne(mm_phys_allocator *a, void *ctx) { return mm_phys_free(a, *static_cast<phys_addr_t *>(ctx), 1); }

void BM_CellHotPairLocked(benchmark::State &state) {
  Enter(state, 4 * kGiB, false, false);
  for (auto _ : state) {
    phys_addr_t f;
    with_runtime_allocator(AllocOne, &f);
    benchmark::DoNotOptimize(f);
    with_runtime_allocator(FreeOne, &f);
  }
  Leave(state);
}

void BM_CellRandomChurn(benchmark::State &state) {
  Enter(state, 4 * kGiB, true, true);
  XorShift rng{0x1234567ull + static_cast<uint64_t>(state.thread_index())};
  std::vector<phys_addr_t> held(1u << 14);
  for (phys_addr_t &f : held) {
    if (mm_runtime_alloc_frame(&f) != MM_OK) std::abort();
  }
  uint64_t i = rng.Below(held.size());
  for (auto _ : state) {
    uint64_t next = rng.Below(held.size());
    mm_runtime_free_frame(held[i]);
    mm_runtime_alloc_frame(&held[i]);
    i = next;
  }
  for (phys_addr_t f : held) mm_runtime_free_frame(f);
  Leave(state);
}

struct Scattered {
  phys_addr_t victim, taken;
};

void BM_CellScatteredChurn(benchmark::State &state) {
  Enter(state, 4 * kGiB, true, false);
  // Thread t works on the frames whose index mod threads is t, so threads never want the same frame.
  const uint64_t t = static_cast<uint64_t>(state.thread_index()), n = static_cast<uint64_t>(state.threads());
  std::vector<phys_addr_t> allocated, free_list;
  for (phys_addr_t f : g_cell->kept) {
    if (((f >> MM_FRAME_SHIFT) % n) == t) allocated.push_back(f);
  }
  std::pair<std::vector<phys_addr_t> *, std::pair<uint64_t, uint64_t>> part(&free_list, {t, n});
  with_runtime_allocator(
      [](mm_phys_allocator *a, void *ctx) {
        auto *p = static_cast<std::pair<std::vector<phys_addr_t> *, std::pair<uint64_t, uint64_t>> *>(ctx);
        for (phys_addr_t f = 4 * kGiB; f < 8 * kGiB; f += kF) {
          if (((f >> MM_FRAME_SHIFT) % p->second.second) == p->second.first && mm_phys_is_free(a, f)) {
            p->first->push_back(f);
          }
        }
        return MM_OK;
      },
      &part);
  XorShift rng{0xabcdef12345ull + t};
  uint64_t i = rng.Below(allocated.size()), j = rng.Below(free_list.size());
  for (auto _ : state) {
    uint64_t ni = rng.Below(allocated.size()), nj = rng.Below(free_list.size());
    __builtin_prefetch(&allocated[ni], 1);
    __builtin_prefetch(&free_list[nj], 1);
    Scattered s{allocated[i], free_list[j]};
    with_runtime_allocator(
        [](mm_phys_allocator *a, void *ctx) {
          auto *sc = static_cast<Scattered *>(ctx);
          mm_phys_free(a, sc->victim, 1);
          return mm_phys_alloc_fixed(a, sc->taken, 1);
        },
        &s);
    allocated[i] = s.taken;
    free_list[j] = s.victim;
    i = ni;
    j = nj;
  }
  Leave(state);
}

mm_status Aligned2MiB(mm_phys_allocator *a, void *) {
  mm_alloc_request req{512, 2 * kMiB, 0, 0};
  phys_addr_t f = 0;
  mm_status s = mm_phys_alloc(a, &req, &f);
  if (s == MM_OK) s = mm_phys_free(a, f, 512);
  return s;
}

void BM_CellAligned2MiB(benchmark::State &state) {
  Enter(state, 5 * kGiB, true, false);
  for (auto _ : state) {
    if (with_runtime_allocator(Aligned2MiB, nullptr) != MM_OK) {
      state.SkipWithError("no 2 MiB block");
      break;
    }
  }
  Leave(state);
}

void BM_ControlPrivateWork(benchmark::State &state) {
  XorShift rng{0x1234567ull + static_cast<uint64_t>(state.thread_index())};
  std::vector<uint64_t> words(1u << 14);
  struct alignas(128) Line {
    uint32_t lock;
    uint64_t word;
  } line{};
  uint64_t i = rng.Below(words.size());
  for (auto _ : state) {
    uint64_t next = rng.Below(words.size());
    while (__atomic_exchange_n(&line.lock, 1u, __ATOMIC_ACQUIRE) != 0) {
    }
    uint64_t w = __atomic_load_n(&words[i], __ATOMIC_RELAXED);
    __atomic_compare_exchange_n(&words[i], &w, w + 1, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
    __atomic_store_n(&line.lock, 0u, __ATOMIC_RELEASE);
    while (__atomic_exchange_n(&line.lock, 1u, __ATOMIC_ACQUIRE) != 0) {
    }
    w = __atomic_load_n(&words[i], __ATOMIC_RELAXED);
    __atomic_compare_exchange_n(&words[i], &w, w - 1, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
    __atomic_store_n(&line.lock, 0u, __ATOMIC_RELEASE);
    benchmark::DoNotOptimize(line);
    i = next;
  }
  state.SetItemsProcessed(state.iterations());
}

// 1 and 2 threads, and every power of two up to the machine's cores beyond that.
void ThreadCounts(benchmark::internal::Benchmark *b) {
  unsigned cores = std::thread::hardware_concurrency();
  b->Threads(1)->Threads(2);
  for (unsigned t = 4; t <= cores; t *= 2) b->Threads(static_cast<int>(t));
  b->UseRealTime();
}

BENCHMARK(BM_CellHotPair)->Apply(ThreadCounts);
BENCHMARK(BM_CellHotPairLocked)->Apply(ThreadCounts);
BENCHMARK(BM_CellRandomChurn)->Apply(ThreadCounts);
BENCHMARK(BM_CellScatteredChurn)->Apply(ThreadCounts);
BENCHMARK(BM_CellAligned2MiB)->Apply(ThreadCounts);
BENCHMARK(BM_ControlPrivateWork)->Apply(ThreadCounts);

}  // namespace
