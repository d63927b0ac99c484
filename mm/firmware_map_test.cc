// Tests for firmware_map.c: stride handling, validation, and every normalization repair.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "mm/testing/efi_map_builder.h"
#include "mm/testing/log_capture.h"

extern "C" {
#include "mm/firmware_map.h"
}

namespace {

using mm_testing::Desc;
using mm_testing::LogCapture;
using mm_testing::Normalize;
using mm_testing::NormalizedMap;
using mm_testing::Serialize;

constexpr uint64_t kFrame = MM_FRAME_SIZE;
constexpr uint32_t kConv = MM_EFI_CONVENTIONAL_MEMORY;
constexpr uint32_t kReserved = MM_EFI_RESERVED_MEMORY;
constexpr uint32_t kBootData = MM_EFI_BOOT_SERVICES_DATA;
constexpr uint32_t kLoaderData = MM_EFI_LOADER_DATA;

struct R {
  uint64_t base, end;
  mm_region_type type;
  bool operator==(const R& o) const { return base == o.base && end == o.end && type == o.type; }
};

std::ostream& operator<<(std::ostream& os, const R& r) {
  return os << "{0x" << std::hex << r.base << "-0x" << r.end << std::dec << " " << mm_region_type_name(r.type) << "}";
}

std::vector<R> Simple(const NormalizedMap& n) {
  std::vector<R> out;
  for (const mm_region& r : n.Regions()) out.push_back({r.base, r.end, r.type});
  return out;
}

// ---- strides -------------------------------------------------------------------------------------------

TEST(FirmwareMapStride, FortyEightByteStrideWithJunkPaddingIsReadAtStride) {
  std::vector<mm_efi_descriptor> d = {Desc(kConv, 0x100000, 16), Desc(kReserved, 0x200000, 1)};
  NormalizedMap n = Normalize(Serialize(d, 48, 0xee), 48);
  ASSERT_EQ(n.status, MM_OK);
  EXPECT_EQ(n.map.descriptor_count, 2u);
  EXPECT_EQ(n.map.descriptor_size, 48u);
  EXPECT_EQ(Simple(n),
            (std::vector<R>{{0x100000, 0x110000, MM_REGION_USABLE}, {0x200000, 0x201000, MM_REGION_RESERVED}}));
}

TEST(FirmwareMapStride, FiftySixByteStrideWithJunkThatLooksLikeDescriptors) {
  // The padding holds bytes that would parse as a huge conventional descriptor if read at 40.
  std::vector<mm_efi_descriptor> d = {Desc(kConv, 0x1000, 1), Desc(kConv, 0x5000, 2), Desc(kBootData, 0x9000, 1)};
  std::vector<uint8_t> bytes = Serialize(d, 56, 0x07);
  NormalizedMap n = Normalize(bytes, 56);
  ASSERT_EQ(n.status, MM_OK);
  EXPECT_EQ(n.map.descriptor_count, 3u);
  EXPECT_EQ(Simple(n), (std::vector<R>{{0x1000, 0x2000, MM_REGION_USABLE},
                                       {0x5000, 0x7000, MM_REGION_USABLE},
                                       {0x9000, 0xa000, MM_REGION_BOOT_SERVICES}}));
  // The verbatim copy keeps the padding bytes too.
  EXPECT_EQ(std::memcmp(n.map.raw, bytes.data(), bytes.size()), 0);
}

TEST(FirmwareMapStride, ExactFortyByteStrideIsAccepted) {
  NormalizedMap n = Normalize({Desc(kConv, 0x1000, 1)}, 52, 40);
  ASSERT_EQ(n.status, MM_OK);
  EXPECT_EQ(n.map.region_count, 1u);
}

TEST(FirmwareMapStride, StridesTooSmallOrNotMultipleOfEightAreBadStride) {
  for (uint32_t stride : {0u, 8u, 32u, 36u, 44u, 41u, 52u}) {
    std::vector<uint8_t> bytes(stride == 0 ? 40 : stride * 2, 0);
    std::vector<uint8_t> storage(4096, 0);
    mm_firmware_map out;
    std::memset(&out, 0x5a, sizeof(out));
    EXPECT_EQ(mm_firmware_map_init(&out, bytes.data(), bytes.size(), stride, 1, 52, storage.data(), storage.size()),
              MM_ERR_BAD_STRIDE)
        << stride;
    EXPECT_EQ(mm_firmware_map_storage_bytes(bytes.size(), stride), 0u) << stride;
    EXPECT_EQ(reinterpret_cast<uint8_t*>(&out)[0], 0x5a);
  }
}

// ---- validation ----------------------------------------------------------------------------------------

TEST(FirmwareMapValidate, PartialTrailingDescriptorIsBadMap) {
  std::vector<uint8_t> bytes = Serialize({Desc(kConv, 0x1000, 1), Desc(kConv, 0x2000, 1)}, 48);
  bytes.resize(bytes.size() - 8);
  std::vector<uint8_t> storage(4096);
  mm_firmware_map out{};
  EXPECT_EQ(mm_firmware_map_init(&out, bytes.data(), bytes.size(), 48, 1, 52, storage.data(), storage.size()),
            MM_ERR_BAD_MAP);
}

TEST(FirmwareMapValidate, EndOverflowingTwoToTheSixtyFourIsBadMapAndTouchesNothing) {
  const uint64_t huge_pages = (UINT64_MAX >> 12);  // * 4096 alone is just below 2^64
  for (const mm_efi_descriptor& bad : {Desc(kConv, 0x2000, huge_pages), Desc(kReserved, 0xffffffffffffe000ull, 3),
                                       Desc(kConv, 0, UINT64_MAX), Desc(kConv, 0x1000, (1ull << 52))}) {
    std::vector<uint8_t> bytes = Serialize({Desc(kConv, 0x1000, 1), bad}, 48);
    std::vector<uint8_t> storage(mm_firmware_map_storage_bytes(bytes.size(), 48), 0x33);
    std::vector<uint8_t> storage_before = storage;
    mm_firmware_map out;
    std::memset(&out, 0x5a, sizeof(out));
    mm_firmware_map out_before = out;
    EXPECT_EQ(mm_firmware_map_init(&out, bytes.data(), bytes.size(), 48, 1, 52, storage.data(), storage.size()),
              MM_ERR_BAD_MAP);
    EXPECT_EQ(std::memcmp(&out, &out_before, sizeof(out)), 0);
    EXPECT_EQ(storage, storage_before);
  }
}

// A descriptor ending exactly at 2^64 is a real range whose exclusive end a 64-bit value cannot hold: like
// every other part beyond what the map represents it is clipped and counted, not a reason to reject the map.
TEST(FirmwareMapValidate, DescriptorEndingExactlyAtTwoToTheSixtyFourIsACountedRepair) {
  // The last frame alone: nothing representable remains.
  NormalizedMap last = Normalize({Desc(kConv, 0x1000, 1), Desc(kReserved, 0xfffffffffffff000ull, 1)}, 64);
  ASSERT_EQ(last.status, MM_OK);
  EXPECT_EQ(last.map.repairs.beyond_phys_width, 1u);
  EXPECT_EQ(Simple(last), (std::vector<R>{{0x1000, 0x2000, MM_REGION_USABLE}}));
  // Four frames up to 2^64: the three below the last frame boundary stay, reserved.
  NormalizedMap four = Normalize({Desc(kConv, 0x1000, 1), Desc(kReserved, 0xffffffffffffc000ull, 4)}, 64);
  ASSERT_EQ(four.status, MM_OK);
  EXPECT_EQ(four.map.repairs.beyond_phys_width, 1u);
  EXPECT_EQ(Simple(four), (std::vector<R>{{0x1000, 0x2000, MM_REGION_USABLE},
                                          {0xffffffffffffc000ull, 0xfffffffffffff000ull, MM_REGION_RESERVED}}));
  // The whole 64-bit space in one descriptor (2^52 pages from 0).
  NormalizedMap all = Normalize({Desc(kConv, 0, 1ull << 52)}, 64);
  ASSERT_EQ(all.status, MM_OK);
  EXPECT_EQ(all.map.repairs.beyond_phys_width, 1u);
  EXPECT_EQ(Simple(all), (std::vector<R>{{0, 0xfffffffffffff000ull, MM_REGION_USABLE}}));
  // With a narrower width it is one ordinary above-width repair: clipped to the limit or dropped.
  NormalizedMap narrow = Normalize({Desc(kConv, 0x1000, 1), Desc(kReserved, 0xfffffffffffff000ull, 1),
                                    Desc(kConv, 0, 1ull << 52)},
                                   39);
  ASSERT_EQ(narrow.status, MM_OK);
  EXPECT_EQ(narrow.map.repairs.beyond_phys_width, 2u);
  EXPECT_EQ(Simple(narrow), (std::vector<R>{{0, 1ull << 39, MM_REGION_USABLE}}));
}

TEST(FirmwareMapValidate, ZeroPagesAtTheTopOfTheAddressSpaceIsNotAnOverflow) {
  NormalizedMap n = Normalize({Desc(kConv, 0x1000, 1), Desc(kReserved, UINT64_MAX & ~0xfffull, 0)});
  ASSERT_EQ(n.status, MM_OK);
  EXPECT_EQ(n.map.repairs.zero_length, 1u);
}

TEST(FirmwareMapValidate, StorageOneByteShortIsRejectedAndExactSizeWorks) {
  std::vector<uint8_t> bytes = Serialize({Desc(kConv, 0x1000, 1)}, 48);
  uint64_t need = mm_firmware_map_storage_bytes(bytes.size(), 48);
  ASSERT_GT(need, bytes.size());
  std::vector<uint8_t> storage(need);
  mm_firmware_map out{};
  EXPECT_EQ(mm_firmware_map_init(&out, bytes.data(), bytes.size(), 48, 1, 52, storage.data(), need - 1),
            MM_ERR_STORAGE_TOO_SMALL);
  EXPECT_EQ(mm_firmware_map_init(&out, bytes.data(), bytes.size(), 48, 1, 52, storage.data(), need), MM_OK);
}

TEST(FirmwareMapValidate, UnalignedStoragePointerStillWorks) {
  std::vector<uint8_t> bytes = Serialize({Desc(kConv, 0x1000, 4), Desc(kReserved, 0x2000, 1)}, 48);
  uint64_t need = mm_firmware_map_storage_bytes(bytes.size(), 48);
  std::vector<uint8_t> storage(need + 3);
  mm_firmware_map out{};
  ASSERT_EQ(mm_firmware_map_init(&out, bytes.data(), bytes.size(), 48, 1, 52, storage.data() + 3, need), MM_OK);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(out.regions) % alignof(mm_region), 0u);
  EXPECT_EQ(out.region_count, 3u);
}

