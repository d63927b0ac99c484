// paging_test.cc (aarch64): builds identity tables in a simulated physical memory and checks them with a
// walker written from the Arm ARM (DDI 0487, D8 VMSAv8-64 descriptor formats), independent of paging.c.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "arch/testing/paging_harness.h"

extern "C" {
#include "arch/aarch64/vmsa.h"
#include "arch/arch.h"
}

namespace arch_testing {
namespace {

// Descriptor fields, spelled out again from the Arm ARM rather than shared with paging.c.
constexpr uint64_t kValid = 1ull << 0;
constexpr uint64_t kAddr = 0x0000FFFFFFFFF000ull;  // bits 47:12
constexpr unsigned kAttrIndxShift = 2;
constexpr uint64_t kAP2 = 1ull << 7;  // read-only
constexpr uint64_t kAP1 = 1ull << 6;
constexpr unsigned kShShift = 8;
constexpr uint64_t kAF = 1ull << 10;
constexpr uint64_t kNG = 1ull << 11;
constexpr uint64_t kPXN = 1ull << 53;
constexpr uint64_t kUXN = 1ull << 54;
constexpr uint64_t kTableAttrs = 0xF800000000000000ull;  // NSTable, APTable, UXNTable, PXNTable: 63..59

// Page-table frames only, far from every mapped range; they start as garbage.
constexpr SimLayout kTables{0x0000'7F00'0000'0000ull, 0xA5A5A5A5A5A5A5A5ull, 16};

unsigned AttrIndex(const Leaf &leaf) { return (leaf.entry >> kAttrIndxShift) & 7; }
unsigned Sh(const Leaf &leaf) { return (leaf.entry >> kShShift) & 3; }

// Walks every table from the root at `start_level`; collects leaves, counts tables, checks table descriptors.
class Walker : public Mappings {
 public:
  Walker(const SimMemory &mem, phys_addr_t root, unsigned start_level) : mem_(mem) { Visit(root, start_level, 0); }

 private:
  void Visit(phys_addr_t table, unsigned level, uint64_t va_base) {
    AddTable(table);
    const uint64_t *d = mem_.Table(table);
    if (d == nullptr) return;
    unsigned shift = 12 + 9 * (3 - level);
    for (unsigned i = 0; i < 512; i++) {
      uint64_t e = d[i];
      if ((e & kValid) == 0) {
        EXPECT_EQ(e, 0u) << "invalid descriptor with bits set (table not zeroed?)";
        continue;
      }
      uint64_t va = va_base | (uint64_t)i << shift;
      bool is_table = level < 3 && (e & 2);
      if (level == 3) EXPECT_EQ(e & 3, 3u) << "level-3 descriptor 0b01 is reserved";
      if (level == 0) EXPECT_TRUE(is_table) << "no level-0 blocks with the 4 KiB granule";
      if (is_table) {
        EXPECT_EQ(e & kTableAttrs, 0u) << "table descriptors should not limit the next level";
        EXPECT_EQ(e & ~kAddr, 3u);
        Visit(e & kAddr, level + 1, va);
      } else {
        uint64_t size = 1ull << shift;
        AddLeaf(Leaf{va, size, e, e & kAddr & ~(size - 1)});
      }
    }
  }

  const SimMemory &mem_;
};

unsigned StartLevel(unsigned phys_bits) {
  unsigned va = phys_bits > 48 ? 48 : phys_bits;
  return va > 39 ? 0 : 1;
}

// The root's level for the tables `f` asks for: a requested VA size (va_bits) wins over the physical width.
unsigned StartLevel(const arch_paging_features &f) {
  return f.va_bits != 0 ? StartLevel(f.va_bits) : StartLevel(f.phys_addr_bits);
}

arch_paging_features Features(bool el2 = false, unsigned bits = 44, bool huge_1g = true) {
  arch_paging_features f{};
  f.phys_addr_bits = bits;
  f.nx = true;
  f.huge_1g = huge_1g;
  f.el2_regime = el2;
  return f;
}

// MAIR byte the descriptor's AttrIndx selects, read from the MAIR value activation will program.
unsigned MairByte(unsigned index) { return (AARCH64_MAIR_VALUE >> (8 * index)) & 0xFF; }

unsigned ExpectedMairByte(arch_mem_type type) {
  switch (type) {
    case ARCH_MEM_NORMAL:
      return 0xFF;  // Normal, inner/outer write-back RW-allocate
    case ARCH_MEM_DEVICE:
      return 0x04;  // Device-nGnRE
    case ARCH_MEM_FRAMEBUFFER:
      return 0x44;  // Normal non-cacheable
  }
  return 0x100;
}

void ExpectPermissions(const Leaf &leaf, const arch_map_range &r, bool el2) {
  EXPECT_NE(leaf.entry & kAF, 0u) << "AF must be set";
  EXPECT_EQ(leaf.entry & kNG, 0u) << "identity mappings are global";
  EXPECT_EQ((leaf.entry & kAP2) != 0, r.read_only) << "AP[2] set exactly on read-only ranges";
  EXPECT_EQ(Sh(leaf), 3u) << "inner shareable";
  if (el2) {
    EXPECT_NE(leaf.entry & kAP1, 0u) << "AP[1] is RES1 at EL2 without VHE";
    EXPECT_EQ(leaf.entry & kPXN, 0u) << "PXN is RES0 at EL2 without VHE";
    EXPECT_EQ((leaf.entry & kUXN) != 0, !r.executable) << "bit 54 is XN at EL2";
  } else {
    EXPECT_EQ(leaf.entry & kAP1, 0u) << "no EL0 access (and EL0-writable would imply PXN)";
    EXPECT_NE(leaf.entry & kUXN, 0u) << "UXN always";
    EXPECT_EQ((leaf.entry & kPXN) != 0, !r.executable);
  }
}

void ExpectExactIdentityMap(const SimMemory &mem, const Built &b, const std::vector<arch_map_range> &ranges,
                            const arch_paging_features &f) {
  ASSERT_EQ(b.status, MM_OK);
  Walker w(mem, b.info.root, StartLevel(f));
  ExpectIdentityMapOf(mem, w, b, ranges, [&](const Leaf &leaf, const arch_map_range &r) {
    EXPECT_EQ(leaf.entry & ~(kAddr | 0xFFF0000000000FFFull), 0u) << "stray bits at 0x" << std::hex << leaf.va;
    EXPECT_EQ(MairByte(AttrIndex(leaf)), ExpectedMairByte(r.type)) << "at 0x" << std::hex << leaf.va;
    ExpectPermissions(leaf, r, f.el2_regime);
  });
}

// Both descriptor formats: the EL1&0 regime (also EL2 with VHE) and the EL2 regime without VHE.
class A64PagingBuild : public ::testing::TestWithParam<bool> {
 protected:
  bool el2() const { return GetParam(); }
};

TEST_P(A64PagingBuild, OneGiBAlignedFourGiBUsesLevelOneBlocksAndTwoTables) {
  SimMemory mem(64, kTables);
  std::vector<arch_map_range> ranges = {Range(kGiB, 5 * kGiB)};
  auto f = Features(el2());
  Built b = Build(mem, ranges, f);
  ExpectExactIdentityMap(mem, b, ranges, f);
  EXPECT_EQ(b.info.tables, 2u);  // level 0 + level 1
  EXPECT_EQ(Walker(mem, b.info.root, 0).CountOfSize(kGiB), 4u);
}

TEST_P(A64PagingBuild, NarrowPhysicalWidthStartsAtLevelOneWithOneTable) {
  SimMemory mem(64, kTables);
  std::vector<arch_map_range> ranges = {Range(kGiB, 5 * kGiB)};
  auto f = Features(el2(), 36);
  Built b = Build(mem, ranges, f);
  ExpectExactIdentityMap(mem, b, ranges, f);
  EXPECT_EQ(b.info.tables, 1u);  // the level-1 root holds the four blocks itself
}

TEST_P(A64PagingBuild, WithoutLevelOneBlocksFourGiBUsesTwoMiBBlocks) {
  SimMemory mem(64, kTables);
  std::vector<arch_map_range> ranges = {Range(kGiB, 5 * kGiB)};
  auto f = Features(el2(), 44, false);
  Built b = Build(mem, ranges, f);
  ExpectExactIdentityMap(mem, b, ranges, f);
  EXPECT_EQ(b.info.tables, 6u);  // L0 + L1 + 4 L2
  EXPECT_EQ(Walker(mem, b.info.root, 0).CountOfSize(k2M), 2048u);
}

TEST_P(A64PagingBuild, EdgesUseFourKiBPagesAndTheMiddleUsesBlocks) {
  SimMemory mem(64, kTables);
  std::vector<arch_map_range> ranges = {Range(kGiB - k4K, 2 * kGiB + k2M + 3 * k4K)};
  auto f = Features(el2());
  Built b = Build(mem, ranges, f);
  ExpectExactIdentityMap(mem, b, ranges, f);
  Walker w(mem, b.info.root, 0);
  EXPECT_EQ(SizeAt(w, kGiB - k4K), k4K);
  EXPECT_EQ(SizeAt(w, kGiB), kGiB);
  EXPECT_EQ(SizeAt(w, 2 * kGiB), k2M);
  EXPECT_EQ(SizeAt(w, 2 * kGiB + k2M), k4K);
  EXPECT_EQ(w.CountOfSize(k4K), 4u);
}

TEST_P(A64PagingBuild, QemuVirtLayoutGetsTheRightAttributes) {
  SimMemory mem(64, kTables);
  std::vector<arch_map_range> ranges = {
      Range(0x08000000, 0x08020000, ARCH_MEM_DEVICE, false),      // GIC
      Range(0x09000000, 0x09001000, ARCH_MEM_DEVICE, false),      // PL011
      Range(0x10000000, 0x10400000, ARCH_MEM_FRAMEBUFFER, false),  // a framebuffer
      Range(0x40000000, 0x40200000, ARCH_MEM_NORMAL, false),      // RAM: data
      Range(0x40200000, 0x40280000, ARCH_MEM_NORMAL, true),       // kernel image
      Range(0x40280000, 0x140000000, ARCH_MEM_NORMAL, false),     // rest of 4 GiB RAM
  };
  auto f = Features(el2());
  Built b = Build(mem, ranges, f);
  ExpectExactIdentityMap(mem, b, ranges, f);
}

TEST_P(A64PagingBuild, ReadOnlyRangeHasApTwoSetAndAWritableNeighbourInItsTwoMiBBlockForcesPages) {
  SimMemory mem(64, kTables);
  // Writable [1 GiB, 1 GiB + 512 KiB), read-only up to 1 GiB + 4 MiB: the first 2 MiB block holds both, so the
  // read-only part of it is 4 KiB pages; the next block is read-only throughout and stays one 2 MiB block.
  std::vector<arch_map_range> ranges = {Range(kGiB, kGiB + 0x80000, ARCH_MEM_NORMAL, false),
                                        ReadOnly(Range(kGiB + 0x80000, kGiB + 2 * k2M, ARCH_MEM_NORMAL, false))};
  auto f = Features(el2());
  Built b = Build(mem, ranges, f);
  ExpectExactIdentityMap(mem, b, ranges, f);
  Walker w(mem, b.info.root, 0);
  EXPECT_EQ(SizeAt(w, kGiB + 0x7F000), k4K);
  EXPECT_EQ(SizeAt(w, kGiB + 0x80000), k4K);
  EXPECT_EQ(SizeAt(w, kGiB + k2M), k2M);
  ASSERT_NE(w.Find(kGiB + 0x7F000), nullptr);
  ASSERT_NE(w.Find(kGiB + 0x80000), nullptr);
  ASSERT_NE(w.Find(kGiB + k2M), nullptr);
  EXPECT_EQ(w.Find(kGiB + 0x7F000)->entry & kAP2, 0u) << "the writable neighbour keeps AP[2] = 0";
  EXPECT_NE(w.Find(kGiB + 0x80000)->entry & kAP2, 0u) << "read-only page";
  EXPECT_NE(w.Find(kGiB + k2M)->entry & kAP2, 0u) << "read-only block";
  // AP[1] keeps its regime meaning (RES1 at EL2 without VHE, 0 at EL1): AP[2:1] = 0b11 / 0b10.
  EXPECT_EQ((w.Find(kGiB + k2M)->entry & kAP1) != 0, el2());
}

TEST_P(A64PagingBuild, RangeEndingAtTheTopOfA48BitSpaceIsAcceptedWhenPARangeIs52) {
  SimMemory mem(64, kTables);
  std::vector<arch_map_range> ranges = {Range((1ull << 48) - kGiB - k4K, 1ull << 48)};
  auto f = Features(el2(), 52);
  Built b = Build(mem, ranges, f);
  ExpectExactIdentityMap(mem, b, ranges, f);
}

// The test hook `selftest.va_bits_32` (arch_paging_request_va_bits): fewer VA bits than the firmware's, so the
// kernel's root is a level-1 table where the firmware's is level 0 (as after U-Boot with RAM below 4 GiB).
TEST_P(A64PagingBuild, RequestedThirtyTwoBitVaStartsAtLevelOneOnA44BitCpu) {
  SimMemory mem(64, kTables);
  std::vector<arch_map_range> ranges = {
      Range(0x09000000, 0x09001000, ARCH_MEM_DEVICE, false),  // PL011
      Range(0x40000000, 0x50000000, ARCH_MEM_NORMAL, true),   // 256 MiB of RAM
  };
  auto f = Features(el2(), 44);
  f.va_bits = 32;
  Built b = Build(mem, ranges, f);
  ExpectExactIdentityMap(mem, b, ranges, f);
  EXPECT_EQ(b.info.tables, 1u + 2u + 1u);  // L1 root, an L2 for each GiB used, an L3 for the PL011 page
  uint64_t tcr = aarch64_tcr_value(&f);
  EXPECT_EQ(tcr & 0x3F, 32u) << "T0SZ from the requested VA size";
  EXPECT_EQ(f.el2_regime ? (tcr >> 16) & 7 : (tcr >> 32) & 7, 4u) << "IPS/PS still from the 44-bit PARange";
}

INSTANTIATE_TEST_SUITE_P(Regimes, A64PagingBuild, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool> &info) { return info.param ? "El2NoVhe" : "El1"; });

TEST(A64PagingBuildEdge, EmptyListGivesAnEmptyRoot) {
  SimMemory mem(4, kTables);
  Built b = Build(mem, {}, Features());
  ASSERT_EQ(b.status, MM_OK);
  EXPECT_EQ(b.info.tables, 1u);
  EXPECT_EQ(b.info.mapped_bytes, 0u);
  EXPECT_TRUE(Walker(mem, b.info.root, 0).leaves().empty());
}

TEST(A64PagingBuildEdge, NeighbouringRangesShareTables) {
  SimMemory mem(64, kTables);
  std::vector<arch_map_range> ranges = {Range(0x40001000, 0x40003000, ARCH_MEM_NORMAL, true),
                                        Range(0x40003000, 0x40005000, ARCH_MEM_DEVICE, false)};
  auto f = Features();
  Built b = Build(mem, ranges, f);
  ExpectExactIdentityMap(mem, b, ranges, f);
  EXPECT_EQ(b.info.tables, 4u);  // L0 -> L1 -> L2 -> L3
}

void ExpectRejected(const std::vector<arch_map_range> &ranges, const arch_paging_features &f) {
  ExpectRejected(kTables, ranges, f);
}

TEST(A64PagingBuildEdge, MisalignedBaseIsRejected) { ExpectRejected({Range(0x40000800, 0x40002000)}, Features()); }
TEST(A64PagingBuildEdge, MisalignedEndIsRejected) { ExpectRejected({Range(0x40000000, 0x40000FFF)}, Features()); }
TEST(A64PagingBuildEdge, BaseAboveEndIsRejected) { ExpectRejected({Range(0x40002000, 0x40001000)}, Features()); }
TEST(A64PagingBuildEdge, UnsortedRangesAreRejected) {
  ExpectRejected({Range(0x40000000, 0x40001000), Range(0x09000000, 0x09001000)}, Features());
}
TEST(A64PagingBuildEdge, OverlappingRangesAreRejected) {
  ExpectRejected({Range(0x40000000, 0x40003000), Range(0x40002000, 0x40004000)}, Features());
}
TEST(A64PagingBuildEdge, RangeAbovePhysicalWidthIsRejected) {
  ExpectRejected({Range((1ull << 40) - k4K, (1ull << 40) + k4K)}, Features(false, 40));
}
TEST(A64PagingBuildEdge, RangeAbove48BitsIsRejectedEvenWithA52BitPARange) {
  ExpectRejected({Range(1ull << 48, (1ull << 48) + k4K)}, Features(false, 52));
}
TEST(A64PagingBuildEdge, ImplausiblePhysicalWidthIsRejected) {
  ExpectRejected({Range(0, k4K)}, Features(false, 31));
  ExpectRejected({Range(0, k4K)}, Features(false, 53));
}
TEST(A64PagingBuildEdge, UnknownMemoryTypeIsRejected) {
  ExpectRejected({Range(0, k4K, static_cast<arch_mem_type>(3))}, Features());
}

TEST(A64PagingBuildEdge, NullArgumentsAreRejected) { ExpectNullArgumentsRejected(kTables, Features()); }

TEST(A64PagingBuildEdge, FrameSourceErrorIsReturnedAsIs) {
  // Mapping one 4 KiB page from a level-0 root needs 4 tables; fail each of them in turn.
  ExpectFrameSourceErrorReturnedAsIs(kTables, Range(0x40000000, 0x40001000), 4, Features());
}

TEST(A64PagingBuildEdge, WindowThatCannotMapATableGivesNoMemory) {
  ExpectRefusingWindowGivesNoMemory(kTables, Features());
}

TEST(A64PagingBuildEdge, MisalignedFrameFromTheSourceIsReported) { ExpectMisalignedFrameReported(kTables, Features()); }

// ---- Register values activation programs ---------------------------------------------------------------

TEST(A64Mair, KeepsTheFirmwareIndexLayout) {
  // EDK2 ArmMmuLib: 0 device, 1 non-cacheable 0x44, 2 write-through 0xBB, 3 write-back 0xFF.
  EXPECT_EQ(MairByte(1), 0x44u);
  EXPECT_EQ(MairByte(2), 0xBBu);
  EXPECT_EQ(MairByte(3), 0xFFu);
  EXPECT_EQ(MairByte(0), 0x04u);  // Device-nGnRE where EDK2 has nGnRnE: still Device
  for (unsigned i = 4; i < 8; i++) EXPECT_EQ(MairByte(i), 0u);
}

TEST(A64Tcr, El1MatchesWhatEdk2ProgramsForA44BitCpu) {
  // T0SZ 20 | IRGN0 WBWA | ORGN0 WBWA | SH0 inner | TG0 4K | EPD1 | TG1 4K | IPS 44 bits.
  uint64_t expected = 20 | (1ull << 8) | (1ull << 10) | (3ull << 12) | (1ull << 23) | (2ull << 30) | (4ull << 32);
  arch_paging_features f = Features(false, 44);
  EXPECT_EQ(aarch64_tcr_value(&f), expected);
}

TEST(A64Tcr, El2UsesThePsFieldAndRes1Bits) {
  uint64_t expected = 16 | (1ull << 8) | (1ull << 10) | (3ull << 12) | (5ull << 16) | (1ull << 23) | (1ull << 31);
  arch_paging_features f = Features(true, 48);
  EXPECT_EQ(aarch64_tcr_value(&f), expected);
}

TEST(A64Tcr, FiftyTwoBitPARangeIsCappedAt48) {
  arch_paging_features f = Features(false, 52);
  uint64_t tcr = aarch64_tcr_value(&f);
  EXPECT_EQ(tcr & 0x3F, 16u);
  EXPECT_EQ((tcr >> 32) & 7, 5u);
}

TEST(A64Tcr, T0szAndStartLevelFollowThePhysicalWidth) {
  struct Case {
    unsigned bits, t0sz, ips, level;
  } cases[] = {{32, 32, 0, 1}, {36, 28, 1, 1}, {39, 25, 2, 1}, {40, 24, 2, 0}, {42, 22, 3, 0}, {48, 16, 5, 0}};
  for (const Case &c : cases) {
    arch_paging_features f = Features(false, c.bits);
    uint64_t tcr = aarch64_tcr_value(&f);
    EXPECT_EQ(tcr & 0x3F, c.t0sz) << c.bits;
    EXPECT_EQ((tcr >> 32) & 7, c.ips) << c.bits;
    EXPECT_EQ(aarch64_start_level(aarch64_va_bits(c.bits)), c.level) << c.bits;
  }
}

// ---- One physical limit: what arch_phys_addr_bits reports is what the builder maps ------------------------

TEST(A64PhysLimit, MappableWidthIsThePARangeCappedAt48Bits) {
  EXPECT_EQ(aarch64_mappable_phys_bits(32), 32u);
  EXPECT_EQ(aarch64_mappable_phys_bits(44), 44u);
  EXPECT_EQ(aarch64_mappable_phys_bits(48), 48u);
  EXPECT_EQ(aarch64_mappable_phys_bits(52), 48u);  // no FEAT_LPA2 tables: RAM above 256 TiB is a map repair
}

TEST(A64PhysLimit, BuilderAcceptsExactlyUpToTheMappableWidthForEveryPARange) {
  for (unsigned bits : {32u, 36u, 40u, 42u, 44u, 48u, 52u}) {
    uint64_t top = 1ull << aarch64_mappable_phys_bits(bits);
    auto f = Features(false, bits);
    SimMemory mem(16, kTables);
    std::vector<arch_map_range> below = {Range(top - k4K, top)};
    Built b = Build(mem, below, f);
    EXPECT_EQ(b.status, MM_OK) << "last page below the limit, PARange " << bits;
    ExpectRejected({Range(top, top + k4K)}, f);
  }
}

TEST(A64PhysLimit, RangeAbove256TiBIsRefusedWithAnErrorWhenPARangeIs52) {
  SimMemory mem(16, kTables);
  Built b = Build(mem, {Range((1ull << 48) - k4K, (1ull << 48) + k4K)}, Features(false, 52));
  EXPECT_EQ(b.status, MM_ERR_INVALID_ARGUMENT);
}

TEST(A64RequestedVaBits, RangeAboveTheRequestedVaSizeIsRejected) {
  auto f = Features(false, 44);
  f.va_bits = 32;
  ExpectRejected({Range(0x40000000, (1ull << 32) + k4K)}, f);
}

TEST(A64RequestedVaBits, SizeOutside32BitsToTheMappableWidthIsRejected) {
  auto f = Features(false, 44);
  f.va_bits = 31;
  ExpectRejected({Range(0x40000000, 0x40001000)}, f);
  f.va_bits = 45;
  ExpectRejected({Range(0x40000000, 0x40001000)}, f);
  f = Features(false, 52);
  f.va_bits = 49;  // PARange 52, but the tables map 48 bits
  ExpectRejected({Range(0x40000000, 0x40001000)}, f);
}

TEST(A64RequestedVaBits, RequestIsKeptUntilCleared) {
  EXPECT_EQ(arch_paging_requested_va_bits(), 0u) << "no request by default";
  arch_paging_request_va_bits(32);
  EXPECT_EQ(arch_paging_requested_va_bits(), 32u);
  arch_paging_request_va_bits(0);
  EXPECT_EQ(arch_paging_requested_va_bits(), 0u);
}

// ---- The firmware's translation regime ----------------------------------------------------------------------

constexpr uint64_t kTg4K = 0ull << 14, kTg64K = 1ull << 14, kTg16K = 2ull << 14, kTgReserved = 3ull << 14;

aarch64_geometry Geometry(uint64_t tcr) {
  aarch64_geometry g{99, 99, 99, 99};
  EXPECT_TRUE(aarch64_geometry_from_tcr(tcr, &g)) << std::hex << tcr;
  return g;
}

TEST(A64Geometry, UBootVaSizesWithThe4KiBGranuleStartAtLevel1Below40BitsAndLevel0Above) {
  // U-Boot's get_tcr (arch/arm/cpu/armv8/cache_v8.c) picks VA = 32, 36, 40, 42, 44 or 48 bits from the highest
  // address in its memory map; with 4 KiB pages each level resolves 9 bits above the 12 offset bits.
  struct Case {
    unsigned va_bits, start_level;
  } cases[] = {{32, 1}, {36, 1}, {39, 1}, {40, 0}, {42, 0}, {44, 0}, {48, 0}};
  for (const Case &c : cases) {
    aarch64_geometry g = Geometry(kTg4K | (64u - c.va_bits));
    EXPECT_EQ(g.granule_shift, 12u) << c.va_bits;
    EXPECT_EQ(g.va_bits, c.va_bits);
    EXPECT_EQ(g.start_level, c.start_level) << c.va_bits;
    EXPECT_EQ(g.levels, 4u - c.start_level) << c.va_bits;
  }
}

TEST(A64Geometry, SmallVaSpacesWithThe4KiBGranuleStartAtLevel2And3) {
  EXPECT_EQ(Geometry(kTg4K | 34).start_level, 2u);  // 30 bits: one level-1 entry would cover all of it
  EXPECT_EQ(Geometry(kTg4K | 39).start_level, 2u);  // 25 bits, the largest T0SZ without FEAT_TTST
  EXPECT_EQ(Geometry(kTg4K | 48).start_level, 3u);  // 16 bits (FEAT_TTST)
}

TEST(A64Geometry, SixteenAndSixtyFourKiBGranulesAreDecoded) {
  aarch64_geometry g = Geometry(kTg64K | 16);  // 48 bits: 16 offset + 3 levels of 13 bits (the top one 3 bits)
  EXPECT_EQ(g.granule_shift, 16u);
  EXPECT_EQ(g.start_level, 1u);
  EXPECT_EQ(g.levels, 3u);
  EXPECT_EQ(Geometry(kTg64K | 12).start_level, 1u);  // 52 bits (FEAT_LVA)
  EXPECT_EQ(Geometry(kTg64K | 22).start_level, 2u);  // 42 bits
  EXPECT_EQ(Geometry(kTg16K | 16).start_level, 0u);  // 48 bits: 14 + 11 + 11 + 11 + 1
  EXPECT_EQ(Geometry(kTg16K | 17).start_level, 1u);  // 47 bits
  EXPECT_EQ(Geometry(kTg16K | 28).start_level, 2u);  // 36 bits
  EXPECT_EQ(Geometry(kTg16K | 16).granule_shift, 14u);
}

TEST(A64Geometry, ReservedGranuleOddT0szAndLevelMinusOneAreRefusedAndLeaveTheOutputUntouched) {
  const uint64_t refused[] = {kTgReserved | 16, kTg4K | 11, kTg4K | 49, kTg4K | 63, kTg4K | 12 /* 52 bits: LPA2 */};
  for (uint64_t tcr : refused) {
    aarch64_geometry g{7, 7, 7, 7};
    EXPECT_FALSE(aarch64_geometry_from_tcr(tcr, &g)) << std::hex << tcr;
    EXPECT_EQ(g.granule_shift, 7u);
    EXPECT_EQ(g.va_bits, 7u);
    EXPECT_EQ(g.start_level, 7u);
    EXPECT_EQ(g.levels, 7u);
  }
}

TEST(A64Geometry, KernelTcrDecodesToTheStartLevelTheBuilderUses) {
  for (unsigned bits = 32; bits <= 52; bits++) {
    for (bool el2 : {false, true}) {
      arch_paging_features f = Features(el2, bits);
      aarch64_geometry g = Geometry(aarch64_tcr_value(&f));
      EXPECT_EQ(g.granule_shift, 12u);
      EXPECT_EQ(g.start_level, aarch64_start_level(aarch64_va_bits(bits))) << bits;
      EXPECT_EQ(g.start_level, StartLevel(bits)) << bits;  // the test walker's independent rule
    }
  }
}

constexpr uint64_t kMmfr0Qemu = 0x0000'0000'0000'0005ull;  // PARange 48 bits, TGran4 0b0000 (supported)
constexpr uint64_t kSctlrEdk2 = (1ull << 0) | (1ull << 2) | (1ull << 12);  // M, C, I
constexpr uint64_t kTcrEdk2 = 16 | (1ull << 8) | (1ull << 10) | (3ull << 12);

TEST(A64Regime, Edk2HandOverIsSupported) {
  EXPECT_EQ(aarch64_regime_unsupported(kMmfr0Qemu, kSctlrEdk2, kTcrEdk2), nullptr);
}

TEST(A64Regime, FirmwareGranuleAndStartLevelAreNoRequirement) {
  // U-Boot with a 36-bit VA (level-1 start), and firmware running on 64 KiB or 16 KiB pages: the kernel's
  // tables replace these with the MMU off, so none of them is refused.
  EXPECT_EQ(aarch64_regime_unsupported(kMmfr0Qemu, kSctlrEdk2, kTg4K | 28), nullptr);
  EXPECT_EQ(aarch64_regime_unsupported(kMmfr0Qemu, kSctlrEdk2, kTg64K | 22), nullptr);
  EXPECT_EQ(aarch64_regime_unsupported(kMmfr0Qemu, kSctlrEdk2, kTg16K | 17), nullptr);
}

TEST(A64Regime, CpuWithout4KiBGranuleIsRefusedByName) {
  const char *why = aarch64_regime_unsupported(kMmfr0Qemu | (0xFull << 28), kSctlrEdk2, kTg64K | 16);
  ASSERT_NE(why, nullptr);
  EXPECT_STREQ(why, "cpu_has_no_4k_granule");
  // TGran4 0b0001 (4 KiB with 52-bit addresses) still has the granule.
  EXPECT_EQ(aarch64_regime_unsupported(kMmfr0Qemu | (1ull << 28), kSctlrEdk2, kTcrEdk2), nullptr);
}

TEST(A64Regime, BigEndianTranslationIsRefusedByName) {
  const char *why = aarch64_regime_unsupported(kMmfr0Qemu, kSctlrEdk2 | (1ull << 25), kTcrEdk2);
  ASSERT_NE(why, nullptr);
  EXPECT_STREQ(why, "big_endian_translation");
}

TEST(A64Regime, UndecodableFirmwareTcrIsRefusedByName) {
  const char *reserved = aarch64_regime_unsupported(kMmfr0Qemu, kSctlrEdk2, kTgReserved | 16);
  ASSERT_NE(reserved, nullptr);
  EXPECT_STREQ(reserved, "firmware_tcr_tg0_reserved");
  const char *t0sz = aarch64_regime_unsupported(kMmfr0Qemu, kSctlrEdk2, kTg4K | 50);
  ASSERT_NE(t0sz, nullptr);
  EXPECT_STREQ(t0sz, "firmware_tcr_t0sz_unsupported");
}

}  // namespace
}  // namespace arch_testing
