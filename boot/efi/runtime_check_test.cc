// Tests for runtime_check.c: the runtime services table is checked against the firmware map before any call.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

#include "mm/testing/phys_harness.h"

extern "C" {
#include "boot/efi/efi.h"
#include "boot/efi/runtime_check.h"
}

namespace {

constexpr uint64_t kF = MM_FRAME_SIZE;
constexpr uint64_t kCode = 0x7e000000;  // where the fake services' entry points are said to be
constexpr uint64_t kAttr = MM_EFI_MEMORY_WB | MM_EFI_MEMORY_RUNTIME;

// A runtime services table in host memory, and a firmware map that puts the frames around it in runtime data
// and [kCode, kCode + 16 KiB) in runtime code, as OVMF's map does.
struct Fixture {
  efi_runtime_services rt{};
  std::vector<mm_region> regions;
  std::vector<mm_efi_descriptor> raw;
  mm_firmware_map map{};

  Fixture() {
    rt.hdr.signature = EFI_RUNTIME_SERVICES_SIGNATURE;
    rt.hdr.header_size = sizeof rt;
    rt.get_time = reinterpret_cast<decltype(rt.get_time)>(kCode + 0x123);
    rt.reset_system = reinterpret_cast<decltype(rt.reset_system)>(kCode + 0x3456);
    uint64_t at = reinterpret_cast<uint64_t>(&rt);
    uint64_t base = at & ~(kF - 1), end = (at + sizeof rt + kF - 1) & ~(kF - 1);
    AddRegion(kCode, kCode + 4 * kF, MM_REGION_RUNTIME_SERVICES, MM_EFI_RUNTIME_SERVICES_CODE);
    AddRegion(base, end, MM_REGION_RUNTIME_SERVICES, MM_EFI_RUNTIME_SERVICES_DATA);
  }
  void AddRegion(uint64_t base, uint64_t end, mm_region_type type, uint32_t efi_type, uint64_t attr = kAttr) {
    mm_region r{};
    r.base = base;
    r.end = end;
    r.type = type;
    r.efi_type = efi_type;
    r.attribute = attr;
    regions.push_back(r);
    mm_efi_descriptor d{};
    d.type = efi_type;
    d.physical_start = base;
    d.number_of_pages = (end - base) / kF;
    d.attribute = attr;
    raw.push_back(d);
  }
  const char *Check() {
    std::sort(regions.begin(), regions.end(), [](const mm_region &a, const mm_region &b) { return a.base < b.base; });
    map.regions = regions.data();
    map.region_count = regions.size();
    map.raw = reinterpret_cast<const uint8_t *>(raw.data());
    map.raw_bytes = raw.size() * sizeof(mm_efi_descriptor);
    map.descriptor_size = sizeof(mm_efi_descriptor);
    map.descriptor_count = raw.size();
    return efi_runtime_check(&map, reinterpret_cast<uint64_t>(&rt));
  }
};

TEST(EfiRuntimeCheck, ATableInRuntimeDataWithEntryPointsInRuntimeCodeIsUsable) {
  Fixture f;
  EXPECT_EQ(f.Check(), nullptr);
}

TEST(EfiRuntimeCheck, NoTableOrNoMapIsNone) {
  Fixture f;
  f.Check();
  EXPECT_STREQ(efi_runtime_check(&f.map, 0), "none");
  EXPECT_STREQ(efi_runtime_check(nullptr, 0x1000), "none");
}

TEST(EfiRuntimeCheck, ATableOutsideRuntimeMemoryIsRefusedBeforeItIsRead) {
  Fixture f;
  f.regions[1].type = MM_REGION_BOOT_SERVICES;
  EXPECT_STREQ(f.Check(), "table_outside_runtime_memory");
  // An address no region covers is never dereferenced (this one would fault on the host).
  EXPECT_STREQ(efi_runtime_check(&f.map, 0x10), "table_outside_runtime_memory");
  EXPECT_STREQ(efi_runtime_check(&f.map, UINT64_MAX - 8), "table_outside_runtime_memory");
}

TEST(EfiRuntimeCheck, AReadProtectedRuntimeRegionIsNotMappedSoTheTableIsRefused) {
  Fixture f;
  f.regions[1].attribute |= MM_EFI_MEMORY_RP;
  EXPECT_STREQ(f.Check(), "table_outside_runtime_memory");
}

TEST(EfiRuntimeCheck, AWrongSignatureIsRefused) {
  Fixture f;
  f.rt.hdr.signature ^= 1;
  EXPECT_STREQ(f.Check(), "bad_signature");
}

TEST(EfiRuntimeCheck, AHeaderThatEndsBeforeResetSystemIsRefused) {
  Fixture f;
  f.rt.hdr.header_size = offsetof(efi_runtime_services, reset_system);
  EXPECT_STREQ(f.Check(), "header_too_small");
}

TEST(EfiRuntimeCheck, EntryPointsOutsideRuntimeCodeAreRefused) {
  Fixture f;
  f.rt.get_time = reinterpret_cast<decltype(f.rt.get_time)>(kCode + 4 * kF);  // one past the code descriptor
  EXPECT_STREQ(f.Check(), "get_time_outside_runtime_code");
  Fixture g;
  g.rt.reset_system = reinterpret_cast<decltype(g.rt.reset_system)>(reinterpret_cast<uint64_t>(&g.rt));  // data
  EXPECT_STREQ(g.Check(), "reset_system_outside_runtime_code");
}

// What a runtime call after reclaim relies on: reclaim takes back boot-services and loader memory only, so no
// frame of runtime code, runtime data or runtime MMIO is ever handed out, however much the kernel allocates.
TEST(EfiRuntimeMemory, RuntimeRegionsAreNeverHandedOutEvenAfterReclaimAndExhaustion) {
  mm_testing::PhysHarness h;
  ASSERT_EQ(h.Build({{0x100000, 0x200000, MM_REGION_USABLE},
                     {0x200000, 0x280000, MM_REGION_BOOT_SERVICES},
                     {0x280000, 0x2c0000, MM_REGION_RUNTIME_SERVICES},
                     {0x2c0000, 0x300000, MM_REGION_LOADER},
                     {0x300000, 0x340000, MM_REGION_RUNTIME_SERVICES},
                     {0x340000, 0x400000, MM_REGION_BOOT_SERVICES},
                     {0x9010000, 0x9011000, MM_REGION_MMIO}},
                    {}, 0x100000),
            MM_OK);
  uint64_t gained = 0;
  ASSERT_EQ(mm_phys_reclaim(h.alloc(), &gained), MM_OK);
  EXPECT_EQ(gained, (0x80000 + 0x40000 + 0xc0000) / kF) << "boot services and loader only";
  uint64_t frames = 0;
  phys_addr_t f = 0;
  while (mm_phys_alloc_frame(h.alloc(), &f) == MM_OK) {
    frames++;
    EXPECT_FALSE(f >= 0x280000 && f < 0x2c0000) << std::hex << f;
    EXPECT_FALSE(f >= 0x300000 && f < 0x340000) << std::hex << f;
    EXPECT_FALSE(f >= 0x9010000 && f < 0x9011000) << std::hex << f;
  }
  EXPECT_GT(frames, 0x100000 / kF) << "the allocator handed out the usable and reclaimed memory";
  EXPECT_EQ(h.Check(), "");
}

}  // namespace
