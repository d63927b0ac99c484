// Tests for firmware_map.c's storage-size helper at the edges of 64-bit arithmetic, and the usable-region
// accessors on a NULL map.
#include <cstdint>

#include "gtest/gtest.h"

extern "C" {
#include "mm/firmware_map.h"
}

namespace {

// The map's byte count itself leaves no room for the alignment slack.
TEST(FirmwareMapStorageBytes, MapSizeNearTwoToThe64IsRefused) {
  EXPECT_EQ(mm_firmware_map_storage_bytes(UINT64_MAX, 40), 0u);
  EXPECT_EQ(mm_firmware_map_storage_bytes(UINT64_MAX - 3, 48), 0u);
}

// 2 regions per descriptor at the minimum stride: the region array alone would pass 2^64 bytes.
TEST(FirmwareMapStorageBytes, RegionArrayPastTwoToThe64IsRefused) {
  EXPECT_EQ(mm_firmware_map_storage_bytes(UINT64_MAX - 64, 40), 0u);
}

// A wide stride keeps each array below 2^64, but the copy plus the arrays together do not fit.
TEST(FirmwareMapStorageBytes, SumOfCopyAndArraysPastTwoToThe64IsRefused) {
  EXPECT_EQ(mm_firmware_map_storage_bytes(UINT64_MAX - 64, 128), 0u);
  EXPECT_EQ(mm_firmware_map_storage_bytes(uint64_t(1) << 63, 40), 0u);
}

// Just below the overflow edge the helper still answers, and the answer covers at least the verbatim copy.
TEST(FirmwareMapStorageBytes, LargeButRepresentableMapHasASize) {
  const uint64_t bytes = (uint64_t(1) << 40) * 40;  // 2^40 descriptors
  uint64_t need = mm_firmware_map_storage_bytes(bytes, 40);
  EXPECT_GT(need, bytes);
  EXPECT_GT(mm_firmware_map_storage_bytes(bytes, 40), mm_firmware_map_storage_bytes(bytes / 2, 40));
}

TEST(FirmwareMapAccessors, NullMapHasNoUsableRegionsOrFrames) {
  EXPECT_EQ(mm_firmware_map_usable_regions(nullptr), 0u);
  EXPECT_EQ(mm_firmware_map_usable_frames(nullptr), 0u);
}

}  // namespace