TEST(FirmwareMapValidate, NullPointersAndBadWidthAreInvalidArgument) {
  std::vector<uint8_t> bytes = Serialize({Desc(kConv, 0x1000, 1)}, 48);
  std::vector<uint8_t> storage(4096);
  mm_firmware_map out{};
  EXPECT_EQ(mm_firmware_map_init(nullptr, bytes.data(), bytes.size(), 48, 1, 52, storage.data(), storage.size()),
            MM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mm_firmware_map_init(&out, nullptr, bytes.size(), 48, 1, 52, storage.data(), storage.size()),
            MM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mm_firmware_map_init(&out, bytes.data(), bytes.size(), 48, 1, 52, nullptr, storage.size()),
            MM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mm_firmware_map_init(&out, bytes.data(), bytes.size(), 48, 1, 0, storage.data(), storage.size()),
            MM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mm_firmware_map_init(&out, bytes.data(), bytes.size(), 48, 1, 65, storage.data(), storage.size()),
            MM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(mm_firmware_map_init(&out, bytes.data(), bytes.size(), 48, 1, 11, storage.data(), storage.size()),
            MM_ERR_INVALID_ARGUMENT);
  // 12 bits passes validation; the only frame, at 0x1000, is then beyond the width.
  EXPECT_EQ(mm_firmware_map_init(&out, bytes.data(), bytes.size(), 48, 1, 12, storage.data(), storage.size()),
            MM_ERR_NO_USABLE_MEMORY);
  EXPECT_EQ(mm_firmware_map_init(&out, bytes.data(), bytes.size(), 48, 1, 13, storage.data(), storage.size()), MM_OK);
}

TEST(FirmwareMapValidate, EmptyMapHasNoUsableMemory) {
  std::vector<uint8_t> storage(64);
  mm_firmware_map out{};
  EXPECT_EQ(mm_firmware_map_init(&out, nullptr, 0, 48, 1, 52, storage.data(), storage.size()), MM_ERR_NO_USABLE_MEMORY);
}

TEST(FirmwareMapValidate, NoConventionalMemoryIsNoUsableMemoryAndOutUntouched) {
  std::vector<uint8_t> bytes = Serialize({Desc(kReserved, 0x1000, 4), Desc(kBootData, 0x10000, 4)}, 48);
  std::vector<uint8_t> storage(mm_firmware_map_storage_bytes(bytes.size(), 48));
  mm_firmware_map out;
  std::memset(&out, 0x5a, sizeof(out));
  mm_firmware_map before = out;
  EXPECT_EQ(mm_firmware_map_init(&out, bytes.data(), bytes.size(), 48, 1, 52, storage.data(), storage.size()),
            MM_ERR_NO_USABLE_MEMORY);
  EXPECT_EQ(std::memcmp(&out, &before, sizeof(out)), 0);
}

TEST(FirmwareMapValidate, UsableEntirelyCoveredByReservedIsNoUsableMemory) {
  NormalizedMap n = Normalize({Desc(kConv, 0x10000, 4), Desc(kReserved, 0xf000, 8)});
  EXPECT_EQ(n.status, MM_ERR_NO_USABLE_MEMORY);
}

// ---- verbatim copy -------------------------------------------------------------------------------------

TEST(FirmwareMapCopy, MapLivesInStorageAfterTheInputIsGone) {
  std::vector<mm_efi_descriptor> d = {Desc(kReserved, 0x0, 1, 0x1), Desc(kConv, 0x1000, 9, 0xf),
                                      Desc(0x70000001u, 0xa000, 1, 0x8000000000000000ull)};
  std::vector<uint8_t> bytes = Serialize(d, 48);
  std::vector<uint8_t> storage(mm_firmware_map_storage_bytes(bytes.size(), 48));
  mm_firmware_map out{};
  ASSERT_EQ(mm_firmware_map_init(&out, bytes.data(), bytes.size(), 48, 3, 52, storage.data(), storage.size()), MM_OK);
  std::fill(bytes.begin(), bytes.end(), 0);  // the firmware buffer is gone
  EXPECT_EQ(out.raw_bytes, 3u * 48);
  EXPECT_EQ(out.descriptor_version, 3u);
  for (uint64_t i = 0; i < d.size(); i++) {
    mm_efi_descriptor got = mm_firmware_map_descriptor(&out, i);
    EXPECT_EQ(std::memcmp(&got, &d[i], sizeof(got)), 0) << i;
  }
  EXPECT_EQ(out.region_count, 3u);
}

TEST(FirmwareMapCopyDeathTest, DescriptorIndexOutOfRangePanics) {
  NormalizedMap n = Normalize({Desc(kConv, 0x1000, 1)});
  ASSERT_EQ(n.status, MM_OK);
  EXPECT_DEATH(mm_firmware_map_descriptor(&n.map, 1), "panic: mm_firmware_map_descriptor");
}

// ---- sorting, merging ----------------------------------------------------------------------------------

TEST(FirmwareMapNormalize, UnsortedInputIsSortedAndEachDescentCounted) {
  NormalizedMap n = Normalize({Desc(kConv, 0x100000000ull, 16), Desc(kReserved, 0xa0000, 96), Desc(kConv, 0x1000, 4),
                               Desc(kBootData, 0x200000, 1)});
  ASSERT_EQ(n.status, MM_OK);
  EXPECT_EQ(n.map.repairs.unsorted, 2u);
  EXPECT_EQ(Simple(n), (std::vector<R>{{0x1000, 0x5000, MM_REGION_USABLE},
                                       {0xa0000, 0x100000, MM_REGION_RESERVED},
                                       {0x200000, 0x201000, MM_REGION_BOOT_SERVICES},
                                       {0x100000000ull, 0x100010000ull, MM_REGION_USABLE}}));
}

TEST(FirmwareMapNormalize, AdjacentRegionsOfSameTypeAndAttributeAreMerged) {
  NormalizedMap n = Normalize({Desc(kConv, 0x1000, 1), Desc(kConv, 0x2000, 1), Desc(kConv, 0x3000, 2),
                               Desc(MM_EFI_LOADER_CODE, 0x5000, 1), Desc(kLoaderData, 0x6000, 1)});
  ASSERT_EQ(n.status, MM_OK);
  EXPECT_EQ(Simple(n), (std::vector<R>{{0x1000, 0x5000, MM_REGION_USABLE}, {0x5000, 0x7000, MM_REGION_LOADER}}));
  EXPECT_EQ(n.Regions()[1].efi_type, static_cast<uint32_t>(MM_EFI_LOADER_CODE));
  EXPECT_EQ(n.map.repairs.overlaps, 0u);
  EXPECT_EQ(n.map.repairs.unsorted, 0u);
}

TEST(FirmwareMapNormalize, AdjacentRegionsWithDifferentAttributesStaySeparate) {
  NormalizedMap n = Normalize({Desc(kConv, 0x1000, 1, 0xf), Desc(kConv, 0x2000, 1, 0x1)});
  ASSERT_EQ(n.status, MM_OK);
  ASSERT_EQ(n.map.region_count, 2u);
  EXPECT_EQ(n.Regions()[0].attribute, 0xfu);
  EXPECT_EQ(n.Regions()[1].attribute, 0x1u);
}

TEST(FirmwareMapNormalize, GapsBetweenRegionsAreNotFilled) {
  NormalizedMap n = Normalize({Desc(kConv, 0x1000, 1), Desc(kConv, 0x3000, 1)});
  EXPECT_EQ(Simple(n), (std::vector<R>{{0x1000, 0x2000, MM_REGION_USABLE}, {0x3000, 0x4000, MM_REGION_USABLE}}));
}

// ---- overlaps ------------------------------------------------------------------------------------------

TEST(FirmwareMapNormalize, OverlappingReservedWinsOverUsableInTheMiddle) {
  NormalizedMap n = Normalize({Desc(kConv, 0x10000, 16), Desc(kReserved, 0x14000, 2)});
  ASSERT_EQ(n.status, MM_OK);
  EXPECT_EQ(n.map.repairs.overlaps, 1u);
  EXPECT_EQ(Simple(n), (std::vector<R>{{0x10000, 0x14000, MM_REGION_USABLE},
                                       {0x14000, 0x16000, MM_REGION_RESERVED},
                                       {0x16000, 0x20000, MM_REGION_USABLE}}));
  EXPECT_EQ(mm_firmware_map_usable_regions(&n.map), 2u);
  EXPECT_EQ(mm_firmware_map_usable_frames(&n.map), 14u);
}

TEST(FirmwareMapNormalize, OverlapAtTheTopOfUsableGoesToReserved) {
  NormalizedMap n = Normalize({Desc(kConv, 0x10000, 4), Desc(kReserved, 0x12000, 4)});
  EXPECT_EQ(Simple(n), (std::vector<R>{{0x10000, 0x12000, MM_REGION_USABLE}, {0x12000, 0x16000, MM_REGION_RESERVED}}));
}

TEST(FirmwareMapNormalize, OverlapAtTheBottomOfUsableGoesToReserved) {
  NormalizedMap n = Normalize({Desc(kConv, 0x12000, 4), Desc(kReserved, 0x10000, 4)});
  EXPECT_EQ(Simple(n), (std::vector<R>{{0x10000, 0x14000, MM_REGION_RESERVED}, {0x14000, 0x16000, MM_REGION_USABLE}}));
  EXPECT_EQ(n.map.repairs.overlaps, 1u);
}

TEST(FirmwareMapNormalize, ReservedCoveringUsableEntirelyHidesIt) {
  NormalizedMap n = Normalize({Desc(kConv, 0x1000, 1), Desc(kConv, 0x12000, 2), Desc(kReserved, 0x10000, 16)});
  EXPECT_EQ(Simple(n), (std::vector<R>{{0x1000, 0x2000, MM_REGION_USABLE}, {0x10000, 0x20000, MM_REGION_RESERVED}}));
}

TEST(FirmwareMapNormalize, IdenticalDescriptorsCollapseAndCountAsOneOverlap) {
  NormalizedMap n = Normalize({Desc(kConv, 0x10000, 4), Desc(kConv, 0x10000, 4)});
  EXPECT_EQ(Simple(n), (std::vector<R>{{0x10000, 0x14000, MM_REGION_USABLE}}));
  EXPECT_EQ(n.map.repairs.overlaps, 1u);
}

TEST(FirmwareMapNormalize, SameTypeOverlapMergesIntoOneRegion) {
  NormalizedMap n = Normalize({Desc(kConv, 0x10000, 4), Desc(kConv, 0x12000, 4)});
  EXPECT_EQ(Simple(n), (std::vector<R>{{0x10000, 0x16000, MM_REGION_USABLE}}));
  EXPECT_EQ(n.map.repairs.overlaps, 1u);
}

TEST(FirmwareMapNormalize, MoreRestrictiveTypeWinsForEveryPair) {
  // For each pair of normalized types, overlap them and check the higher wins the shared part.
  // A descriptor (EFI type, attribute) for each normalized type, in mm_region_type order.
  const uint32_t efi_for[MM_REGION_TYPE_COUNT] = {kConv,
                                                  kBootData,
                                                  kLoaderData,
                                                  MM_EFI_ACPI_RECLAIM_MEMORY,
                                                  kConv,
                                                  MM_EFI_PERSISTENT_MEMORY,
                                                  MM_EFI_UNUSABLE_MEMORY,
                                                  MM_EFI_ACPI_MEMORY_NVS,
                                                  MM_EFI_RUNTIME_SERVICES_DATA,
                                                  MM_EFI_MEMORY_MAPPED_IO,
                                                  kReserved};
  const uint64_t attr_for[MM_REGION_TYPE_COUNT] = {0xf, 0xf, 0xf, 0xf, 0xf | MM_EFI_MEMORY_SP, 0xf, 0xf,
                                                   0xf, 0xf, 0x1, 0xf};
  for (uint32_t a = 0; a < MM_REGION_TYPE_COUNT; a++) {
    for (uint32_t b = 0; b < MM_REGION_TYPE_COUNT; b++) {
      if (a == b) continue;
      NormalizedMap n = Normalize({Desc(kConv, 0x100000, 1), Desc(efi_for[a], 0x10000, 4, attr_for[a]),
                                   Desc(efi_for[b], 0x12000, 4, attr_for[b])});
      ASSERT_EQ(n.status, MM_OK);
      mm_region_type hi = static_cast<mm_region_type>(std::max(a, b));
      std::vector<R> got = Simple(n);
      bool found = false;
      for (const R& r : got) {
        if (r.base <= 0x12000 && r.end >= 0x14000) {
          EXPECT_EQ(r.type, hi) << a << " vs " << b;
          found = true;
        }
      }
      EXPECT_TRUE(found) << a << " vs " << b;
      EXPECT_EQ(n.map.repairs.overlaps, 1u);
    }
  }
}

TEST(FirmwareMapNormalize, ThreeWayOverlapCountsEveryPair) {
  // A contains B contains C: three overlapping pairs; C (MMIO) beats B (boot) beats A (usable).
  NormalizedMap n = Normalize({Desc(kConv, 0x10000, 16), Desc(kBootData, 0x12000, 8),
                               Desc(MM_EFI_MEMORY_MAPPED_IO, 0x14000, 2)});
  EXPECT_EQ(n.map.repairs.overlaps, 3u);
  EXPECT_EQ(Simple(n), (std::vector<R>{{0x10000, 0x12000, MM_REGION_USABLE},
                                       {0x12000, 0x14000, MM_REGION_BOOT_SERVICES},
                                       {0x14000, 0x16000, MM_REGION_MMIO},
                                       {0x16000, 0x1a000, MM_REGION_BOOT_SERVICES},
                                       {0x1a000, 0x20000, MM_REGION_USABLE}}));
}

TEST(FirmwareMapNormalize, TouchingDescriptorsAreNotOverlaps) {
  NormalizedMap n = Normalize({Desc(kConv, 0x10000, 4), Desc(kReserved, 0x14000, 4), Desc(kConv, 0x18000, 4)});
  EXPECT_EQ(n.map.repairs.overlaps, 0u);
  EXPECT_EQ(n.map.region_count, 3u);
}

// ---- zero length, unknown types, width, trimming -------------------------------------------------------

TEST(FirmwareMapNormalize, ZeroLengthDescriptorsAreDroppedAndCounted) {
  NormalizedMap n = Normalize({Desc(kConv, 0x1000, 0), Desc(kConv, 0x2000, 1), Desc(kReserved, 0x5000, 0)});
  ASSERT_EQ(n.status, MM_OK);
  EXPECT_EQ(n.map.repairs.zero_length, 2u);
  EXPECT_EQ(n.map.descriptor_count, 3u);
  EXPECT_EQ(Simple(n), (std::vector<R>{{0x2000, 0x3000, MM_REGION_USABLE}}));
}

TEST(FirmwareMapNormalize, UnknownOemTypeIsReservedAndCounted) {
  NormalizedMap n = Normalize({Desc(kConv, 0x10000, 16), Desc(0x70000001u, 0x14000, 1), Desc(0x80000000u, 0x30000, 1),
                               Desc(MM_EFI_TYPE_COUNT, 0x40000, 1)});
  ASSERT_EQ(n.status, MM_OK);
  EXPECT_EQ(n.map.repairs.unknown_types, 3u);
  std::vector<mm_region> r = n.Regions();
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(r[1].type, MM_REGION_RESERVED);
  EXPECT_EQ(r[1].efi_type, 0x70000001u);
  EXPECT_EQ(r[3].type, MM_REGION_RESERVED);
  EXPECT_EQ(r[3].efi_type, 0x80000000u);
  EXPECT_EQ(r[4].type, MM_REGION_RESERVED);
  EXPECT_EQ(r[4].efi_type, static_cast<uint32_t>(MM_EFI_TYPE_COUNT));
}

TEST(FirmwareMapNormalize, DescriptorsAbovePhysWidthAreDroppedOrClipped) {
  const unsigned bits = 39;
  const uint64_t top = 1ull << bits;
  NormalizedMap n = Normalize({Desc(kConv, 0x1000, 1), Desc(kConv, top - 0x4000, 8),  // straddles: clipped
                               Desc(kConv, top, 4),                                     // at the limit: dropped
                               Desc(kReserved, 0x3ffc00000000ull, 16)},                 // far above: dropped
                              bits);
  ASSERT_EQ(n.status, MM_OK);
  EXPECT_EQ(n.map.repairs.beyond_phys_width, 3u);
  EXPECT_EQ(n.map.phys_addr_bits, bits);
  EXPECT_EQ(Simple(n), (std::vector<R>{{0x1000, 0x2000, MM_REGION_USABLE}, {top - 0x4000, top, MM_REGION_USABLE}}));
}

TEST(FirmwareMapNormalize, SixtyFourBitWidthKeepsEverythingRepresentable) {
  NormalizedMap n = Normalize({Desc(kConv, 0x1000, 1), Desc(kReserved, 0xffffffff00000000ull, 16)}, 64);
  ASSERT_EQ(n.status, MM_OK);
  EXPECT_EQ(n.map.repairs.beyond_phys_width, 0u);
  EXPECT_EQ(n.map.region_count, 2u);
}

TEST(FirmwareMapNormalize, UnalignedConventionalEndsAreTrimmedInward) {
  NormalizedMap n = Normalize({Desc(kConv, 0x10800, 4),   // [0x10800, 0x14800) -> [0x11000, 0x14000)
                               Desc(kConv, 0x20000, 2)});  // aligned: untouched
  ASSERT_EQ(n.status, MM_OK);
  EXPECT_EQ(n.map.repairs.trimmed, 1u);
  EXPECT_EQ(Simple(n), (std::vector<R>{{0x11000, 0x14000, MM_REGION_USABLE}, {0x20000, 0x22000, MM_REGION_USABLE}}));
}

TEST(FirmwareMapNormalize, UnalignedReservedIsRoundedOutwardAndWinsThePartialFrame) {
  NormalizedMap n = Normalize({Desc(kConv, 0x10000, 16), Desc(kReserved, 0x13c00, 1)});  // [0x13c00, 0x14c00)
  EXPECT_EQ(Simple(n), (std::vector<R>{{0x10000, 0x13000, MM_REGION_USABLE},
                                       {0x13000, 0x15000, MM_REGION_RESERVED},
                                       {0x15000, 0x20000, MM_REGION_USABLE}}));
  EXPECT_EQ(n.map.repairs.trimmed, 0u);  // only usable trimming is counted
}

TEST(FirmwareMapNormalize, UsableSmallerThanAFrameAfterTrimmingIsDropped) {
  NormalizedMap n = Normalize({Desc(kConv, 0x10800, 1), Desc(kConv, 0x20000, 1)});
  EXPECT_EQ(Simple(n), (std::vector<R>{{0x20000, 0x21000, MM_REGION_USABLE}}));
  EXPECT_EQ(n.map.repairs.trimmed, 1u);
}

// ---- EFI attributes (UEFI 2.10, 7.2) -------------------------------------------------------------------

constexpr uint64_t kWb = MM_EFI_MEMORY_WB;
constexpr uint64_t kRam = MM_EFI_MEMORY_UC | MM_EFI_MEMORY_WC | MM_EFI_MEMORY_WT | MM_EFI_MEMORY_WB;

TEST(FirmwareMapAttributes, ConventionalWithSpecificPurposeIsSoftReservedAndNeverUsable) {
  NormalizedMap n = Normalize({Desc(kConv, 0x100000, 16, kRam), Desc(kConv, 0x200000, 32, kRam | MM_EFI_MEMORY_SP)});
  ASSERT_EQ(n.status, MM_OK);
  EXPECT_EQ(Simple(n),
            (std::vector<R>{{0x100000, 0x110000, MM_REGION_USABLE}, {0x200000, 0x220000, MM_REGION_SOFT_RESERVED}}));
  EXPECT_EQ(n.Regions()[1].attribute, kRam | MM_EFI_MEMORY_SP) << "the attribute is kept";
  EXPECT_EQ(n.Regions()[1].efi_type, kConv);
  EXPECT_EQ(n.map.repairs.soft_reserved, 1u);
  EXPECT_EQ(n.map.repairs.not_write_back, 0u);
  EXPECT_EQ(mm_firmware_map_usable_frames(&n.map), 16u);
  EXPECT_EQ(mm_firmware_map_usable_regions(&n.map), 1u);
  EXPECT_EQ(mm_firmware_map_soft_reserved_frames(&n.map), 32u);
  EXPECT_FALSE(mm_region_type_reclaimable(MM_REGION_SOFT_RESERVED));
  EXPECT_STREQ(mm_region_type_name(MM_REGION_SOFT_RESERVED), "soft_reserved");
}

TEST(FirmwareMapAttributes, OnlySpecificPurposeMemoryIsNoUsableMemory) {
  NormalizedMap n = Normalize({Desc(kConv, 0x100000, 16, kRam | MM_EFI_MEMORY_SP)});
  EXPECT_EQ(n.status, MM_ERR_NO_USABLE_MEMORY);
}

TEST(FirmwareMapAttributes, SpecificPurposeOnOtherTypesChangesNothing) {
  NormalizedMap n = Normalize({Desc(kConv, 0x100000, 1, kRam), Desc(kBootData, 0x200000, 1, kRam | MM_EFI_MEMORY_SP)});
  ASSERT_EQ(n.status, MM_OK);
  EXPECT_EQ(Simple(n),
            (std::vector<R>{{0x100000, 0x101000, MM_REGION_USABLE}, {0x200000, 0x201000, MM_REGION_BOOT_SERVICES}}));
  EXPECT_EQ(n.map.repairs.soft_reserved, 0u);
}

TEST(FirmwareMapAttributes, AllocatableMemoryWithoutWriteBackIsReservedAndCounted) {
  // Conventional (UC only), boot services (WT|WC) and loader (no attribute at all) lack WB: none may reach the
  // allocator, which hands out only memory the kernel maps write-back.
  NormalizedMap n = Normalize({Desc(kConv, 0x100000, 16, kWb), Desc(kConv, 0x200000, 4, MM_EFI_MEMORY_UC),
                               Desc(kBootData, 0x300000, 2, MM_EFI_MEMORY_WT | MM_EFI_MEMORY_WC),
                               Desc(kLoaderData, 0x400000, 1, 0)});
  ASSERT_EQ(n.status, MM_OK);
  EXPECT_EQ(Simple(n), (std::vector<R>{{0x100000, 0x110000, MM_REGION_USABLE},
                                       {0x200000, 0x204000, MM_REGION_RESERVED},
                                       {0x300000, 0x302000, MM_REGION_RESERVED},
                                       {0x400000, 0x401000, MM_REGION_RESERVED}}));
  EXPECT_EQ(n.Regions()[1].efi_type, kConv);
  EXPECT_EQ(n.Regions()[1].attribute, MM_EFI_MEMORY_UC);
  EXPECT_EQ(n.map.repairs.not_write_back, 3u);
  EXPECT_EQ(n.map.repairs.soft_reserved, 0u);
  EXPECT_EQ(mm_firmware_map_usable_frames(&n.map), 16u);
}

TEST(FirmwareMapAttributes, NonWriteBackRuntimeAndMmioAreNotRepairs) {
  NormalizedMap n = Normalize({Desc(kConv, 0x100000, 1, kWb),
                               Desc(MM_EFI_RUNTIME_SERVICES_DATA, 0x200000, 1, MM_EFI_MEMORY_UC),
                               Desc(MM_EFI_MEMORY_MAPPED_IO, 0x300000, 1, MM_EFI_MEMORY_RUNTIME | MM_EFI_MEMORY_UC)});
  ASSERT_EQ(n.status, MM_OK);
  EXPECT_EQ(n.map.repairs.not_write_back, 0u);
  EXPECT_EQ(n.Regions()[1].type, MM_REGION_RUNTIME_SERVICES);
  EXPECT_EQ(n.Regions()[2].type, MM_REGION_MMIO);
}

TEST(FirmwareMapAttributes, SoftReservedOverlappingUsableOrReclaimableWins) {
  // An SP descriptor overlapping ordinary RAM: the overlap is soft reserved, not allocatable.
  NormalizedMap n = Normalize({Desc(kConv, 0x100000, 16, kRam), Desc(kBootData, 0x110000, 16, kRam),
                               Desc(kConv, 0x10c000, 8, kRam | MM_EFI_MEMORY_SP)});
  ASSERT_EQ(n.status, MM_OK);
  EXPECT_EQ(Simple(n), (std::vector<R>{{0x100000, 0x10c000, MM_REGION_USABLE},
                                       {0x10c000, 0x114000, MM_REGION_SOFT_RESERVED},
                                       {0x114000, 0x120000, MM_REGION_BOOT_SERVICES}}));
  EXPECT_EQ(n.map.repairs.overlaps, 2u);
}

TEST(FirmwareMapAttributes, TheSweepCarriesAttributesAndMergesOnlyIdenticalTypeAndAttributes) {
  // Overlapping reserved descriptors with different attributes: the one that started last supplies the
  // attribute of its span; neighbours merge only when type and attribute agree.
  NormalizedMap n = Normalize({Desc(kConv, 0x100000, 1, kRam), Desc(kReserved, 0x200000, 4, 0x1),
                               Desc(kReserved, 0x202000, 4, 0x9), Desc(kConv, 0x300000, 1, kRam),
                               Desc(kConv, 0x301000, 1, kRam), Desc(kConv, 0x302000, 1, kRam | MM_EFI_MEMORY_XP)});
  ASSERT_EQ(n.status, MM_OK);
  const auto r = n.Regions();
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(r[1].base, 0x200000u);
  EXPECT_EQ(r[1].end, 0x202000u);
  EXPECT_EQ(r[1].attribute, 0x1u);
  EXPECT_EQ(r[2].base, 0x202000u);
  EXPECT_EQ(r[2].end, 0x206000u);
  EXPECT_EQ(r[2].attribute, 0x9u);
  EXPECT_EQ(r[3].base, 0x300000u);
  EXPECT_EQ(r[3].end, 0x302000u) << "identical type and attributes merge";
  EXPECT_EQ(r[4].attribute, kRam | MM_EFI_MEMORY_XP) << "a different attribute stays its own region";
}

TEST(FirmwareMapAttributes, DescriptorTypeRules) {
  EXPECT_EQ(mm_region_type_from_descriptor(kConv, kWb), MM_REGION_USABLE);
  EXPECT_EQ(mm_region_type_from_descriptor(kConv, kWb | MM_EFI_MEMORY_SP), MM_REGION_SOFT_RESERVED);
  EXPECT_EQ(mm_region_type_from_descriptor(kConv, MM_EFI_MEMORY_SP), MM_REGION_SOFT_RESERVED);
  EXPECT_EQ(mm_region_type_from_descriptor(kConv, MM_EFI_MEMORY_UC), MM_REGION_RESERVED);
  EXPECT_EQ(mm_region_type_from_descriptor(kBootData, 0), MM_REGION_RESERVED);
  EXPECT_EQ(mm_region_type_from_descriptor(kLoaderData, kWb), MM_REGION_LOADER);
  EXPECT_EQ(mm_region_type_from_descriptor(MM_EFI_ACPI_MEMORY_NVS, 0), MM_REGION_ACPI_NVS);
  EXPECT_EQ(mm_region_type_from_descriptor(MM_EFI_MEMORY_MAPPED_IO, MM_EFI_MEMORY_SP), MM_REGION_MMIO);
}

TEST(FirmwareMapLog, AttributeDecisionsAreReportedOnceOnTheirOwnLine) {
  LogCapture cap(LOG_WARN);
  NormalizedMap n = Normalize({Desc(kConv, 0x100000, 16, kWb), Desc(kConv, 0x200000, 8, kWb | MM_EFI_MEMORY_SP),
                               Desc(kConv, 0x300000, 1, MM_EFI_MEMORY_UC)});
  ASSERT_EQ(n.status, MM_OK);
  ASSERT_EQ(cap.lines().size(), 1u);
  EXPECT_EQ(cap.lines()[0], "mm.map_attributes soft_reserved=1 soft_reserved_frames=8 not_write_back=1");
}

// ---- logging -------------------------------------------------------------------------------------------

TEST(FirmwareMapLog, CleanMapLogsSummaryOnlyAtInfo) {
  LogCapture cap(LOG_INFO);
  NormalizedMap n = Normalize({Desc(kConv, 0x1000, 4), Desc(kReserved, 0x5000, 1)});
  ASSERT_EQ(n.status, MM_OK);
  ASSERT_EQ(cap.lines().size(), 1u);
  EXPECT_EQ(cap.lines()[0], "mm.firmware_map descriptors=2 descriptor_size=48 regions=2 usable_frames=4");
}

TEST(FirmwareMapLog, RepairsAreReportedExactlyOnceAtWarn) {
  LogCapture cap(LOG_WARN);
  NormalizedMap n = Normalize({Desc(kConv, 0x20000, 4), Desc(kConv, 0x10800, 4), Desc(kReserved, 0x21000, 1),
                               Desc(0x70000001u, 0x40000, 1), Desc(kConv, 0x50000, 0), Desc(kConv, 0x1000, 1),
                               Desc(kReserved, 1ull << 40, 1)},
                              40);
  ASSERT_EQ(n.status, MM_OK);
  ASSERT_EQ(cap.lines().size(), 1u);  // the info summary is filtered at LOG_WARN
  EXPECT_EQ(cap.lines()[0],
            "mm.map_repairs unsorted=2 overlaps=1 trimmed=1 unknown_types=1 zero_length=1 beyond_phys_width=1");
}

// ---- names ---------------------------------------------------------------------------------------------

TEST(RegionType, EfiTypesMapToTheKernelView) {
  EXPECT_EQ(mm_region_type_from_efi(MM_EFI_CONVENTIONAL_MEMORY), MM_REGION_USABLE);
  EXPECT_EQ(mm_region_type_from_efi(MM_EFI_BOOT_SERVICES_CODE), MM_REGION_BOOT_SERVICES);
  EXPECT_EQ(mm_region_type_from_efi(MM_EFI_LOADER_CODE), MM_REGION_LOADER);
  EXPECT_EQ(mm_region_type_from_efi(MM_EFI_RUNTIME_SERVICES_CODE), MM_REGION_RUNTIME_SERVICES);
  EXPECT_EQ(mm_region_type_from_efi(MM_EFI_MEMORY_MAPPED_IO_PORT_SPACE), MM_REGION_MMIO);
  EXPECT_EQ(mm_region_type_from_efi(MM_EFI_PAL_CODE), MM_REGION_RESERVED);
  EXPECT_EQ(mm_region_type_from_efi(MM_EFI_UNACCEPTED_MEMORY), MM_REGION_RESERVED);
  EXPECT_EQ(mm_region_type_from_efi(MM_EFI_PERSISTENT_MEMORY), MM_REGION_PERSISTENT);
  EXPECT_EQ(mm_region_type_from_efi(0x70000001u), MM_REGION_RESERVED);
  EXPECT_TRUE(mm_region_type_reclaimable(MM_REGION_BOOT_SERVICES));
  EXPECT_TRUE(mm_region_type_reclaimable(MM_REGION_LOADER));
  EXPECT_FALSE(mm_region_type_reclaimable(MM_REGION_ACPI_RECLAIM));
  EXPECT_FALSE(mm_region_type_reclaimable(MM_REGION_USABLE));
  EXPECT_STREQ(mm_region_type_name(MM_REGION_RUNTIME_SERVICES), "runtime_services");
  EXPECT_STREQ(mm_region_type_name(MM_REGION_TYPE_COUNT), "unknown");
}

// ---- scale and a brute-force reference ----------------------------------------------------------------

TEST(FirmwareMapScale, HundredThousandReversedDescriptorsNormalizeInLinearithmicTime) {
  const uint64_t kCount = 100000;
  std::vector<mm_efi_descriptor> d;
  d.reserve(kCount);
  for (uint64_t i = kCount; i > 0; i--) {  // descending: worst case for a naive insertion sort
    d.push_back(Desc(i % 3 == 0 ? kReserved : kConv, i * 0x10000, 8));
  }
  auto start = std::chrono::steady_clock::now();
  NormalizedMap n = Normalize(d);
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(n.status, MM_OK);
  EXPECT_EQ(n.map.repairs.unsorted, kCount - 1);
  EXPECT_EQ(n.map.region_count, kCount);
  for (uint64_t i = 1; i < n.map.region_count; i++) ASSERT_LT(n.map.regions[i - 1].end, n.map.regions[i].base + 1);
  // A quadratic pass over 10^5 descriptors takes minutes under sanitizers; n log n takes milliseconds.
  EXPECT_LT(std::chrono::duration_cast<std::chrono::seconds>(elapsed).count(), 5);
}

TEST(FirmwareMapScale, HundredThousandNestedOverlapsStayFast) {
  const uint64_t kCount = 100000;
  std::vector<mm_efi_descriptor> d;
  for (uint64_t i = 0; i < kCount; i++) d.push_back(Desc(i % 2 ? kBootData : kConv, i * 0x1000, 2 * (kCount - i)));
  auto start = std::chrono::steady_clock::now();
  NormalizedMap n = Normalize(d);
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(n.status, MM_OK);
  EXPECT_LT(std::chrono::duration_cast<std::chrono::seconds>(elapsed).count(), 5);
}

// The merge sort's run and pass boundaries (odd and even pass counts, ragged tails): a shuffled map with
// overlaps, duplicates and ties on the base normalizes exactly as the same map in ascending order, and every
// descent in the shuffled input is counted.
TEST(FirmwareMapScale, LargeShuffledMapsNormalizeLikeTheirSortedOrder) {
  std::mt19937_64 rng(777);
  const uint32_t types[] = {kConv,
                            kConv,
                            kConv,
                            kReserved,
                            kBootData,
                            kLoaderData,
                            MM_EFI_ACPI_MEMORY_NVS,
                            MM_EFI_RUNTIME_SERVICES_DATA,
                            MM_EFI_MEMORY_MAPPED_IO};
  for (uint64_t count : {9ull, 17ull, 33ull, 100ull, 1001ull, 4099ull, 30011ull}) {
    std::vector<mm_efi_descriptor> d;
    for (uint64_t i = 0; i < count; i++) {
      uint64_t base = (rng() % (count * 4)) * kFrame;  // dense enough for many ties and overlaps
      // Three attributes, all write-back (RAM without WB is reserved, which would leave no usable memory).
      d.push_back(Desc(types[rng() % 9], base, 1 + rng() % 6, MM_EFI_MEMORY_WB | rng() % 3));
    }
    std::vector<mm_efi_descriptor> sorted = d;
    std::sort(sorted.begin(), sorted.end(), [](const mm_efi_descriptor& a, const mm_efi_descriptor& b) {
      return a.physical_start < b.physical_start;
    });
    std::shuffle(d.begin(), d.end(), rng);
    uint64_t descents = 0;
    for (uint64_t i = 1; i < count; i++) descents += d[i].physical_start < d[i - 1].physical_start;

    NormalizedMap want = Normalize(sorted);
    NormalizedMap got = Normalize(d);
    ASSERT_EQ(want.status, MM_OK) << count;
    ASSERT_EQ(got.status, MM_OK) << count;
    EXPECT_EQ(want.map.repairs.unsorted, 0u) << count;
    EXPECT_EQ(got.map.repairs.unsorted, descents) << count;
    EXPECT_EQ(got.map.repairs.overlaps, want.map.repairs.overlaps) << count;
    ASSERT_EQ(got.map.region_count, want.map.region_count) << count;
    for (uint64_t i = 0; i < got.map.region_count; i++) {
      const mm_region &g = got.map.regions[i], &w = want.map.regions[i];
      ASSERT_EQ(g.base, w.base) << count << " region " << i;
      ASSERT_EQ(g.end, w.end) << count << " region " << i;
      ASSERT_EQ(g.type, w.type) << count << " region " << i;
      ASSERT_EQ(g.efi_type, w.efi_type) << count << " region " << i;
      ASSERT_EQ(g.attribute, w.attribute) << count << " region " << i;
      ASSERT_LT(g.base, g.end);
      if (i > 0) ASSERT_LE(got.map.regions[i - 1].end, g.base) << count << " region " << i;
    }
  }
}

// Per-frame reference: the type of frame f is the highest type among descriptors covering it (usable covers
// only whole frames, everything else covers any frame it touches).
TEST(FirmwareMapReference, RandomMapsMatchAFrameByFrameReference) {
  std::mt19937_64 rng(12345);
  const uint32_t types[] = {kConv,
                            kConv,
                            kConv,
                            kReserved,
                            kBootData,
                            kLoaderData,
                            MM_EFI_ACPI_MEMORY_NVS,
                            MM_EFI_MEMORY_MAPPED_IO,
                            0x70000001u,
                            MM_EFI_PERSISTENT_MEMORY};
  // Mostly write-back RAM, sometimes specific-purpose, sometimes without write-back.
  const uint64_t attrs[] = {0xf, 0xf, 0xf | MM_EFI_MEMORY_SP, MM_EFI_MEMORY_UC};
  const uint64_t kFrames = 128;
  for (int round = 0; round < 2000; round++) {
    std::vector<mm_efi_descriptor> d;
    int count = 1 + static_cast<int>(rng() % 12);
    for (int i = 0; i < count; i++) {
      uint64_t base = (rng() % (kFrames * kFrame));
      if (rng() % 2) base &= ~(kFrame - 1);
      d.push_back(Desc(types[rng() % 10], base, rng() % 9, attrs[rng() % 4]));
    }
    unsigned bits = (rng() % 4 == 0) ? 18 : 52;  // 2^18 = 64 frames: half the space is beyond the width
    NormalizedMap n = Normalize(d, bits);
    std::vector<int> want(kFrames + 16, -1);
    for (const mm_efi_descriptor& x : d) {
      if (x.number_of_pages == 0) continue;
      uint64_t b = x.physical_start, e = b + x.number_of_pages * kFrame;
      int t = mm_region_type_from_efi(x.type);
      bool allocatable = t == MM_REGION_USABLE || t == MM_REGION_BOOT_SERVICES || t == MM_REGION_LOADER;
      if (t == MM_REGION_USABLE && (x.attribute & MM_EFI_MEMORY_SP)) {
        t = MM_REGION_SOFT_RESERVED;
      } else if (allocatable && !(x.attribute & MM_EFI_MEMORY_WB)) {
        t = MM_REGION_RESERVED;
      }
      for (uint64_t f = 0; f < want.size(); f++) {
        uint64_t fb = f * kFrame, fe = fb + kFrame;
        if (fe > (1ull << bits)) continue;
        bool covers = (t == MM_REGION_USABLE) ? (b <= fb && fe <= e) : (b < fe && fb < e);
        if (covers) want[f] = std::max(want[f], t);
      }
    }
    bool any_usable = std::count(want.begin(), want.end(), static_cast<int>(MM_REGION_USABLE)) > 0;
    if (!any_usable) {
      EXPECT_EQ(n.status, MM_ERR_NO_USABLE_MEMORY) << round;
      continue;
    }
    ASSERT_EQ(n.status, MM_OK) << round;
    std::vector<int> got(want.size(), -1);
    const mm_region* prev = nullptr;
    for (const mm_region& r : n.Regions()) {
      ASSERT_LT(r.base, r.end);
      ASSERT_EQ(r.base % kFrame, 0u);
      ASSERT_EQ(r.end % kFrame, 0u);
      if (prev) {
        ASSERT_LE(prev->end, r.base) << round;
        ASSERT_FALSE(prev->end == r.base && prev->type == r.type && prev->attribute == r.attribute)
            << "unmerged neighbours, round " << round;
      }
      prev = &r;
      for (uint64_t a = r.base; a < r.end; a += kFrame) {
        ASSERT_LT(a / kFrame, got.size());
        got[a / kFrame] = r.type;
      }
    }
    ASSERT_EQ(got, want) << "round " << round;
  }
}

}  // namespace
