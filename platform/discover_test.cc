// Host tests for platform_discover: which sources are opened, and that each broken one is recorded with its
// reason and never used.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" {
#include "platform/discover.h"
}
#include "platform/acpi_test_util.h"

namespace {

using namespace acpi_testing;

constexpr uint64_t kRsdp = 0x7f000000;
constexpr uint64_t kXsdt = 0x7f001000;
constexpr uint64_t kSpcr = 0x7f002000;
constexpr uint64_t kDtb = 0x48000000;

std::vector<uint8_t> ReadDtb(const std::string &name) {
  std::ifstream in("platform/testdata/" + name + ".dtb", std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << name << ".dtb (cwd must be the runfiles root)";
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

platform_info Discover(FakePhys &mem, const platform_tables &tables) {
  platform_info info;
  memset(&info, 0xa5, sizeof(info));  // everything must be written
  platform_discover(&info, &tables, mem.Window());
  return info;
}

TEST(PlatformDiscover, NoTablesMeansBothAbsent) {
  FakePhys mem;
  platform_info info = Discover(mem, platform_tables{});
  EXPECT_EQ(info.acpi_status, ACPI_ERR_NOT_FOUND);
  EXPECT_EQ(info.dt_status, FDT_ERR_NOT_FOUND);
  EXPECT_FALSE(platform_has_acpi(&info));
  EXPECT_FALSE(platform_has_devicetree(&info));
}

TEST(PlatformDiscover, ValidAcpiRootIsOpenedWithItsEntries) {
  FakePhys mem;
  mem.Place(kRsdp, Rsdp(2, kXsdt));
  mem.Place(kXsdt, Xsdt({kSpcr}));
  platform_info info = Discover(mem, platform_tables{kRsdp, 0, 0, 0x1234});
  ASSERT_TRUE(platform_has_acpi(&info));
  EXPECT_EQ(info.acpi.entry_count, 1u);
  EXPECT_EQ(info.tables.smbios3, 0x1234u);
  EXPECT_EQ(info.dt_status, FDT_ERR_NOT_FOUND);
}

TEST(PlatformDiscover, RsdpWithBadChecksumIsRecordedNotUsed) {
  FakePhys mem;
  std::vector<uint8_t> r = Rsdp(2, kXsdt);
  r[8] ^= 1;
  mem.Place(kRsdp, r);
  mem.Place(kXsdt, Xsdt({}));
  platform_info info = Discover(mem, platform_tables{kRsdp, 0, 0, 0});
  EXPECT_EQ(info.acpi_status, ACPI_ERR_BAD_CHECKSUM);
  EXPECT_FALSE(platform_has_acpi(&info));
}

TEST(PlatformDiscover, UnmappableRsdpIsRecorded) {
  FakePhys mem;
  platform_info info = Discover(mem, platform_tables{kRsdp, 0, 0, 0});
  EXPECT_EQ(info.acpi_status, ACPI_ERR_UNMAPPED);
}

TEST(PlatformDiscover, DevicetreeIsOpened) {
  FakePhys mem;
  std::vector<uint8_t> dtb = ReadDtb("virt");
  mem.Place(kDtb, dtb);
  platform_info info = Discover(mem, platform_tables{0, kDtb, dtb.size(), 0});
  ASSERT_TRUE(platform_has_devicetree(&info));
  EXPECT_EQ(info.dt.total_size, dtb.size());
  EXPECT_EQ(info.acpi_status, ACPI_ERR_NOT_FOUND);
}

TEST(PlatformDiscover, DevicetreeWithoutMagicAtEntryIsBadMagic) {
  // The UEFI entry records size 0 when the header's magic was wrong: nothing is read.
  FakePhys mem;
  platform_info info = Discover(mem, platform_tables{0, kDtb, 0, 0});
  EXPECT_EQ(info.dt_status, FDT_ERR_BAD_MAGIC);
}

TEST(PlatformDiscover, OversizedDevicetreeIsRefusedWithoutReading) {
  FakePhys mem;  // nothing mapped: a read would fail as unmapped, so truncated proves the size check came first
  platform_info info = Discover(mem, platform_tables{0, kDtb, PLATFORM_DTB_MAX_BYTES + 1ull, 0});
  EXPECT_EQ(info.dt_status, FDT_ERR_TRUNCATED);
}

TEST(PlatformDiscover, DevicetreeRunningPastTheMappingIsTruncated) {
  FakePhys mem;
  std::vector<uint8_t> dtb = ReadDtb("virt");
  mem.Place(kDtb, dtb);
  platform_info info = Discover(mem, platform_tables{0, kDtb, dtb.size() + 4096, 0});
  EXPECT_EQ(info.dt_status, FDT_ERR_TRUNCATED);
}

TEST(PlatformDiscover, CorruptDevicetreeIsRecordedNotUsed) {
  FakePhys mem;
  std::vector<uint8_t> dtb = ReadDtb("virt");
  dtb[0] ^= 0xff;  // magic
  mem.Place(kDtb, dtb);
  platform_info info = Discover(mem, platform_tables{0, kDtb, dtb.size(), 0});
  EXPECT_EQ(info.dt_status, FDT_ERR_BAD_MAGIC);
  EXPECT_FALSE(platform_has_devicetree(&info));
}

TEST(PlatformDiscover, BothSourcesOpenIndependently) {
  FakePhys mem;
  mem.Place(kRsdp, Rsdp(2, kXsdt));
  mem.Place(kXsdt, Xsdt({}));
  std::vector<uint8_t> dtb = ReadDtb("virt");
  mem.Place(kDtb, dtb);
  platform_info info = Discover(mem, platform_tables{kRsdp, kDtb, dtb.size(), 0});
  EXPECT_TRUE(platform_has_acpi(&info));
  EXPECT_TRUE(platform_has_devicetree(&info));
}

}  // namespace
