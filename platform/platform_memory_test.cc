// Host tests for platform_memory.h: devicetree reservations become MM_RES_FIRMWARE_RESERVED entries named after
// their nodes, whatever else is there; /memory is checked against the EFI map and only reported.
#include <gtest/gtest.h>

#include <string>
#include <vector>

extern "C" {
#include "platform/platform_memory.h"
}
#include "mm/testing/efi_map_builder.h"
#include "mm/testing/log_capture.h"
#include "platform/test_files.h"

namespace {

using platform_testing::ReadDtb;
using platform_testing::ReadQemuFile;

constexpr uint64_t kDtb = 0x48000000;
constexpr uint32_t kConventional = 7, kBootServicesData = 4, kMmio = 11, kReserved = 0;

void *Identity(void *ctx, phys_addr_t phys, uint64_t bytes) {
  auto *blob = static_cast<std::vector<uint8_t> *>(ctx);
  if (phys < kDtb || phys - kDtb + bytes > blob->size()) return nullptr;
  return blob->data() + (phys - kDtb);
}

struct Platform {
  std::vector<uint8_t> blob;
  platform_info info{};
  explicit Platform(const std::string &dtb) : blob(dtb.empty() ? std::vector<uint8_t>() : ReadDtb(dtb)) {
    platform_tables t{};
    if (!blob.empty()) {
      t.devicetree = kDtb;
      t.devicetree_bytes = blob.size();
    }
    platform_discover(&info, &t, mm_phys_window{Identity, &blob});
  }
};

struct Set {
  std::vector<mm_reservation> storage;
  mm_reservation_set set{};
  explicit Set(size_t capacity = 16) : storage(capacity) {
    mm_reservation_set_init(&set, storage.data(), storage.size());
  }
  const mm_reservation *Find(const std::string &label) const {
    for (uint64_t i = 0; i < set.count; i++) {
      if (label == set.entries[i].label) return &set.entries[i];
    }
    return nullptr;
  }
};

TEST(PlatformReserveFirmware, MemreserveAndReservedMemoryChildrenAreFirmwareReservedByName) {
  Platform p("virt");
  ASSERT_TRUE(platform_has_devicetree(&p.info));
  Set s;
  mm_testing::LogCapture log;
  uint32_t added = 0;
  ASSERT_EQ(platform_reserve_firmware(&p.info, &s.set, &added), MM_OK);
  EXPECT_EQ(added, 3u) << "memreserve, secmon, ramoops (linux,cma has no reg: dynamic placement)";
  ASSERT_EQ(s.set.count, 3u);
  const mm_reservation *mr = s.Find("memreserve"), *secmon = s.Find("secmon@5e000000"),
                       *ramoops = s.Find("ramoops@5f000000");
  ASSERT_NE(mr, nullptr);
  ASSERT_NE(secmon, nullptr);
  ASSERT_NE(ramoops, nullptr);
  EXPECT_EQ(mr->base, 0x48000000u);
  EXPECT_EQ(mr->end, 0x48010000u);
  EXPECT_EQ(secmon->base, 0x5e000000u);
  EXPECT_EQ(secmon->end, 0x5e200000u);
  EXPECT_EQ(ramoops->end, 0x5f100000u);
  for (uint64_t i = 0; i < s.set.count; i++) EXPECT_EQ(s.set.entries[i].kind, MM_RES_FIRMWARE_RESERVED);
  auto lines = log.Events("dt.reserve");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1], "dt.reserve base=0x5e000000 end=0x5e200000 label=secmon@5e000000 no_map=1 status=ok");
}

TEST(PlatformReserveFirmware, RangesOverlappingOtherReservationsAreStillReserved) {
  Platform p("virt");
  Set s;
  // The kernel image where the firmware reserved its secure monitor: both stay in the set.
  ASSERT_EQ(mm_reservation_add(&s.set, 0x5e100000, 0x400000, MM_RES_KERNEL_IMAGE, "kernel_image"), MM_OK);
  ASSERT_EQ(platform_reserve_firmware(&p.info, &s.set, nullptr), MM_OK);
  EXPECT_EQ(s.set.count, 4u);
  EXPECT_NE(s.Find("secmon@5e000000"), nullptr);
}

TEST(PlatformReserveFirmware, UndecodableListsAddNothingAndSayWhyOnce) {
  Platform p("bad_reserved");
  ASSERT_TRUE(platform_has_devicetree(&p.info));
  Set s;
  mm_testing::LogCapture log;
  uint32_t added = 7;
  EXPECT_EQ(platform_reserve_firmware(&p.info, &s.set, &added), MM_OK);
  EXPECT_EQ(added, 0u);
  EXPECT_EQ(s.set.count, 0u) << "not even the valid /memreserve/ entry: the blob's lists are not trusted";
  auto lines = log.Events("dt.reserve");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "dt.reserve status=bad_value");
}

