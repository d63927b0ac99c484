// mm_bench.cc: Google Benchmark suite for the memory bring-up and the runtime physical frame allocator.
//
//   (a) BM_Bringup/N           normalize + plan + carve + initialize on a synthetic map of N descriptors;
//                              counter time_per_descriptor (target <= 150 at 10k; 100k <= 3x the 1k figure)
//   (b) BM_AllocFreeFrame      one frame allocated and freed again (target <= 20 ns per pair)
//   (c) BM_RandomChurn4GiB     4 GiB with half the frames allocated at random positions; each step frees a
//                              random allocated frame and allocates one (target <= 140 ns per pair,
//                              bookkeeping_bytes <= 0.1% of managed memory)
//   (d) BM_Aligned2MiB         2 MiB-aligned 512-frame allocation (+ its free) on that fragmented state, with
//                              one extra GiB of unfragmented memory above it (target <= 2 us)
//   (e) BM_Server384GiB        bring-up of an unfragmented 384 GiB server map; counter bookkeeping_bytes
//                              (target <= 16 KiB)
// Run: bazel run -c opt //bench:mm -- --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
// Simulated memory backs only the frames the allocator maps (mm/testing/sim_phys.h): no benchmark
// allocates the memory it simulates.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "mm/testing/sim_phys.h"

extern "C" {
#include "mm/handoff.h"
#include "mm/phys_alloc.h"
}

namespace {

constexpr uint64_t kF = MM_FRAME_SIZE;
constexpr uint64_t kMiB = 1ull << 20;
constexpr uint64_t kGiB = 1ull << 30;

mm_efi_descriptor Desc(uint32_t type, uint64_t base, uint64_t pages) {
  mm_efi_descriptor d;
  std::memset(&d, 0, sizeof(d));
  d.type = type;
  d.physical_start = base;
  d.number_of_pages = pages;
  d.attribute = 0xf;
  return d;
}

// Everything one bring-up needs, reused across iterations so only the pipeline itself is timed.
struct Bringup {
  std::vector<mm_efi_descriptor> descs;
  std::vector<uint8_t> map_storage;
  std::vector<mm_reservation> res_storage;
  std::vector<uint64_t> alloc_storage;
  mm_testing::SimPhys sim;
  mm_firmware_map map{};
  mm_reservation_set set{};
  mm_carved_storage carved{};

  explicit Bringup(std::vector<mm_efi_descriptor> d) : descs(std::move(d)) {
    map_storage.resize(mm_firmware_map_storage_bytes(descs.size() * sizeof(mm_efi_descriptor),
                                                     sizeof(mm_efi_descriptor)));
    res_storage.resize(64);
    alloc_storage.resize((mm_phys_allocator_size() + 7) / 8);
  }
  mm_phys_allocator *alloc() { return reinterpret_cast<mm_phys_allocator *>(alloc_storage.data()); }

