// Host tests for platform/numa: SRAT memory affinity and devicetree numa-node-id become the node table, and
// broken or overlapping input leaves one node with a reason.
#include <gtest/gtest.h>

#include <string>
#include <vector>

extern "C" {
#include "platform/numa.h"
}
#include "platform/acpi_test_util.h"
#include "platform/test_files.h"

namespace {

using platform_testing::ReadDtb;

using namespace acpi_testing;

constexpr uint64_t kRsdp = 0x7f000000;
constexpr uint64_t kXsdt = 0x7f001000;
constexpr uint64_t kSrat = 0x7f002000;
constexpr uint64_t kDtb = 0x48000000;

Table Srat() {
  Table t("SRAT", 3);
  t.U32(1).U64(0);
  return t;
}

// 5.2.16.2 Memory Affinity: type 1, length 40, domain, reserved, base, length, reserved, flags, reserved.
void SratMemory(Table &t, uint32_t domain, uint64_t base, uint64_t length, uint32_t flags) {
  t.U8(1).U8(40).U32(domain).U16(0).U64(base).U64(length).U32(0).U32(flags).U64(0);
}

// 5.2.16.4 GICC Affinity: type 3, length 18.
void SratGicc(Table &t, uint32_t domain, uint32_t uid) { t.U8(3).U8(18).U32(domain).U32(uid).U32(1).U32(0); }

struct Scanned {
  platform_numa_count count{};
  std::vector<mm_numa_range> storage;
  mm_numa numa{};
  mm_numa_conflict conflict{};
  mm_status fill = MM_ERR_INVALID_ARGUMENT;
};

Scanned Scan(FakePhys &mem, const platform_tables &tables) {
  platform_info info;
  platform_discover(&info, &tables, mem.Window());
  Scanned s;
  platform_numa_scan(&info, &s.count);
  s.storage.resize(s.count.ranges);
  mm_numa_init(&s.numa, s.storage.data(), s.count.ranges, s.count.source);
  s.fill = platform_numa_fill(&info, &s.count, &s.numa, &s.conflict);
  return s;
}

Scanned ScanSrat(const Table &srat) {
  FakePhys mem;
  mem.Place(kRsdp, Rsdp(2, kXsdt));
  mem.Place(kXsdt, Xsdt({kSrat}));
  mem.Place(kSrat, srat.Done());
  return Scan(mem, platform_tables{kRsdp, 0, 0, 0});
}

TEST(PlatformNuma, SratMemoryAffinityBecomesDenseNodesKeepingThePxm) {
  Table t = Srat();
  SratGicc(t, 5, 0);
  SratMemory(t, 5, 0x40000000, 0x8000000, 1);
  SratMemory(t, 9, 0x48000000, 0x8000000, 3);  // hot-pluggable, enabled: kept
  SratMemory(t, 9, 0x100000000, 0x10000000, 0);  // disabled: ignored (5.2.16.2 flags bit 0)
  SratMemory(t, 5, 0x0, 0xa0000, 1);
  Scanned s = ScanSrat(t);
  EXPECT_EQ(s.count.source, MM_NUMA_SOURCE_SRAT);
  EXPECT_EQ(s.count.ranges, 3u);
  EXPECT_EQ(s.count.refused, nullptr);
  ASSERT_EQ(s.fill, MM_OK);
  ASSERT_EQ(s.numa.count, 3u);
  EXPECT_EQ(mm_numa_nodes(&s.numa), 2u);
  EXPECT_EQ(s.numa.ranges[0].base, 0x0u);
  EXPECT_EQ(s.numa.ranges[0].node, 0u);
  EXPECT_EQ(s.numa.ranges[0].pxm, 5u);
  EXPECT_EQ(s.numa.ranges[1].base, 0x40000000u);
  EXPECT_EQ(s.numa.ranges[1].end, 0x48000000u);
  EXPECT_EQ(s.numa.ranges[2].node, 1u);
  EXPECT_EQ(s.numa.ranges[2].pxm, 9u);
  EXPECT_EQ(s.numa.ranges[2].end, 0x50000000u);
  EXPECT_EQ(mm_numa_node_of(&s.numa, 0x100000000), MM_NODE_ANY);
}

TEST(PlatformNuma, SratWithOnlyCpuEntriesIsNoNumaInformation) {
  Table t = Srat();
  SratGicc(t, 0, 0);
  Scanned s = ScanSrat(t);
  EXPECT_EQ(s.count.source, MM_NUMA_SOURCE_NONE);
  EXPECT_EQ(s.count.refused, nullptr);
  EXPECT_EQ(s.fill, MM_OK);
  EXPECT_EQ(mm_numa_nodes(&s.numa), 1u);
}

TEST(PlatformNuma, OverlappingNodesInTheSratDropToOneNodeNamingThePair) {
  Table t = Srat();
  SratMemory(t, 0, 0x40000000, 0x10000000, 1);
  SratMemory(t, 1, 0x48000000, 0x10000000, 1);
  Scanned s = ScanSrat(t);
  EXPECT_EQ(s.count.source, MM_NUMA_SOURCE_SRAT);
  EXPECT_EQ(s.fill, MM_ERR_BAD_MAP);
  EXPECT_EQ(s.conflict.a.base, 0x40000000u);
  EXPECT_EQ(s.conflict.b.base, 0x48000000u);
  EXPECT_EQ(s.numa.source, MM_NUMA_SOURCE_NONE);
  EXPECT_EQ(s.numa.count, 0u);
  EXPECT_EQ(mm_numa_nodes(&s.numa), 1u);
}

TEST(PlatformNuma, SratWithABadEntryLengthIsRefusedWithAReason) {
  Table t = Srat();
  SratMemory(t, 0, 0x40000000, 0x10000000, 1);
  t.U8(1).U8(0);  // a zero Length: the walk would never advance
  Scanned s = ScanSrat(t);
  EXPECT_EQ(s.count.source, MM_NUMA_SOURCE_NONE);
  EXPECT_EQ(s.count.ranges, 0u);
  EXPECT_STREQ(s.count.refused, "srat_bad_entry_length");
  EXPECT_EQ(mm_numa_nodes(&s.numa), 1u);
}

TEST(PlatformNuma, SratRangeThatWrapsIsRefused) {
  Table t = Srat();
  SratMemory(t, 0, ~0ull - 0xfff, 0x2000, 1);
  Scanned s = ScanSrat(t);
  EXPECT_EQ(s.count.source, MM_NUMA_SOURCE_NONE);
  EXPECT_STREQ(s.count.refused, "srat_range_wraps");
}

TEST(PlatformNuma, DevicetreeNumaNodeIdBecomesNodes) {
  FakePhys mem;
  std::vector<uint8_t> dtb = ReadDtb("numa");
  mem.Place(kDtb, dtb);
  Scanned s = Scan(mem, platform_tables{0, kDtb, dtb.size(), 0});
  EXPECT_EQ(s.count.source, MM_NUMA_SOURCE_DEVICETREE);
  EXPECT_EQ(s.count.ranges, 2u);
  ASSERT_EQ(s.fill, MM_OK);
  ASSERT_EQ(s.numa.count, 2u);
  EXPECT_EQ(s.numa.source, MM_NUMA_SOURCE_DEVICETREE);
  // Sorted by base; dense ids in ascending numa-node-id order although numa-node-id 1 came first in the blob, so
  // the tree's own ids are kept; the id is also kept as pxm.
  EXPECT_EQ(s.numa.ranges[0].base, 0x40000000u);
  EXPECT_EQ(s.numa.ranges[0].end, 0x48000000u);
  EXPECT_EQ(s.numa.ranges[0].pxm, 0u);
  EXPECT_EQ(s.numa.ranges[0].node, 0u);
  EXPECT_EQ(s.numa.ranges[1].base, 0x48000000u);
  EXPECT_EQ(s.numa.ranges[1].pxm, 1u);
  EXPECT_EQ(s.numa.ranges[1].node, 1u);
}

TEST(PlatformNuma, SparseDevicetreeIdsBecomeDenseInAscendingOrderKeepingTheTreeId) {
  FakePhys mem;
  std::vector<uint8_t> dtb = ReadDtb("numa_sparse");
  mem.Place(kDtb, dtb);
  Scanned s = Scan(mem, platform_tables{0, kDtb, dtb.size(), 0});
  EXPECT_EQ(s.count.source, MM_NUMA_SOURCE_DEVICETREE);
  EXPECT_EQ(s.count.ranges, 3u);
  ASSERT_EQ(s.fill, MM_OK);
  ASSERT_EQ(s.numa.count, 3u);
  EXPECT_EQ(mm_numa_nodes(&s.numa), 2u);
  EXPECT_EQ(s.numa.ranges[0].base, 0x40000000u);
  EXPECT_EQ(s.numa.ranges[0].node, 0u);
  EXPECT_EQ(s.numa.ranges[0].pxm, 3u);
  EXPECT_EQ(s.numa.ranges[1].base, 0x80000000u);
  EXPECT_EQ(s.numa.ranges[1].node, 1u);
  EXPECT_EQ(s.numa.ranges[1].pxm, 7u);
  EXPECT_EQ(s.numa.ranges[2].base, 0x100000000u);
  EXPECT_EQ(s.numa.ranges[2].node, 0u);
}

TEST(PlatformNuma, DevicetreeWithoutNumaNodeIdIsOneNode) {
  FakePhys mem;
  std::vector<uint8_t> dtb = ReadDtb("virt");
  mem.Place(kDtb, dtb);
  Scanned s = Scan(mem, platform_tables{0, kDtb, dtb.size(), 0});
  EXPECT_EQ(s.count.source, MM_NUMA_SOURCE_NONE);
  EXPECT_EQ(s.count.refused, nullptr);
  EXPECT_EQ(mm_numa_nodes(&s.numa), 1u);
}

TEST(PlatformNuma, DevicetreeWithNumaNodeIdOnSomeMemoryNodesIsRefused) {
  FakePhys mem;
  std::vector<uint8_t> dtb = ReadDtb("numa_mixed");
  mem.Place(kDtb, dtb);
  Scanned s = Scan(mem, platform_tables{0, kDtb, dtb.size(), 0});
  EXPECT_EQ(s.count.source, MM_NUMA_SOURCE_NONE);
  EXPECT_STREQ(s.count.refused, "devicetree_memory_node_without_numa_node_id");
  EXPECT_EQ(mm_numa_nodes(&s.numa), 1u);
}

TEST(PlatformNuma, NoFirmwareTablesIsOneNode) {
  FakePhys mem;
  Scanned s = Scan(mem, platform_tables{});
  EXPECT_EQ(s.count.source, MM_NUMA_SOURCE_NONE);
  EXPECT_EQ(s.count.refused, nullptr);
  EXPECT_EQ(s.fill, MM_OK);
  EXPECT_EQ(mm_numa_nodes(&s.numa), 1u);
}

TEST(PlatformNuma, FillWithStorageTooSmallLeavesOneNode) {
  Table t = Srat();
  SratMemory(t, 0, 0x40000000, 0x10000000, 1);
  SratMemory(t, 1, 0x50000000, 0x10000000, 1);
  FakePhys mem;
  mem.Place(kRsdp, Rsdp(2, kXsdt));
  mem.Place(kXsdt, Xsdt({kSrat}));
  mem.Place(kSrat, t.Done());
  platform_tables tables{kRsdp, 0, 0, 0};
  platform_info info;
  platform_discover(&info, &tables, mem.Window());
  platform_numa_count c;
  platform_numa_scan(&info, &c);
  ASSERT_EQ(c.ranges, 2u);
  mm_numa_range one[1];
  mm_numa numa;
  mm_numa_init(&numa, one, 1, c.source);
  EXPECT_EQ(platform_numa_fill(&info, &c, &numa, nullptr), MM_ERR_STORAGE_TOO_SMALL);
  EXPECT_EQ(numa.count, 0u);
  EXPECT_EQ(numa.source, MM_NUMA_SOURCE_NONE);
}

}  // namespace
