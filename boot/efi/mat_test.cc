// Tests for mat.c: the Memory Attributes table's shape (UEFI 2.10 4.6.4).
#include <cstdint>
#include <cstring>
#include <vector>

#include "gtest/gtest.h"

extern "C" {
#include "boot/efi/efi.h"
#include "boot/efi/mat.h"
}

namespace {

// A table as firmware lays it out: the 16-byte header, then `entries` at `stride` bytes each.
std::vector<uint8_t> Table(uint32_t version, uint32_t stride, const std::vector<mm_efi_descriptor> &entries,
                           uint32_t claimed = UINT32_MAX) {
  efi_memory_attributes_table h{version, claimed == UINT32_MAX ? static_cast<uint32_t>(entries.size()) : claimed,
                                stride, 0};
  std::vector<uint8_t> t(sizeof h + entries.size() * stride, 0xa5);
  std::memcpy(t.data(), &h, sizeof h);
  for (size_t i = 0; i < entries.size(); i++) {
    std::memcpy(t.data() + sizeof h + i * stride, &entries[i], sizeof(mm_efi_descriptor));
  }
  return t;
}

mm_efi_descriptor Entry(uint32_t type, uint64_t base, uint64_t pages, uint64_t attr) {
  mm_efi_descriptor d{};
  d.type = type;
  d.physical_start = base;
  d.number_of_pages = pages;
  d.attribute = attr;
  return d;
}

TEST(EfiMat, ParsesEntriesAtTheTablesStrideWiderThanTheDescriptor) {
  auto t = Table(1, 48,
                 {Entry(MM_EFI_RUNTIME_SERVICES_CODE, 0x7f000000, 4, MM_EFI_MEMORY_RUNTIME | MM_EFI_MEMORY_RO),
                  Entry(MM_EFI_RUNTIME_SERVICES_DATA, 0x7f004000, 2, MM_EFI_MEMORY_RUNTIME | MM_EFI_MEMORY_XP)});
  efi_mat_view v{};
  ASSERT_EQ(efi_mat_parse(t.data(), t.size(), &v), EFI_MAT_OK);
  EXPECT_EQ(v.count, 2u);
  EXPECT_EQ(v.stride, 48u);
  EXPECT_EQ(v.version, 1u);
  EXPECT_EQ(efi_mat_table_bytes(t.data()), t.size());
  mm_efi_descriptor d = efi_mat_entry(&v, 1);
  EXPECT_EQ(d.type, static_cast<uint32_t>(MM_EFI_RUNTIME_SERVICES_DATA));
  EXPECT_EQ(d.physical_start, 0x7f004000u);
  EXPECT_EQ(d.number_of_pages, 2u);
  EXPECT_EQ(d.attribute, MM_EFI_MEMORY_RUNTIME | MM_EFI_MEMORY_XP);
}

TEST(EfiMat, VersionTwoOfUefi210IsAccepted) {
  auto t = Table(2, 40, {Entry(MM_EFI_RUNTIME_SERVICES_CODE, 0x1000, 1, MM_EFI_MEMORY_RUNTIME)});
  efi_mat_view v{};
  EXPECT_EQ(efi_mat_parse(t.data(), t.size(), &v), EFI_MAT_OK);
  EXPECT_EQ(v.version, 2u);
}

TEST(EfiMat, AnEmptyTableIsValid) {
  auto t = Table(1, 48, {});
  efi_mat_view v{};
  EXPECT_EQ(efi_mat_parse(t.data(), t.size(), &v), EFI_MAT_OK);
  EXPECT_EQ(v.count, 0u);
}

TEST(EfiMat, UnknownVersionIsRefusedAndLeavesTheViewUntouched) {
  for (uint32_t version : {0u, 3u, 0xffffffffu}) {
    auto t = Table(version, 48, {Entry(MM_EFI_RUNTIME_SERVICES_CODE, 0x1000, 1, 0)});
    efi_mat_view v{reinterpret_cast<const uint8_t *>(1), 7, 7, 7};
    EXPECT_EQ(efi_mat_parse(t.data(), t.size(), &v), EFI_MAT_BAD_VERSION) << version;
    EXPECT_EQ(v.stride, 7u);
    EXPECT_EQ(efi_mat_table_bytes(t.data()), 0u);
  }
}

TEST(EfiMat, StrideBelowTheDescriptorOrUnalignedIsRefused) {
  for (uint32_t stride : {0u, 32u, 44u}) {
    auto t = Table(1, 48, {Entry(MM_EFI_RUNTIME_SERVICES_CODE, 0x1000, 1, 0)});
    reinterpret_cast<efi_memory_attributes_table *>(t.data())->descriptor_size = stride;
    efi_mat_view v{};
    EXPECT_EQ(efi_mat_parse(t.data(), t.size(), &v), EFI_MAT_BAD_STRIDE) << stride;
    EXPECT_EQ(efi_mat_table_bytes(t.data()), 0u);
  }
}

TEST(EfiMat, EntriesRunningPastTheCopiedBytesAreRefused) {
  auto t = Table(1, 48, {Entry(MM_EFI_RUNTIME_SERVICES_CODE, 0x1000, 1, 0)}, /*claimed=*/2);
  efi_mat_view v{};
  EXPECT_EQ(efi_mat_parse(t.data(), t.size(), &v), EFI_MAT_TRUNCATED);
  EXPECT_EQ(efi_mat_table_bytes(t.data()), 16u + 2 * 48u) << "what the header claims";
  // A count whose product with the stride needs 64 bits is refused, not wrapped.
  auto huge = Table(1, 48, {}, /*claimed=*/0xfffffffeu);
  EXPECT_EQ(efi_mat_parse(huge.data(), huge.size(), &v), EFI_MAT_TRUNCATED);
  EXPECT_EQ(v.count, 0u);
}

TEST(EfiMat, FewerThanHeaderBytesOrNullIsTruncated) {
  auto t = Table(1, 48, {});
  efi_mat_view v{};
  EXPECT_EQ(efi_mat_parse(t.data(), 15, &v), EFI_MAT_TRUNCATED);
  EXPECT_EQ(efi_mat_parse(nullptr, 64, &v), EFI_MAT_TRUNCATED);
  EXPECT_EQ(efi_mat_table_bytes(nullptr), 0u);
}

TEST(EfiMat, StatusNamesAreStable) {
  EXPECT_STREQ(efi_mat_status_name(EFI_MAT_OK), "ok");
  EXPECT_STREQ(efi_mat_status_name(EFI_MAT_TRUNCATED), "truncated");
  EXPECT_STREQ(efi_mat_status_name(EFI_MAT_BAD_VERSION), "bad_version");
  EXPECT_STREQ(efi_mat_status_name(EFI_MAT_BAD_STRIDE), "bad_stride");
}

}  // namespace