  // normalize -> plan -> carve -> initialize, through the kernel's own hand-off entry (mm/handoff.h).
  bool Run() {
    if (mm_firmware_map_init(&map, descs.data(), descs.size() * sizeof(mm_efi_descriptor), sizeof(mm_efi_descriptor), 1,
                             48, map_storage.data(), map_storage.size()) != MM_OK)
      return false;
    mm_reservation_set_init(&set, res_storage.data(), res_storage.size());
    mm_reservation_add(&set, 0x200000, 2 * kMiB, MM_RES_KERNEL_IMAGE, "kernel");
    mm_reservation_add(&set, 0x800000, 64 * kF, MM_RES_STACK, "stack");
    mm_handoff_result handed;
    if (mm_handoff_into(alloc(), &map, &set, sim.window(), nullptr, &handed) != MM_OK) return false;
    carved = handed.carved;
    return true;
  }
};

// N descriptors of 64 KiB each, conventional memory interleaved with the other types firmware reports, in
// firmware order (ascending, as most firmware returns them) from 16 MiB up.
std::vector<mm_efi_descriptor> SyntheticMap(uint64_t n) {
  static const uint32_t others[] = {MM_EFI_BOOT_SERVICES_DATA,    MM_EFI_LOADER_DATA,        MM_EFI_ACPI_RECLAIM_MEMORY,
                                    MM_EFI_RUNTIME_SERVICES_DATA, MM_EFI_BOOT_SERVICES_CODE, MM_EFI_RESERVED_MEMORY};
  std::vector<mm_efi_descriptor> d;
  d.push_back(Desc(MM_EFI_CONVENTIONAL_MEMORY, 0x100000, 0xf00));  // [1 MiB, 16 MiB): kernel, stack, carve
  uint64_t base = 16 * kMiB;
  for (uint64_t i = 1; i < n; i++) {
    uint32_t type = (i % 2) ? MM_EFI_CONVENTIONAL_MEMORY : others[(i / 2) % 6];
    d.push_back(Desc(type, base, 16));
    base += 16 * kF;
  }
  return d;
}

void BM_Bringup(benchmark::State &state) {
  const uint64_t n = static_cast<uint64_t>(state.range(0));
  Bringup b(SyntheticMap(n));
  for (auto _ : state) {
    if (!b.Run()) {
      state.SkipWithError("bring-up failed");
      return;
    }
    benchmark::ClobberMemory();
  }
  // Seconds per descriptor (printed with an SI prefix, e.g. 17.7ns).
  state.counters["time_per_descriptor"] = benchmark::Counter(static_cast<double>(n),
                                                             benchmark::Counter::kIsIterationInvariantRate |
                                                                 benchmark::Counter::kInvert);
  state.counters["bookkeeping_bytes"] = static_cast<double>(mm_phys_get_stats(b.alloc()).bookkeeping_bytes);
}
BENCHMARK(BM_Bringup)->Arg(64)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMicrosecond);

// (a) with the descriptors in random order, as some firmware returns them: normalization has to sort.
void BM_BringupShuffled(benchmark::State &state) {
  const uint64_t n = static_cast<uint64_t>(state.range(0));
  std::vector<mm_efi_descriptor> d = SyntheticMap(n);
  uint64_t s = 0x2545f4914f6cdd1dull;
  for (uint64_t i = d.size() - 1; i > 0; i--) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    std::swap(d[i], d[s % (i + 1)]);
  }
  Bringup b(std::move(d));
  for (auto _ : state) {
    if (!b.Run()) {
      state.SkipWithError("bring-up failed");
      return;
    }
  }
  state.counters["time_per_descriptor"] = benchmark::Counter(static_cast<double>(n),
                                                             benchmark::Counter::kIsIterationInvariantRate |
                                                                 benchmark::Counter::kInvert);
}
BENCHMARK(BM_BringupShuffled)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMicrosecond);

// A plain allocator over `regions` (usable) with nothing else reserved than its carved arrays (one frame each
// at the bottom of the first region, which is what the plan asks for such a map).
struct Plain {
  std::vector<mm_region> regions;
  std::vector<mm_reservation> res_storage;
  std::vector<uint64_t> alloc_storage;
  mm_testing::SimPhys sim;
  mm_firmware_map map{};
  mm_reservation_set set{};
  mm_carved_storage carved{};

  explicit Plain(std::vector<std::pair<uint64_t, uint64_t>> usable) {
    for (auto &u : usable) {
      mm_region r{};
      r.base = u.first;
      r.end = u.second;
      r.type = MM_REGION_USABLE;
      regions.push_back(r);
    }
    map.regions = regions.data();
    map.region_count = regions.size();
    res_storage.resize(8);
    mm_reservation_set_init(&set, res_storage.data(), res_storage.size());
    alloc_storage.resize((mm_phys_allocator_size() + 7) / 8);
    mm_handoff_result handed;
    if (mm_handoff_into(alloc(), &map, &set, sim.window(), nullptr, &handed) != MM_OK) std::abort();
    carved = handed.carved;
  }
  mm_phys_allocator *alloc() { return reinterpret_cast<mm_phys_allocator *>(alloc_storage.data()); }
};

