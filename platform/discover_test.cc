// Host tests for platform_discover: which sources are opened, and that each broken one is recorded with its
// reason and never used.
#include <gtest/gtest.h>

#include <string>
#include <vector>

extern "C" {
#include "platform/discover.h"
}
#include "platform/acpi_test_util.h"
#include "platform/test_files.h"

namespace {

using platform_testing::ReadDtb;

using namespace acpi_testing;

constexpr uint64_t kRsdp = 0x7f000000;
constexpr uint64_t kXsdt = 0x7f001000;
constexpr uint64_t kSpcr = 0x7f002000;
constexpr uint64_t kDtb = 0x48000000;

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

// ---- The PSCI conduit (platform_find_psci) ----

// A FADT of ACPI 6.x length 276 with ARM_BOOT_ARCH (offset 129) and the minor version (131).
std::vector<uint8_t> Fadt(uint8_t major, uint8_t minor, uint16_t arm_boot_arch) {
  Table t("FACP", major);
  t.Zeros(276 - 36);
  Put(t.b, 129, arm_boot_arch, 2);
  t.b[131] = minor;
  return t.Done();
}

platform_psci PsciFrom(const std::vector<uint8_t> *fadt, bool with_dtb) {
  FakePhys mem;
  platform_tables tables{};
  if (fadt) {
    mem.Place(kRsdp, Rsdp(2, kXsdt));
    mem.Place(kXsdt, Xsdt({kSpcr}));
    mem.Place(kSpcr, *fadt);
    tables.acpi_rsdp = kRsdp;
  }
  if (with_dtb) {
    std::vector<uint8_t> dtb = ReadDtb("virt");
    mem.Place(kDtb, dtb);
    tables.devicetree = kDtb;
    tables.devicetree_bytes = dtb.size();
  }
  platform_info info = Discover(mem, tables);
  return platform_find_psci(&info);
}

TEST(PlatformPsci, FadtNamesHvcOrSmc) {
  auto hvc = Fadt(6, 3, 0x3), smc = Fadt(6, 3, 0x1);
  platform_psci a = PsciFrom(&hvc, false), b = PsciFrom(&smc, true);
  EXPECT_EQ(a.conduit, PLATFORM_PSCI_HVC);
  EXPECT_EQ(a.source, PLATFORM_PSCI_SOURCE_FADT);
  EXPECT_EQ(b.conduit, PLATFORM_PSCI_SMC) << "the FADT wins over the devicetree";
  EXPECT_EQ(b.source, PLATFORM_PSCI_SOURCE_FADT);
}

TEST(PlatformPsci, FadtWithoutPsciCompliantNamesNoConduit) {
  auto fadt = Fadt(6, 3, 0x2);  // PSCI_USE_HVC without PSCI_COMPLIANT
  platform_psci p = PsciFrom(&fadt, false);
  EXPECT_EQ(p.conduit, PLATFORM_PSCI_UNKNOWN);
  EXPECT_EQ(p.source, PLATFORM_PSCI_SOURCE_FADT);
}

TEST(PlatformPsci, OldFadtFallsBackToTheDevicetree) {
  auto fadt = Fadt(3, 0, 0x3);  // x86 q35's FADT revision: no ARM_BOOT_ARCH
  platform_psci p = PsciFrom(&fadt, true);
  EXPECT_EQ(p.conduit, PLATFORM_PSCI_HVC);
  EXPECT_EQ(p.source, PLATFORM_PSCI_SOURCE_DEVICETREE);
  platform_psci none = PsciFrom(&fadt, false);
  EXPECT_EQ(none.conduit, PLATFORM_PSCI_UNKNOWN);
  EXPECT_EQ(none.source, PLATFORM_PSCI_SOURCE_NONE);
}

TEST(PlatformPsci, NamesAreTheLogWords) {
  EXPECT_STREQ(platform_psci_conduit_name(PLATFORM_PSCI_HVC), "hvc");
  EXPECT_STREQ(platform_psci_conduit_name(PLATFORM_PSCI_SMC), "smc");
  EXPECT_STREQ(platform_psci_conduit_name(PLATFORM_PSCI_UNKNOWN), "unknown");
  EXPECT_STREQ(platform_psci_source_name(PLATFORM_PSCI_SOURCE_FADT), "fadt");
  EXPECT_STREQ(platform_psci_source_name(PLATFORM_PSCI_SOURCE_DEVICETREE), "devicetree");
  EXPECT_STREQ(platform_psci_source_name(PLATFORM_PSCI_SOURCE_NONE), "none");
}

}  // namespace
