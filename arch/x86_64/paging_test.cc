// paging_test.cc (x86_64): builds identity tables in a simulated physical memory and checks them with a walker
// written from the Intel SDM (Vol. 3A 4.5, Tables 4-15..4-20), independent of paging.c.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "arch/testing/paging_harness.h"

extern "C" {
#include "arch/arch.h"
#include "arch/x86_64/paging.h"
}

namespace arch_testing {
namespace {

// Entry bits, spelled out again from the SDM rather than shared with paging.c.
constexpr uint64_t kP = 1ull << 0;
constexpr uint64_t kRW = 1ull << 1;
constexpr uint64_t kUS = 1ull << 2;
constexpr uint64_t kPWT = 1ull << 3;
constexpr uint64_t kPCD = 1ull << 4;
constexpr uint64_t kPS = 1ull << 7;
constexpr uint64_t kNX = 1ull << 63;
constexpr uint64_t kAddr = 0x000FFFFFFFFFF000ull;

// Page-table frames at an address far from every mapped range; they start as garbage.
constexpr SimLayout kTables{0x00F0'0000'0000ull, 0xDEADBEEFDEADBEEFull, 8};

bool Writable(const Leaf &leaf) { return (leaf.entry & kRW) != 0; }
bool Nx(const Leaf &leaf) { return (leaf.entry & kNX) != 0; }
// PAT index (SDM Vol. 3A 11.12.3): PAT bit is bit 7 in a PTE, bit 12 in a large page entry.
unsigned PatIndex(const Leaf &leaf) {
  uint64_t pat_bit = leaf.size == k4K ? (1ull << 7) : (1ull << 12);
  return ((leaf.entry & pat_bit) ? 4u : 0u) | ((leaf.entry & kPCD) ? 2u : 0u) | ((leaf.entry & kPWT) ? 1u : 0u);
}

// Walks every table from the root: collects leaves and counts tables; checks non-leaf entries on the way.
class Walker : public Mappings {
 public:
  // `levels` 4: the root is a PML4; 5: a PML5 (CR4.LA57), whose entries have the PML4E format (SDM 4.5).
  Walker(const SimMemory &mem, phys_addr_t root, int levels = 4) : mem_(mem) { Visit(root, levels, 0); }

 private:
  void Visit(phys_addr_t table, int level, uint64_t va_base) {
    AddTable(table);
    const uint64_t *entries = mem_.Table(table);
    if (entries == nullptr) return;
    unsigned shift = 12 + 9 * (level - 1);
    for (unsigned i = 0; i < 512; i++) {
      uint64_t e = entries[i];
      if ((e & kP) == 0) {
        EXPECT_EQ(e, 0u) << "non-present entry with bits set (table not zeroed?)";
        continue;
      }
      uint64_t va = va_base | (uint64_t)i << shift;
      EXPECT_EQ(e & kUS, 0u) << "supervisor-only expected";
      bool leaf = level == 1 || (level <= 3 && (e & kPS));
      EXPECT_FALSE(level >= 4 && (e & kPS)) << "PS is reserved in a PML4E / PML5E";
      if (leaf) {
        uint64_t size = 1ull << shift;
        AddLeaf(Leaf{va, size, e, e & (size == k4K ? kAddr : (kAddr & ~(size - 1)))});
      } else {
        EXPECT_EQ(e & ~kAddr, kP | kRW) << "non-leaf entries should be plain present+writable, no NX";
        Visit(e & kAddr, level - 1, va);
      }
    }
  }

