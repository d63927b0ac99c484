// memmap_text_test.cc: the text parser, one test per format quirk and per kind of malformed line.
#include <gtest/gtest.h>

#include <string>

extern "C" {
#include "tools/hostlib/memmap_text.h"
}

namespace {

struct Parsed {
  bool ok = false;
  memmap map{};
  memmap_error err{};
  Parsed() = default;
  Parsed(const Parsed &) = delete;
  ~Parsed() {
    if (ok) memmap_free(&map);
  }
};

void Parse(const std::string &text, Parsed *p, memmap_format fmt = MEMMAP_FORMAT_AUTO) {
  p->ok = memmap_parse(text.data(), text.size(), fmt, &p->map, &p->err);
}

TEST(MemmapParse, LinuxEfiNumericFormIsHalfOpen) {
  Parsed p;
  Parse("[    0.000000] efi: mem07: type=7, attr=0xf, range=[0x0000000000100000-0x0000000000200000) (1MB)\n", &p);
  ASSERT_TRUE(p.ok) << p.err.message;
  EXPECT_EQ(p.map.format, MEMMAP_FORMAT_LINUX_EFI);
  ASSERT_EQ(p.map.count, 1u);
  EXPECT_EQ(p.map.entries[0].base, 0x100000u);
  EXPECT_EQ(p.map.entries[0].end, 0x200000u);
  EXPECT_EQ(p.map.entries[0].efi_type, 7u);
  EXPECT_EQ(p.map.entries[0].attribute, 0xfu);
  EXPECT_EQ(p.map.entries[0].cls, MEMMAP_CLASS_CONVENTIONAL);
  EXPECT_EQ(p.map.entries[0].line, 1u);
}

TEST(MemmapParse, CapitalEfiPrefixAndTabTimestamp) {
  Parsed p;
  Parse("[\t0.000000] EFI: mem00: type=3, attr=0xf, range=[0x0000000000000000-0x0000000000001000) (0MB)\n", &p);
  ASSERT_TRUE(p.ok) << p.err.message;
  EXPECT_EQ(p.map.entries[0].efi_type, 3u);
  EXPECT_EQ(p.map.entries[0].cls, MEMMAP_CLASS_BOOT_SERVICES);
}

TEST(MemmapParse, BracketFormHalfOpenAndInclusiveEnds) {
  Parsed p;
  Parse(
      "efi: mem01: [Loader Data        |   |  |  |  |  |  |  |   |WB|WT|WC|UC] "
      "range=[0x0000000000001000-0x0000000000006000) (0MB)\n"
      "efi: mem02: [Conventional Memory|   |  |  |  |  |  |  |   |WB|WT|WC|UC] "
      "range=[0x0000000000006000-0x000000000009efff] (0MB)\n",
      &p);
  ASSERT_TRUE(p.ok) << p.err.message;
  ASSERT_EQ(p.map.count, 2u);
  EXPECT_EQ(p.map.entries[0].end, 0x6000u);
  EXPECT_EQ(p.map.entries[0].efi_type, 2u);
  EXPECT_EQ(p.map.entries[1].end, 0x9f000u);
  EXPECT_EQ(p.map.entries[1].attribute, 0xfu);
  EXPECT_EQ(p.map.entries[1].line, 2u);
}

TEST(MemmapParse, AttributeColumnsBecomeBits) {
  Parsed p;
  Parse(
      "efi: mem43: [Memory Mapped I/O  |RUN|  |  |  |  |WP|  |   |WB|WT|  |UC] "
      "range=[0x00000000f0000000-0x00000000f7ffffff] (128MB)\n",
      &p);
  ASSERT_TRUE(p.ok) << p.err.message;
  EXPECT_EQ(p.map.entries[0].efi_type, 11u);
  EXPECT_EQ(p.map.entries[0].attribute, (1ull << 63) | 0x1000 | 0x8 | 0x4 | 0x1);
}

TEST(MemmapParse, FirmwareBugAttrColumnCarriesRawValue) {
  Parsed p;
  Parse(
      "efi: mem41: [Reserved           |attr=0x070000000000000f] "
      "range=[0x000000007a700000-0x000000007a7fffff] (1MB)\n",
      &p);
  ASSERT_TRUE(p.ok) << p.err.message;
  EXPECT_EQ(p.map.entries[0].efi_type, 0u);
  EXPECT_EQ(p.map.entries[0].attribute, 0x070000000000000full);
  EXPECT_EQ(p.map.entries[0].end, 0x7a800000u);
}

TEST(MemmapParse, Arm64FormAfterProcessingHeader) {
  Parsed p;
  Parse(
      "[    0.000000] efi: Processing EFI memory map:\n"
      "[    0.000000] efi:   0x000080000000-0x0000809fffff [Conventional|   |  |  |  |  |  |  |  |   |WB|WT|WC|UC]\n"
      "[    0.000000] efi:   0x0000a7f01000-0x0000a7f01fff [Runtime Data|RUN|  |  |  |  |  |  |  |WP|  |   |WB|WT|WC|UC]\n",
      &p);
  ASSERT_TRUE(p.ok) << p.err.message;
  ASSERT_EQ(p.map.count, 2u);
  EXPECT_EQ(p.map.entries[0].base, 0x80000000u);
  EXPECT_EQ(p.map.entries[0].end, 0x80a00000u);
  EXPECT_EQ(p.map.entries[1].efi_type, 6u);
  EXPECT_EQ(p.map.entries[1].line, 3u);
}

TEST(MemmapParse, NumericTypePastLinuxNameTable) {
  Parsed p;
  Parse("efi:   0x000080000000-0x000080000fff [type=1879048193|   |  |  |  |  |  |  |  |   |  |  |  |UC]\n", &p);
  ASSERT_TRUE(p.ok) << p.err.message;
  EXPECT_EQ(p.map.entries[0].efi_type, 0x70000001u);
  EXPECT_EQ(p.map.entries[0].cls, MEMMAP_CLASS_OTHER);
}

TEST(MemmapParse, OtherEfiLinesAreIgnored) {
  Parsed p;
  Parse(
      "efi: EFI v2.70 by American Megatrends\n"
      "efi: ACPI 2.0=0x7997a000 ACPI=0x7997a000 SMBIOS=0x7a0f2000 ESRT=0x7a0d1000\n"
      "efi: memattr: Processing EFI Memory Attributes table:\n"
      "efi: mem00: type=7, attr=0xf, range=[0x0-0x1000) (0MB)\n",
      &p);
  ASSERT_TRUE(p.ok) << p.err.message;
  EXPECT_EQ(p.map.count, 1u);
}

TEST(MemmapParse, E820ModernFormIsInclusive) {
  Parsed p;
  Parse(
      "[    0.000000] BIOS-e820: [mem 0x0000000000100000-0x000000007fffffff] usable\n"
      "[    0.000000] BIOS-e820: [mem 0x00000000a4a4b000-0x00000000a4cf2fff] ACPI data\n"
      "[    0.000000] BIOS-e820: [mem 0x00000000a4cf3000-0x00000000a52d3fff] ACPI NVS\n"
      "[    0.000000] BIOS-e820: [mem 0x00000000a609a000-0x00000000a61fefff] type 20\n"
      "[    0.000000] BIOS-e820: [mem 0x0000000100000000-0x00000001ffffffff] persistent (type 12)\n"
      "[    0.000000] BIOS-e820: [mem 0x0000000200000000-0x00000002ffffffff] unusable\n",
      &p);
  ASSERT_TRUE(p.ok) << p.err.message;
  EXPECT_EQ(p.map.format, MEMMAP_FORMAT_E820);
  ASSERT_EQ(p.map.count, 6u);
  EXPECT_EQ(p.map.entries[0].end, 0x80000000u);
  EXPECT_EQ(p.map.entries[0].efi_type, 7u);
  EXPECT_EQ(p.map.entries[0].cls, MEMMAP_CLASS_CONVENTIONAL);
  EXPECT_EQ(p.map.entries[1].cls, MEMMAP_CLASS_ACPI_RECLAIM);
  EXPECT_EQ(p.map.entries[2].cls, MEMMAP_CLASS_ACPI_NVS);
  EXPECT_EQ(p.map.entries[3].raw_type, 20u);
  EXPECT_EQ(p.map.entries[3].efi_type, MEMMAP_E820_OEM_BASE | 20u);
  EXPECT_EQ(p.map.entries[3].cls, MEMMAP_CLASS_OTHER);
  EXPECT_EQ(p.map.entries[4].cls, MEMMAP_CLASS_PERSISTENT);
  EXPECT_EQ(p.map.entries[4].efi_type, 14u);
  EXPECT_EQ(p.map.entries[5].cls, MEMMAP_CLASS_UNUSABLE);
}

TEST(MemmapParse, E820UsableIsWriteBackRamAndOtherTypesHaveNoAttributes) {
  Parsed p;
  Parse(
      "BIOS-e820: [mem 0x0000000000100000-0x000000007fffffff] usable\n"
      "BIOS-e820: [mem 0x00000000a4a4b000-0x00000000a4cf2fff] ACPI data\n"
      "BIOS-e820: [mem 0x00000000a609a000-0x00000000a61fefff] reserved\n",
      &p);
  ASSERT_TRUE(p.ok) << p.err.message;
  ASSERT_EQ(p.map.count, 3u);
  EXPECT_EQ(p.map.entries[0].attribute, 0x8u) << "EFI_MEMORY_WB";
  EXPECT_EQ(p.map.entries[1].attribute, 0u);
  EXPECT_EQ(p.map.entries[2].attribute, 0u);
}

TEST(MemmapParse, E820OldFormIsExclusiveAndMayBeUnaligned) {
  Parsed p;
  Parse(
      "BIOS-provided physical RAM map:\n"
      " BIOS-e820: 0000000000000000 - 00000000000a0000 (usable)\n"
      " BIOS-e820: 00000000dffc0000 - 00000000dffcfc00 (ACPI data)\n"
      " BIOS-e820: 00000000dffcfc00 - 00000000dffff000 (reserved)\n",
      &p);
  ASSERT_TRUE(p.ok) << p.err.message;
  ASSERT_EQ(p.map.count, 3u);
  EXPECT_EQ(p.map.entries[0].end, 0xa0000u);
  EXPECT_EQ(p.map.entries[1].end, 0xdffcfc00u);
  EXPECT_EQ(p.map.entries[2].base, 0xdffcfc00u);
  EXPECT_EQ(p.map.entries[2].efi_type, 0u);
  EXPECT_EQ(p.map.entries[0].line, 2u);
}

TEST(MemmapParse, KernelLogDescriptorsReservationsAndSummaries) {
  Parsed p;
  Parse(
      "noise\x1b[0mmm.firmware_map descriptors=2 descriptor_size=48 version=1\n"
      "mm.desc idx=0 type=7 phys=0x100000 pages=256 attr=0xf\n"
      "[    1.000] mm.desc idx=1 type=4 phys=0x200000 pages=16 attr=0xf\n"
      "mm.reserve phys=0x100000 end=0x102000 kind=kernel_image label=kernel\n"
      "mm.plan free_slots=510 reserved_slots=170 conventional_regions=1 reservations=3\n"
      "mm.stats free_frames=200 reserved_frames=56 free_runs=2 bookkeeping_bytes=8520\n",
      &p);
  ASSERT_TRUE(p.ok) << p.err.message;
  EXPECT_EQ(p.map.format, MEMMAP_FORMAT_KERNEL);
  ASSERT_EQ(p.map.count, 2u);
  EXPECT_EQ(p.map.entries[0].end, 0x200000u);
  EXPECT_EQ(p.map.entries[1].efi_type, 4u);
  ASSERT_EQ(p.map.reservation_count, 1u);
  EXPECT_STREQ(p.map.reservations[0].kind, "kernel_image");
  EXPECT_STREQ(p.map.reservations[0].label, "kernel");
  EXPECT_EQ(p.map.reservations[0].end, 0x102000u);
  EXPECT_TRUE(p.map.kernel.has_plan);
  EXPECT_EQ(p.map.kernel.plan_free_slots, 510u);
  EXPECT_EQ(p.map.kernel.plan_reservations, 3u);
  EXPECT_TRUE(p.map.kernel.has_stats);
  EXPECT_EQ(p.map.kernel.stats_free_runs, 2u);
  EXPECT_TRUE(p.map.kernel.has_stats_bookkeeping_bytes);
  EXPECT_EQ(p.map.kernel.stats_bookkeeping_bytes, 8520u);
  EXPECT_EQ(p.map.kernel.fw_descriptor_size, 48u);
}

TEST(MemmapParse, KernelLogKeepsOnlyTheListingPrintedWithTheFirstStats) {
  Parsed p;
  Parse(
      "mm.desc idx=0 type=7 phys=0x0 pages=256 attr=0xf\n"
      "mm.plan free_slots=256 reserved_slots=85 conventional_regions=1 reservations=3\n"
      "mm.reserve phys=0x0 end=0x1000 kind=identity label=null_page\n"
      "mm.stats free_frames=253 reserved_frames=3 free_runs=1\n"
      "mm.reserve phys=0x0 end=0x1000 kind=identity label=null_page\n"
      "mm.reserve phys=0x4000 end=0x5000 kind=page_tables label=page_tables\n"
      "mm.stats free_frames=300 reserved_frames=4 free_runs=2\n"
      "mm.plan free_slots=1 reserved_slots=1 conventional_regions=1 reservations=1\n",
      &p);
  ASSERT_TRUE(p.ok) << p.err.message;
  EXPECT_EQ(p.map.reservation_count, 1u);
  EXPECT_EQ(p.map.kernel.stats_free_frames, 253u);
  EXPECT_EQ(p.map.kernel.plan_free_slots, 256u);
}

TEST(MemmapParse, AutoPrefersEfiOverE820InTheSameLog) {
  Parsed p;
  Parse(
      "BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable\n"
      "efi: mem00: type=7, attr=0xf, range=[0x0-0x1000) (0MB)\n",
      &p);
  ASSERT_TRUE(p.ok) << p.err.message;
  EXPECT_EQ(p.map.format, MEMMAP_FORMAT_LINUX_EFI);
  Parsed forced;
  Parse(
      "BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable\n"
      "efi: mem00: type=7, attr=0xf, range=[0x0-0x1000) (0MB)\n",
      &forced, MEMMAP_FORMAT_E820);
  ASSERT_TRUE(forced.ok) << forced.err.message;
  EXPECT_EQ(forced.map.format, MEMMAP_FORMAT_E820);
  EXPECT_EQ(forced.map.entries[0].end, 0xa0000u);
}

TEST(MemmapParse, CrLfLineEndingsAreAccepted) {
  Parsed p;
  Parse("BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable\r\n", &p);
  ASSERT_TRUE(p.ok) << p.err.message;
}

// ---- malformed input: no partial answer, and the line number ----

void ExpectError(const std::string &text, unsigned line, const char *needle) {
  Parsed p;
  Parse(text, &p);
  ASSERT_FALSE(p.ok) << "parsed: " << text;
  EXPECT_EQ(p.err.line, line) << p.err.message;
  EXPECT_NE(std::string(p.err.message).find(needle), std::string::npos) << p.err.message;
  EXPECT_EQ(p.map.entries, nullptr);
}

TEST(MemmapParseErrors, TruncatedEfiLine) {
  ExpectError(
      "efi: mem00: type=7, attr=0xf, range=[0x0-0x1000) (0MB)\n"
      "efi: mem01: type=7, attr=0xf, range=[0x0000000000100000-0x00000000002",
      2, "line ends");
}

TEST(MemmapParseErrors, TruncatedE820Line) {
  ExpectError(
      "BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable\n"
      "BIOS-e820: [mem 0x0000000000100000-0x0000\n",
      2, "']'");
}

TEST(MemmapParseErrors, TruncatedArm64Line) {
  ExpectError("efi:   0x000080000000-0x0000809fffff [Conventional|   |  |WB\n", 1, "no closing");
}

TEST(MemmapParseErrors, ReversedRange) {
  ExpectError("x\ny\nBIOS-e820: [mem 0x0000000000200000-0x00000000000fffff] usable\n", 3, "reversed");
  ExpectError("efi: mem00: type=7, attr=0xf, range=[0x2000-0x1000) (0MB)\n", 1, "reversed");
  ExpectError(" BIOS-e820: 0000000000200000 - 0000000000100000 (usable)\n", 1, "reversed");
}

TEST(MemmapParseErrors, NumberPast2To64) {
  ExpectError("BIOS-e820: [mem 0x10000000000000000-0x10000000000000fff] usable\n", 1, "64 bits");
}

TEST(MemmapParseErrors, InclusiveEndAt2To64Overflows) {
  ExpectError("BIOS-e820: [mem 0xfffffffffffff000-0xffffffffffffffff] reserved\n", 1, "overflows 2^64");
}

TEST(MemmapParseErrors, KernelDescriptorEndPast2To64) {
  ExpectError("mm.desc idx=0 type=7 phys=0xfffffffffffff000 pages=2 attr=0xf\n", 1, "overflows 2^64");
}

TEST(MemmapParseErrors, KernelDescriptorMissingPages) {
  ExpectError("mm.desc idx=0 type=7 phys=0x1000\n", 1, "pages=");
}

TEST(MemmapParseErrors, GarbageInsideAMapLine) {
  ExpectError("efi: mem00: type=7, attr=0xf, range=[0xZZ-0x1000) (0MB)\n", 1, "hex");
  ExpectError("BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable bananas\n", 1, "unexpected text");
  ExpectError("BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] frobnicated\n", 1, "unknown e820 type");
  ExpectError("efi: mem00: [Frobnicated |  |UC] range=[0x0-0xfff] (0MB)\n", 1, "unknown EFI memory type");
  ExpectError("efi: mem00: [Reserved |  |ZZ] range=[0x0-0xfff] (0MB)\n", 1, "unknown attribute column");
}

TEST(MemmapParseErrors, NoMapLinesAtAll) {
  ExpectError("hello\nworld\n", 0, "no kernel, linux-efi or e820");
  ExpectError("", 0, "no ");
  Parsed p;
  Parse("BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable\n", &p, MEMMAP_FORMAT_LINUX_EFI);
  EXPECT_FALSE(p.ok);
  EXPECT_NE(std::string(p.err.message).find("no linux-efi"), std::string::npos);
}

// ---- byte totals ----

TEST(MemmapClassBytes, UsableIsTrimmedToPagesOthersCountAsPrinted) {
  Parsed p;
  Parse(
      " BIOS-e820: 0000000000000800 - 0000000000003400 (usable)\n"
      " BIOS-e820: 00000000dffcfc00 - 00000000dffff000 (reserved)\n",
      &p);
  ASSERT_TRUE(p.ok) << p.err.message;
  uint64_t bytes[MEMMAP_CLASS_COUNT];
  memmap_class_bytes(&p.map, bytes);
  EXPECT_EQ(bytes[MEMMAP_CLASS_CONVENTIONAL], 0x2000u);  // [0x1000, 0x3000)
  EXPECT_EQ(bytes[MEMMAP_CLASS_RESERVED], 0xdffff000u - 0xdffcfc00u);
}

TEST(MemmapNames, FormatAndClassNamesRoundTrip) {
  memmap_format f;
  ASSERT_TRUE(memmap_format_from_name("linux-efi", &f));
  EXPECT_EQ(f, MEMMAP_FORMAT_LINUX_EFI);
  EXPECT_FALSE(memmap_format_from_name("efi", &f));
  EXPECT_STREQ(memmap_class_name(MEMMAP_CLASS_RUNTIME_SERVICES), "runtime_services");
  EXPECT_EQ(memmap_efi_type_of_e820(4), 10u);
}

// Found by memmap_text_fuzz: an error quoting the text after a malformed line's last byte read past the
// caller's buffer (the text is not NUL-terminated). The quote now stops at the end of the line.
TEST(MemmapParse, ErrorQuoteStopsAtTheEndOfTheText) {
  const std::string buffer = "BIOS-e820: [mem 0x0-0x1000] usable\nBIOS-e820: [mem 0xf000-0xffff-0x0SECRET-BYTES";
  const size_t len = buffer.size() - std::string("SECRET-BYTES").size();
  memmap map;
  memmap_error err;
  ASSERT_FALSE(memmap_parse(buffer.data(), len, MEMMAP_FORMAT_AUTO, &map, &err));
  EXPECT_EQ(err.line, 2u);
  EXPECT_EQ(std::string(err.message).find("SECRET"), std::string::npos) << err.message;
}

TEST(MemmapParse, ErrorQuoteStopsAtTheEndOfTheLine) {
  Parsed p;
  Parse("BIOS-e820: [mem 0xf000-0xffff] usable trailing\nnext line text\n", &p);
  ASSERT_FALSE(p.ok);
  EXPECT_EQ(p.err.line, 1u);
  EXPECT_EQ(std::string(p.err.message).find("next"), std::string::npos) << p.err.message;
}

// Found by memmap_text_fuzz: a line carrying two formats' markers was a summary line for an auto parse but
// an EFI entry when linux-efi was asked for. Its kind now comes from its markers alone.
TEST(MemmapParse, ALineWithTwoMarkersHasOneKindWhateverFormatIsAsked) {
  const std::string text =
      "efi: mem00: type=7, attr=0xf, range=[0x0000000000100000-0x0000000000200000) (1MB)\n"
      "mm.stats free_frames=1 efi: mem01: type=7, attr=0xf, range=[0x0000000000300000-0x0000000000400000) (1MB)\n";
  Parsed a, e;
  Parse(text, &a);
  Parse(text, &e, MEMMAP_FORMAT_LINUX_EFI);
  ASSERT_TRUE(a.ok) << a.err.message;
  ASSERT_TRUE(e.ok) << e.err.message;
  EXPECT_EQ(a.map.format, MEMMAP_FORMAT_LINUX_EFI);
  EXPECT_EQ(a.map.count, 1u);
  EXPECT_EQ(e.map.count, 1u) << "the mm.stats line is a kernel summary line, skipped when linux-efi is asked";
}

}  // namespace