void BM_AllocFreeFrame(benchmark::State &state) {
  Plain p({{4 * kGiB, 8 * kGiB}});
  mm_phys_allocator *a = p.alloc();
  for (auto _ : state) {
    phys_addr_t f;
    mm_phys_alloc_frame(a, &f);
    benchmark::DoNotOptimize(f);
    mm_phys_free(a, f, 1);
  }
  state.counters["bookkeeping_bytes"] = static_cast<double>(mm_phys_get_stats(a).bookkeeping_bytes);
}
BENCHMARK(BM_AllocFreeFrame);

struct XorShift {
  uint64_t s;
  uint64_t Next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
};

// 4 GiB at [4 GiB, 8 GiB) (plus `extra` unfragmented bytes above it), every frame allocated, then a random
// half freed again. Returns the frames still allocated.
std::vector<phys_addr_t> Fragment(Plain &p, XorShift &rng) {
  mm_phys_allocator *a = p.alloc();
  std::vector<phys_addr_t> allocated;
  const uint64_t frames = 4 * kGiB / kF;
  for (uint64_t i = 0; i < frames; i++) {
    phys_addr_t f = 4 * kGiB + i * kF;
    if (mm_phys_alloc_fixed(a, f, 1) == MM_OK) allocated.push_back(f);
  }
  std::vector<phys_addr_t> kept;
  for (phys_addr_t f : allocated) {
    if (rng.Next() & 1) {
      mm_phys_free(a, f, 1);
    } else {
      kept.push_back(f);
    }
  }
  return kept;
}

void BM_RandomChurn4GiB(benchmark::State &state) {
  Plain p({{4 * kGiB, 8 * kGiB}});
  XorShift rng{0x9e3779b97f4a7c15ull};
  std::vector<phys_addr_t> allocated = Fragment(p, rng);
  mm_phys_allocator *a = p.alloc();
  uint64_t max_bookkeeping = 0;
  // The victim list is 4 MB of random accesses: pick the next victim one step ahead and prefetch it, so the
  // loop measures the allocator rather than the harness's cache misses.
  const uint64_t n = allocated.size();
  auto pick = [&] { return static_cast<uint64_t>((static_cast<unsigned __int128>(rng.Next()) * n) >> 64); };
  uint64_t i = pick();
  for (auto _ : state) {
    uint64_t next = pick();
    __builtin_prefetch(&allocated[next], 1);
    mm_phys_free(a, allocated[i], 1);
    mm_phys_alloc_frame(a, &allocated[i]);
    i = next;
  }
  mm_phys_stats st = mm_phys_get_stats(a);
  max_bookkeeping = st.bookkeeping_bytes;
  const char *why = nullptr;
  if (mm_phys_check_invariants(a, &why) != MM_OK) state.SkipWithError(why);
  state.counters["bookkeeping_bytes"] = static_cast<double>(max_bookkeeping);
  state.counters["bookkeeping_ppm_of_managed"] = 1e6 * static_cast<double>(max_bookkeeping) /
                                                 static_cast<double>(st.managed_frames * kF);
  state.counters["free_runs"] = static_cast<double>(st.free_runs);
  state.counters["host_bytes"] = static_cast<double>(p.sim.host_bytes());
}
BENCHMARK(BM_RandomChurn4GiB);

// (c) variant that keeps the state scattered: lowest-first allocation compacts the random state over millions
// of steps, so here each step frees a random allocated frame and takes a random free frame back with
// mm_phys_alloc_fixed; half of the 4 GiB stays allocated at random positions for the whole run.
void BM_RandomChurn4GiBScattered(benchmark::State &state) {
  Plain p({{4 * kGiB, 8 * kGiB}});
  XorShift rng{0xabcdef12345ull};
  std::vector<phys_addr_t> allocated = Fragment(p, rng);
  std::vector<phys_addr_t> free_list;
  mm_phys_allocator *a = p.alloc();
  for (uint64_t f = 4 * kGiB; f < 8 * kGiB; f += kF) {
    if (mm_phys_is_free(a, f)) free_list.push_back(f);
  }
  auto pick = [&](uint64_t n) { return static_cast<uint64_t>((static_cast<unsigned __int128>(rng.Next()) * n) >> 64); };
  uint64_t i = pick(allocated.size()), j = pick(free_list.size());
  for (auto _ : state) {
    uint64_t ni = pick(allocated.size()), nj = pick(free_list.size());
    __builtin_prefetch(&allocated[ni], 1);
    __builtin_prefetch(&free_list[nj], 1);
    phys_addr_t victim = allocated[i], taken = free_list[j];
    mm_phys_free(a, victim, 1);
    mm_phys_alloc_fixed(a, taken, 1);
    allocated[i] = taken;
    free_list[j] = victim;
    i = ni;
    j = nj;
  }
  mm_phys_stats st = mm_phys_get_stats(a);
  const char *why = nullptr;
  if (mm_phys_check_invariants(a, &why) != MM_OK) state.SkipWithError(why);
  state.counters["bookkeeping_bytes"] = static_cast<double>(st.bookkeeping_bytes);
  state.counters["free_runs"] = static_cast<double>(st.free_runs);
}
BENCHMARK(BM_RandomChurn4GiBScattered);

