// Host tests for the processor list (cpus.h): MADT shapes QEMU produces (virt GICC, q35 local APIC with
// `-smp 2,maxcpus=4`), x2APIC, duplicates and bad entries, and the devicetree's /cpus.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <utility>
#include <vector>

extern "C" {
#include "platform/cpus.h"
}
#include "platform/acpi_test_util.h"
#include "platform/test_files.h"

namespace {

using platform_testing::ReadDtb;

using namespace acpi_testing;

constexpr uint64_t kRsdp = 0x7f000000;
constexpr uint64_t kXsdt = 0x7f001000;
constexpr uint64_t kMadt = 0x7f002000;
constexpr uint64_t kDtb = 0x48000000;

// MADT entries (ACPI 6.5 5.2.12.2, 5.2.12.12, 5.2.12.14).
void Lapic(Table& t, uint8_t uid, uint8_t apic_id, uint32_t flags) { t.U8(0).U8(8).U8(uid).U8(apic_id).U32(flags); }
void X2apic(Table& t, uint32_t uid, uint32_t id, uint32_t flags) { t.U8(9).U8(16).U16(0).U32(id).U32(flags).U32(uid); }
void Gicc(Table& t, uint32_t uid, uint64_t mpidr, uint32_t flags) {
  t.U8(0xB).U8(82).U16(0).U32(uid).U32(uid).U32(flags).U32(0).U32(23).U64(0).U64(0).U64(0).U64(0).U32(0).U64(0);
  t.U64(mpidr).U8(0).U8(0).U16(0).U16(0);
}

Table Madt() {
  Table t("APIC", 5);
  t.U32(0xfee00000).U32(1);
  return t;
}

struct Machine {
  FakePhys mem;
  platform_info info{};
  explicit Machine(Table madt) {
    mem.Place(kRsdp, Rsdp(2, kXsdt));
    mem.Place(kXsdt, Xsdt({kMadt}));
    mem.Place(kMadt, madt.Done());
    platform_tables tables{kRsdp, 0, 0, 0};
    platform_discover(&info, &tables, mem.Window());
  }
};

struct Skip {
  uint64_t hw_id;
  std::string reason;
};

void RecordSkip(void* ctx, const platform_cpu* cpu, const char* reason) {
  static_cast<std::vector<Skip>*>(ctx)->push_back({cpu->hw_id, reason});
}

struct Listed {
  platform_cpus_status status;
  std::vector<platform_cpu> cpus;
  platform_cpus_census census{};
  std::vector<Skip> skips;
};

// Count, allocate exactly that, list: what the kernel does.
Listed List(const platform_info& info, uint64_t boot) {
  Listed l;
  uint32_t n = 0;
  l.status = platform_cpus_count(&info, &n);
  if (l.status != PLATFORM_CPUS_OK) return l;
  l.cpus.resize(n);
  l.status = platform_cpus_list(&info, boot, l.cpus.data(), n, &l.census, RecordSkip, &l.skips);
  l.cpus.resize(l.status == PLATFORM_CPUS_OK ? l.census.usable : 0);
  return l;
}

TEST(PlatformCpus, QemuVirtGiccEntriesListEveryEnabledCpuBootFirst) {
  Table t = Madt();
  for (uint32_t i = 0; i < 4; i++) Gicc(t, i, i, 1);
  Machine m(t);
  Listed l = List(m.info, 2);
  ASSERT_EQ(l.status, PLATFORM_CPUS_OK);
  EXPECT_STREQ(l.census.source, "madt");
  EXPECT_EQ(l.census.entries, 4u);
  ASSERT_EQ(l.cpus.size(), 4u);
  EXPECT_EQ(l.cpus[0].hw_id, 2u);
  EXPECT_EQ(l.cpus[0].uid, 2u);
  EXPECT_EQ(l.cpus[1].hw_id, 0u);
  EXPECT_EQ(l.cpus[2].hw_id, 1u);
  EXPECT_EQ(l.cpus[3].hw_id, 3u);
  EXPECT_TRUE(l.skips.empty());
}

// q35 with `-smp 2,maxcpus=4`: four local APIC entries, two present, two online-capable (possible, not present).
TEST(PlatformCpus, MaxcpusShapeListsOnlyThePresentCpusAndReportsTheOthers) {
  Table t = Madt();
  Lapic(t, 0, 0, 1);
  Lapic(t, 1, 1, 1);
  Lapic(t, 2, 2, 2);
  Lapic(t, 3, 3, 2);
  Machine m(t);
  Listed l = List(m.info, 0);
  ASSERT_EQ(l.status, PLATFORM_CPUS_OK);
  ASSERT_EQ(l.cpus.size(), 2u);
  EXPECT_EQ(l.cpus[1].hw_id, 1u);
  EXPECT_EQ(l.census.online_capable, 2u);
  ASSERT_EQ(l.skips.size(), 2u);
  EXPECT_EQ(l.skips[0].hw_id, 2u);
  EXPECT_EQ(l.skips[0].reason, "online_capable");
  EXPECT_EQ(l.skips[1].reason, "online_capable");
}

TEST(PlatformCpus, GiccOnlineCapableAndDisabledEntriesAreSkippedWithTheirReason) {
  Table t = Madt();
  Gicc(t, 0, 0x0, 1);
  Gicc(t, 1, 0x1, 0);      // disabled
  Gicc(t, 2, 0x100, 1 << 3);  // online capable (GICC flags bit 3)
  Machine m(t);
  Listed l = List(m.info, 0);
  ASSERT_EQ(l.status, PLATFORM_CPUS_OK);
  ASSERT_EQ(l.cpus.size(), 1u);
  EXPECT_EQ(l.census.disabled, 1u);
  EXPECT_EQ(l.census.online_capable, 1u);
  ASSERT_EQ(l.skips.size(), 2u);
  EXPECT_EQ(l.skips[0].reason, "disabled");
  EXPECT_EQ(l.skips[1].hw_id, 0x100u);
  EXPECT_EQ(l.skips[1].reason, "online_capable");
}

TEST(PlatformCpus, DuplicateHardwareIdsAreListedOnce) {
  Table t = Madt();
  Lapic(t, 0, 0, 1);
  Lapic(t, 1, 5, 1);
  X2apic(t, 7, 5, 1);  // the same CPU again as x2APIC
  X2apic(t, 8, 0, 1);  // the boot CPU again
  X2apic(t, 9, 0x300, 1);
  Machine m(t);
  Listed l = List(m.info, 0);
  ASSERT_EQ(l.status, PLATFORM_CPUS_OK);
  ASSERT_EQ(l.cpus.size(), 3u);
  EXPECT_EQ(l.cpus[0].hw_id, 0u);
  EXPECT_EQ(l.cpus[1].hw_id, 5u);
  EXPECT_EQ(l.cpus[2].hw_id, 0x300u);
  EXPECT_EQ(l.cpus[2].uid, 9u);
  EXPECT_EQ(l.census.duplicates, 2u);
  ASSERT_EQ(l.skips.size(), 2u);
  EXPECT_EQ(l.skips[0].reason, "duplicate");
}

TEST(PlatformCpus, BootCpuMissingFromTheTableIsAnErrorAndStorageIsUntouched) {
  Table t = Madt();
  Gicc(t, 0, 0x1, 1);
  Machine m(t);
  platform_cpu cpus[2] = {{0xaa, 0xbb}, {0xaa, 0xbb}};
  platform_cpus_census census{};
  census.entries = 77;
  std::vector<Skip> skips;
  EXPECT_EQ(platform_cpus_list(&m.info, 0x0, cpus, 2, &census, RecordSkip, &skips), PLATFORM_CPUS_BOOT_CPU_NOT_LISTED);
  EXPECT_EQ(cpus[0].hw_id, 0xaau);
  EXPECT_EQ(census.entries, 77u);
  EXPECT_TRUE(skips.empty());
}

TEST(PlatformCpus, StorageSmallerThanTheUsableCpusIsRefused) {
  Table t = Madt();
  for (uint32_t i = 0; i < 3; i++) Gicc(t, i, i, 1);
  Machine m(t);
  platform_cpu cpus[2] = {{0xaa, 0xbb}, {0xaa, 0xbb}};
  platform_cpus_census census{};
  EXPECT_EQ(platform_cpus_list(&m.info, 0, cpus, 2, &census, nullptr, nullptr), PLATFORM_CPUS_STORAGE_TOO_SMALL);
  EXPECT_EQ(cpus[1].hw_id, 0xaau);
}

TEST(PlatformCpus, BadMadtEntryIsABadTableAndNothingIsListed) {
  Table t = Madt();
  Gicc(t, 0, 0, 1);
  t.U8(0xB).U8(0);  // entry Length 0
  Machine m(t);
  uint32_t n = 99;
  EXPECT_EQ(platform_cpus_count(&m.info, &n), PLATFORM_CPUS_BAD_TABLE);
  EXPECT_EQ(n, 99u);
  platform_cpu cpus[2];
  platform_cpus_census census{};
  EXPECT_EQ(platform_cpus_list(&m.info, 0, cpus, 2, &census, nullptr, nullptr), PLATFORM_CPUS_BAD_TABLE);
}

TEST(PlatformCpus, NoAcpiAndNoDevicetreeIsNoSource) {
  FakePhys mem;
  platform_info info{};
  platform_tables none{};
  platform_discover(&info, &none, mem.Window());
  uint32_t n = 0;
  EXPECT_EQ(platform_cpus_count(&info, &n), PLATFORM_CPUS_NO_SOURCE);
  EXPECT_STREQ(platform_cpus_status_name(PLATFORM_CPUS_NO_SOURCE), "no_source");
}

// testdata/virt.dts: cpu@0, cpu@1, cpu@2 (status "disabled"), cpu@100 (status "okay"); no ACPI.
TEST(PlatformCpus, DevicetreeCpusSkipDisabledNodes) {
  FakePhys mem;
  std::vector<uint8_t> dtb = ReadDtb("virt");
  mem.Place(kDtb, dtb);
  platform_info info{};
  platform_tables tables{0, kDtb, dtb.size(), 0};
  platform_discover(&info, &tables, mem.Window());
  ASSERT_TRUE(platform_has_devicetree(&info));
  Listed l = List(info, 1);
  ASSERT_EQ(l.status, PLATFORM_CPUS_OK);
  EXPECT_STREQ(l.census.source, "devicetree");
  EXPECT_EQ(l.census.entries, 4u);
  ASSERT_EQ(l.cpus.size(), 3u);
  EXPECT_EQ(l.cpus[0].hw_id, 1u);
  EXPECT_EQ(l.cpus[0].uid, 1u);
  EXPECT_EQ(l.cpus[1].hw_id, 0u);
  EXPECT_EQ(l.cpus[2].hw_id, 0x100u);
  ASSERT_EQ(l.skips.size(), 1u);
  EXPECT_EQ(l.skips[0].hw_id, 2u);
  EXPECT_EQ(l.skips[0].reason, "disabled");
}

}  // namespace