  const SimMemory &mem_;
};

arch_paging_features Features(bool nx = true, bool huge_1g = true, unsigned bits = 46, bool la57 = false) {
  arch_paging_features f{};
  f.phys_addr_bits = bits;
  f.nx = nx;
  f.huge_1g = huge_1g;
  f.el2_regime = false;
  f.la57 = la57;
  return f;
}

arch_paging_features FiveLevel(unsigned bits = 52) { return Features(true, true, bits, true); }

unsigned ExpectedPat(arch_mem_type type) {
  switch (type) {
    case ARCH_MEM_NORMAL:
      return 0;       // WB
    case ARCH_MEM_DEVICE:
      return 3;       // UC
    case ARCH_MEM_FRAMEBUFFER:
      return 2;  // UC- (WC where an MTRR says so)
  }
  return 99;
}

// The full check: identity, attributes, nothing outside the ranges, counters.
void ExpectExactIdentityMap(const SimMemory &mem, const Built &b, const std::vector<arch_map_range> &ranges,
                            const arch_paging_features &f) {
  ASSERT_EQ(b.status, MM_OK);
  EXPECT_EQ(b.info.levels, f.la57 ? 5u : 4u);
  Walker w(mem, b.info.root, f.la57 ? 5 : 4);
  ExpectIdentityMapOf(mem, w, b, ranges, [&](const Leaf &leaf, const arch_map_range &r) {
    EXPECT_EQ(Writable(leaf), !r.read_only) << "R/W at 0x" << std::hex << leaf.va;
    EXPECT_EQ(PatIndex(leaf), ExpectedPat(r.type)) << "at 0x" << std::hex << leaf.va;
    EXPECT_EQ(Nx(leaf), f.nx && !r.executable) << "at 0x" << std::hex << leaf.va;
  });
}

TEST(X86PagingBuild, OneGiBAlignedFourGiBUsesOneGiBPagesAndOnlyTwoTables) {
  SimMemory mem(64, kTables);
  std::vector<arch_map_range> ranges = {Range(0, 4 * kGiB)};
  auto f = Features();
  Built b = Build(mem, ranges, f);
  ExpectExactIdentityMap(mem, b, ranges, f);
  EXPECT_EQ(b.info.tables, 2u);  // PML4 + PDPT
  EXPECT_EQ(Walker(mem, b.info.root).CountOfSize(kGiB), 4u);
}

TEST(X86PagingBuild, WithoutHuge1GFourGiBUsesTwoMiBPages) {
  SimMemory mem(64, kTables);
  std::vector<arch_map_range> ranges = {Range(0, 4 * kGiB)};
  auto f = Features(true, false);
  Built b = Build(mem, ranges, f);
  ExpectExactIdentityMap(mem, b, ranges, f);
  EXPECT_EQ(b.info.tables, 6u);  // PML4 + PDPT + 4 PDs
  EXPECT_EQ(Walker(mem, b.info.root).CountOfSize(k2M), 2048u);
}

TEST(X86PagingBuild, EdgesUseFourKiBPagesAndTheMiddleUsesLargerOnes) {
  SimMemory mem(64, kTables);
  // 4 KiB below a 2 MiB boundary, through 1 GiB + 2 MiB, then 3 pages more.
  std::vector<arch_map_range> ranges = {Range(kGiB - k4K, 2 * kGiB + k2M + 3 * k4K)};
  auto f = Features();
  Built b = Build(mem, ranges, f);
  ExpectExactIdentityMap(mem, b, ranges, f);
  Walker w(mem, b.info.root);
  EXPECT_EQ(SizeAt(w, kGiB - k4K), k4K);
  EXPECT_EQ(SizeAt(w, kGiB), kGiB);
  EXPECT_EQ(SizeAt(w, 2 * kGiB), k2M);
  EXPECT_EQ(SizeAt(w, 2 * kGiB + k2M), k4K);
  EXPECT_EQ(w.CountOfSize(kGiB), 1u);
  EXPECT_EQ(w.CountOfSize(k2M), 1u);
  EXPECT_EQ(w.CountOfSize(k4K), 4u);
}

TEST(X86PagingBuild, UnalignedStartUsesTwoMiBUpToTheFirstGiBBoundary) {
  SimMemory mem(64, kTables);
  std::vector<arch_map_range> ranges = {Range(k2M * 3, 3 * kGiB)};
  auto f = Features();
  Built b = Build(mem, ranges, f);
  ExpectExactIdentityMap(mem, b, ranges, f);
  Walker w(mem, b.info.root);
  EXPECT_EQ(w.CountOfSize(k2M), 512u - 3u);
  EXPECT_EQ(w.CountOfSize(kGiB), 2u);
  EXPECT_EQ(w.CountOfSize(k4K), 0u);
}

TEST(X86PagingBuild, CacheTypesAndNxFollowEachRange) {
  SimMemory mem(64, kTables);
  std::vector<arch_map_range> ranges = {
      Range(0, 0xA0000, ARCH_MEM_NORMAL, false),
      Range(0x100000, 0x200000, ARCH_MEM_NORMAL, true),
      Range(0x200000, 0x8000000, ARCH_MEM_NORMAL, false),
      Range(0x80000000, 0x80400000, ARCH_MEM_FRAMEBUFFER, false),
      Range(0xFEC00000, 0xFEC01000, ARCH_MEM_DEVICE, false),
      Range(0xFEE00000, 0xFEE01000, ARCH_MEM_DEVICE, false),
  };
  auto f = Features();
  Built b = Build(mem, ranges, f);
  ExpectExactIdentityMap(mem, b, ranges, f);
}

TEST(X86PagingBuild, ReadOnlyRangeHasRwClearAndAWritableNeighbourInItsTwoMiBBlockForcesFourKiBPages) {
  SimMemory mem(64, kTables);
  // Writable [2 MiB, 2.5 MiB), read-only [2.5 MiB, 6 MiB): the first 2 MiB block holds both, so the read-only
  // part of it is 4 KiB pages; [4 MiB, 6 MiB) is a whole block of one kind and stays one 2 MiB page.
  std::vector<arch_map_range> ranges = {Range(0x200000, 0x280000, ARCH_MEM_NORMAL, false),
                                        ReadOnly(Range(0x280000, 0x600000, ARCH_MEM_NORMAL, false))};
  auto f = Features();
  Built b = Build(mem, ranges, f);
  ExpectExactIdentityMap(mem, b, ranges, f);
  Walker w(mem, b.info.root);
  EXPECT_EQ(SizeAt(w, 0x27F000), k4K);
  EXPECT_EQ(SizeAt(w, 0x280000), k4K);
  EXPECT_EQ(SizeAt(w, 0x3FF000), k4K);
  EXPECT_EQ(SizeAt(w, 0x400000), k2M);
  ASSERT_NE(w.Find(0x27F000), nullptr);
  ASSERT_NE(w.Find(0x280000), nullptr);
  ASSERT_NE(w.Find(0x400000), nullptr);
  EXPECT_TRUE(Writable(*w.Find(0x27F000))) << "the writable neighbour keeps R/W";
  EXPECT_FALSE(Writable(*w.Find(0x280000))) << "read-only 4 KiB page";
  EXPECT_FALSE(Writable(*w.Find(0x400000))) << "read-only 2 MiB page";
}

TEST(X86PagingBuild, ReadOnlyOneGiBRangeUsesOneGiBPagesWithRwClear) {
  SimMemory mem(64, kTables);
  std::vector<arch_map_range> ranges = {ReadOnly(Range(kGiB, 2 * kGiB, ARCH_MEM_NORMAL, false))};
  auto f = Features();
  Built b = Build(mem, ranges, f);
  ExpectExactIdentityMap(mem, b, ranges, f);
  Walker w(mem, b.info.root);
  ASSERT_NE(w.Find(kGiB), nullptr);
  EXPECT_EQ(w.Find(kGiB)->size, kGiB);
  EXPECT_FALSE(Writable(*w.Find(kGiB)));
}

TEST(X86PagingBuild, NoNxBitsWhenTheCpuLacksNx) {
  SimMemory mem(64, kTables);
  std::vector<arch_map_range> ranges = {Range(0, 0x400000, ARCH_MEM_NORMAL, false),
                                        Range(0xFEC00000, 0xFEC01000, ARCH_MEM_DEVICE, false)};
  auto f = Features(false, true);
  Built b = Build(mem, ranges, f);
  ExpectExactIdentityMap(mem, b, ranges, f);
  Walker w(mem, b.info.root);
  for (const auto &kv : w.leaves()) EXPECT_FALSE(Nx(kv.second));
}

TEST(X86PagingBuild, NeighbouringRangesShareTables) {
  SimMemory mem(64, kTables);
  std::vector<arch_map_range> ranges = {Range(0x1000, 0x3000, ARCH_MEM_NORMAL, true),
                                        Range(0x3000, 0x5000, ARCH_MEM_DEVICE, false),
                                        Range(0x9000, 0xA000, ARCH_MEM_FRAMEBUFFER, false)};
  auto f = Features();
  Built b = Build(mem, ranges, f);
  ExpectExactIdentityMap(mem, b, ranges, f);
  EXPECT_EQ(b.info.tables, 4u);  // one path PML4 -> PDPT -> PD -> PT
}

TEST(X86PagingBuild, RangeEndingAtThePhysicalWidthIsAccepted) {
  SimMemory mem(64, kTables);
  std::vector<arch_map_range> ranges = {Range((1ull << 39) - k2M - k4K, 1ull << 39)};
  auto f = Features(true, true, 39);
  Built b = Build(mem, ranges, f);
  ExpectExactIdentityMap(mem, b, ranges, f);
}

TEST(X86PagingBuild, EmptyListGivesAnEmptyRoot) {
  SimMemory mem(4, kTables);
  auto f = Features();
  Built b = Build(mem, {}, f);
  ASSERT_EQ(b.status, MM_OK);
  EXPECT_EQ(b.info.tables, 1u);
  EXPECT_EQ(b.info.mapped_bytes, 0u);
  EXPECT_TRUE(Walker(mem, b.info.root).leaves().empty());
}

TEST(X86PagingBuild, EmptyRangeMapsNothing) {
  SimMemory mem(8, kTables);
  std::vector<arch_map_range> ranges = {Range(0x5000, 0x5000), Range(0x6000, 0x7000)};
  auto f = Features();
  Built b = Build(mem, ranges, f);
  ExpectExactIdentityMap(mem, b, ranges, f);
}

// Every rejected input consumes no frame and leaves `out` alone.
void ExpectRejected(const std::vector<arch_map_range> &ranges, const arch_paging_features &f) {
  ExpectRejected(kTables, ranges, f);
}

TEST(X86PagingBuild, MisalignedBaseIsRejected) { ExpectRejected({Range(0x1800, 0x3000)}, Features()); }
TEST(X86PagingBuild, MisalignedEndIsRejected) { ExpectRejected({Range(0x1000, 0x3001)}, Features()); }
TEST(X86PagingBuild, BaseAboveEndIsRejected) { ExpectRejected({Range(0x5000, 0x3000)}, Features()); }
TEST(X86PagingBuild, UnsortedRangesAreRejected) {
  ExpectRejected({Range(0x10000, 0x20000), Range(0x1000, 0x2000)}, Features());
}
TEST(X86PagingBuild, OverlappingRangesAreRejected) {
  ExpectRejected({Range(0x1000, 0x3000), Range(0x2000, 0x4000)}, Features());
}
TEST(X86PagingBuild, RangeAbovePhysicalWidthIsRejected) {
  ExpectRejected({Range((1ull << 39) - k4K, (1ull << 39) + k4K)}, Features(true, true, 39));
}
TEST(X86PagingBuild, ImplausiblePhysicalWidthIsRejected) {
  ExpectRejected({Range(0, k4K)}, Features(true, true, 0));
  ExpectRejected({Range(0, k4K)}, Features(true, true, 53));
}
TEST(X86PagingBuild, UnknownMemoryTypeIsRejected) {
  ExpectRejected({Range(0, k4K, static_cast<arch_mem_type>(3))}, Features());
}

TEST(X86PagingBuild, NullArgumentsAreRejected) { ExpectNullArgumentsRejected(kTables, Features()); }

TEST(X86PagingBuild, FrameSourceErrorIsReturnedAsIs) {
  // Mapping one 4 KiB page needs 4 tables; fail each of them in turn.
  ExpectFrameSourceErrorReturnedAsIs(kTables, Range(0x1000, 0x2000), 4, Features());
}

TEST(X86PagingBuild, RunningOutOfFramesIsReported) {
  SimMemory mem(3, kTables);
  Built b = Build(mem, {Range(0x1000, 0x2000)}, Features());
  EXPECT_EQ(b.status, MM_ERR_NO_MEMORY);
}

TEST(X86PagingBuild, WindowThatCannotMapATableGivesNoMemory) { ExpectRefusingWindowGivesNoMemory(kTables, Features()); }

TEST(X86PagingBuild, MisalignedFrameFromTheSourceIsReported) { ExpectMisalignedFrameReported(kTables, Features()); }

}  // namespace
}  // namespace arch_testing

