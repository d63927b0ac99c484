#include "tests/boot/boot_log.h"

#include <gtest/gtest.h>

namespace {

TEST(BootLogParse, KeepsOnlyKernelEventsAndTheHandoffLine) {
  auto events = boot_log::Parse(
      "BdsDxe: loading Boot0001\r\n"
      "\x1b[2J mm.firmware_map descriptors=3 descriptor_size=48\r\n"
      "runtime allocator initialized\n"
      "random firmware noise key=value\n"
      "boot.done status=0\n");
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].name, "mm.firmware_map");
  EXPECT_EQ(events[0].num("descriptors"), 3u);
  EXPECT_EQ(events[0].line, 2);
  EXPECT_EQ(events[1].name, boot_log::kHandoffLine);
  EXPECT_EQ(events[2].num("status"), 0u);
}

TEST(BootLogParse, ConsoleLinesAreKernelEvents) {
  auto events = boot_log::Parse(
      "console.framebuffer width=1280 height=800 format=bgr\r\n"
      "console.framebuffer status=none reason=no_framebuffer\r\n");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].num("width"), 1280u);
  EXPECT_EQ(events[1].str("reason"), "no_framebuffer");
}

TEST(BootLogParse, EfiRuntimeLinesAreEvents) {
  auto events = boot_log::Parse("efi.runtime get_time=ok year=2026 month=11 day=30\r\nefi.mat result=none\n");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].name, "efi.runtime");
  EXPECT_EQ(events[0].str("get_time"), "ok");
  EXPECT_EQ(events[0].num("year"), 2026u);
  EXPECT_EQ(events[1].name, "efi.mat");
}

TEST(BootLogParse, NumbersAreDecimalOrHexAndRejectGarbage) {
  EXPECT_EQ(boot_log::ParseNumber("0x1000"), 4096u);
  EXPECT_EQ(boot_log::ParseNumber("42"), 42u);
  EXPECT_THROW(boot_log::ParseNumber("12abc"), std::runtime_error);
  EXPECT_THROW(boot_log::ParseNumber(""), std::runtime_error);
}

TEST(BootLogParse, MissingKeyIsAnError) {
  auto events = boot_log::Parse("mm.plan free_slots=4\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_THROW(events[0].num("reserved_slots"), std::runtime_error);
}

}  // namespace