void BM_Aligned2MiB(benchmark::State &state) {
  Plain p({{4 * kGiB, 9 * kGiB}});
  XorShift rng{0x1234567ull};
  std::vector<phys_addr_t> allocated = Fragment(p, rng);
  mm_phys_allocator *a = p.alloc();
  mm_alloc_request req{512, 2 * kMiB, 0, 0};
  for (auto _ : state) {
    phys_addr_t f = 0;
    if (mm_phys_alloc(a, &req, &f) != MM_OK) {
      state.SkipWithError("no 2 MiB block");
      return;
    }
    mm_phys_free(a, f, 512);
  }
  state.counters["bookkeeping_bytes"] = static_cast<double>(mm_phys_get_stats(a).bookkeeping_bytes);
}
BENCHMARK(BM_Aligned2MiB);

// A two-socket server's map: low memory, the 32-bit MMIO hole, 382 GiB above 4 GiB, firmware regions.
std::vector<mm_efi_descriptor> ServerMap() {
  std::vector<mm_efi_descriptor> d;
  d.push_back(Desc(MM_EFI_BOOT_SERVICES_DATA, 0, 1));
  d.push_back(Desc(MM_EFI_CONVENTIONAL_MEMORY, 0x1000, 0x9f));
  d.push_back(Desc(MM_EFI_RESERVED_MEMORY, 0xa0000, 0x60));
  d.push_back(Desc(MM_EFI_CONVENTIONAL_MEMORY, 0x100000, 0x6ff00));      // [1 MiB, 1.75 GiB)
  d.push_back(Desc(MM_EFI_LOADER_DATA, 0x70000000, 0x1000));
  d.push_back(Desc(MM_EFI_BOOT_SERVICES_CODE, 0x71000000, 0x2000));
  d.push_back(Desc(MM_EFI_ACPI_RECLAIM_MEMORY, 0x73000000, 0x100));
  d.push_back(Desc(MM_EFI_ACPI_MEMORY_NVS, 0x73100000, 0x100));
  d.push_back(Desc(MM_EFI_RUNTIME_SERVICES_DATA, 0x73200000, 0x200));
  d.push_back(Desc(MM_EFI_CONVENTIONAL_MEMORY, 0x73400000, 0xccc00));    // up to 2 GiB
  d.push_back(Desc(MM_EFI_MEMORY_MAPPED_IO, 0x80000000, 0x80000));        // 2..4 GiB hole
  d.push_back(Desc(MM_EFI_CONVENTIONAL_MEMORY, 4 * kGiB, (382 * kGiB) / kF));
  return d;
}

void BM_Server384GiB(benchmark::State &state) {
  Bringup b(ServerMap());
  for (auto _ : state) {
    if (!b.Run()) {
      state.SkipWithError("bring-up failed");
      return;
    }
  }
  mm_phys_stats st = mm_phys_get_stats(b.alloc());
  state.counters["bookkeeping_bytes"] = static_cast<double>(st.bookkeeping_bytes);
  state.counters["managed_GiB"] = static_cast<double>(st.managed_frames * kF) / static_cast<double>(kGiB);
  state.counters["free_runs"] = static_cast<double>(st.free_runs);
}
BENCHMARK(BM_Server384GiB);

}  // namespace
