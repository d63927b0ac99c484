// ap_boot_test.cc: the portable half of the x86_64 secondary-CPU start (ap_boot.h): which trampoline pages a
// Start-Up IPI can name, the transit tables walked by a walker written from the SDM (Vol. 3A 4.5, Tables
// 4-14..4-18) rather than shared with ap_boot.c, and the TSC rate from CPUID leaves 0x15/0x16.
#include <gtest/gtest.h>

#include <cstdint>

extern "C" {
#include "arch/x86_64/ap_boot.h"
}

namespace {

constexpr uint64_t kP = 1ull << 0;
constexpr uint64_t kRW = 1ull << 1;
constexpr uint64_t kUS = 1ull << 2;
constexpr uint64_t kPS = 1ull << 7;
constexpr uint64_t kNX = 1ull << 63;
constexpr uint64_t kAddr = 0x000FFFFFFFFFF000ull;
constexpr uint64_t k2M = 1ull << 21;
constexpr uint64_t kGiB = 1ull << 30;

struct alignas(4096) Tables {
  x86_ap_table t[X86_AP_TRANSIT_TABLES];
};

// Translates `va` through a root whose only entry is `root_entry` (entry 0: every address checked is below
// 512 GiB, or 256 TiB under LA57). Returns the leaf entry of a 2 MiB page, or 0 where nothing is mapped.
uint64_t Walk(uint64_t root_entry, uint64_t va, bool la57) {
  if (la57 && (va >> 48) != 0) return 0;
  if (!la57 && (va >> 39) != 0) return 0;
  uint64_t e = root_entry;
  int levels_below_root = la57 ? 3 : 2;  // tables read below the root: PDPT, PD (a PML4 first under a PML5)
  for (int level = levels_below_root; level >= 1; level--) {
    if ((e & kP) == 0) return 0;
    EXPECT_EQ(e & (kUS | kNX), 0u) << "supervisor, executable all the way down";
    EXPECT_NE(e & kRW, 0u);
    EXPECT_EQ(e & kPS, 0u) << "no large page above the PD";
    const uint64_t *table = reinterpret_cast<const uint64_t *>(static_cast<uintptr_t>(e & kAddr));
    unsigned shift = 21 + 9 * (level - 1);  // PML4: 39, PDPT: 30, PD: 21
    e = table[(va >> shift) & 511];
  }
  if ((e & kP) == 0) return 0;
  EXPECT_NE(e & kPS, 0u) << "a PD leaf maps 2 MiB";
  EXPECT_EQ(e & (kUS | kNX), 0u);
  return e;
}

uint64_t Target(uint64_t leaf, uint64_t va) { return (leaf & kAddr & ~(k2M - 1)) | (va & (k2M - 1)); }

TEST(X86ApTrampoline, AcceptsAlignedPagesBelowOneMibOutsideTheReservedVectors) {
  EXPECT_EQ(x86_ap_trampoline_check(0x1000, 200), nullptr);
  EXPECT_EQ(x86_ap_trampoline_check(0x9F000, 4096), nullptr);
  EXPECT_EQ(x86_ap_trampoline_check(0xC0000, 200), nullptr);
  EXPECT_EQ(x86_ap_trampoline_check(0xFF000, 200), nullptr);
}

TEST(X86ApTrampoline, RefusesPagesAStartUpIpiCannotNameOrTheCodeDoesNotFit) {
  EXPECT_STREQ(x86_ap_trampoline_check(0, 200), "bad_trampoline") << "the null page";
  EXPECT_STREQ(x86_ap_trampoline_check(0x1800, 200), "bad_trampoline") << "not 4 KiB aligned";
  EXPECT_STREQ(x86_ap_trampoline_check(0x100000, 200), "bad_trampoline") << "vector would need 9 bits";
  EXPECT_STREQ(x86_ap_trampoline_check(0x10000000, 200), "bad_trampoline");
  EXPECT_STREQ(x86_ap_trampoline_check(0xA0000, 200), "bad_trampoline") << "vectors 0xA0..0xBF are reserved";
  EXPECT_STREQ(x86_ap_trampoline_check(0xBF000, 200), "bad_trampoline");
  EXPECT_STREQ(x86_ap_trampoline_check(0x8000, 4097), "bad_trampoline") << "the code must fit the page";
}

TEST(X86ApTransit, MapsExactlyThe2MibRegionsHoldingEachAddressIdentityWritableExecutable) {
  static Tables tables;
  const uint64_t addrs[] = {0x8000, 0x140001230ull, 0x140201000ull};  // low page, image above 4 GiB (2 regions)
  uint64_t root = x86_ap_transit_build(tables.t, addrs, 3, false);
  ASSERT_NE(root, 0u);
  for (uint64_t a : addrs) {
    uint64_t leaf = Walk(root, a, false);
    ASSERT_NE(leaf, 0u) << std::hex << a;
    EXPECT_EQ(Target(leaf, a), a) << "identity";
  }
  EXPECT_EQ(Walk(root, 0x8000 + k2M, false), 0u) << "nothing beyond the regions asked for";
  EXPECT_EQ(Walk(root, 0x140001230ull + 2 * k2M, false), 0u);
  EXPECT_EQ(Walk(root, 0x40000000, false), 0u);
  EXPECT_EQ(Walk(root, 0x7F00000000ull, false), 0u);
}

TEST(X86ApTransit, UnderLa57TheRootEntryPointsAtAPml4CoveringTheSameAddresses) {
  static Tables tables;
  const uint64_t addrs[] = {0x3000, 0xDC90000};
  uint64_t root = x86_ap_transit_build(tables.t, addrs, 2, true);
  ASSERT_NE(root, 0u);
  EXPECT_EQ(root & kAddr, reinterpret_cast<uintptr_t>(tables.t[0])) << "entry 0 of the PML5 -> the PML4";
  for (uint64_t a : addrs) EXPECT_EQ(Target(Walk(root, a, true), a), a);
  EXPECT_EQ(Walk(root, 0x3000 + k2M, true), 0u);
}

TEST(X86ApTransit, RebuildingForgetsThePreviousRegions) {
  static Tables tables;
  const uint64_t first[] = {0x5000, 3 * kGiB + 0x1000};
  ASSERT_NE(x86_ap_transit_build(tables.t, first, 2, false), 0u);
  const uint64_t second[] = {0x9000};
  uint64_t root = x86_ap_transit_build(tables.t, second, 1, false);
  ASSERT_NE(root, 0u);
  EXPECT_NE(Walk(root, 0x9000, false), 0u);
  EXPECT_EQ(Walk(root, 3 * kGiB + 0x1000, false), 0u);
}

TEST(X86ApTransit, RefusesAddressesOutsideRootEntryZeroAndMoreGibsThanDirectories) {
  static Tables tables;
  const uint64_t far[] = {0x8000, 512 * kGiB};
  EXPECT_EQ(x86_ap_transit_build(tables.t, far, 2, false), 0u) << "512 GiB lies in root entry 1";
  const uint64_t spread[] = {0x8000, 1 * kGiB, 2 * kGiB, 3 * kGiB};
  EXPECT_EQ(x86_ap_transit_build(tables.t, spread, 4, false), 0u) << "three page directories, four GiBs";
  EXPECT_NE(x86_ap_transit_build(tables.t, spread, 3, false), 0u);
}

TEST(X86TscRate, Leaf15GivesCrystalTimesRatio) {
  // 24 MHz crystal, TSC/crystal = 250/2: 3000 MHz.
  EXPECT_EQ(x86_tsc_rate_from_cpuid(0x16, 2, 250, 24000000, 2100), 3000u);
}

TEST(X86TscRate, Leaf16BaseFrequencyWhenLeaf15DoesNotEnumerateTheCrystal) {
  EXPECT_EQ(x86_tsc_rate_from_cpuid(0x16, 2, 250, 0, 2100), 2100u);
  EXPECT_EQ(x86_tsc_rate_from_cpuid(0x16, 0, 0, 0, 0x10000 | 1800), 1800u) << "EAX[15:0] only";
}

TEST(X86TscRate, FallsBackToTheFastestPlausibleTscSoWaitsAreNeverShort) {
  EXPECT_EQ(x86_tsc_rate_from_cpuid(0xD, 2, 250, 24000000, 2100), X86_TSC_FALLBACK_TICKS_PER_US)
      << "leaves above max_leaf are not read";
  EXPECT_EQ(x86_tsc_rate_from_cpuid(0x16, 0, 0, 0, 0), X86_TSC_FALLBACK_TICKS_PER_US);
  EXPECT_EQ(x86_tsc_rate_from_cpuid(0x15, 1, 1, 100, 0), X86_TSC_FALLBACK_TICKS_PER_US) << "below 1 MHz rounds to 0";
}

}  // namespace
