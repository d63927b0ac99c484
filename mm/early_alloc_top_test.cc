// Tests for early_alloc.c near the top of the 64-bit address space: an alignment that cannot be met above
// the free memory is no memory, and nothing is recorded.
#include <cstdint>

#include "gtest/gtest.h"
#include "mm/testing/efi_map_builder.h"

extern "C" {
#include "mm/early_alloc.h"
}

namespace {

using mm_testing::Desc;
using mm_testing::Normalize;
using mm_testing::NormalizedMap;

TEST(EarlyAllocTop, AlignmentRoundingPastTwoToThe64IsNoMemory) {
  const uint64_t base = 0xffff000000000000ull;  // only memory: 1 MiB high above 2^63
  NormalizedMap map = Normalize({Desc(MM_EFI_CONVENTIONAL_MEMORY, base, 256)}, 64);
  ASSERT_EQ(map.status, MM_OK);
  mm_reservation storage[4];
  mm_reservation_set set;
  mm_reservation_set_init(&set, storage, 4);
  mm_early_allocator early;
  mm_early_init(&early, &map.map, &set);
  phys_addr_t at = 0;
  // Aligning any address above 2^63 up to 2^63 passes 2^64.
  EXPECT_EQ(mm_early_alloc(&early, 1, uint64_t(1) << 63, MM_RES_BOOKKEEPING, "x", &at), MM_ERR_NO_MEMORY);
  EXPECT_EQ(set.count, 0u);
  EXPECT_EQ(early.frames_allocated, 0u);
  // The same memory still serves an ordinary alignment.
  ASSERT_EQ(mm_early_alloc(&early, 1, 0, MM_RES_BOOKKEEPING, "x", &at), MM_OK);
  EXPECT_EQ(at, base);
}

}  // namespace
