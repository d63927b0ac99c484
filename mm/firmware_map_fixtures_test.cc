// Real firmware maps (testdata/memmaps, taken from public boot logs) through the fixture loader and the
// normalizer: every map must normalize, come out sorted/disjoint/merged, and keep exactly the usable bytes
// an independent interval subtraction computes from the text. Quirks named in each file's header are pinned.
#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "mm/testing/efi_map_builder.h"
#include "mm/testing/fixture_maps.h"
#include "mm/testing/log_capture.h"
#include "mm/testing/sim_phys.h"

extern "C" {
#include "mm/carve.h"
#include "mm/firmware_map.h"
}

namespace {

using mm_testing::FixtureFormat;
using mm_testing::FixtureMap;
using mm_testing::LoadFixture;
using mm_testing::Normalize;
using mm_testing::NormalizedMap;
using mm_testing::ParseFixtureText;
using mm_testing::Serialize;

constexpr uint64_t kFrame = MM_FRAME_SIZE;
constexpr uint64_t kGiB = uint64_t{1} << 30;

using Interval = std::pair<uint64_t, uint64_t>;

// Usable bytes computed straight from the text, by a different method than the sweep: usable entries
// trimmed inward, each non-usable entry rounded outward and subtracted from every usable interval.
uint64_t IndependentUsableBytes(const FixtureMap& m, unsigned phys_bits) {
  const uint64_t limit = phys_bits >= 64 ? UINT64_MAX : (uint64_t{1} << phys_bits);
  std::vector<Interval> usable;
  for (const auto& e : m.entries) {
    if (e.efi_type != MM_EFI_CONVENTIONAL_MEMORY) continue;
    uint64_t b = (e.start + kFrame - 1) & ~(kFrame - 1), x = std::min(e.end & ~(kFrame - 1), limit);
    if (b < x) usable.push_back({b, x});
  }
  for (const auto& e : m.entries) {
    if (e.efi_type == MM_EFI_CONVENTIONAL_MEMORY) continue;
    uint64_t rb = e.start & ~(kFrame - 1), re = (e.end + kFrame - 1) & ~(kFrame - 1);
    std::vector<Interval> next;
    for (const Interval& u : usable) {
      if (re <= u.first || u.second <= rb) {
        next.push_back(u);
        continue;
      }
      if (u.first < rb) next.push_back({u.first, rb});
      if (re < u.second) next.push_back({re, u.second});
    }
    usable = next;
  }
  std::sort(usable.begin(), usable.end());
  uint64_t total = 0, covered_to = 0;
  for (const Interval& u : usable) {  // union, in case usable entries overlap each other
    uint64_t b = std::max(u.first, covered_to);
    if (u.second > b) total += u.second - b;
    covered_to = std::max(covered_to, u.second);
  }
  return total;
}

void ExpectWellFormed(const NormalizedMap& n) {
  ASSERT_EQ(n.status, MM_OK);
  const mm_region* prev = nullptr;
  for (uint64_t i = 0; i < n.map.region_count; i++) {
    const mm_region& r = n.map.regions[i];
    EXPECT_LT(r.base, r.end) << i;
    EXPECT_EQ(r.base % kFrame, 0u) << i;
    EXPECT_EQ(r.end % kFrame, 0u) << i;
    EXPECT_LT(static_cast<uint32_t>(r.type), static_cast<uint32_t>(MM_REGION_TYPE_COUNT));
    if (prev) {
      EXPECT_LE(prev->end, r.base) << "unsorted or overlapping at " << i;
      EXPECT_FALSE(prev->end == r.base && prev->type == r.type && prev->attribute == r.attribute)
          << "unmerged neighbours at " << i;
    }
    prev = &r;
  }
}

struct Expect {
  const char* name;
  FixtureFormat format;
  size_t entries;
  uint64_t min_usable_gib;  // from the machine line in the header (RAM size less firmware and holes)
};

const Expect kFixtures[] = {
    {"e820-amd-volcano-genoa.txt", FixtureFormat::kE820, 38, 740},
    {"e820-dell-poweredge-2850.txt", FixtureFormat::kE820, 16, 15},
    {"efi-arm64-snapdragon-x-elite-laptop.txt", FixtureFormat::kEfi, 65, 29},
    {"efi-asus-zenbook-ux391fa.txt", FixtureFormat::kEfi, 49, 15},
    {"efi-dell-poweredge-r740.txt", FixtureFormat::kEfi, 53, 380},
};

class RealMaps : public ::testing::TestWithParam<Expect> {};

TEST_P(RealMaps, NormalizesToSortedDisjointRegionsKeepingEveryUsableByte) {
  const Expect& want = GetParam();
  FixtureMap m = LoadFixture(want.name);
  ASSERT_EQ(m.entries.size(), want.entries);
  EXPECT_EQ(m.format, want.format);
  for (uint32_t stride : {40u, 48u}) {
    NormalizedMap n = Normalize(Serialize(m.descriptors, stride), stride, 52);
    ExpectWellFormed(n);
    EXPECT_EQ(n.map.descriptor_count, want.entries);
    uint64_t usable = mm_firmware_map_usable_frames(&n.map) * kFrame;
    EXPECT_EQ(usable, IndependentUsableBytes(m, 52)) << want.name;
    EXPECT_GE(usable / kGiB, want.min_usable_gib) << want.name;
  }
}

TEST_P(RealMaps, EarlyStagesRunOnTheRealMap) {
  // Kernel image in the first usable megabyte-aligned spot, then plan and carve as bring-up does.
  FixtureMap m = LoadFixture(GetParam().name);
  NormalizedMap n = Normalize(m.descriptors, 52);
  ASSERT_EQ(n.status, MM_OK);
  mm_reservation storage[64];
  mm_reservation_set set;
  mm_reservation_set_init(&set, storage, 64);
  mm_early_allocator early;
  mm_early_init(&early, &n.map, &set);
  phys_addr_t kernel;
  ASSERT_EQ(mm_early_alloc(&early, 512, 1 << 20, MM_RES_KERNEL_IMAGE, "kernel", &kernel), MM_OK);
  mm_storage_plan plan = runtime_storage_plan(&n.map, set.count);
  EXPECT_EQ(plan.conventional_regions, mm_firmware_map_usable_regions(&n.map));
  mm_testing::SimPhys phys;
  mm_carved_storage carved;
  ASSERT_EQ(carve_option_storage(&early, &plan, phys.window(), &carved), MM_OK);
  EXPECT_EQ(set.count, 3u);
  for (phys_addr_t p : {carved.free_runs_phys, carved.reserved_phys}) {
    bool in_usable = false;
    for (uint64_t i = 0; i < n.map.region_count; i++) {
      const mm_region& r = n.map.regions[i];
      if (r.type == MM_REGION_USABLE && r.base <= p && p < r.end) in_usable = true;
    }
    EXPECT_TRUE(in_usable) << std::hex << p;
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, RealMaps, ::testing::ValuesIn(kFixtures),
                         [](const ::testing::TestParamInfo<Expect>& info) {
                           std::string s = info.param.name;
                           s = s.substr(0, s.size() - 4);
                           for (char& c : s) {
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return s;
                         });

TEST(RealMapsInventory, EveryFixtureFileIsCovered) {
  std::vector<std::string> names = mm_testing::FixtureNames();
  ASSERT_EQ(names.size(), sizeof(kFixtures) / sizeof(kFixtures[0]));
  for (const Expect& e : kFixtures) EXPECT_NE(std::find(names.begin(), names.end(), e.name), names.end());
}

// ---- quirks named in the file headers ------------------------------------------------------------------

TEST(RealMapQuirks, DellR740UnsortedRamAbove4GiBIsSortedAndKept) {
  FixtureMap m = LoadFixture("efi-dell-poweredge-r740.txt");
  NormalizedMap n = Normalize(m.descriptors);
  ASSERT_EQ(n.status, MM_OK);
  EXPECT_GE(n.map.repairs.unsorted, 1u);
  EXPECT_EQ(n.map.repairs.overlaps, 0u);
  const mm_region& last = n.map.regions[n.map.region_count - 1];
  EXPECT_EQ(last.base, 0x100000000u);
  EXPECT_EQ(last.end, 0x6040000000u);
  EXPECT_EQ(last.type, MM_REGION_USABLE);
  // mem49: type 0 with the unusual attr=0x9 keeps its own region next to attr=0x0 neighbours.
  bool found = false;
  for (const mm_region& r : n.Regions()) {
    if (r.base == 0x78000000u) {
      found = true;
      EXPECT_EQ(r.end, 0x7fc00000u);
      EXPECT_EQ(r.attribute, 0x9u);
      EXPECT_EQ(r.type, MM_REGION_RESERVED);
    }
  }
  EXPECT_TRUE(found);
}

TEST(RealMapQuirks, AsusUndefinedAttributeBitsAreKeptVerbatim) {
  FixtureMap m = LoadFixture("efi-asus-zenbook-ux391fa.txt");
  NormalizedMap n = Normalize(m.descriptors);
  ASSERT_EQ(n.status, MM_OK);
  EXPECT_GE(n.map.repairs.unsorted, 1u);
  bool found = false;
  for (const mm_region& r : n.Regions()) {
    if (r.base == 0x7a700000u) {
      found = true;
      EXPECT_EQ(r.attribute, 0x070000000000000full);
      EXPECT_EQ(r.end, 0x7a800000u);
    }
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(mm_firmware_map_descriptor(&n.map, 41).attribute, 0x070000000000000full);
}

TEST(RealMapQuirks, Dell2850UnalignedAcpiBoundaryBecomesAReservedFrame) {
  FixtureMap m = LoadFixture("e820-dell-poweredge-2850.txt");
  NormalizedMap n = Normalize(m.descriptors);
  ASSERT_EQ(n.status, MM_OK);
  EXPECT_EQ(n.map.repairs.overlaps, 1u);  // ACPI data and reserved share the frame at 0xdffcf000
  EXPECT_EQ(n.map.repairs.trimmed, 0u);
  bool acpi = false, reserved = false;
  for (const mm_region& r : n.Regions()) {
    if (r.type == MM_REGION_ACPI_RECLAIM) {
      acpi = true;
      EXPECT_EQ(r.base, 0xdffc0000u);
      EXPECT_EQ(r.end, 0xdffcf000u);
    }
    if (r.base == 0xdffcf000u) {
      reserved = true;
      EXPECT_EQ(r.type, MM_REGION_RESERVED);
      EXPECT_EQ(r.end, 0xdffff000u);
    }
  }
  EXPECT_TRUE(acpi);
  EXPECT_TRUE(reserved);
  // The 8 KiB holes below each 4 GiB boundary stay reserved.
  for (uint64_t hole : {0x1ffffe000ull, 0x2ffffe000ull, 0x3ffffe000ull}) {
    bool seen = false;
    for (const mm_region& r : n.Regions()) {
      if (r.base == hole) {
        seen = true;
        EXPECT_EQ(r.end, hole + 0x2000);
        EXPECT_EQ(r.type, MM_REGION_RESERVED);
      }
    }
    EXPECT_TRUE(seen) << std::hex << hole;
  }
}

TEST(RealMapQuirks, GenoaType20IsReservedAndTheFarRangeFallsOffANarrowWidth) {
  FixtureMap m = LoadFixture("e820-amd-volcano-genoa.txt");
  NormalizedMap wide = Normalize(m.descriptors, 52);
  ASSERT_EQ(wide.status, MM_OK);
  EXPECT_EQ(wide.map.repairs.beyond_phys_width, 0u);
  EXPECT_EQ(wide.Regions().back().base, 0x3ffc00000000u);
  for (const mm_region& r : wide.Regions()) {
    if (r.base == 0xa609a000u) EXPECT_EQ(r.type, MM_REGION_RESERVED);
  }
  // At 45 bits the reserved range at ~64 TiB is beyond the CPU; usable memory is unchanged.
  NormalizedMap narrow = Normalize(m.descriptors, 45);
  ASSERT_EQ(narrow.status, MM_OK);
  EXPECT_EQ(narrow.map.repairs.beyond_phys_width, 1u);
  EXPECT_EQ(narrow.map.region_count, wide.map.region_count - 1);
  EXPECT_EQ(mm_firmware_map_usable_frames(&narrow.map), mm_firmware_map_usable_frames(&wide.map));
  EXPECT_EQ(mm_firmware_map_usable_frames(&narrow.map) * kFrame, IndependentUsableBytes(m, 45));
}

TEST(RealMapQuirks, SnapdragonUnsortedReservedAfterRamAndWriteProtectedRam) {
  FixtureMap m = LoadFixture("efi-arm64-snapdragon-x-elite-laptop.txt");
  NormalizedMap n = Normalize(m.descriptors, 48);
  ASSERT_EQ(n.status, MM_OK);
  EXPECT_GE(n.map.repairs.unsorted, 1u);
  for (const mm_region& r : n.Regions()) {
    if (r.type == MM_REGION_USABLE) EXPECT_NE(r.attribute & 0x1000, 0u) << std::hex << r.base;
  }
  EXPECT_EQ(n.Regions().front().base, 0xc264000u);  // the MMIO page listed near the end sorts first
  EXPECT_EQ(n.Regions().front().type, MM_REGION_MMIO);
}

TEST(RealMapQuirks, RepairsAreLoggedOnceForARealMap) {
  mm_testing::LogCapture cap(LOG_INFO);
  FixtureMap m = LoadFixture("efi-dell-poweredge-r740.txt");
  NormalizedMap n = Normalize(m.descriptors);
  ASSERT_EQ(n.status, MM_OK);
  ASSERT_EQ(cap.Events("mm.map_repairs").size(), 1u);
  EXPECT_EQ(cap.Events("mm.map_repairs")[0],
            "mm.map_repairs unsorted=1 overlaps=0 trimmed=0 unknown_types=0 zero_length=0 beyond_phys_width=0");
  ASSERT_EQ(cap.Events("mm.firmware_map").size(), 1u);
}

// ---- the loader's own formats --------------------------------------------------------------------------

TEST(FixtureLoader, ParsesEveryLineShape) {
  FixtureMap m = ParseFixtureText(
      "inline",
      "# comment efi: mem00: type=7, attr=0xf, range=[0x0-0x1000)\n"
      "[    0.000000] efi: mem00: type=7, attr=0xf, range=[0x0000000000002000-0x0000000000010000) (0MB)\n"
      "efi: mem01: [Conventional Memory|   |  |  |  |  |  |  |   |WB|WT|WC|UC] range=[0x0000000000100000-0x0000000000ffffff] (15MB)\n"
      "efi: mem41: [Reserved           |attr=0x070000000000000f] range=[0x000000007a700000-0x000000007a7fffff] (1MB)\n"
      "[    0.000000] efi:   0x000081a00000-0x000081a3ffff [Reserved    |   |  |  |  |  |  |  |  |WP|  |   |WB|WT|WC|UC]\n"
      "[    0.000000] efi:   0x00000c264000-0x00000c264fff [MMIO        |RUN|  |  |  |  |  |  |  |  |  |   |  |  |  |UC]\n"
      "[    0.000000] BIOS-e820: [mem 0x00000000a609a000-0x00000000a61fefff] type 20\n"
      " BIOS-e820: 00000000dffc0000 - 00000000dffcfc00 (ACPI data)\n"
      " BIOS-e820: 0000000000000000 - 00000000000a0000 (usable)\n"
      "[    0.000000] BIOS-provided physical RAM map:\n");
  ASSERT_EQ(m.entries.size(), 8u);
  EXPECT_EQ(m.entries[0].start, 0x2000u);
  EXPECT_EQ(m.entries[0].end, 0x10000u);
  EXPECT_EQ(m.entries[0].efi_type, 7u);
  EXPECT_EQ(m.entries[0].attribute, 0xfu);
  EXPECT_EQ(m.entries[1].end, 0x1000000u);
  EXPECT_EQ(m.entries[1].attribute, 0xfu);
  EXPECT_EQ(m.entries[2].attribute, 0x070000000000000full);
  EXPECT_EQ(m.entries[2].efi_type, 0u);
  EXPECT_EQ(m.entries[3].start, 0x81a00000u);
  EXPECT_EQ(m.entries[3].end, 0x81a40000u);
  EXPECT_EQ(m.entries[3].attribute, 0x100fu);
  EXPECT_EQ(m.entries[4].efi_type, 11u);
  EXPECT_EQ(m.entries[4].attribute, 0x8000000000000001ull);
  EXPECT_EQ(m.entries[5].efi_type, 0u);
  EXPECT_EQ(m.entries[5].end, 0xa61ff000u);
  EXPECT_EQ(m.entries[6].efi_type, 9u);
  EXPECT_EQ(m.entries[6].end, 0xdffcfc00u);
  EXPECT_EQ(m.descriptors[6].number_of_pages, 16u);  // non-usable rounds outward
  EXPECT_EQ(m.entries[7].efi_type, 7u);
  EXPECT_EQ(m.descriptors[7].number_of_pages, 0xa0u);
}

TEST(FixtureLoader, E820TypesMapToEfiTypes) {
  FixtureMap m = ParseFixtureText("inline",
                                  "BIOS-e820: [mem 0x0-0xfff] usable\n"
                                  "BIOS-e820: [mem 0x1000-0x1fff] reserved\n"
                                  "BIOS-e820: [mem 0x2000-0x2fff] ACPI data\n"
                                  "BIOS-e820: [mem 0x3000-0x3fff] ACPI NVS\n"
                                  "BIOS-e820: [mem 0x4000-0x4fff] unusable\n"
                                  "BIOS-e820: [mem 0x5000-0x5fff] persistent (type 12)\n"
                                  "BIOS-e820: [mem 0x6000-0x6fff] type 12\n"
                                  "BIOS-e820: [mem 0x7000-0x7fff] type 20\n");
  std::vector<uint32_t> types;
  for (const auto& e : m.entries) types.push_back(e.efi_type);
  EXPECT_EQ(types, (std::vector<uint32_t>{7, 0, 9, 10, 8, 14, 14, 0}));
}

TEST(FixtureLoader, UsableEntryWithoutAWholeFrameHasZeroPages) {
  FixtureMap m = ParseFixtureText("inline", " BIOS-e820: 0000000000000800 - 0000000000001800 (usable)\n");
  ASSERT_EQ(m.descriptors.size(), 1u);
  EXPECT_EQ(m.descriptors[0].number_of_pages, 0u);
}

}  // namespace