namespace arch_testing {
namespace {

// ---- 5-level paging (CR4.LA57) and the canonical identity limit (SDM Vol. 3A 4.5) -------------------------

TEST(X86PagingBuild, IdentityLimitIs47BitsWith4LevelAnd56With5Level) {
  EXPECT_EQ(x86_identity_limit_bits(false), 47u);
  EXPECT_EQ(x86_identity_limit_bits(true), 56u);
}

TEST(X86PagingBuild, FiveLevelPutsAPml5AboveTheSameIdentityMap) {
  SimMemory mem(64, kTables);
  std::vector<arch_map_range> ranges = {Range(0x1000, 0xA0000, ARCH_MEM_NORMAL, false),
                                        Range(0x100000, 4 * kGiB, ARCH_MEM_NORMAL, true)};
  auto f = FiveLevel();
  Built b = Build(mem, ranges, f);
  ExpectExactIdentityMap(mem, b, ranges, f);
  // PML5 -> PML4 -> PDPT -> PD -> PT: one table more than the 4-level build of the same ranges.
  SimMemory mem4(64, kTables);
  Built b4 = Build(mem4, ranges, Features(true, true, 52));
  ASSERT_EQ(b4.status, MM_OK);
  EXPECT_EQ(b4.info.levels, 4u);
  EXPECT_EQ(b.info.tables, b4.info.tables + 1);
  // The PML5 has exactly one entry (index 0) and it points at a PML4, not at a page.
  const uint64_t *pml5 = mem.Table(b.info.root);
  ASSERT_NE(pml5, nullptr);
  EXPECT_EQ(pml5[0] & ~kAddr, kP | kRW);
  for (unsigned i = 1; i < 512; i++) EXPECT_EQ(pml5[i], 0u) << i;
}

TEST(X86PagingBuild, FiveLevelMapsMemoryAbove2To48WithoutAliasingLowMemory) {
  SimMemory mem(64, kTables);
  const uint64_t high = 1ull << 48;
  std::vector<arch_map_range> ranges = {Range(0x200000, 0x400000), Range(high, high + 2 * kGiB)};
  auto f = FiveLevel();
  Built b = Build(mem, ranges, f);
  ExpectExactIdentityMap(mem, b, ranges, f);
  Walker w(mem, b.info.root, 5);
  EXPECT_EQ(SizeAt(w, high), kGiB);
  EXPECT_EQ(SizeAt(w, 0), 0u) << "2^48 must not wrap to virtual 0";
  // PML5[1] covers 2^48..2^49.
  EXPECT_NE(mem.Table(b.info.root)[1] & kP, 0u);
}

TEST(X86PagingBuild, FourLevelRefusesTheUpperHalfInsteadOfMappingItAtPml4Entry256) {
  // Physical 0x800000000000 would be virtual 0xffff800000000000 through PML4[256]: not an identity map.
  ExpectRejected({Range(0x800000000000ull, 0x800000000000ull + k2M)}, Features(true, true, 52));
  ExpectRejected({Range(0x7FFFFFFFF000ull, 0x800000001000ull)}, Features(true, true, 52));
}

TEST(X86PagingBuild, FourLevelRefusesPhysical2To48InsteadOfAliasingIt) {
  ExpectRejected({Range(1ull << 48, (1ull << 48) + k4K)}, Features(true, true, 52));
}

TEST(X86PagingBuild, FourLevelAcceptsARangeEndingExactlyAt2To47) {
  SimMemory mem(64, kTables);
  std::vector<arch_map_range> ranges = {Range((1ull << 47) - kGiB - k4K, 1ull << 47)};
  auto f = Features(true, true, 52);
  Built b = Build(mem, ranges, f);
  ExpectExactIdentityMap(mem, b, ranges, f);
  Walker w(mem, b.info.root);
  EXPECT_EQ(SizeAt(w, (1ull << 47) - kGiB), kGiB);
  EXPECT_EQ(mem.Table(b.info.root)[256], 0u) << "nothing in the upper half";
}

TEST(X86PagingBuild, FiveLevelStillRefusesRangesAbovePhysicalWidth) {
  ExpectRejected({Range((1ull << 52) - k4K, (1ull << 52) + k4K)}, FiveLevel(52));
}

TEST(X86PagingBuild, FiveLevelFrameSourceErrorIsReturnedAsIs) {
  // One 4 KiB page needs 5 tables under a PML5; fail each of them in turn.
  ExpectFrameSourceErrorReturnedAsIs(kTables, Range(0x1000, 0x2000), 5, FiveLevel());
}

}  // namespace
}  // namespace arch_testing
