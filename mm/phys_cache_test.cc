// Tests for the per-CPU cache storage layout (phys_cache.h): where each refill region's frame states land.
// The layout is what keeps two CPUs' fast paths off each other's cache lines, so it is asserted in bytes.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "gtest/gtest.h"

extern "C" {
#include "mm/phys_cache.h"
}

namespace {

constexpr uint64_t kRegion = PHYS_CACHE_REFILL_ALIGN;
constexpr uint64_t kFramesPerRegion = kRegion / MM_FRAME_SIZE;

// A frame-aligned host buffer, as the allocator's storage always is (it is mapped frames).
struct Storage {
  explicit Storage(uint64_t bytes) : bytes(bytes), p(std::aligned_alloc(MM_FRAME_SIZE, bytes)) {}
  ~Storage() { std::free(p); }
  uint64_t bytes;
  void *p;
};

// For every CPU count, each refill region's 2-bit states fill exactly one page of the storage: the map starts
// on a page boundary after the caches and a region is 16384 frames = 4 KiB of states; each CPU's cache starts a
// 128-byte pair of its own.
TEST(PhysCacheLayout, EachRefillRegionsStatesFillOnePage) {
  static_assert(kFramesPerRegion * 2 / 8 == PHYS_CACHE_STATE_PAGE, "a region's states are one page");
  const phys_addr_t base = 64 * kRegion, end = base + 16 * kRegion;
  for (uint32_t cpus = 1; cpus <= 9; cpus++) {
    uint64_t bytes = phys_cache_storage_bytes(cpus, base, end);
    ASSERT_NE(bytes, 0u);
    ASSERT_EQ(bytes % MM_FRAME_SIZE, 0u);
    Storage s(bytes);
    phys_cache c{};
    phys_cache_init(&c, s.p, phys_block{0x100000, bytes, false}, cpus, base, end);
    auto at = reinterpret_cast<uintptr_t>(s.p);
    auto states = reinterpret_cast<uintptr_t>(c.states);
    EXPECT_EQ((states - at) % PHYS_CACHE_STATE_PAGE, 0u) << cpus << " CPUs";
    EXPECT_GE(states - at, PHYS_CACHE_SKEW + uint64_t{cpus} * sizeof(phys_cpu_cache)) << "states overlap the caches";
    EXPECT_EQ(reinterpret_cast<uintptr_t>(&c.cpus[0]) - at, PHYS_CACHE_SKEW)
        << "CPU 0's lock would alias its first states";
    EXPECT_LE(states - at + (end - base) / MM_FRAME_SIZE / 4, bytes) << "states pass the storage";
    for (uint32_t i = 0; i < cpus; i++) {
      EXPECT_EQ((reinterpret_cast<uintptr_t>(&c.cpus[i]) - at) % PHYS_CACHE_PAIR, 0u) << "cache " << i;
      EXPECT_EQ(c.cpus[i].count, 0u);
      EXPECT_EQ(c.cpus[i].region, PHYS_NONE);
    }
    for (phys_addr_t f = base; f < end; f += kRegion / 2) EXPECT_EQ(phys_cache_state(&c, f), PHYS_FRAME_PLAIN);
  }
}

// Changing one frame's state touches only the page of states of its own region.
TEST(PhysCacheLayout, AStateChangeStaysInsideItsRegionsPage) {
  const phys_addr_t base = 8 * kRegion, end = base + 4 * kRegion;
  uint64_t bytes = phys_cache_storage_bytes(3, base, end);
  Storage s(bytes);
  phys_cache c{};
  phys_cache_init(&c, s.p, phys_block{0x100000, bytes, false}, 3, base, end);
  std::vector<uint8_t> before(static_cast<uint8_t *>(s.p), static_cast<uint8_t *>(s.p) + bytes);
  const phys_addr_t frame = base + 2 * kRegion + 77 * MM_FRAME_SIZE;
  uint32_t seen = 0;
  ASSERT_TRUE(phys_cache_transition(&c, frame, PHYS_FRAME_PLAIN, PHYS_FRAME_CACHED, &seen));
  auto *now = static_cast<uint8_t *>(s.p);
  const uint64_t page_start = reinterpret_cast<uintptr_t>(c.states) - reinterpret_cast<uintptr_t>(s.p) +
                              2 * PHYS_CACHE_STATE_PAGE;
  for (uint64_t i = 0; i < bytes; i++) {
    if (now[i] != before[i]) {
      EXPECT_GE(i, page_start);
      EXPECT_LT(i, page_start + PHYS_CACHE_STATE_PAGE);
    }
  }
  EXPECT_EQ(phys_cache_state(&c, frame), PHYS_FRAME_CACHED);
}

}  // namespace