TEST(PlatformReserveFirmware, AFullSetIsTheOneError) {
  Platform p("virt");
  Set s(2);
  uint32_t added = 0;
  EXPECT_EQ(platform_reserve_firmware(&p.info, &s.set, &added), MM_ERR_STORAGE_TOO_SMALL);
  EXPECT_EQ(added, 2u);
}

TEST(PlatformReserveFirmware, WithoutADevicetreeNothingHappens) {
  Platform p("");
  Set s;
  mm_testing::LogCapture log;
  uint32_t added = 9;
  EXPECT_EQ(platform_reserve_firmware(&p.info, &s.set, &added), MM_OK);
  EXPECT_EQ(added, 0u);
  EXPECT_EQ(s.set.count, 0u);
  EXPECT_TRUE(log.lines().empty());
}

using mm_testing::Desc;

TEST(PlatformDtMemory, AgreesWhenTheEfiMapCoversEveryMemoryNode) {
  Platform p("virt");  // /memory: [0x40000000, 0x60000000) and [0x100000000, 0x140000000)
  auto map = mm_testing::Normalize({Desc(kConventional, 0x40000000, 0x10000),
                                    Desc(kBootServicesData, 0x50000000, 0x8000), Desc(kReserved, 0x58000000, 0x8000),
                                    Desc(kConventional, 0x100000000, 0x40000)});
  ASSERT_EQ(map.status, MM_OK);
  mm_testing::LogCapture log;
  EXPECT_TRUE(platform_check_dt_memory(&p.info, &map.map));
  auto lines = log.Events("dt.memory");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "dt.memory base=0x40000000 end=0x60000000 in_efi_map=1");
  EXPECT_EQ(lines[2], "dt.memory ranges=2 agree=1");
}

TEST(PlatformDtMemory, QemuNumaDevicetreeAgreesWithAnAavmfLikeMap) {
  // QEMU's own tree for two 256 MiB nodes (platform/testdata/qemu): /memory@50000000 comes first in the blob.
  std::vector<uint8_t> blob = ReadQemuFile("aarch64_virt_numa.dtb");
  ASSERT_FALSE(blob.empty());  // ReadQemuFile failed the test, naming the file
  platform_tables t{0, kDtb, blob.size(), 0};
  platform_info info{};
  platform_discover(&info, &t, mm_phys_window{Identity, &blob});
  ASSERT_TRUE(platform_has_devicetree(&info));
  auto map = mm_testing::Normalize({Desc(kConventional, 0x40000000, 0x18000),
                                    Desc(kBootServicesData, 0x58000000, 0x7000), Desc(kReserved, 0x5f000000, 0x1000)});
  mm_testing::LogCapture log;
  EXPECT_TRUE(platform_check_dt_memory(&info, &map.map));
  auto lines = log.Events("dt.memory");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "dt.memory base=0x50000000 end=0x60000000 in_efi_map=1");
  EXPECT_EQ(lines[1], "dt.memory base=0x40000000 end=0x50000000 in_efi_map=1");
  Set s;
  uint32_t added = 1;
  EXPECT_EQ(platform_reserve_firmware(&info, &s.set, &added), MM_OK);
  EXPECT_EQ(added, 0u) << "QEMU reserves nothing in its tree";
}

TEST(PlatformDtMemory, DisagreesOnAGapAndTheSummarySaysSo) {
  Platform p("virt");
  auto map = mm_testing::Normalize({Desc(kConventional, 0x40000000, 0x10000),
                                    Desc(kConventional, 0x100000000, 0x40000)});
  ASSERT_EQ(map.status, MM_OK);
  mm_testing::LogCapture log;
  EXPECT_FALSE(platform_check_dt_memory(&p.info, &map.map));
  auto lines = log.Events("dt.memory");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "dt.memory base=0x40000000 end=0x60000000 in_efi_map=0");
  EXPECT_EQ(lines[1], "dt.memory base=0x100000000 end=0x140000000 in_efi_map=1");
  EXPECT_EQ(lines[2], "dt.memory ranges=2 agree=0");
}

TEST(PlatformDtMemory, MmioIsNotMemory) {
  auto map = mm_testing::Normalize({Desc(kConventional, 0x40000000, 0x100), Desc(kMmio, 0x40100000, 0x100)});
  ASSERT_EQ(map.status, MM_OK);
  EXPECT_TRUE(platform_range_in_efi_map(&map.map, 0x40000000, 0x40100000));
  EXPECT_FALSE(platform_range_in_efi_map(&map.map, 0x40000000, 0x40200000));
  EXPECT_FALSE(platform_range_in_efi_map(&map.map, 0x3ff00000, 0x40100000)) << "a gap before the first region";
}

TEST(PlatformDtMemory, WithoutADevicetreeNothingIsLogged) {
  Platform p("");
  auto map = mm_testing::Normalize({Desc(kConventional, 0x40000000, 0x100)});
  mm_testing::LogCapture log;
  EXPECT_FALSE(platform_check_dt_memory(&p.info, &map.map));
  EXPECT_TRUE(log.lines().empty());
}

}  // namespace
