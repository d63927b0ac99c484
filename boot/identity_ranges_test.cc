// Tests for identity_ranges.c: the identity-mapping policy, against a per-frame reference of the same rules.
#include <cstdint>
#include <random>
#include <vector>

#include "gtest/gtest.h"

extern "C" {
#include "boot/identity_ranges.h"
}

namespace {

constexpr uint64_t kF = MM_FRAME_SIZE;

struct Built {
  mm_status status;
  std::vector<arch_map_range> ranges;
};

// A map from hand-written regions (sorted, disjoint), as mm_firmware_map_init would leave it.
// `raw` are the verbatim descriptors behind them (only their runtime-code entries matter to the policy).
struct Map {
  std::vector<mm_region> regions;
  std::vector<mm_efi_descriptor> raw;
  mm_firmware_map map{};
  explicit Map(std::vector<mm_region> r, std::vector<mm_efi_descriptor> d = {})
      : regions(std::move(r)), raw(std::move(d)) {
    map.regions = regions.data();
    map.region_count = regions.size();
    map.phys_addr_bits = 52;
    if (!raw.empty()) {
      map.raw = reinterpret_cast<const uint8_t *>(raw.data());
      map.raw_bytes = raw.size() * sizeof(mm_efi_descriptor);
      map.descriptor_size = sizeof(mm_efi_descriptor);
      map.descriptor_count = raw.size();
    }
  }
  Map(const Map &) = delete;
};

mm_efi_descriptor Desc(uint32_t type, uint64_t base, uint64_t end, uint64_t attribute) {
  mm_efi_descriptor d{};
  d.type = type;
  d.physical_start = base;
  d.number_of_pages = (end - base) / MM_FRAME_SIZE;
  d.attribute = attribute;
  return d;
}

// A Memory Attributes table's entries (stride 40), as efi_mat_parse describes a copied table.
struct Mat {
  std::vector<mm_efi_descriptor> entries;
  efi_mat_view view{};
  explicit Mat(std::vector<mm_efi_descriptor> e) : entries(std::move(e)) {
    view.entries = reinterpret_cast<const uint8_t *>(entries.data());
    view.stride = sizeof(mm_efi_descriptor);
    view.count = static_cast<uint32_t>(entries.size());
    view.version = 1;
  }
  Mat(const Mat &) = delete;
};

// EFI attribute bits as firmware sets them on RAM (UC|WC|WT|WB) and on MMIO (RUNTIME|UC).
constexpr uint64_t kRamAttr = MM_EFI_MEMORY_UC | MM_EFI_MEMORY_WC | MM_EFI_MEMORY_WT | MM_EFI_MEMORY_WB;

// Regions default to RAM's attributes, as normalization leaves every usable region (it has EFI_MEMORY_WB).
mm_region Region(uint64_t base, uint64_t end, mm_region_type type, uint64_t attribute = kRamAttr) {
  mm_region r{};
  r.base = base;
  r.end = end;
  r.type = type;
  r.attribute = attribute;
  return r;
}

Built Build(const identity_inputs &in) {
  std::vector<uint64_t> scratch(identity_ranges_scratch_bytes(&in) / 8 + 1);
  std::vector<arch_map_range> out(identity_ranges_max(&in));
  uint64_t n = 0;
  mm_status s = identity_ranges_build(&in, scratch.data(), scratch.size() * 8, out.data(), out.size(), &n);
  out.resize(s == MM_OK ? n : 0);
  return {s, out};
}

identity_inputs Inputs(const Map &m) {
  identity_inputs in{};
  in.map = &m.map;
  return in;
}

// What one frame must be mapped as under the policy in identity_ranges.h; mapped=false when unmapped.
struct Want {
  bool mapped;
  arch_mem_type type;
  bool exec;
  bool read_only = false;
  bool operator==(const Want &o) const {
    return mapped == o.mapped && (!mapped || (type == o.type && exec == o.exec && read_only == o.read_only));
  }
};

// The allocator hands these out (now or after reclaiming them), so EFI_MEMORY_RO does not make them read-only.
bool Allocatable(mm_region_type t) {
  return t == MM_REGION_USABLE || t == MM_REGION_BOOT_SERVICES || t == MM_REGION_LOADER || t == MM_REGION_ACPI_RECLAIM;
}

Want Reference(const identity_inputs &in, uint64_t frame) {
  if (frame < kF) return {false, ARCH_MEM_NORMAL, false};
  auto covers = [frame](uint64_t base, uint64_t bytes) {
    return bytes && (base & ~(kF - 1)) <= frame && frame < base + bytes;
  };
  if (covers(in.image_base, in.image_size)) return {true, ARCH_MEM_NORMAL, true};
  for (uint64_t i = 0; i < in.mmio_count; i++) {
    if (covers(in.mmio[i].base, in.mmio[i].end - in.mmio[i].base)) return {true, ARCH_MEM_DEVICE, false};
  }
  if (covers(in.framebuffer_base, in.framebuffer_size)) return {true, ARCH_MEM_FRAMEBUFFER, false};
  for (uint64_t i = 0; i < in.map->region_count; i++) {
    const mm_region &r = in.map->regions[i];
    if (r.base <= frame && frame < r.end) {
      if (r.type == MM_REGION_UNUSABLE || (r.attribute & MM_EFI_MEMORY_RP)) break;
      if (r.type == MM_REGION_RESERVED && !(r.attribute & MM_EFI_MEMORY_RUNTIME)) break;
      bool ro = (r.attribute & MM_EFI_MEMORY_RO) != 0 && !Allocatable(r.type);
      Want w{true, ARCH_MEM_DEVICE, false, ro};
      if (r.type != MM_REGION_MMIO && (r.attribute & MM_EFI_MEMORY_WB)) w.type = ARCH_MEM_NORMAL;
      if (r.type != MM_REGION_MMIO && !(r.attribute & MM_EFI_MEMORY_WB) && (r.attribute & MM_EFI_MEMORY_WC)) {
        w.type = ARCH_MEM_FRAMEBUFFER;
      }
      if (r.type != MM_REGION_RUNTIME_SERVICES) return w;
      auto in_desc = [frame](const mm_efi_descriptor &d) {
        return d.physical_start <= frame && frame < d.physical_start + d.number_of_pages * kF;
      };
      // Priority 3: a table entry of a runtime type (the random inputs keep entries disjoint).
      for (uint32_t k = 0; in.mat && k < in.mat->count; k++) {
        mm_efi_descriptor d = efi_mat_entry(in.mat, k);
        bool code = d.type == MM_EFI_RUNTIME_SERVICES_CODE;
        if ((!code && d.type != MM_EFI_RUNTIME_SERVICES_DATA) || !in_desc(d)) continue;
        return {true, w.type, code && !(d.attribute & MM_EFI_MEMORY_XP), (d.attribute & MM_EFI_MEMORY_RO) != 0};
      }
      // Priority 2: a runtime-code descriptor of the verbatim map, executable unless XP, the region's RO rule.
      for (uint64_t k = 0; k < in.map->descriptor_count; k++) {
        mm_efi_descriptor d = mm_firmware_map_descriptor(in.map, k);
        if (d.type == MM_EFI_RUNTIME_SERVICES_CODE && in_desc(d)) {
          return {true, w.type, !(d.attribute & MM_EFI_MEMORY_XP), ro};
        }
      }
      return w;
    }
  }
  return {false, ARCH_MEM_NORMAL, false};
}

Want Lookup(const std::vector<arch_map_range> &ranges, uint64_t frame) {
  for (const auto &r : ranges) {
    if (r.base <= frame && frame < r.end) return {true, r.type, r.executable, r.read_only};
  }
  return {false, ARCH_MEM_NORMAL, false};
}

void ExpectWellFormed(const std::vector<arch_map_range> &ranges) {
  for (size_t i = 0; i < ranges.size(); i++) {
    EXPECT_LT(ranges[i].base, ranges[i].end);
    EXPECT_EQ(ranges[i].base % kF, 0u);
    EXPECT_EQ(ranges[i].end % kF, 0u);
    if (i > 0) {
      EXPECT_LE(ranges[i - 1].end, ranges[i].base) << "sorted and disjoint";
      bool same = ranges[i - 1].type == ranges[i].type && ranges[i - 1].executable == ranges[i].executable &&
                  ranges[i - 1].read_only == ranges[i].read_only;
      EXPECT_FALSE(ranges[i - 1].end == ranges[i].base && same) << "touching neighbours of one kind are merged";
    }
  }
}

TEST(IdentityRanges, RamAndMmioRegionsAreMappedByTypeAndReservedMemoryIsLeftUnmapped) {
  Map m({Region(0x1000, 0x9f000, MM_REGION_USABLE), Region(0x9f000, 0x100000, MM_REGION_RESERVED),
         Region(0x100000, 0x800000, MM_REGION_BOOT_SERVICES), Region(0x800000, 0x900000, MM_REGION_UNUSABLE),
         Region(0xfe000000, 0xfe100000, MM_REGION_MMIO)});
  Built b = Build(Inputs(m));
  ASSERT_EQ(b.status, MM_OK);
  ASSERT_EQ(b.ranges.size(), 3u);
  EXPECT_EQ(b.ranges[0].base, 0x1000u);
  EXPECT_EQ(b.ranges[0].end, 0x9f000u);
  EXPECT_EQ(b.ranges[1].base, 0x100000u);
  EXPECT_EQ(b.ranges[1].end, 0x800000u);
  EXPECT_EQ(b.ranges[1].type, ARCH_MEM_NORMAL);
  EXPECT_EQ(b.ranges[2].type, ARCH_MEM_DEVICE);
  for (const auto &r : b.ranges) EXPECT_FALSE(r.executable);
}

TEST(IdentityRanges, TheImageIsTheOnlyExecutableRangeAndSplitsTheRamAroundIt) {
  Map m({Region(0x100000, 0x1000000, MM_REGION_USABLE)});
  identity_inputs in = Inputs(m);
  in.image_base = 0x200000;
  in.image_size = 0x4f800;  // not a frame multiple: rounded outward
  Built b = Build(in);
  ASSERT_EQ(b.status, MM_OK);
  ASSERT_EQ(b.ranges.size(), 3u);
  EXPECT_FALSE(b.ranges[0].executable);
  EXPECT_TRUE(b.ranges[1].executable);
  EXPECT_EQ(b.ranges[1].base, 0x200000u);
  EXPECT_EQ(b.ranges[1].end, 0x250000u);
  EXPECT_FALSE(b.ranges[2].executable);
  EXPECT_EQ(b.ranges[2].base, 0x250000u);
}

TEST(IdentityRanges, FramebufferAndArchMmioWinOverTheMapAndAreMappedWhereTheMapSaysNothing) {
  Map m({Region(0x100000, 0x10000000, MM_REGION_USABLE), Region(0x10000000, 0x20000000, MM_REGION_RESERVED)});
  arch_map_range mmio[1] = {{0x9000000, 0x9001000, ARCH_MEM_NORMAL, true, true}};  // type, exec, ro ignored
  identity_inputs in = Inputs(m);
  in.mmio = mmio;
  in.mmio_count = 1;
  in.framebuffer_base = 0x10000000;  // over reserved memory: still mapped
  in.framebuffer_size = 0x400000;
  Built b = Build(in);
  ASSERT_EQ(b.status, MM_OK);
  ExpectWellFormed(b.ranges);
  EXPECT_TRUE((Lookup(b.ranges, 0x9000000) == Want{true, ARCH_MEM_DEVICE, false}));
  EXPECT_TRUE((Lookup(b.ranges, 0x10000000) == Want{true, ARCH_MEM_FRAMEBUFFER, false}));
  EXPECT_TRUE((Lookup(b.ranges, 0x10400000) == Want{false, ARCH_MEM_NORMAL, false}));
}

TEST(IdentityRanges, PageZeroIsNeverMappedEvenWhenRamAndTheImageCoverIt) {
  Map m({Region(0, 0x100000, MM_REGION_USABLE)});
  identity_inputs in = Inputs(m);
  in.image_base = 0;
  in.image_size = 2 * kF;
  Built b = Build(in);
  ASSERT_EQ(b.status, MM_OK);
  ASSERT_EQ(b.ranges.size(), 2u);
  EXPECT_EQ(b.ranges[0].base, kF);
  EXPECT_EQ(b.ranges[0].end, 2 * kF);
  EXPECT_TRUE(b.ranges[0].executable);
}

TEST(IdentityRanges, TouchingRegionsOfOneKindBecomeOneRange) {
  Map m({Region(0x100000, 0x200000, MM_REGION_USABLE), Region(0x200000, 0x300000, MM_REGION_LOADER),
         Region(0x300000, 0x400000, MM_REGION_ACPI_RECLAIM)});
  Built b = Build(Inputs(m));
  ASSERT_EQ(b.status, MM_OK);
  ASSERT_EQ(b.ranges.size(), 1u);
  EXPECT_EQ(b.ranges[0].base, 0x100000u);
  EXPECT_EQ(b.ranges[0].end, 0x400000u);
}

TEST(IdentityRanges, MatchesThePerFrameReferenceOnRandomInputs) {
  const uint64_t seed = 20261130;
  std::mt19937_64 rng(seed);
  const mm_region_type types[] = {MM_REGION_USABLE,        MM_REGION_RESERVED,        MM_REGION_MMIO,
                                  MM_REGION_UNUSABLE,      MM_REGION_BOOT_SERVICES,   MM_REGION_ACPI_NVS,
                                  MM_REGION_SOFT_RESERVED, MM_REGION_RUNTIME_SERVICES};
  // Every frame is also checked for read_only against Reference (RO on runtime, NVS, MMIO... but not on
  // memory the allocator hands out).
  const uint64_t attrs[] = {kRamAttr,
                            kRamAttr,
                            MM_EFI_MEMORY_UC,
                            MM_EFI_MEMORY_WC | MM_EFI_MEMORY_UC,
                            kRamAttr | MM_EFI_MEMORY_RP,
                            kRamAttr | MM_EFI_MEMORY_XP | MM_EFI_MEMORY_RO,
                            0};
  for (int round = 0; round < 300; round++) {
    std::vector<mm_region> regions;
    uint64_t at = (rng() % 4) * kF;
    int n = 1 + rng() % 12;
    for (int i = 0; i < n; i++) {
      at += (rng() % 3) * kF;  // gaps sometimes
      uint64_t len = (1 + rng() % 8) * kF;
      regions.push_back(Region(at, at + len, types[rng() % 8], attrs[rng() % 7]));
      at += len;
    }
    Map m(regions);
    arch_map_range mmio[2];
    identity_inputs in = Inputs(m);
    in.mmio_count = rng() % 3;
    for (uint64_t i = 0; i < in.mmio_count; i++) {
      uint64_t b = (rng() % 64) * kF;
      mmio[i] = {b, b + (1 + rng() % 4) * kF, ARCH_MEM_DEVICE, false, false};
    }
    in.mmio = mmio;
    if (rng() % 2) {
      in.framebuffer_base = (rng() % 64) * kF;
      in.framebuffer_size = (1 + rng() % 6) * kF;
    }
    in.image_base = (rng() % 64) * kF + (rng() % 2) * 0x800;
    in.image_size = (rng() % 5) * kF + 0x123;
    Built b = Build(in);
    ASSERT_EQ(b.status, MM_OK) << "seed " << seed << " round " << round;
    ExpectWellFormed(b.ranges);
    for (uint64_t f = 0; f < 80 * kF; f += kF) {
      ASSERT_TRUE(Lookup(b.ranges, f) == Reference(in, f))
          << "seed " << seed << " round " << round << " frame 0x" << std::hex << f;
    }
  }
}

// ---- Runtime services: code executable, data not, the Memory Attributes table (UEFI 2.10 4.6.4) -----------

constexpr uint64_t kRtAttr = kRamAttr | MM_EFI_MEMORY_RUNTIME;

// The shape OVMF's map has: runtime code and data with the same attributes, which normalization merges into one
// runtime-services region; only the verbatim descriptors tell them apart.
struct RuntimeMap {
  Map m{{Region(0x100000, 0x200000, MM_REGION_USABLE), Region(0x200000, 0x400000, MM_REGION_RUNTIME_SERVICES, kRtAttr),
         Region(0x400000, 0x500000, MM_REGION_USABLE)},
        {Desc(MM_EFI_CONVENTIONAL_MEMORY, 0x100000, 0x200000, kRamAttr),
         Desc(MM_EFI_RUNTIME_SERVICES_CODE, 0x200000, 0x300000, kRtAttr),
         Desc(MM_EFI_RUNTIME_SERVICES_DATA, 0x300000, 0x400000, kRtAttr),
         Desc(MM_EFI_CONVENTIONAL_MEMORY, 0x400000, 0x500000, kRamAttr)}};
};

TEST(IdentityRangesRuntime, WithoutATableRuntimeCodeIsReadWriteExecuteAndRuntimeDataWritableNotExecutable) {
  RuntimeMap rt;
  Built b = Build(Inputs(rt.m));
  ASSERT_EQ(b.status, MM_OK);
  ExpectWellFormed(b.ranges);
  EXPECT_TRUE((Lookup(b.ranges, 0x1ff000) == Want{true, ARCH_MEM_NORMAL, false, false})) << "usable";
  EXPECT_TRUE((Lookup(b.ranges, 0x200000) == Want{true, ARCH_MEM_NORMAL, true, false})) << "code: RWX";
  EXPECT_TRUE((Lookup(b.ranges, 0x2ff000) == Want{true, ARCH_MEM_NORMAL, true, false})) << "code: RWX";
  EXPECT_TRUE((Lookup(b.ranges, 0x300000) == Want{true, ARCH_MEM_NORMAL, false, false})) << "data: RW, NX";
  EXPECT_TRUE((Lookup(b.ranges, 0x400000) == Want{true, ARCH_MEM_NORMAL, false, false})) << "usable";
  ASSERT_EQ(b.ranges.size(), 3u) << "code is one executable range between two non-executable ones";
  EXPECT_EQ(b.ranges[1].base, 0x200000u);
  EXPECT_EQ(b.ranges[1].end, 0x300000u);
}

TEST(IdentityRangesRuntime, ReservedMemoryTheRuntimeServicesUseIsMappedWritableNotExecutable) {
  Map m({Region(0x100000, 0x200000, MM_REGION_RESERVED, kRamAttr),
         Region(0x200000, 0x300000, MM_REGION_RESERVED, MM_EFI_MEMORY_UC | MM_EFI_MEMORY_RUNTIME),
         Region(0x300000, 0x400000, MM_REGION_UNUSABLE, kRtAttr)});
  Built b = Build(Inputs(m));
  ASSERT_EQ(b.status, MM_OK);
  EXPECT_TRUE((Lookup(b.ranges, 0x100000) == Want{false, ARCH_MEM_NORMAL, false})) << "plain reserved: unmapped";
  EXPECT_TRUE((Lookup(b.ranges, 0x200000) == Want{true, ARCH_MEM_DEVICE, false, false})) << "runtime reserved";
  EXPECT_TRUE((Lookup(b.ranges, 0x300000) == Want{false, ARCH_MEM_NORMAL, false})) << "unusable: unmapped";
}

TEST(IdentityRangesRuntime, RuntimeCodeDescriptorWithExecuteProtectIsNotExecutable) {
  Map m({Region(0x200000, 0x300000, MM_REGION_RUNTIME_SERVICES, kRtAttr | MM_EFI_MEMORY_XP)},
        {Desc(MM_EFI_RUNTIME_SERVICES_CODE, 0x200000, 0x300000, kRtAttr | MM_EFI_MEMORY_XP)});
  Built b = Build(Inputs(m));
  ASSERT_EQ(b.status, MM_OK);
  ASSERT_EQ(b.ranges.size(), 1u);
  EXPECT_FALSE(b.ranges[0].executable);
}

TEST(IdentityRangesRuntime, RuntimeCodeInARegionMarkedReadOnlyIsReadOnlyAndExecutable) {
  Map m({Region(0x200000, 0x300000, MM_REGION_RUNTIME_SERVICES, kRtAttr | MM_EFI_MEMORY_RO)},
        {Desc(MM_EFI_RUNTIME_SERVICES_CODE, 0x200000, 0x300000, kRtAttr | MM_EFI_MEMORY_RO)});
  Built b = Build(Inputs(m));
  ASSERT_EQ(b.status, MM_OK);
  ASSERT_EQ(b.ranges.size(), 1u);
  EXPECT_TRUE(b.ranges[0].executable);
  EXPECT_TRUE(b.ranges[0].read_only);
}

TEST(IdentityRangesRuntime, WithATableCodeSectionsAreReadOnlyExecutableAndDataSectionsWritableNotExecutable) {
  RuntimeMap rt;
  // One runtime driver image in the code descriptor: .text RO (RX), .data XP (RW NX); then its pool in the
  // data descriptor, XP.
  Mat mat({Desc(MM_EFI_RUNTIME_SERVICES_CODE, 0x200000, 0x280000, MM_EFI_MEMORY_RUNTIME | MM_EFI_MEMORY_RO),
           Desc(MM_EFI_RUNTIME_SERVICES_CODE, 0x280000, 0x300000, MM_EFI_MEMORY_RUNTIME | MM_EFI_MEMORY_XP),
           Desc(MM_EFI_RUNTIME_SERVICES_DATA, 0x300000, 0x400000, MM_EFI_MEMORY_RUNTIME | MM_EFI_MEMORY_XP)});
  identity_inputs in = Inputs(rt.m);
  in.mat = &mat.view;
  Built b = Build(in);
  ASSERT_EQ(b.status, MM_OK);
  ExpectWellFormed(b.ranges);
  EXPECT_TRUE((Lookup(b.ranges, 0x200000) == Want{true, ARCH_MEM_NORMAL, true, true})) << ".text: RX";
  EXPECT_TRUE((Lookup(b.ranges, 0x27f000) == Want{true, ARCH_MEM_NORMAL, true, true})) << ".text: RX";
  EXPECT_TRUE((Lookup(b.ranges, 0x280000) == Want{true, ARCH_MEM_NORMAL, false, false})) << ".data: RW NX";
  EXPECT_TRUE((Lookup(b.ranges, 0x3ff000) == Want{true, ARCH_MEM_NORMAL, false, false})) << "runtime data: RW NX";
}

TEST(IdentityRangesRuntime, TableReadOnlyIsRespectedOnDataAndDataIsNeverExecutable) {
  RuntimeMap rt;
  Mat mat({Desc(MM_EFI_RUNTIME_SERVICES_DATA, 0x300000, 0x380000, MM_EFI_MEMORY_RUNTIME | MM_EFI_MEMORY_RO),
           Desc(MM_EFI_RUNTIME_SERVICES_DATA, 0x380000, 0x400000, MM_EFI_MEMORY_RUNTIME)});  // no XP: still NX
  identity_inputs in = Inputs(rt.m);
  in.mat = &mat.view;
  Built b = Build(in);
  ASSERT_EQ(b.status, MM_OK);
  EXPECT_TRUE((Lookup(b.ranges, 0x300000) == Want{true, ARCH_MEM_NORMAL, false, true}));
  EXPECT_TRUE((Lookup(b.ranges, 0x380000) == Want{true, ARCH_MEM_NORMAL, false, false}));
}

TEST(IdentityRangesRuntime, TableCodeEntryWithoutReadOnlyOrExecuteProtectIsReadWriteExecute) {
  RuntimeMap rt;
  Mat mat({Desc(MM_EFI_RUNTIME_SERVICES_CODE, 0x200000, 0x300000, MM_EFI_MEMORY_RUNTIME)});
  identity_inputs in = Inputs(rt.m);
  in.mat = &mat.view;
  Built b = Build(in);
  ASSERT_EQ(b.status, MM_OK);
  EXPECT_TRUE((Lookup(b.ranges, 0x200000) == Want{true, ARCH_MEM_NORMAL, true, false}));
}

TEST(IdentityRangesRuntime, RuntimeCodeTheTableDoesNotCoverStaysReadWriteExecute) {
  RuntimeMap rt;
  Mat mat({Desc(MM_EFI_RUNTIME_SERVICES_CODE, 0x200000, 0x240000, MM_EFI_MEMORY_RUNTIME | MM_EFI_MEMORY_RO)});
  identity_inputs in = Inputs(rt.m);
  in.mat = &mat.view;
  Built b = Build(in);
  ASSERT_EQ(b.status, MM_OK);
  EXPECT_TRUE((Lookup(b.ranges, 0x200000) == Want{true, ARCH_MEM_NORMAL, true, true}));
  EXPECT_TRUE((Lookup(b.ranges, 0x240000) == Want{true, ARCH_MEM_NORMAL, true, false}));
}

TEST(IdentityRangesRuntime, TableEntriesOutsideRuntimeRegionsOrOfOtherTypesChangeNothing) {
  Map m({Region(0x100000, 0x200000, MM_REGION_USABLE), Region(0x200000, 0x300000, MM_REGION_RESERVED),
         Region(0x300000, 0x400000, MM_REGION_RUNTIME_SERVICES, kRtAttr)},
        {Desc(MM_EFI_RUNTIME_SERVICES_DATA, 0x300000, 0x400000, kRtAttr)});
  Built without = Build(Inputs(m));
  Mat mat({Desc(MM_EFI_RUNTIME_SERVICES_CODE, 0x100000, 0x180000, MM_EFI_MEMORY_RUNTIME),  // over usable memory
           Desc(MM_EFI_RUNTIME_SERVICES_CODE, 0x200000, 0x280000, MM_EFI_MEMORY_RUNTIME),  // over reserved
           Desc(MM_EFI_LOADER_CODE, 0x300000, 0x380000, MM_EFI_MEMORY_RUNTIME),            // not a runtime type
           Desc(MM_EFI_RUNTIME_SERVICES_CODE, 0x380000, 0x380000, MM_EFI_MEMORY_RUNTIME),  // empty
           Desc(MM_EFI_RUNTIME_SERVICES_CODE, 0xfffffffffffff000, 0x0, 0)});               // wraps 2^64
  mat.entries.back().number_of_pages = 2;
  identity_inputs in = Inputs(m);
  in.mat = &mat.view;
  Built with = Build(in);
  ASSERT_EQ(without.status, MM_OK);
  ASSERT_EQ(with.status, MM_OK);
  ASSERT_EQ(with.ranges.size(), without.ranges.size());
  for (size_t i = 0; i < with.ranges.size(); i++) {
    EXPECT_EQ(with.ranges[i].base, without.ranges[i].base);
    EXPECT_EQ(with.ranges[i].end, without.ranges[i].end);
    EXPECT_FALSE(with.ranges[i].executable);
  }
  EXPECT_TRUE((Lookup(with.ranges, 0x200000) == Want{false, ARCH_MEM_NORMAL, false})) << "reserved stays unmapped";
}

TEST(IdentityRangesRuntime, TableEntryTakesTheMemoryTypeOfTheRegionItLiesIn) {
  // Runtime MMIO-like memory without WB (uncached) and a table entry over it: device, executable per the entry.
  Map m({Region(0x200000, 0x300000, MM_REGION_RUNTIME_SERVICES, MM_EFI_MEMORY_UC | MM_EFI_MEMORY_RUNTIME)});
  Mat mat({Desc(MM_EFI_RUNTIME_SERVICES_CODE, 0x200000, 0x300000, MM_EFI_MEMORY_RUNTIME | MM_EFI_MEMORY_RO)});
  identity_inputs in = Inputs(m);
  in.mat = &mat.view;
  Built b = Build(in);
  ASSERT_EQ(b.status, MM_OK);
  ASSERT_EQ(b.ranges.size(), 1u);
  EXPECT_TRUE((Lookup(b.ranges, 0x200000) == Want{true, ARCH_MEM_DEVICE, true, true}));
}

TEST(IdentityRangesRuntime, TheImageFramebufferAndArchMmioOutrankRuntimeCode) {
  RuntimeMap rt;
  arch_map_range mmio[1] = {{0x210000, 0x211000, ARCH_MEM_DEVICE, false, false}};
  Mat mat({Desc(MM_EFI_RUNTIME_SERVICES_CODE, 0x200000, 0x300000, MM_EFI_MEMORY_RUNTIME | MM_EFI_MEMORY_RO)});
  identity_inputs in = Inputs(rt.m);
  in.mat = &mat.view;
  in.mmio = mmio;
  in.mmio_count = 1;
  in.framebuffer_base = 0x220000;
  in.framebuffer_size = 0x1000;
  in.image_base = 0x230000;
  in.image_size = 0x1000;
  Built b = Build(in);
  ASSERT_EQ(b.status, MM_OK);
  EXPECT_TRUE((Lookup(b.ranges, 0x210000) == Want{true, ARCH_MEM_DEVICE, false, false}));
  EXPECT_TRUE((Lookup(b.ranges, 0x220000) == Want{true, ARCH_MEM_FRAMEBUFFER, false, false}));
  EXPECT_TRUE((Lookup(b.ranges, 0x230000) == Want{true, ARCH_MEM_NORMAL, true, false}));
  EXPECT_TRUE((Lookup(b.ranges, 0x240000) == Want{true, ARCH_MEM_NORMAL, true, true}));
}

TEST(IdentityRangesRuntime, MatchesThePerFrameReferenceOnRandomRuntimeInputs) {
  const uint64_t seed = 20261201;
  std::mt19937_64 rng(seed);
  const mm_region_type types[] = {MM_REGION_USABLE, MM_REGION_RESERVED, MM_REGION_RUNTIME_SERVICES,
                                  MM_REGION_RUNTIME_SERVICES, MM_REGION_MMIO};
  const uint64_t attrs[] = {kRtAttr, kRtAttr | MM_EFI_MEMORY_RO, MM_EFI_MEMORY_UC | MM_EFI_MEMORY_RUNTIME,
                            kRtAttr | MM_EFI_MEMORY_RP};
  const uint32_t mat_types[] = {MM_EFI_RUNTIME_SERVICES_CODE, MM_EFI_RUNTIME_SERVICES_DATA, MM_EFI_LOADER_CODE};
  const uint64_t perms[] = {0, MM_EFI_MEMORY_RO, MM_EFI_MEMORY_XP, MM_EFI_MEMORY_RO | MM_EFI_MEMORY_XP};
  for (int round = 0; round < 300; round++) {
    std::vector<mm_region> regions;
    uint64_t at = kF;
    for (int i = 0, n = 1 + rng() % 8; i < n; i++) {
      at += (rng() % 2) * kF;
      uint64_t len = (1 + rng() % 8) * kF;
      regions.push_back(Region(at, at + len, types[rng() % 5], attrs[rng() % 4]));
      at += len;
    }
    // Disjoint runtime-code descriptors and table entries, which may stray past their regions.
    std::vector<mm_efi_descriptor> raw, entries;
    for (uint64_t a = kF; a < at;) {
      uint64_t len = (1 + rng() % 6) * kF;
      if (rng() % 2) raw.push_back(Desc(MM_EFI_RUNTIME_SERVICES_CODE, a, a + len, kRtAttr | perms[rng() % 4]));
      a += len + (rng() % 3) * kF;
    }
    for (uint64_t a = kF; a < at;) {
      uint64_t len = (1 + rng() % 4) * kF;
      if (rng() % 2)
        entries.push_back(Desc(mat_types[rng() % 3], a, a + len, MM_EFI_MEMORY_RUNTIME | perms[rng() % 4]));
      a += len + (rng() % 2) * kF;
    }
    Map m(regions, raw);
    Mat mat(entries);
    identity_inputs in = Inputs(m);
    if (rng() % 4) in.mat = &mat.view;
    Built b = Build(in);
    ASSERT_EQ(b.status, MM_OK) << "seed " << seed << " round " << round;
    ExpectWellFormed(b.ranges);
    for (uint64_t f = 0; f < at + 2 * kF; f += kF) {
      ASSERT_TRUE(Lookup(b.ranges, f) == Reference(in, f))
          << "seed " << seed << " round " << round << " frame 0x" << std::hex << f;
    }
  }
}

// ---- EFI attributes decide cacheability and whether a region is mapped (UEFI 2.10, 7.2) ----------------

arch_mem_type OnlyRangeType(const Map &m) {
  Built b = Build(Inputs(m));
  EXPECT_EQ(b.status, MM_OK);
  EXPECT_EQ(b.ranges.size(), 1u);
  return b.ranges.empty() ? static_cast<arch_mem_type>(-1) : b.ranges[0].type;
}

TEST(IdentityRangesAttributes, WriteBackCapableRegionIsNormalMemory) {
  EXPECT_EQ(OnlyRangeType(Map({Region(0x100000, 0x200000, MM_REGION_ACPI_NVS, MM_EFI_MEMORY_WB)})), ARCH_MEM_NORMAL);
}

TEST(IdentityRangesAttributes, RegionWithoutWriteBackButWithWriteCombiningIsWriteCombining) {
  EXPECT_EQ(OnlyRangeType(Map({Region(0x100000, 0x200000, MM_REGION_RUNTIME_SERVICES,
                                      MM_EFI_MEMORY_UC | MM_EFI_MEMORY_WC | MM_EFI_MEMORY_RUNTIME)})),
            ARCH_MEM_FRAMEBUFFER);
}

TEST(IdentityRangesAttributes, RegionWithNeitherWriteBackNorWriteCombiningIsUncachedDevice) {
  for (uint64_t attr : {MM_EFI_MEMORY_UC, MM_EFI_MEMORY_WT, MM_EFI_MEMORY_UCE, 0ull}) {
    EXPECT_EQ(OnlyRangeType(Map({Region(0x100000, 0x200000, MM_REGION_ACPI_NVS, attr)})), ARCH_MEM_DEVICE)
        << std::hex << attr;
  }
}

TEST(IdentityRangesAttributes, MmioStaysDeviceEvenWhenItClaimsWriteBack) {
  EXPECT_EQ(OnlyRangeType(Map({Region(0x100000, 0x200000, MM_REGION_MMIO, kRamAttr)})), ARCH_MEM_DEVICE);
}

TEST(IdentityRangesAttributes, ReadProtectedRegionIsNotMapped) {
  Map m({Region(0x100000, 0x200000, MM_REGION_USABLE),
         Region(0x200000, 0x300000, MM_REGION_RUNTIME_SERVICES, kRamAttr | MM_EFI_MEMORY_RP)});
  Built b = Build(Inputs(m));
  ASSERT_EQ(b.status, MM_OK);
  ASSERT_EQ(b.ranges.size(), 1u);
  EXPECT_EQ(b.ranges[0].end, 0x200000u) << "the RP region must stay unmapped";
}

TEST(IdentityRangesAttributes, ExecuteProtectedAndReadOnlyRegionsAreMappedNotExecutable) {
  Map m({Region(0x100000, 0x200000, MM_REGION_RUNTIME_SERVICES, kRamAttr | MM_EFI_MEMORY_XP),
         Region(0x200000, 0x300000, MM_REGION_RUNTIME_SERVICES, kRamAttr | MM_EFI_MEMORY_RO)});
  Built b = Build(Inputs(m));
  ASSERT_EQ(b.status, MM_OK);
  ASSERT_EQ(b.ranges.size(), 2u);  // same type and executability, but only the second is read-only
  for (const auto &r : b.ranges) {
    EXPECT_EQ(r.type, ARCH_MEM_NORMAL);
    EXPECT_FALSE(r.executable);
  }
}

TEST(IdentityRangesAttributes, ReadOnlyRegionYieldsAReadOnlyRangeAndItsWritableNeighbourStaysWritable) {
  Map m({Region(0x100000, 0x200000, MM_REGION_RUNTIME_SERVICES, kRamAttr | MM_EFI_MEMORY_XP),
         Region(0x200000, 0x300000, MM_REGION_RUNTIME_SERVICES, kRamAttr | MM_EFI_MEMORY_RO)});
  Built b = Build(Inputs(m));
  ASSERT_EQ(b.status, MM_OK);
  ExpectWellFormed(b.ranges);
  ASSERT_EQ(b.ranges.size(), 2u) << "a read-only range is never merged into a writable neighbour";
  EXPECT_EQ(b.ranges[0].end, 0x200000u);
  EXPECT_FALSE(b.ranges[0].read_only);
  EXPECT_EQ(b.ranges[1].base, 0x200000u);
  EXPECT_EQ(b.ranges[1].end, 0x300000u);
  EXPECT_TRUE(b.ranges[1].read_only);
}

TEST(IdentityRangesAttributes, TouchingReadOnlyRegionsMergeIntoOneReadOnlyRange) {
  Map m({Region(0x100000, 0x200000, MM_REGION_RUNTIME_SERVICES, kRamAttr | MM_EFI_MEMORY_RO),
         Region(0x200000, 0x300000, MM_REGION_ACPI_NVS, kRamAttr | MM_EFI_MEMORY_RO)});
  Built b = Build(Inputs(m));
  ASSERT_EQ(b.status, MM_OK);
  ASSERT_EQ(b.ranges.size(), 1u);
  EXPECT_TRUE(b.ranges[0].read_only);
}

TEST(IdentityRangesAttributes, ReadOnlyAttributeOnMemoryTheAllocatorHandsOutStaysWritable) {
  for (mm_region_type t : {MM_REGION_USABLE, MM_REGION_BOOT_SERVICES, MM_REGION_LOADER, MM_REGION_ACPI_RECLAIM}) {
    Map m({Region(0x100000, 0x200000, t, kRamAttr | MM_EFI_MEMORY_RO)});
    Built b = Build(Inputs(m));
    ASSERT_EQ(b.status, MM_OK);
    ASSERT_EQ(b.ranges.size(), 1u);
    EXPECT_FALSE(b.ranges[0].read_only) << "region type " << t;
  }
}

TEST(IdentityRangesAttributes, ImageFramebufferAndArchMmioOverAReadOnlyRegionAreWritable) {
  Map m({Region(0x100000, 0x1000000, MM_REGION_RUNTIME_SERVICES, kRamAttr | MM_EFI_MEMORY_RO)});
  arch_map_range mmio[1] = {{0x400000, 0x401000, ARCH_MEM_DEVICE, false, false}};
  identity_inputs in = Inputs(m);
  in.mmio = mmio;
  in.mmio_count = 1;
  in.framebuffer_base = 0x800000;
  in.framebuffer_size = 0x100000;
  in.image_base = 0x200000;
  in.image_size = 0x50000;
  Built b = Build(in);
  ASSERT_EQ(b.status, MM_OK);
  ExpectWellFormed(b.ranges);
  EXPECT_TRUE((Lookup(b.ranges, 0x100000) == Want{true, ARCH_MEM_NORMAL, false, true}));
  EXPECT_TRUE((Lookup(b.ranges, 0x200000) == Want{true, ARCH_MEM_NORMAL, true, false})) << "the image";
  EXPECT_TRUE((Lookup(b.ranges, 0x400000) == Want{true, ARCH_MEM_DEVICE, false, false})) << "arch MMIO";
  EXPECT_TRUE((Lookup(b.ranges, 0x800000) == Want{true, ARCH_MEM_FRAMEBUFFER, false, false})) << "framebuffer";
  EXPECT_TRUE((Lookup(b.ranges, 0x900000) == Want{true, ARCH_MEM_NORMAL, false, true}));
}

TEST(IdentityRangesAttributes, SoftReservedMemoryIsMappedByItsAttributes) {
  EXPECT_EQ(OnlyRangeType(Map({Region(0x100000, 0x200000, MM_REGION_SOFT_RESERVED, kRamAttr | MM_EFI_MEMORY_SP)})),
            ARCH_MEM_NORMAL);
}

TEST(IdentityRangesAttributes, RegionMappingReportsTheRuleForEachKind) {
  arch_mem_type t = ARCH_MEM_NORMAL;
  mm_region reserved = Region(0x1000, 0x2000, MM_REGION_RESERVED);
  EXPECT_FALSE(identity_region_mapping(&reserved, &t));
  mm_region wc = Region(0x1000, 0x2000, MM_REGION_ACPI_NVS, MM_EFI_MEMORY_WC);
  ASSERT_TRUE(identity_region_mapping(&wc, &t));
  EXPECT_EQ(t, ARCH_MEM_FRAMEBUFFER);
}

TEST(IdentityRanges, TooLittleScratchOrOutputIsRefusedAndLeavesTheOutputUntouched) {
  Map m({Region(0x100000, 0x200000, MM_REGION_USABLE)});
  identity_inputs in = Inputs(m);
  std::vector<uint64_t> scratch(identity_ranges_scratch_bytes(&in) / 8);
  std::vector<arch_map_range> out(identity_ranges_max(&in), arch_map_range{7, 7, ARCH_MEM_DEVICE, true, true});
  uint64_t n = 99;
  EXPECT_EQ(identity_ranges_build(&in, scratch.data(), scratch.size() * 8 - 8, out.data(), out.size(), &n),
            MM_ERR_STORAGE_TOO_SMALL);
  EXPECT_EQ(identity_ranges_build(&in, scratch.data(), scratch.size() * 8, out.data(), out.size() - 1, &n),
            MM_ERR_STORAGE_TOO_SMALL);
  EXPECT_EQ(n, 99u);
  EXPECT_EQ(out[0].base, 7u);
}

TEST(IdentityRanges, NullArgumentsAreRefused) {
  Map m({Region(0x100000, 0x200000, MM_REGION_USABLE)});
  identity_inputs in = Inputs(m);
  uint64_t scratch[64];
  arch_map_range out[8];
  uint64_t n = 0;
  EXPECT_EQ(identity_ranges_build(nullptr, scratch, sizeof scratch, out, 8, &n), MM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(identity_ranges_build(&in, nullptr, sizeof scratch, out, 8, &n), MM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(identity_ranges_build(&in, scratch, sizeof scratch, out, 8, nullptr), MM_ERR_INVALID_ARGUMENT);
  in.mmio_count = 1;  // with no mmio array
  EXPECT_EQ(identity_ranges_build(&in, scratch, sizeof scratch, out, 8, &n), MM_ERR_INVALID_ARGUMENT);
  in.mmio_count = 0;
  in.map = nullptr;
  EXPECT_EQ(identity_ranges_build(&in, scratch, sizeof scratch, out, 8, &n), MM_ERR_INVALID_ARGUMENT);
}

}  // namespace
